// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* sd_notify without libsystemd: the datagram and the watchdog interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sdnotify.h"

static int bind_receiver(char *path, size_t len)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	snprintf(path, len, "/tmp/aegismon-test-notify.%d", (int)getpid());
	unlink(path);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	return fd;
}

static void test_datagram(void **state)
{
	char path[64], buf[8192], big[5000];
	int fd = bind_receiver(path, sizeof(path));
	ssize_t n;

	(void)state;
	setenv("NOTIFY_SOCKET", path, 1);
	sdnotify("READY=1\nSTATUS=%d probes", 9);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=9 probes");
	sdnotify_reloading();
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n] = '\0';
	assert_true(!strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27));
	assert_true(strtoull(buf + 27, NULL, 10) > 0);
	/* too long: cut at the last whole assignment, never half of one */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sdnotify("READY=1\nSTATUS=%s", big);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	/* no socket: nothing, no error */
	unsetenv("NOTIFY_SOCKET");
	sdnotify("READY=1");
	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	close(fd);
	unlink(path);
}

static void test_watchdog(void **state)
{
	char pid[16];

	(void)state;
	setenv("NOTIFY_SOCKET", "/run/nothing", 1);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(sdnotify_watchdog_interval_ns(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(sdnotify_watchdog_interval_ns(), 15000000000ULL);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_interval_ns(), 15000000000ULL);
	setenv("WATCHDOG_PID", "1", 1); /* another process's */
	assert_int_equal(sdnotify_watchdog_interval_ns(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(sdnotify_watchdog_interval_ns(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(sdnotify_watchdog_interval_ns(), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagram),
		cmocka_unit_test(test_watchdog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
