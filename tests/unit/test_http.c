// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* check's HTTP/1.0 client (the ECS metadata token flow): requests built
 * from checked parts, the answer's parser on every shape it may take, and
 * the client against a one-shot server on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "netprobe.h"

/* ---- the request ---- */

static void test_build_put_with_ttl(void **state)
{
	const struct http_header h = { "X-aliyun-ecs-metadata-token-ttl-seconds", "60" };
	const struct http_request req = { "PUT", "100.100.100.200", "/latest/api/token", &h, 1 };
	char out[HTTP_REQUEST_MAX];
	int n = http_build_request(out, sizeof(out), &req);

	(void)state;
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_string_equal(out, "PUT /latest/api/token HTTP/1.0\r\n"
				 "Host: 100.100.100.200\r\n"
				 "User-Agent: aegismon\r\n"
				 "X-aliyun-ecs-metadata-token-ttl-seconds: 60\r\n"
				 "Content-Length: 0\r\n"
				 "\r\n");
}

static void test_build_get_has_no_length(void **state)
{
	const struct http_request req = { "GET", "100.100.100.200", "/latest/meta-data/eipv4", NULL, 0 };
	char out[HTTP_REQUEST_MAX];

	(void)state;
	assert_true(http_build_request(out, sizeof(out), &req) > 0);
	assert_null(strstr(out, "Content-Length"));
	assert_non_null(strstr(out, "GET /latest/meta-data/eipv4 HTTP/1.0\r\n"));
}

/* nothing a caller passes may add a line: CR, LF, any control but HTAB */
static void test_build_refuses_injection(void **state)
{
	static const char *const bad_values[] = { "tok\r\nX-Evil: 1", "tok\n", "tok\r", "a\001b", "a\177" };
	char out[HTTP_REQUEST_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		const struct http_header h = { "X-aliyun-ecs-metadata-token", bad_values[i] };
		const struct http_request req = { "GET", "h", "/", &h, 1 };

		assert_int_equal(http_build_request(out, sizeof(out), &req), -EINVAL);
		assert_string_equal(out, "");
	}
	{
		const struct http_header tab = { "X-A", "a\tb" };
		const struct http_header bad_name = { "X-A: b\r\nX-B", "c" };
		const struct http_header empty_name = { "", "c" };
		struct http_request req = { "GET", "h", "/", &tab, 1 };

		assert_true(http_build_request(out, sizeof(out), &req) > 0);
		req.headers = &bad_name;
		assert_int_equal(http_build_request(out, sizeof(out), &req), -EINVAL);
		req.headers = &empty_name;
		assert_int_equal(http_build_request(out, sizeof(out), &req), -EINVAL);
	}
	{
		const struct http_request bad[] = {
			{ "GET", "h", "/a b", NULL, 0 },        /* a space ends the target */
			{ "GET", "h", "/a\r\nX: y", NULL, 0 },
			{ "GET", "h", "a", NULL, 0 },           /* not from '/' */
			{ "GET", "h\r\nX: y", "/", NULL, 0 },
			{ "GET", "", "/", NULL, 0 },
			{ "G T", "h", "/", NULL, 0 },
			{ "get", "h", "/", NULL, 0 },
			{ "", "h", "/", NULL, 0 },
			{ NULL, "h", "/", NULL, 0 },
			{ "GET", "h", "/", NULL, 1 },           /* a count without headers */
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(http_build_request(out, sizeof(out), &bad[i]), -EINVAL);
	}
}

static void test_build_too_small(void **state)
{
	const struct http_request req = { "GET", "100.100.100.200", "/latest/meta-data/eipv4", NULL, 0 };
	char out[32];

	(void)state;
	assert_int_equal(http_build_request(out, sizeof(out), &req), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(http_build_request(out, 0, &req), -ENOSPC);
}

/* ---- the answer ---- */

static int read_answer(const char *text, bool full, struct http_answer *a, char *body, size_t len)
{
	return http_read_answer(text, strlen(text), full, a, body, len);
}

static void test_answer_200_with_body(void **state)
{
	const char *t = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n47.96.1.10\n";
	struct http_answer a;
	struct http_head h;
	char body[64];

	(void)state;
	assert_int_equal(read_answer(t, false, &a, body, sizeof(body)), 0);
	assert_int_equal(a.status, 200);
	assert_string_equal(body, "47.96.1.10\n");
	assert_int_equal(a.body_len, 11);
	assert_false(a.body_cut);
	assert_true(http_answer_complete(t, strlen(t)));
	assert_int_equal(http_parse_head(t, strlen(t), &h), 0);
	assert_int_equal(h.content_length, 11);
	assert_int_equal(h.header_len, strlen(t) - 11);
	/* without a length: the body is all up to the close; LF-only lines too */
	assert_int_equal(read_answer("HTTP/1.0 200 OK\nServer: x\n\nAQAEAB3rTt", false, &a, body, sizeof(body)), 0);
	assert_string_equal(body, "AQAEAB3rTt");
	assert_false(http_answer_complete("HTTP/1.0 200 OK\r\n\r\nabc", 22));
	/* bytes after the announced length are not this body */
	assert_int_equal(read_answer("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nabcdef", false, &a, body, sizeof(body)), 0);
	assert_string_equal(body, "ab");
	/* no reason phrase */
	assert_int_equal(read_answer("HTTP/1.0 200\r\n\r\nx", false, &a, body, sizeof(body)), 0);
	assert_int_equal(a.status, 200);
}

static void test_answer_error_statuses(void **state)
{
	static const struct {
		const char *text;
		int status;
	} cases[] = {
		{ "HTTP/1.0 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden", 403 },
		{ "HTTP/1.1 401 Unauthorized\r\n\r\n", 401 },
		{ "HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>not found</html>", 404 },
		{ "HTTP/1.0 405 Method Not Allowed\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n", 405 },
		{ "HTTP/1.1 500 Internal Server Error\r\n\r\n", 500 },
	};
	struct http_answer a;
	char body[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(read_answer(cases[i].text, false, &a, body, sizeof(body)), 0);
		assert_int_equal(a.status, cases[i].status);
	}
	assert_string_equal(read_answer(cases[0].text, false, &a, body, sizeof(body)) == 0 ? body : "", "Forbidden");
}

static void test_answer_truncated(void **state)
{
	static const char *const cut[] = {
		"HTT",
		"HTTP/1.1 20",
		"HTTP/1.1 200",
		"HTTP/1.1 200 OK",
		"HTTP/1.1 200 OK\r",
		"HTTP/1.1 200 OK\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",           /* no header end */
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n47.96", /* a shorter body */
	};
	struct http_answer a;
	char body[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		assert_int_equal(read_answer(cut[i], false, &a, body, sizeof(body)), -EBADMSG);
		assert_false(http_answer_complete(cut[i], strlen(cut[i])));
		assert_string_equal(body, "");
	}
	assert_int_equal(http_read_answer("", 0, false, &a, body, sizeof(body)), -ENODATA);
}

/* the head alone fills the receive buffer: too large, not cut short */
static void test_answer_huge_headers(void **state)
{
	static char buf[HTTP_RESPONSE_MAX];
	struct http_answer a;
	char body[64];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n");

	(void)state;
	while (n + 32 < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-Filler-%05zu: aaaaaaaaaaaa\r\n", n);
	memset(buf + n, 'b', sizeof(buf) - n); /* still a header line, unended */
	assert_int_equal(http_read_answer(buf, sizeof(buf), true, &a, body, sizeof(body)), -E2BIG);
	assert_int_equal(http_read_answer(buf, sizeof(buf), false, &a, body, sizeof(body)), -EBADMSG);
}

static void test_answer_body_longer_than_buffer(void **state)
{
	static char buf[HTTP_RESPONSE_MAX];
	struct http_answer a;
	char body[16];
	int head = snprintf(buf, sizeof(buf), "HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n");

	(void)state;
	memset(buf + head, 'x', sizeof(buf) - (size_t)head);
	/* the receive buffer filled before the body's end */
	assert_int_equal(http_read_answer(buf, sizeof(buf), true, &a, body, sizeof(body)), 0);
	assert_true(a.body_cut);
	assert_int_equal(a.body_len, sizeof(body) - 1);
	assert_int_equal(strlen(body), sizeof(body) - 1);
	/* whole in the receive buffer, longer than the caller's */
	assert_int_equal(read_answer("HTTP/1.0 200 OK\r\n\r\n0123456789abcdefghij", false, &a, body, sizeof(body)), 0);
	assert_true(a.body_cut);
	assert_string_equal(body, "0123456789abcde");
	/* exactly fits */
	assert_int_equal(read_answer("HTTP/1.0 200 OK\r\n\r\n0123456789abcde", false, &a, body, sizeof(body)), 0);
	assert_false(a.body_cut);
}

static void test_answer_not_http(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 2x0 OK\r\n\r\n",        /* non-digit status */
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 -20 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"HTTP/1.1 600 High\r\n\r\n",
		"HTTP/2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"<html>hello</html>",
		"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",   /* a bare CR */
		"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\nab",
	};
	struct http_answer a;
	char body[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = read_answer(bad[i], false, &a, body, sizeof(body));

		if (rc != -EPROTO)
			fail_msg("case %zu (%s): %d, expected -EPROTO", i, bad[i], rc);
	}
	/* a NUL in the head */
	assert_int_equal(http_read_answer("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, false, &a, body, sizeof(body)), -EPROTO);
	/* the same length twice is fine; case and spaces do not matter */
	assert_int_equal(read_answer("HTTP/1.1 200 OK\r\ncontent-length:  2 \r\nCONTENT-LENGTH: 2\r\n\r\nab", false, &a, body, sizeof(body)), 0);
	assert_string_equal(body, "ab");
}

/* ---- the client, against a one-shot server on loopback ---- */

struct server {
	pid_t pid;
	uint16_t port;
	int req_fd;          /* what the server received */
};

/* Accept one connection, read the request head, send reply (NULL: answer
 * nothing, hold the connection), then close. */
static void start_server(struct server *s, const char *reply, size_t reply_len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), pfd[2];

	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(pipe(pfd), 0);
	s->port = ntohs(sin.sin_port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char req[2048];
		size_t got = 0;
		int c = accept(lfd, NULL, NULL);

		close(pfd[0]);
		while (c >= 0 && got < sizeof(req) - 1) {
			ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);

			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		if (write(pfd[1], req, got) < 0)
			_exit(1);
		close(pfd[1]);
		if (!reply)
			pause();
		for (size_t off = 0; off < reply_len;) {
			ssize_t w = send(c, reply + off, reply_len - off, MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		_exit(0);
	}
	close(lfd);
	close(pfd[1]);
	s->req_fd = pfd[0];
}

static void stop_server(struct server *s, char *req, size_t len)
{
	ssize_t n;

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	n = read(s->req_fd, req, len - 1);
	req[n > 0 ? n : 0] = '\0';
	close(s->req_fd);
}

static int ask(const char *reply, size_t reply_len, const struct http_request *req, unsigned timeout_ms,
	       struct http_answer *a, char *body, size_t len, char *seen, size_t seen_len)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	struct server s;
	int rc;

	start_server(&s, reply, reply_len);
	rc = http_request(AF_INET, lo, s.port, req, timeout_ms, a, body, len);
	stop_server(&s, seen, seen_len);
	return rc;
}

static void test_client_token_flow_requests(void **state)
{
	const struct http_header ttl = { "X-aliyun-ecs-metadata-token-ttl-seconds", "60" };
	const struct http_request put = { "PUT", "100.100.100.200", "/latest/api/token", &ttl, 1 };
	const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nAQAEtok=";
	struct http_answer a;
	char body[64], seen[2048];

	(void)state;
	assert_int_equal(ask(reply, strlen(reply), &put, 2000, &a, body, sizeof(body), seen, sizeof(seen)), 0);
	assert_int_equal(a.status, 200);
	assert_string_equal(body, "AQAEtok=");
	assert_non_null(strstr(seen, "PUT /latest/api/token HTTP/1.0\r\n"));
	assert_non_null(strstr(seen, "\r\nX-aliyun-ecs-metadata-token-ttl-seconds: 60\r\n"));
	{
		const struct http_header tok = { "X-aliyun-ecs-metadata-token", "AQAEtok=" };
		const struct http_request get = { "GET", "100.100.100.200", "/latest/meta-data/eipv4", &tok, 1 };
		const char *r2 = "HTTP/1.0 403 Forbidden\r\n\r\n";

		assert_int_equal(ask(r2, strlen(r2), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), 0);
		assert_int_equal(a.status, 403);
		assert_non_null(strstr(seen, "\r\nX-aliyun-ecs-metadata-token: AQAEtok=\r\n"));
	}
}

static void test_client_answers(void **state)
{
	const struct http_request get = { "GET", "100.100.100.200", "/latest/meta-data/eipv4", NULL, 0 };
	static char big[HTTP_RESPONSE_MAX * 3];
	struct http_answer a;
	char body[32], seen[2048];
	const char *r;
	int head;

	(void)state;
	r = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(ask(r, strlen(r), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), 0);
	assert_int_equal(a.status, 405);
	r = "HTTP/1.0 200 OK\r\nContent-Length: 40\r\n\r\n47.96";
	assert_int_equal(ask(r, strlen(r), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), -EBADMSG);
	r = "HTTP/1.0 200 OK\r\nX-A: b\r\n";
	assert_int_equal(ask(r, strlen(r), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), -EBADMSG);
	r = "HTTP/1.0 2o0 OK\r\n\r\n";
	assert_int_equal(ask(r, strlen(r), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), -EPROTO);
	assert_int_equal(ask("", 0, &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), -ENODATA);
	/* headers larger than the receive buffer */
	head = snprintf(big, sizeof(big), "HTTP/1.0 200 OK\r\nX-Big: ");
	memset(big + head, 'h', sizeof(big) - (size_t)head);
	assert_int_equal(ask(big, sizeof(big), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), -E2BIG);
	/* a body longer than every buffer: cut, never overrun */
	head = snprintf(big, sizeof(big), "HTTP/1.0 200 OK\r\n\r\n");
	memset(big + head, 'b', sizeof(big) - (size_t)head);
	assert_int_equal(ask(big, sizeof(big), &get, 2000, &a, body, sizeof(body), seen, sizeof(seen)), 0);
	assert_true(a.body_cut);
	assert_int_equal(strlen(body), sizeof(body) - 1);
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_client_deadline_and_refusal(void **state)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	const struct http_request get = { "GET", "h", "/", NULL, 0 };
	const struct http_header evil = { "X-aliyun-ecs-metadata-token", "t\r\nHost: evil" };
	const struct http_request inject = { "GET", "h", "/", &evil, 1 };
	struct http_answer a;
	char body[32], seen[2048];
	double t0;
	int rc, fd;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);

	(void)state;
	/* a server that never answers: the deadline, not forever */
	t0 = mono_ms();
	rc = ask(NULL, 0, &get, 300, &a, body, sizeof(body), seen, sizeof(seen));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_true(mono_ms() - t0 < 1500);
	/* nothing listens: refused */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	assert_int_equal(http_request(AF_INET, lo, ntohs(sin.sin_port), &get, 1000, &a, body, sizeof(body)),
			 -ECONNREFUSED);
	/* an injected header is refused before any connection */
	assert_int_equal(http_request(AF_INET, lo, ntohs(sin.sin_port), &inject, 1000, &a, body, sizeof(body)),
			 -EINVAL);
	assert_string_equal(netprobe_err_name(-EBADMSG), "answer cut short");
	assert_string_equal(netprobe_err_name(-E2BIG), "answer headers too large");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_put_with_ttl),
		cmocka_unit_test(test_build_get_has_no_length),
		cmocka_unit_test(test_build_refuses_injection),
		cmocka_unit_test(test_build_too_small),
		cmocka_unit_test(test_answer_200_with_body),
		cmocka_unit_test(test_answer_error_statuses),
		cmocka_unit_test(test_answer_truncated),
		cmocka_unit_test(test_answer_huge_headers),
		cmocka_unit_test(test_answer_body_longer_than_buffer),
		cmocka_unit_test(test_answer_not_http),
		cmocka_unit_test(test_client_token_flow_requests),
		cmocka_unit_test(test_client_answers),
		cmocka_unit_test(test_client_deadline_and_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
