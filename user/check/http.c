// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* HTTP/1.0 requests built from checked parts, answers parsed from a bounded
 * buffer by offsets (never past its length, no NUL needed). */
#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the request ---- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool method_ok(const char *m)
{
	size_t n = 0;

	for (; m[n]; n++)
		if (m[n] < 'A' || m[n] > 'Z' || n >= 16)
			return false;
	return n > 0;
}

static bool host_ok(const char *h)
{
	if (!h[0])
		return false;
	for (; *h; h++) {
		unsigned char c = (unsigned char)*h;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(".-:[]", c)))
			return false;
	}
	return true;
}

/* from '/', visible ASCII: no space could end the request target early */
static bool path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

static bool name_ok(const char *n)
{
	if (!n[0])
		return false;
	for (; *n; n++)
		if (!is_tchar((unsigned char)*n))
			return false;
	return true;
}

/* no control character but HTAB: a CR or LF would start a header of its own */
static bool value_ok(const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

struct outbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

int http_build_request(char *out, size_t outlen, const struct http_request *req)
{
	struct outbuf o = { .p = out, .cap = outlen };

	if (!outlen)
		return -ENOSPC;
	out[0] = '\0';
	if (!req->method || !req->host || !req->path || !method_ok(req->method) ||
	    !host_ok(req->host) || !path_ok(req->path) || req->nheaders < 0 ||
	    (req->nheaders && !req->headers))
		return -EINVAL;
	for (int i = 0; i < req->nheaders; i++)
		if (!req->headers[i].name || !req->headers[i].value || !name_ok(req->headers[i].name) ||
		    !value_ok(req->headers[i].value))
			return -EINVAL;
	put(&o, "%s %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: aegismon\r\n", req->method, req->path,
	    req->host);
	for (int i = 0; i < req->nheaders; i++)
		put(&o, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
	/* no body is sent; a server may insist on the length for PUT */
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
		put(&o, "Content-Length: 0\r\n");
	put(&o, "\r\n");
	if (o.overflow) {
		out[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.len;
}

/* ---- the answer ---- */

/* The line from start: *end where its text ends (before CR LF or LF), *next
 * after it. -EBADMSG when no LF came yet; -EPROTO for a control character in
 * it (a bare CR, a NUL) but HTAB. */
static int find_line(const char *buf, size_t len, size_t start, size_t *end, size_t *next)
{
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			*end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
			*next = i + 1;
			return 0;
		}
		if (c == '\r') {
			if (i + 1 == len)
				return -EBADMSG; /* its LF may still come */
			if (buf[i + 1] != '\n')
				return -EPROTO;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EPROTO;
	}
	return -EBADMSG;
}

/* "HTTP/1.x DDD": which byte may stand at position i */
static bool status_byte_ok(size_t i, char c)
{
	static const char proto[] = "HTTP/1.";

	if (i < 7)
		return c == proto[i];
	if (i == 7 || i == 10 || i == 11)
		return c >= '0' && c <= '9';
	if (i == 8)
		return c == ' ';
	return c >= '1' && c <= '5'; /* i == 9: the status class */
}

static bool name_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(s, want, n);
}

static int parse_content_length(const char *v, size_t n, struct http_head *head)
{
	int64_t cl = 0;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n || n > 15) /* up to 10^15 - 1: no overflow, and plenty */
		return -EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EPROTO;
		cl = cl * 10 + (v[i] - '0');
	}
	/* two lengths that disagree: which body is meant is unknown */
	if (head->content_length >= 0 && head->content_length != cl)
		return -EPROTO;
	head->content_length = cl;
	return 0;
}

static int parse_header_line(const char *line, size_t n, struct http_head *head)
{
	const char *colon = memchr(line, ':', n);
	size_t nlen;

	/* a continuation line (obs-fold) starts with a space: not a name either */
	if (!colon || colon == line)
		return -EPROTO;
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return -EPROTO;
	if (name_is(line, nlen, "Content-Length"))
		return parse_content_length(colon + 1, n - nlen - 1, head);
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_head *head)
{
	size_t i, end, next;
	int rc;

	memset(head, 0, sizeof(*head));
	head->content_length = -1;
	/* a wrong byte is final; a missing one may still come */
	for (i = 0; i < 12; i++) {
		if (i >= len)
			return -EBADMSG;
		if (!status_byte_ok(i, buf[i]))
			return -EPROTO;
	}
	if (len == 12)
		return -EBADMSG;
	/* a reason phrase after a space, or none */
	if (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -EPROTO;
	head->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	rc = find_line(buf, len, 12, &end, &next);
	while (rc == 0) {
		size_t start = next;

		rc = find_line(buf, len, start, &end, &next);
		if (rc)
			break;
		if (end == start) {
			head->header_len = next;
			return 0;
		}
		rc = parse_header_line(buf + start, end - start, head);
	}
	head->header_len = 0;
	return rc;
}

int http_read_answer(const char *buf, size_t got, bool full, struct http_answer *ans, char *body,
		     size_t len)
{
	struct http_head h;
	size_t avail, blen, copy;
	bool cut = false;
	int rc;

	memset(ans, 0, sizeof(*ans));
	if (!len)
		return -EINVAL;
	body[0] = '\0';
	if (!got)
		return -ENODATA;
	rc = http_parse_head(buf, got, &h);
	if (rc == -EBADMSG && full)
		return -E2BIG; /* the head alone filled the buffer */
	if (rc)
		return rc;
	avail = got - h.header_len;
	blen = avail;
	if (h.content_length >= 0) {
		if ((uint64_t)h.content_length <= avail)
			blen = (size_t)h.content_length; /* anything after it is not this body */
		else if (full)
			cut = true; /* reading stopped, the body goes on */
		else
			return -EBADMSG; /* closed before the length it announced */
	} else if (full) {
		cut = true;
	}
	copy = blen < len - 1 ? blen : len - 1;
	memcpy(body, buf + h.header_len, copy);
	body[copy] = '\0';
	ans->status = h.status;
	ans->body_len = copy;
	ans->body_cut = cut || copy < blen;
	return 0;
}

bool http_answer_complete(const char *buf, size_t got)
{
	struct http_head h;

	return http_parse_head(buf, got, &h) == 0 && h.content_length >= 0 &&
	       got - h.header_len >= (uint64_t)h.content_length;
}
