/*
 * Stand-in for the agent in e2e tests. Installed under a temporary agent root
 * as AliYunDun / AliYunDunUpdate / AliYunDunMonitor, it misbehaves on demand:
 *
 *   fake_agent [run]              stay up until killed
 *   fake_agent exit CODE [MS]     exit with CODE after MS milliseconds
 *   fake_agent crash [MS]         dereference NULL (SIGSEGV) after MS ms
 *   fake_agent abort [MS]         abort() (SIGABRT raised by itself)
 *   fake_agent oom                allocate and touch memory until killed
 *   fake_agent threads            start worker threads, then stay up
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "run";
	long ms = 0;

	if (!strcmp(mode, "exit")) {
		int code = argc > 2 ? atoi(argv[2]) : 0;

		if (argc > 3)
			sleep_ms(atol(argv[3]));
		return code;
	}
	if (!strcmp(mode, "crash") || !strcmp(mode, "abort")) {
		if (argc > 2)
			ms = atol(argv[2]);
		sleep_ms(ms);
		if (!strcmp(mode, "abort"))
			abort();
		volatile int *volatile p = NULL;

		*p = 1;
		return 0;
	}
	if (!strcmp(mode, "oom")) {
		for (;;) {
			size_t sz = 4 << 20;
			char *b = malloc(sz);

			if (b)
				memset(b, 0xa5, sz);
		}
	}
	if (!strcmp(mode, "threads")) {
		pthread_t t;

		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, worker, NULL);
	}
	for (;;)
		pause();
}
