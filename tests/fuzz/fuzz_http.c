// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz check's HTTP answer parser (the ECS metadata service's answers) and
 * the request builder: only the given length is read, an accepted head lies
 * within the input with a valid status, the body stays within its buffer and
 * NUL-terminated, and a header value the builder accepts never adds a line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "fuzz.h"

static void fuzz_answer(const char *copy, size_t size)
{
	struct http_answer a;
	struct http_head h;
	char body[64];
	int rc = http_parse_head(copy, size, &h);

	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
	if (rc == 0) {
		CHECK(h.status >= 100 && h.status <= 599);
		CHECK(h.header_len >= 14 && h.header_len <= size);
		CHECK(copy[h.header_len - 1] == '\n');
		CHECK(h.content_length >= -1);
	}
	for (int full = 0; full < 2; full++) {
		memset(body, 'Z', sizeof(body));
		rc = http_read_answer(copy, size, full, &a, body, sizeof(body));
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -E2BIG || rc == -ENODATA);
		CHECK(a.body_len < sizeof(body) && body[a.body_len] == '\0');
		if (rc == 0)
			CHECK(a.status >= 100 && a.status <= 599);
		else
			CHECK(a.status == 0 && body[0] == '\0');
	}
	(void)http_answer_complete(copy, size);
}

/* the input as a header value: accepted only without a line of its own */
static void fuzz_request(const uint8_t *data, size_t size)
{
	char value[256], out[HTTP_REQUEST_MAX];
	size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1, lines = 0;
	const struct http_header h = { "X-aliyun-ecs-metadata-token", value };
	const struct http_request req = { "GET", "100.100.100.200", "/latest/meta-data/eipv4", &h, 1 };
	int len;

	memcpy(value, data, n);
	value[n] = '\0';
	len = http_build_request(out, sizeof(out), &req);
	CHECK(len == -EINVAL || (len > 0 && (size_t)len == strlen(out)));
	if (len < 0)
		return;
	for (int i = 0; i < len; i++) {
		if (out[i] == '\n') {
			CHECK(i > 0 && out[i - 1] == '\r');
			lines++;
		}
		if (out[i] == '\r')
			CHECK(i + 1 < len && out[i + 1] == '\n');
	}
	CHECK(lines == 5); /* request line, Host, User-Agent, the header, the blank */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);

	CHECK(copy != NULL);
	memcpy(copy, data, size); /* exact size, no NUL: ASan sees a read past the end */
	fuzz_answer(copy, size);
	fuzz_request(data, size);
	free(copy);
	return 0;
}
