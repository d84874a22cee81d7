// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * connect() storm: socket + connect to ADDR:PORT (default 127.0.0.1:1, a closed
 * port) + close, in a loop, in PROCS processes for SECONDS. Prints ops/s.
 * A refused connect is the expected result; anything else counts as an error.
 *
 *     connect_storm [-d SECONDS] [-j PROCS] [-a IPV4] [-p PORT]
 */
#include "storm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in target = {
	.sin_family = AF_INET,
};

static int connect_once(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	(void)arg;
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)&target, sizeof(target));
	if (rc == 0 || errno != ECONNREFUSED)
		rc = -1;
	else
		rc = 0;
	close(fd);
	return rc;
}

static void connect_opt(int opt, const char *val)
{
	char *end;
	long port;

	switch (opt) {
	case 'a':
		if (inet_pton(AF_INET, val, &target.sin_addr) != 1) {
			fprintf(stderr, "connect_storm: bad address %s\n", val);
			exit(2);
		}
		break;
	case 'p':
		port = strtol(val, &end, 10);
		if (*end || port < 1 || port > 65535) {
			fprintf(stderr, "connect_storm: bad port %s\n", val);
			exit(2);
		}
		target.sin_port = htons((uint16_t)port);
		break;
	}
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	target.sin_port = htons(1);
	storm_parse(argc, argv, "a:p:", " [-a IPV4] [-p PORT]", &seconds, &procs, connect_opt);
	return storm_run(seconds, procs, connect_once, NULL);
}
