#!/bin/sh
# The http layer against a scripted loopback server (tests/flaky_server.py):
# retries, the shared 429 pause, uncertain writes, redaction, caps, multipart,
# concurrency. The assertions live in tests/test-http-live.c.
. "$top_srcdir/tests/lib.sh"

if [ "${PYTHON3:-no}" = no ]; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
"$PYTHON3" "$top_srcdir/tests/flaky_server.py" "$TEST_TMP/port" "$TEST_TMP/requests.jsonl" &
server_pid=$!
TEST_CLEANUP='kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null'
i=0
while [ ! -s "$TEST_TMP/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$TEST_TMP/port" ]; then
	echo "Bail out! flaky_server.py did not start"
	exit 1
fi
# No proxy: the unresolvable-host case must reach the resolver.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
A2H_TEST_URL="http://127.0.0.1:$(cat "$TEST_TMP/port")" \
A2H_TEST_LOG="$TEST_TMP/requests.jsonl" \
A2H_TEST_TMP="$TEST_TMP" \
	"$top_builddir/tests/test-http-live"
