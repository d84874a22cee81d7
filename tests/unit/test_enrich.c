// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The enricher with a fake host: local drop diagnoses are held while a worker
 * reads the rules, given back with them, or without them when the hold ends;
 * the caller (the event loop) is never made to wait; one read per namespace
 * and generation; a full queue and the shutdown lose nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "enrich.h"

#define MS 1000000ULL
#define NS_AGENT 4026532001u

static const char ruleset_json[] =
	"{\"nftables\": [{\"metainfo\": {\"json_schema_version\": 1}},"
	" {\"table\": {\"family\": \"inet\", \"name\": \"t\", \"handle\": 1}},"
	" {\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"out\", \"handle\": 1,"
	" \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}},"
	" {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"out\", \"handle\": 2,"
	" \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\","
	" \"field\": \"daddr\"}}, \"right\": \"100.100.77.2\"}}, {\"match\": {\"op\": \"==\","
	" \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 80}},"
	" {\"drop\": null}]}}]}";
static const char ruleset_text[] =
	"table inet t { # handle 1\n\tchain out { # handle 1\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tip daddr 100.100.77.2 tcp dport 80 drop # handle 2\n\t}\n}\n";

struct fake {
	atomic_int opens, gens, reads, symbols;
	atomic_uint gen;
	atomic_int gen_rc;        /* what generation() returns */
	atomic_int open_rc;       /* < 0: the namespace is gone */
	atomic_int read_delay_ms; /* a slow nft (cancellable) */
	atomic_bool read_honours_timeout; /* a slow nft is killed at the timeout */
	atomic_uint read_timeout_ms;      /* the last timeout the worker gave */
	atomic_int read_rc;               /* < 0: the read fails so */
	atomic_int refusals;
	atomic_uint refusal_tgid, refusal_tid;
	atomic_bool refusal_before_hook;
};

static int fake_open(void *ctx, uint32_t netns)
{
	struct fake *f = ctx;

	f->opens++;
	return f->open_rc < 0 ? f->open_rc : (int)(netns & 0xffff);
}

static void fake_close(void *ctx, int ns)
{
	(void)ctx;
	(void)ns;
}

static int fake_generation(void *ctx, int ns, uint32_t *gen)
{
	struct fake *f = ctx;

	(void)ns;
	f->gens++;
	*gen = f->gen;
	return f->gen_rc;
}

static int fake_read(void *ctx, int ns, int cancel_fd, unsigned timeout_ms, char **json,
		     size_t *jlen, char **text, size_t *tlen)
{
	struct fake *f = ctx;
	struct pollfd p = { .fd = cancel_fd, .events = POLLIN };
	int delay = f->read_delay_ms;

	(void)ns;
	f->reads++;
	f->read_timeout_ms = timeout_ms;
	if (f->read_honours_timeout && delay > (int)timeout_ms) {
		if (poll(&p, 1, (int)timeout_ms) > 0)
			return -ECANCELED;
		return -ETIMEDOUT;
	}
	if (delay && poll(&p, 1, delay) > 0)
		return -ECANCELED;
	if (f->read_rc < 0)
		return f->read_rc;
	*json = strdup(ruleset_json);
	*text = strdup(ruleset_text);
	*jlen = strlen(ruleset_json);
	*tlen = strlen(ruleset_text);
	return 0;
}

static int fake_symbol(void *ctx, uint64_t addr, char *out, size_t len)
{
	struct fake *f = ctx;

	f->symbols++;
	snprintf(out, len, "nft_do_chain+0x%llx", (unsigned long long)(addr & 0xff));
	return 0;
}

/* What a seccomp-confined process shows. */
static int fake_refusal(void *ctx, uint32_t tgid, uint32_t tid, bool before_hook,
			struct diag_policy *out)
{
	struct fake *f = ctx;

	f->refusals++;
	f->refusal_tgid = tgid;
	f->refusal_tid = tid;
	f->refusal_before_hook = before_hook;
	memset(out, 0, sizeof(*out));
	out->mechanism = POLICY_SECCOMP;
	out->seccomp_filters = 1;
	return 0;
}

struct fixture {
	struct fake fake;
	struct enrich_ops ops;
	struct enricher *en;
	unsigned n;               /* diagnoses given back */
	uint32_t seq[64];
	struct diagnosis last;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void start(struct fixture *x, unsigned hold_ms)
{
	x->ops = (struct enrich_ops){ fake_open, fake_close, fake_generation, fake_read,
				      fake_symbol, &x->fake, fake_refusal };
	x->en = enricher_new(&x->ops, hold_ms);
	assert_non_null(x->en);
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));

	*state = x;
	return x ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *x = *state;

	enricher_free(x->en);
	free(x);
	return 0;
}

static void collect(void *ctx, struct diagnosis *d, uint32_t seq)
{
	struct fixture *x = ctx;

	if (x->n < 64)
		x->seq[x->n] = seq;
	x->n++;
	x->last = *d;
}

static void blocked(struct diagnosis *d, uint32_t netns)
{
	struct aegis_drop *dr;

	memset(d, 0, sizeof(*d));
	d->cause = CAUSE_CONNECT_BLOCKED_LOCAL;
	d->n_evidence = 1;
	d->evidence[0].hdr.type = AEGIS_EV_NF_DROP;
	dr = &d->evidence[0].drop;
	dr->tuple.family = AF_INET;
	dr->tuple.proto = 6;
	inet_pton(AF_INET, "192.0.2.1", dr->tuple.saddr);
	inet_pton(AF_INET, "100.100.77.2", dr->tuple.daddr);
	dr->tuple.sport = 40000;
	dr->tuple.dport = 80;
	dr->netns = netns;
	dr->location = 0xffffffff81000046ULL;
}

/* The event loop's part: wait for the fd (at most ms), give back what is ready. */
static void loop_until(struct fixture *x, unsigned want, unsigned ms)
{
	uint64_t end = now_ns() + ms * MS;

	while (x->n < want && now_ns() < end) {
		struct pollfd p = { .fd = enricher_fd(x->en), .events = POLLIN };

		poll(&p, 1, 20);
		enricher_dispatch(x->en, now_ns(), collect, x);
	}
}

/* Eight drops in one namespace: all with the rule and the symbol, one nft read. */
static void test_rules_added_once_per_generation(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 3000);
	blocked(&d, NS_AGENT);
	for (uint32_t i = 1; i <= 8; i++)
		assert_int_equal(enricher_submit(x->en, &d, i, now_ns()), 1);
	loop_until(x, 8, 3000);
	assert_int_equal(x->n, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(x->seq[i], i + 1);   /* in submission order */
	assert_int_equal(x->last.nrules, 1);
	assert_int_equal(x->last.rules[0].handle, 2);
	assert_string_equal(x->last.rules[0].table, "t");
	assert_string_equal(x->last.rules[0].text, "ip daddr 100.100.77.2 tcp dport 80 drop");
	assert_string_equal(x->last.drop_symbol, "nft_do_chain+0x46");
	assert_int_equal(x->fake.reads, 1);
	/* the ruleset changes: read again */
	x->fake.gen = 2;
	assert_int_equal(enricher_submit(x->en, &d, 9, now_ns()), 1);
	loop_until(x, 9, 3000);
	assert_int_equal(x->fake.reads, 2);
	assert_int_equal(x->last.nrules, 1);
}

/* nft takes longer than the hold: the caller never waits, the diagnosis comes
 * back at the end of the hold without the rules; the read still fills the
 * cache for the next one. */
static void test_slow_read_never_blocks(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;
	uint64_t t0, took;

	x->fake.read_delay_ms = 800;
	start(x, 200);
	blocked(&d, NS_AGENT);
	t0 = now_ns();
	assert_int_equal(enricher_submit(x->en, &d, 1, t0), 1);
	enricher_dispatch(x->en, now_ns(), collect, x);
	assert_true(now_ns() - t0 < 50 * MS);
	assert_int_equal(x->n, 0);
	loop_until(x, 1, 2000);
	took = now_ns() - t0;
	assert_int_equal(x->n, 1);
	assert_true(took >= 200 * MS && took < 600 * MS);
	assert_int_equal(x->last.nrules, 0);
	assert_string_equal(x->last.rules_unread, "timeout");
	/* the read ends meanwhile: the next diagnosis has its rules at once */
	while (now_ns() - t0 < 1000 * MS)
		poll(NULL, 0, 20);
	x->fake.read_delay_ms = 0;
	assert_int_equal(enricher_submit(x->en, &d, 2, now_ns()), 1);
	loop_until(x, 2, 1000);
	assert_int_equal(x->last.nrules, 1);
	assert_int_equal(x->fake.reads, 1);
}

/* nft gets the hold less a tenth, never more than ENRICH_NFT_TIMEOUT_MS; a job
 * that waited behind a slow one gets only what is left of its own hold, and
 * its timeout is not remembered against the namespace: the next drop reads
 * again. */
static void test_nft_time_within_the_hold(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 1000);
	blocked(&d, NS_AGENT);
	assert_int_equal(enricher_submit(x->en, &d, 1, now_ns()), 1);
	loop_until(x, 1, 2000);
	assert_int_equal(x->last.nrules, 1);
	assert_true(x->fake.read_timeout_ms > 800 && x->fake.read_timeout_ms <= 900);
	enricher_free(x->en);

	/* two namespaces, nft slower than the hold: the second job starts late */
	x->fake.read_delay_ms = 10000;
	x->fake.read_honours_timeout = true;
	x->fake.reads = 0;
	x->n = 0;
	start(x, 600);
	blocked(&d, NS_AGENT);
	assert_int_equal(enricher_submit(x->en, &d, 1, now_ns()), 1);
	poll(NULL, 0, 200);
	blocked(&d, NS_AGENT + 1);
	assert_int_equal(enricher_submit(x->en, &d, 2, now_ns()), 1);
	loop_until(x, 2, 3000);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->last.nrules, 0);
	assert_string_equal(x->last.rules_unread, "timeout");
	/* the first read had the hold less a tenth; the second what was left
	 * of its own hold after the first gave up: about 200 ms */
	assert_int_equal(x->fake.reads, 2);
	assert_true(x->fake.read_timeout_ms < 400);
	/* nft is quick again: the namespace whose read was cut short is read again */
	x->fake.read_delay_ms = 0;
	assert_int_equal(enricher_submit(x->en, &d, 3, now_ns()), 1);
	loop_until(x, 3, 2000);
	assert_int_equal(x->fake.reads, 3);
	assert_int_equal(x->last.nrules, 1);
	assert_string_equal(x->last.rules_unread, "");
}

static void test_other_diagnoses_pass(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 3000);
	blocked(&d, NS_AGENT);
	d.cause = CAUSE_CONNECT_TIMEOUT;
	assert_int_equal(enricher_submit(x->en, &d, 1, now_ns()), 0);
	blocked(&d, NS_AGENT);
	d.evidence[0].hdr.type = AEGIS_EV_TCP_STATE;  /* no drop to look up */
	assert_int_equal(enricher_submit(x->en, &d, 2, now_ns()), 0);
	assert_int_equal(enricher_submit(NULL, &d, 3, now_ns()), 0);
	assert_int_equal(x->fake.opens, 0);
}

/* A connect refused with EPERM and no drop: held while the worker looks at the
 * process (the thread of the event), given back with the policy and the end
 * of the summary saying what was seen. */
static void test_policy_refusal_inspected(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 3000);
	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_CONNECT_BLOCKED_POLICY;
	snprintf(d.summary, sizeof(d.summary), "AliYunDun (pid 7) -> x: connect() failed with EPERM");
	d.n_evidence = 1;
	d.evidence[0].hdr.type = AEGIS_EV_CONNECT;
	d.evidence[0].hdr.tgid = 7;
	d.evidence[0].hdr.pid = 8;
	d.evidence[0].connect.ret = -EPERM;
	d.evidence[0].connect.flags = AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED;
	assert_int_equal(enricher_submit(x->en, &d, 1, now_ns()), 1);
	loop_until(x, 1, 3000);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->fake.refusals, 1);
	assert_int_equal(x->fake.refusal_tgid, 7);
	assert_int_equal(x->fake.refusal_tid, 8);
	assert_true(x->fake.refusal_before_hook);
	assert_int_equal(x->last.policy.mechanism, POLICY_SECCOMP);
	assert_string_equal(x->last.summary, "AliYunDun (pid 7) -> x: connect() failed with EPERM; "
					     "a seccomp filter (1) confines the process");
	assert_int_equal(x->fake.opens, 0); /* no nft for it */
	/* without the op (a host that cannot look), it goes on at once */
	enricher_free(x->en);
	x->ops.refusal = NULL;
	x->en = enricher_new(&x->ops, 3000);
	assert_int_equal(enricher_submit(x->en, &d, 2, now_ns()), 0);
}

/* ENRICH_HELD wait: one more goes out at once; the shutdown gives back every
 * held one and cancels the nft run under way. */
static void test_full_queue_and_drain(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;
	uint64_t t0;

	x->fake.read_delay_ms = 10000;
	start(x, 300);
	blocked(&d, NS_AGENT);
	for (uint32_t i = 1; i <= ENRICH_HELD; i++)
		assert_int_equal(enricher_submit(x->en, &d, i, now_ns()), 1);
	assert_int_equal(enricher_submit(x->en, &d, 99, now_ns()), 0);
	assert_int_equal(enricher_overflows(x->en), 1);
	t0 = now_ns();
	enricher_drain(x->en, collect, x);
	assert_int_equal(x->n, ENRICH_HELD);
	assert_true(now_ns() - t0 < 1000 * MS);
	t0 = now_ns();
	enricher_free(x->en);
	x->en = NULL;
	assert_true(now_ns() - t0 < 1000 * MS);  /* the 10 s read was cancelled */
}

/* No generation (GETGEN refused): a listing is trusted for a short time. */
static void test_no_generation(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	x->fake.gen_rc = -EPERM;
	start(x, 3000);
	blocked(&d, NS_AGENT);
	enricher_submit(x->en, &d, 1, now_ns());
	loop_until(x, 1, 3000);
	enricher_submit(x->en, &d, 2, now_ns());
	loop_until(x, 2, 3000);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->fake.reads, 1);
	assert_int_equal(x->last.nrules, 1);
}

/* The namespace is gone: back at once with the symbol, without rules. */
static void test_namespace_gone(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;
	uint64_t t0 = now_ns();

	x->fake.open_rc = -ENOENT;
	start(x, 3000);
	blocked(&d, NS_AGENT);
	enricher_submit(x->en, &d, 1, now_ns());
	loop_until(x, 1, 3000);
	assert_int_equal(x->n, 1);
	assert_true(now_ns() - t0 < 1000 * MS);
	assert_int_equal(x->last.nrules, 0);
	assert_string_equal(x->last.drop_symbol, "nft_do_chain+0x46");
	assert_string_equal(x->last.rules_unread, "netns_gone");
	assert_int_equal(x->fake.reads, 0);
}

/* nft cannot be read: the diagnosis says why it has no rules, once per failure
 * kind; a read that worked but matched nothing says nothing. */
static void test_rules_unread_reasons(void **state)
{
	static const struct {
		int rc;
		const char *why;
	} cases[] = { { -ENOENT, "no_nft" }, { -EFBIG, "too_large" }, { -EIO, "nft_failed" },
		      { -EPERM, "nft_failed" }, { -ETIMEDOUT, "timeout" }, { 0, "" } };
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 3000);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x->fake.read_rc = cases[i].rc;
		x->fake.gen = 10 + i; /* a new generation: read again */
		blocked(&d, NS_AGENT);
		d.evidence[0].drop.tuple.dport = 81; /* no rule matches */
		assert_int_equal(enricher_submit(x->en, &d, i + 1, now_ns()), 1);
		loop_until(x, i + 1, 3000);
		assert_int_equal(x->n, i + 1);
		assert_int_equal(x->last.nrules, 0);
		assert_string_equal(x->last.rules_unread, cases[i].why);
	}
}

/* Namespaces are cached apart. */
static void test_namespaces_apart(void **state)
{
	struct fixture *x = *state;
	struct diagnosis d;

	start(x, 3000);
	for (uint32_t i = 0; i < 3; i++) {
		blocked(&d, NS_AGENT + i);
		enricher_submit(x->en, &d, 2 * i + 1, now_ns());
		enricher_submit(x->en, &d, 2 * i + 2, now_ns());
	}
	loop_until(x, 6, 3000);
	assert_int_equal(x->n, 6);
	assert_int_equal(x->fake.reads, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rules_added_once_per_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_read_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft_time_within_the_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_diagnoses_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_and_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_refusal_inspected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespace_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_unread_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces_apart, setup, teardown),
	};

	return cmocka_run_group_tests_name("enrich", tests, NULL, NULL);
}
