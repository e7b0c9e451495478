/* serve-int.h: what the receiver (serve-http.c) and the batch loop (serve-loop.c) share. */
#ifndef SERVE_INT_H
#define SERVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "stages/serve.h"

struct inbox;
struct MHD_Daemon;

struct serve {
	const struct config *cfg;   /* borrowed */
	const struct serve_opts *o; /* borrowed */
	struct inbox *inbox;	    /* owned */
	size_t secret_len;
	struct MHD_Daemon *mhd;

	pthread_mutex_t mu; /* guards the members below */
	pthread_cond_t cv;  /* a delivery came, or stop */
	bool stopping;
	bool worker_done;
	unsigned long arrivals; /* actionable deliveries stored, ever */
	char last_run_id[48];
	char last_error[256];
};

/* Start the HTTP receiver on o->listen; logs the address it listens on. */
int serve_http_start(struct serve *s, struct err *e);
/* Stop accepting (closes the listening socket), then stop the daemon. */
void serve_http_stop(struct serve *s);

/* The batch loop (the worker thread's body): returns when s->stopping. */
void *serve_loop(void *arg);

#endif
