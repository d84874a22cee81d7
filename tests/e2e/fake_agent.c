// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
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
 *   fake_agent connect ADDR PORT [COUNT] [GAP_MS]
 *                                 blocking TCP connects, one line of result each;
 *                                 a successful one is held until the peer closes
 *   fake_agent seccompconnect ADDR PORT STAY_MS
 *                                 a child installs a seccomp filter that fails connect()
 *                                 with EPERM, prints "child PID", connects as above (again
 *                                 1.5 s later if STAY_MS is that long), stays STAY_MS in
 *                                 all, exits; the parent waits for it
 *   fake_agent connectstay ADDR PORT [MS]
 *                                 after MS ms, one connect as above, then stay up until killed
 *   fake_agent udp ADDR PORT      connect a UDP socket and send one datagram
 *   fake_agent dns SERVER NAME    one raw UDP query (type A) to SERVER:53, print the rcode
 *   fake_agent resolve NAME [PORT] getaddrinfo(NAME), then connect to the first address
 *   fake_agent dnsserve ADDR PORT RCODE
 *                                 (as a broken upstream) answer every query with RCODE
 *   fake_agent notifyrecv PATH    (as systemd) print each sd_notify datagram on PATH
 *   fake_agent serve ADDR PORT reset|hold|sink
 *                                 (as the far end) accept, then reset, hold, or read
 *                                 and discard what comes
 *   fake_agent send ADDR PORT FIRST SIZE [WAIT_MS]
 *                                 connect, write FIRST bytes (a small request; 0: none),
 *                                 wait WAIT_MS (default 500), write SIZE bytes, print
 *                                 "sent", stay until the peer closes or it is killed
 *
 * Started without arguments (as a restart does: no argv, a clean environment),
 * it reads its mode from fake_agent.mode next to its executable (words
 * separated by blanks, e.g. "connect 127.0.0.1 9000"), if that file exists.
 *   fake_agent wakework SLEEP_MS WORK_US
 *                                 wake every SLEEP_MS, burn WORK_US of CPU (a busy agent)
 *   fake_agent spin               burn CPU until killed (a CPU hog)
 *   fake_agent hog MIB            allocate and touch MIB MiB, print "held", stay up
 *   fake_agent storm N            exec N short-lived copies of itself, 8 at a time
 *                                 (an impostor storm when it is not under the agent root)
 */
#include <arpa/inet.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stddef.h>
#include <netdb.h>
#include <sys/time.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static socklen_t make_addr(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)atoi(port));
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)atoi(port));
		return sizeof(*in6);
	}
	fprintf(stderr, "bad address %s\n", addr);
	exit(2);
}

static int do_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[2], argv[3], &ss);
	int count = argc > 4 ? atoi(argv[4]) : 1;
	long gap = argc > 5 ? atol(argv[5]) : 200;

	for (int i = 0; i < count; i++) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);

		if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
			char buf[256];

			printf("connected\n");
			fflush(stdout);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			printf("closed: %s\n", strerror(errno));
		} else {
			printf("failed: %s\n", strerror(errno));
		}
		fflush(stdout);
		close(fd);
		if (i + 1 < count)
			sleep_ms(gap);
	}
	return 0;
}

static int write_all(int fd, size_t n)
{
	static char buf[65536];

	while (n) {
		ssize_t w = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (w < 0)
			return -1;
		n -= (size_t)w;
	}
	return 0;
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[2], argv[3], &ss);
	size_t first = (size_t)atol(argv[4]), size = (size_t)atol(argv[5]);
	long wait = argc > 6 ? atol(argv[6]) : 500;
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	char buf[256];

	if (connect(fd, (struct sockaddr *)&ss, len)) {
		printf("failed: %s\n", strerror(errno));
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	if (first && write_all(fd, first))
		printf("failed: %s\n", strerror(errno));
	sleep_ms(wait);
	if (write_all(fd, size))
		printf("failed: %s\n", strerror(errno));
	printf("sent\n");
	fflush(stdout);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("closed: %s\n", strerror(errno));
	return 0;
}

static void *sink_conn(void *arg)
{
	int c = (int)(long)arg;
	char buf[65536];

	while (read(c, buf, sizeof(buf)) > 0)
		;
	close(c);
	return NULL;
}

static int do_udp(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[2], argv[3], &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);

	if (connect(fd, (struct sockaddr *)&ss, len) || send(fd, "aegis", 5, 0) < 0)
		printf("failed: %s\n", strerror(errno));
	else
		printf("sent\n");
	return 0;
}

static int do_serve(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[2], argv[3], &ss);
	int one = 1, fd = socket(ss.ss_family, SOCK_STREAM, 0);
	int reset = !strcmp(argv[4], "reset"), sink = !strcmp(argv[4], "sink");

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		perror("serve");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (sink) {
			pthread_t t;

			if (pthread_create(&t, NULL, sink_conn, (void *)(long)c) == 0)
				pthread_detach(t);
			else
				close(c);
			continue;
		}
		if (reset) {
			struct linger lg = { 1, 0 }; /* close with RST */

			sleep_ms(200);
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c);
		}
	}
}

/* A resolver-independent query: what a static or Go binary does. */
static int do_dns(char **argv)
{
	unsigned char q[512], r[512];
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[2], "53", &ss);
	struct timeval tv = { 2, 0 };
	size_t o = 12;
	const char *p = argv[3];
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	ssize_t n;

	memset(q, 0, sizeof(q));
	q[0] = 0x4a;
	q[1] = 0x17;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	while (*p && o < 400) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[o++] = (unsigned char)l;
		memcpy(q + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	q[o++] = 0;
	q[o++] = 0;
	q[o++] = 1; /* A */
	q[o++] = 0;
	q[o++] = 1; /* IN */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) || send(fd, q, o, 0) < 0) {
		printf("failed: %s\n", strerror(errno));
		return 0;
	}
	n = recv(fd, r, sizeof(r), 0);
	if (n < 12)
		printf("failed: %s\n", n < 0 ? strerror(errno) : "short answer");
	else
		printf("rcode %d answers %d\n", r[3] & 0x0f, r[7]);
	return 0;
}

static int do_dnsserve(char **argv)
{
	struct sockaddr_storage ss, peer;
	socklen_t len = make_addr(argv[2], argv[3], &ss), plen;
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0), rcode = atoi(argv[4]);
	unsigned char buf[512];

	if (bind(fd, (struct sockaddr *)&ss, len)) {
		perror("dnsserve");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		ssize_t n;

		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n < 12)
			continue;
		buf[2] |= 0x80;                          /* QR */
		buf[3] = (unsigned char)(0x80 | (rcode & 0x0f)); /* RA, RCODE */
		buf[6] = buf[7] = buf[8] = buf[9] = buf[10] = buf[11] = 0;
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
}

static int do_notifyrecv(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[4096]; /* systemd takes up to PIPE_BUF */

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&un, sizeof(un))) {
		perror("notifyrecv");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n > 0) {
			buf[n] = '\0';
			printf("%s\n", buf);
			fflush(stdout);
		}
	}
}

static int do_resolve(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	char port[8] = "80", a[64];
	int rc;

	if (argc > 3)
		snprintf(port, sizeof(port), "%s", argv[3]);
	rc = getaddrinfo(argv[2], port, &hints, &res);
	if (rc) {
		printf("failed: %s\n", gai_strerror(rc));
		return 0;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, a, sizeof(a));
	printf("resolved %s\n", a);
	fflush(stdout);
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(fd, res->ai_addr, res->ai_addrlen))
			printf("failed: %s\n", strerror(errno));
		else
			printf("connected\n");
		close(fd);
	}
	freeaddrinfo(res);
	return 0;
}

/* The mode file next to /proc/self/exe: its words become argv[1..]. */
static void mode_from_file(int *argc, char ***argv)
{
	static char text[512];
	static char *words[16];
	char path[4096 + 32];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash, *save = NULL, *w;
	FILE *f;
	size_t got;
	int k = 1;

	if (n <= 0)
		return;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return;
	strcpy(slash + 1, "fake_agent.mode");
	f = fopen(path, "r");
	if (!f)
		return;
	got = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[got] = '\0';
	words[0] = (*argv)[0];
	for (w = strtok_r(text, " \t\n", &save); w && k < 15; w = strtok_r(NULL, " \t\n", &save))
		words[k++] = w;
	words[k] = NULL;
	*argc = k;
	*argv = words;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int do_wakework(long gap_ms, long work_us)
{
	for (;;) {
		/* CPU time, not wall time: a throttled agent still does its work */
		struct timespec t0, t;
		long long used;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		do {
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
			used = (t.tv_sec - t0.tv_sec) * 1000000LL + (t.tv_nsec - t0.tv_nsec) / 1000;
		} while (used < work_us);
		sleep_ms(gap_ms);
	}
	return 0;
}

/* N processes of this name, each exec'd (so the kernel sees an exec), 8 alive at a time */
static int do_storm(long n)
{
	long started = 0, running = 0;

	while (started < n || running > 0) {
		if (started < n && running < 8) {
			pid_t pid = fork();

			if (pid == 0) {
				execl("/proc/self/exe", "AliYunDun", "exit", "0", "0", (char *)NULL);
				_exit(127);
			}
			if (pid > 0) {
				started++;
				running++;
				continue;
			}
		}
		if (wait(NULL) > 0)
			running--;
		else if (started >= n)
			break;
	}
	printf("stormed %ld\n", started);
	return 0;
}

static int do_hog(long mib)
{
	size_t sz = (size_t)mib << 20;
	char *b = malloc(sz);

	if (!b) {
		printf("failed: out of memory\n");
		return 1;
	}
	/* through a volatile pointer: a plain memset of memory never read again
	 * is a dead store the compiler may drop */
	for (size_t i = 0; i < sz; i += 4096)
		((volatile char *)b)[i] = (char)(i >> 12 | 1);
	printf("held %ld MiB\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}

/* connect() fails with EPERM from here on: a raw seccomp filter (no libseccomp),
 * as a unit's SystemCallFilter= or a container runtime's profile installs. */
#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "seccompconnect: add this architecture's AUDIT_ARCH"
#endif

static int deny_connect_seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int do_seccomp_connect(char **argv)
{
	/* as an agent does, it tries again (once, 1.5 s later) if it stays that long */
	long stay = atol(argv[4]);
	int again = stay >= 1500;
	char *tries[] = { argv[0], argv[1], argv[2], argv[3], (char *)(again ? "2" : "1"), (char *)"1500",
			  NULL };
	pid_t child;
	int status;

	child = fork();

	if (child < 0)
		return 1;
	if (child == 0) {
		if (deny_connect_seccomp()) {
			printf("failed: seccomp: %s\n", strerror(errno));
			_exit(1);
		}
		printf("child %d\n", (int)getpid());
		fflush(stdout);
		do_connect(6, tries);
		sleep_ms(again ? stay - 1500 : stay);
		_exit(0);
	}
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	const char *mode;
	long ms = 0;

	if (argc == 1)
		mode_from_file(&argc, &argv);
	mode = argc > 1 ? argv[1] : "run";

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
	if (!strcmp(mode, "connect") && argc > 3)
		return do_connect(argc, argv);
	if (!strcmp(mode, "seccompconnect") && argc > 4)
		return do_seccomp_connect(argv);
	if (!strcmp(mode, "connectstay") && argc > 3) {
		char *one[] = { argv[0], argv[1], argv[2], argv[3], (char *)"1", NULL };

		if (argc > 4)
			sleep_ms(atol(argv[4]));
		do_connect(5, one);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "send") && argc > 5)
		return do_send(argc, argv);
	if (!strcmp(mode, "udp") && argc > 3)
		return do_udp(argv);
	if (!strcmp(mode, "dns") && argc > 3)
		return do_dns(argv);
	if (!strcmp(mode, "dnsserve") && argc > 4)
		return do_dnsserve(argv);
	if (!strcmp(mode, "notifyrecv") && argc > 2)
		return do_notifyrecv(argv[2]);
	if (!strcmp(mode, "resolve") && argc > 2)
		return do_resolve(argc, argv);
	if (!strcmp(mode, "serve") && argc > 4)
		return do_serve(argv);
	if (!strcmp(mode, "wakework") && argc > 3)
		return do_wakework(atol(argv[2]), atol(argv[3]));
	if (!strcmp(mode, "hog") && argc > 2)
		return do_hog(atol(argv[2]));
	if (!strcmp(mode, "storm") && argc > 2)
		return do_storm(atol(argv[2]));
	if (!strcmp(mode, "spin")) {
		long long t0 = now_us();

		for (volatile unsigned long i = 0;; i++)
			if ((i & 0xffffff) == 0 && now_us() - t0 > 600 * 1000000LL)
				return 0; /* a safety net: never outlive a test by much */
	}
	if (!strcmp(mode, "threads")) {
		pthread_t t;

		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, worker, NULL);
	}
	for (;;)
		pause();
}
