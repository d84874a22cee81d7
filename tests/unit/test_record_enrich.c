// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the live session added to a diagnosis (REC_ENRICH) reads back from a
 * recording as it was written: the rules and the drop's symbol, what refused
 * a connect, or why the rules could not be read. Nothing is written for a
 * diagnosis that gained nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "record.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/aegis-test-recenrich.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* Write the diagnoses' enrichments (seq 1, 2, ...), then read back every REC_ENRICH. */
static unsigned round_trip(const struct diagnosis *d, unsigned n, struct rec_enrich *out)
{
	struct recorder r = { 0 };
	struct rec_end end = { 0 };
	struct rec_reader *rd = malloc(sizeof(*rd));
	struct rec_item *item = malloc(sizeof(*item));
	char err[256];
	unsigned got = 0;
	int rc;

	assert_non_null(rd);
	assert_non_null(item);
	assert_int_equal(rec_create(&r, path, err, sizeof(err)), 0);
	assert_int_equal(rec_begin(&r, "host = test\nstart_ns = 1\n", err, sizeof(err)), 0);
	for (unsigned i = 0; i < n; i++)
		rec_enrich(&r, i + 1, &d[i]);
	assert_int_equal(rec_close(&r, &end), 0);
	assert_int_equal(rec_reader_open(rd, path, err, sizeof(err)), 0);
	while ((rc = rec_next(rd, item, err, sizeof(err))) > 0)
		if (item->kind == REC_ENRICH)
			out[got++] = item->enrich;
	assert_int_equal(rc, 0);
	rec_reader_close(rd);
	free(item);
	free(rd);
	return got;
}

static void test_enrichments_read_back(void **state)
{
	struct diagnosis *d = calloc(4, sizeof(*d));
	struct rec_enrich *out = calloc(4, sizeof(*out));

	(void)state;
	assert_non_null(d);
	assert_non_null(out);
	/* 1: a local drop with its rule and symbol */
	snprintf(d[0].drop_symbol, sizeof(d[0].drop_symbol), "nft_do_chain+0x46");
	d[0].nrules = 1;
	snprintf(d[0].rules[0].table, sizeof(d[0].rules[0].table), "aegistest");
	snprintf(d[0].rules[0].text, sizeof(d[0].rules[0].text), "ip daddr 100.100.0.0/16 drop");
	d[0].rules[0].handle = 4;
	d[0].rules[0].certain = true;
	/* 2: a local drop whose rules nft did not give */
	snprintf(d[1].drop_symbol, sizeof(d[1].drop_symbol), "nf_hook_slow+0x9b");
	snprintf(d[1].rules_unread, sizeof(d[1].rules_unread), "timeout");
	/* 3: nothing gained: no record */
	/* 4: a connect refused by a seccomp filter */
	d[3].policy.mechanism = POLICY_SECCOMP;
	d[3].policy.seccomp_filters = 2;

	assert_int_equal(round_trip(d, 4, out), 3);
	assert_int_equal(out[0].seq, 1);
	assert_string_equal(out[0].drop_symbol, "nft_do_chain+0x46");
	assert_int_equal(out[0].nrules, 1);
	assert_string_equal(out[0].rules[0].table, "aegistest");
	assert_string_equal(out[0].rules[0].text, "ip daddr 100.100.0.0/16 drop");
	assert_int_equal(out[0].rules[0].handle, 4);
	assert_true(out[0].rules[0].certain);
	assert_string_equal(out[0].rules_unread, "");
	assert_int_equal(out[0].policy.mechanism, POLICY_NOT_INSPECTED);

	assert_int_equal(out[1].seq, 2);
	assert_string_equal(out[1].drop_symbol, "nf_hook_slow+0x9b");
	assert_int_equal(out[1].nrules, 0);
	assert_string_equal(out[1].rules_unread, "timeout");
	assert_int_equal(out[1].policy.mechanism, POLICY_NOT_INSPECTED);

	assert_int_equal(out[2].seq, 4);
	assert_int_equal(out[2].policy.mechanism, POLICY_SECCOMP);
	assert_int_equal(out[2].policy.seccomp_filters, 2);
	assert_string_equal(out[2].rules_unread, "");
	free(d);
	free(out);
}

/* rules_unread from a file is one of the codes or nothing: unterminated,
 * unknown or cut short, it is left out. */
static void test_unread_from_a_file(void **state)
{
	uint8_t p[4 + 96 + 4 + 16];
	struct rec_item *item = malloc(sizeof(*item));

	(void)state;
	assert_non_null(item);
	memset(p, 'A', sizeof(p));
	memset(p + 4 + 96, 0, 4); /* no rules */
	assert_int_equal(rec_decode(REC_ENRICH, p, sizeof(p), item), 0);
	assert_string_equal(item->enrich.rules_unread, "");
	assert_int_equal(strlen(item->enrich.drop_symbol), 95);
	memset(p + 4 + 96 + 4, 0, 16);
	memcpy(p + 4 + 96 + 4, "\x1b[2Jtimeout", 11);
	assert_int_equal(rec_decode(REC_ENRICH, p, sizeof(p), item), 0);
	assert_string_equal(item->enrich.rules_unread, "");
	memset(p + 4 + 96 + 4, 0, 16);
	memcpy(p + 4 + 96 + 4, "netns_gone", 10);
	assert_int_equal(rec_decode(REC_ENRICH, p, sizeof(p), item), 0);
	assert_string_equal(item->enrich.rules_unread, "netns_gone");
	/* fewer bytes than it needs after the rules: not taken */
	assert_int_equal(rec_decode(REC_ENRICH, p, sizeof(p) - 1, item), 0);
	assert_string_equal(item->enrich.rules_unread, "");
	free(item);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enrichments_read_back, setup, teardown),
		cmocka_unit_test(test_unread_from_a_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
