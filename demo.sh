#!/bin/sh
# Quick start: install dependencies, build, and run the main job end to end on
# the bundled demo data (emulated Ashby and Humaans on loopback).
set -e
cd "$(dirname "$0")"
sh .ci/install-deps
./autogen.sh >/dev/null
mkdir -p build
(cd build && [ -f Makefile ] || ../configure --enable-werror >/dev/null)
make -C build -j2 >/dev/null
echo "built: build/ashby2humaans $(build/ashby2humaans --version | cut -d' ' -f2)"
if [ -x tests/demo-run.sh ]; then
	sh tests/demo-run.sh build/ashby2humaans
else
	echo "the demo run lands with the extract, transform and plan issues"
fi
