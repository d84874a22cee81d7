/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The pure half of check's small HTTP/1.0 client (the ECS metadata service):
 * a request built from checked parts (nothing a caller passes can add a line
 * to it), and a response read back from a bounded buffer: status line,
 * headers, body. No I/O and no allocation here; netprobe.c sends and
 * receives. Errors are -errno:
 *   -EINVAL   a request part with a character it may not have (CR, LF, ...)
 *   -ENOSPC   the request does not fit the buffer
 *   -EPROTO   not an HTTP/1.x answer (status line, a header, Content-Length)
 *   -EBADMSG  an answer cut short (no end of the headers, a shorter body
 *             than Content-Length says)
 *   -E2BIG    headers larger than the receive buffer
 *   -ENODATA  the connection closed without a byte
 */
#ifndef AEGISMON_HTTP_H
#define AEGISMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_REQUEST_MAX 1024   /* a request's bytes */
#define HTTP_RESPONSE_MAX 4096  /* an answer's bytes read: headers and body */

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method;            /* "GET", "PUT": upper-case letters */
	const char *host;              /* the Host header */
	const char *path;              /* from '/', visible ASCII only */
	const struct http_header *headers;
	int nheaders;
};

/*
 * The request's bytes in out: request line, Host, User-Agent, the headers,
 * Content-Length: 0 for a method other than GET and HEAD (no body is ever
 * sent), the blank line. Its length, or -EINVAL (a part that could add or
 * break a line: a control character in a value, a non-token name), -ENOSPC.
 */
int http_build_request(char *out, size_t outlen, const struct http_request *req);

/* The status line and headers at the start of an answer. */
struct http_head {
	int status;                    /* 100-599 */
	size_t header_len;             /* up to and including the blank line */
	int64_t content_length;        /* -1: not given */
};

/*
 * Parse the head of the answer in buf[0..len) (no NUL needed, none read
 * past len). Lines end in CRLF or LF. 0 with *head filled; -EBADMSG while
 * the head is incomplete (more bytes may complete it); -EPROTO for bytes no
 * more could make a valid head.
 */
int http_parse_head(const char *buf, size_t len, struct http_head *head);

/* What the client hands back. */
struct http_answer {
	int status;
	size_t body_len;               /* bytes in body (without the NUL) */
	bool body_cut;                 /* the body was longer than the buffer */
};

/*
 * The answer in buf[0..got), read until the peer closed the connection or
 * (full) the receive buffer filled: 0 with *ans filled and the body copied
 * into body (NUL-terminated, cut to len - 1 bytes, body_cut set), or
 * -ENODATA, -EPROTO, -EBADMSG, -E2BIG (see above).
 */
int http_read_answer(const char *buf, size_t got, bool full, struct http_answer *ans, char *body,
		     size_t len);

/* Has buf[0..got) a whole answer already (the head and a body as long as its
 * Content-Length)? Lets the client stop without waiting for the close. */
bool http_answer_complete(const char *buf, size_t got);

#endif
