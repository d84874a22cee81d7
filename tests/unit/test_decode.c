// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* ev_decode: raw ring-buffer records are checked, bounded and terminated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ev.h"

/* A record as the kernel would write it, with room for padding and appends. */
union raw {
	struct aegis_hdr hdr;
	struct aegis_exec exec;
	struct aegis_fork fork;
	struct aegis_exit exit;
	struct aegis_signal signal;
	struct aegis_oom oom;
	struct aegis_connect connect;
	struct aegis_tcp tcp;
	struct aegis_tcp_retrans retrans;
	struct aegis_drop drop;
	struct aegis_seed seed;
	struct aegis_tick tick;
	unsigned char bytes[1024];
};

static size_t raw_init(union raw *r, unsigned type, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->hdr.type = (__u16)type;
	r->hdr.size = (__u16)size;
	r->hdr.ts_ns = 123456789;
	r->hdr.pid = r->hdr.tgid = 4242;
	strcpy(r->hdr.comm, "AliYunDun");
	return size;
}

/* Garbage in the output must not survive a decode. */
static void poison(struct ev *e)
{
	memset(e, 0xa5, sizeof(*e));
}

static void test_rejects_short(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_EXIT, sizeof(r.exit));
	assert_int_equal(ev_decode(NULL, sizeof(r.exit), &e), -1);
	assert_int_equal(ev_decode(&r, 0, &e), -1);
	assert_int_equal(ev_decode(&r, sizeof(struct aegis_hdr) - 1, &e), -1);
	/* the header fits, the payload does not */
	assert_int_equal(ev_decode(&r, sizeof(r.exit) - 1, &e), -1);
	assert_int_equal(ev_decode(&r, sizeof(struct aegis_hdr), &e), -1);
}

static void test_rejects_unknown_type(void **state)
{
	/* below, between and past the kernel and userspace ranges */
	static const unsigned types[] = { 0, AEGIS_EV_NF_DROP + 1, AEGIS_EV_TCP_RETRANS + 1, 63, AEGIS_EV_RESOURCES + 1, 1000,
					  0xffff };
	union raw r;
	struct ev e;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		raw_init(&r, types[i], sizeof(r.signal));
		assert_int_equal(ev_decode(&r, sizeof(r.signal), &e), -1);
	}
}

static void test_rejects_size_mismatch(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	/* hdr.size smaller than the type needs */
	raw_init(&r, AEGIS_EV_SIGNAL, sizeof(r.signal) - 1);
	assert_int_equal(ev_decode(&r, sizeof(r.signal), &e), -1);
	raw_init(&r, AEGIS_EV_EXEC, 0);
	assert_int_equal(ev_decode(&r, sizeof(r.exec), &e), -1);
	/* hdr.size larger than the record */
	raw_init(&r, AEGIS_EV_EXIT, sizeof(r.exit) + 8);
	assert_int_equal(ev_decode(&r, sizeof(r.exit), &e), -1);
	raw_init(&r, AEGIS_EV_SEED_DONE, 0xffff);
	assert_int_equal(ev_decode(&r, sizeof(r), &e), -1);
}

static void test_accepts_padding_and_appends(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	/* ring-buffer records are padded: the record may be longer than hdr.size */
	raw_init(&r, AEGIS_EV_EXIT, sizeof(r.exit));
	r.exit.exit_code = 0x8b;
	r.bytes[sizeof(r.exit)] = 0x77;
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.exit) + 8, &e), 0);
	assert_int_equal(e.exit.exit_code, 0x8b);
	assert_int_equal(e.hdr.size, sizeof(e.exit));
	/* a newer producer appended fields: hdr.size grows, the rest is ignored */
	raw_init(&r, AEGIS_EV_OOM_VICTIM, sizeof(r.oom) + 16);
	r.oom.flags = AEGIS_OOM_TRACKED;
	memset(r.bytes + sizeof(r.oom), 0x77, 16);
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.oom) + 16, &e), 0);
	assert_int_equal(e.oom.flags, AEGIS_OOM_TRACKED);
	assert_int_equal(e.hdr.size, sizeof(e.oom));
	for (size_t i = sizeof(e.oom); i < sizeof(e.signal); i++)
		assert_int_equal(((const unsigned char *)&e)[i], 0);
}

static void test_zero_fills(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_SEED_DONE, sizeof(r.hdr));
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.hdr), &e), 0);
	assert_int_equal(e.hdr.type, AEGIS_EV_SEED_DONE);
	assert_int_equal(e.hdr.tgid, 4242);
	assert_string_equal(e.hdr.comm, "AliYunDun");
	/* what the record does not carry is zero, including userspace fields */
	assert_int_equal(e.exit.exit_code, 0);
	assert_int_equal(e.signal.chain_len, 0);
	assert_int_equal(e.exe[0], 0);
	assert_int_equal(e.sender_exe[0], 0);
	for (size_t i = 0; i < sizeof(e.exe); i++)
		assert_int_equal(e.exe[i], 0);
}

static void test_exec_strings_terminated(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_EXEC, sizeof(r.exec));
	memset(r.exec.hdr.comm, 'C', sizeof(r.exec.hdr.comm));
	memset(r.exec.parent_comm, 'P', sizeof(r.exec.parent_comm));
	memset(r.exec.filename, 'F', sizeof(r.exec.filename));
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.exec), &e), 0);
	assert_int_equal(strlen(e.hdr.comm), AEGIS_COMM_LEN - 1);
	assert_int_equal(strlen(e.exec.parent_comm), AEGIS_COMM_LEN - 1);
	assert_int_equal(strlen(e.exec.filename), AEGIS_PATH_LEN - 1);
	assert_int_equal(e.exec.filename[0], 'F');
	assert_int_equal(e.exe[0], 0);
}

static void test_fork_strings_terminated(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_FORK, sizeof(r.fork));
	memset(r.fork.parent_comm, 'P', sizeof(r.fork.parent_comm));
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.fork), &e), 0);
	assert_int_equal(strlen(e.fork.parent_comm), AEGIS_COMM_LEN - 1);
}

/* ABI 4 appended the process's start to exec and fork: the new sizes carry
 * it; ABI 3 (and ABI 2 exec) recordings still decode, with start 0
 * (unknown), and nothing shorter does. */
static void test_exec_fork_start_and_old_sizes(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	assert_int_equal(sizeof(r.exec), AEGIS_EXEC_SIZE_V3 + 8);
	assert_int_equal(sizeof(r.fork), AEGIS_FORK_SIZE_V3 + 8);
	raw_init(&r, AEGIS_EV_EXEC, sizeof(r.exec));
	r.exec.exe_ino = 77;
	r.exec.start_ns = 4242424242ULL;
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.exec), &e), 0);
	assert_int_equal(e.exec.start_ns, 4242424242ULL);
	assert_int_equal(e.hdr.size, sizeof(e.exec));

	/* ABI 3: the start past the record is not read */
	r.hdr.size = AEGIS_EXEC_SIZE_V3;
	poison(&e);
	assert_int_equal(ev_decode(&r, AEGIS_EXEC_SIZE_V3, &e), 0);
	assert_int_equal(e.exec.exe_ino, 77);
	assert_int_equal(e.exec.start_ns, 0);
	assert_int_equal(e.hdr.size, AEGIS_EXEC_SIZE_V3);
	/* ABI 2: neither the executable nor the start */
	r.hdr.size = AEGIS_EXEC_SIZE_V2;
	poison(&e);
	assert_int_equal(ev_decode(&r, AEGIS_EXEC_SIZE_V2, &e), 0);
	assert_int_equal(e.exec.exe_ino, 0);
	assert_int_equal(e.exec.start_ns, 0);
	r.hdr.size = AEGIS_EXEC_SIZE_V2 - 1;
	assert_int_equal(ev_decode(&r, sizeof(r.exec), &e), -1);

	raw_init(&r, AEGIS_EV_FORK, sizeof(r.fork));
	strcpy(r.fork.parent_comm, "AliYunDun");
	r.fork.start_ns = 99;
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.fork), &e), 0);
	assert_int_equal(e.fork.start_ns, 99);
	r.hdr.size = AEGIS_FORK_SIZE_V3;
	poison(&e);
	assert_int_equal(ev_decode(&r, AEGIS_FORK_SIZE_V3, &e), 0);
	assert_string_equal(e.fork.parent_comm, "AliYunDun");
	assert_int_equal(e.fork.start_ns, 0);
	assert_int_equal(e.hdr.size, AEGIS_FORK_SIZE_V3);
	r.hdr.size = AEGIS_FORK_SIZE_V3 - 1;
	assert_int_equal(ev_decode(&r, sizeof(r.fork), &e), -1);
}

static void test_signal_clamped_and_terminated(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_SIGNAL, sizeof(r.signal));
	r.signal.sig = 9;
	r.signal.si_code = 0x80;
	r.signal.sender_tgid = 777;
	memset(r.signal.sender_comm, 'S', sizeof(r.signal.sender_comm));
	memset(r.signal.sender_args, 'A', sizeof(r.signal.sender_args));
	r.signal.sender_args_len = 100000;
	r.signal.chain_len = 99;
	for (int i = 0; i < AEGIS_CHAIN_LEN; i++) {
		r.signal.chain[i].pid = (__u32)(100 + i);
		memset(r.signal.chain[i].comm, 'a' + i, sizeof(r.signal.chain[i].comm));
	}
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.signal), &e), 0);
	assert_int_equal(e.signal.sig, 9);
	assert_int_equal(e.signal.si_code, 0x80);
	assert_int_equal(e.signal.sender_tgid, 777);
	assert_int_equal(strlen(e.signal.sender_comm), AEGIS_COMM_LEN - 1);
	assert_int_equal(e.signal.sender_args_len, AEGIS_ARGS_LEN);
	assert_int_equal(e.signal.chain_len, AEGIS_CHAIN_LEN);
	for (int i = 0; i < AEGIS_CHAIN_LEN; i++) {
		assert_int_equal(e.signal.chain[i].pid, 100 + i);
		assert_int_equal(strlen(e.signal.chain[i].comm), AEGIS_COMM_LEN - 1);
	}
	assert_int_equal(e.sender_exe[0], 0);

	/* values within bounds are kept as they are */
	r.signal.sender_args_len = 5;
	r.signal.chain_len = 2;
	assert_int_equal(ev_decode(&r, sizeof(r.signal), &e), 0);
	assert_int_equal(e.signal.sender_args_len, 5);
	assert_int_equal(e.signal.chain_len, 2);
}

static void test_drop_owner_terminated(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_NF_DROP, sizeof(r.drop));
	memset(r.drop.owner_comm, 'O', sizeof(r.drop.owner_comm));
	r.drop.owner_tgid = 77;
	poison(&e);
	assert_int_equal(ev_decode(&r, sizeof(r.drop), &e), 0);
	assert_int_equal(strlen(e.drop.owner_comm), AEGIS_COMM_LEN - 1);
	assert_int_equal(e.drop.owner_tgid, 77);
	/* every kernel type is known, and only at its own size or more */
	raw_init(&r, AEGIS_EV_CONNECT, sizeof(r.connect));
	assert_int_equal(ev_decode(&r, sizeof(r.connect), &e), 0);
	/* ABI 5: a connect refused before the probes, without its address */
	r.connect.flags = AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED;
	r.connect.ret = -1;
	assert_int_equal(ev_decode(&r, sizeof(r.connect), &e), 0);
	assert_int_equal(e.connect.flags, AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED);
	assert_int_equal(e.connect.ret, -1);
	assert_int_equal(e.connect.tuple.family, 0);
	raw_init(&r, AEGIS_EV_TCP_STATE, sizeof(r.tcp) - 1);
	assert_int_equal(ev_decode(&r, sizeof(r.tcp), &e), -1);
	raw_init(&r, AEGIS_EV_TCP_RETRANS, sizeof(r.retrans));
	r.retrans.retrans = 5;
	r.retrans.min_seg_len = 1448;
	assert_int_equal(ev_decode(&r, sizeof(r.retrans), &e), 0);
	assert_int_equal(e.retrans.retrans, 5);
	assert_int_equal(e.retrans.min_seg_len, 1448);
	/* a resources sample recorded before ABI 4: no count over the threshold */
	{
		static struct ev big;
		struct aegis_resources *res = &big.resources;

		memset(&big, 0, sizeof(big));
		res->hdr.type = AEGIS_EV_RESOURCES;
		res->hdr.size = AEGIS_RESOURCES_SIZE_V3;
		res->interval_ms = 1000;
		res->rq_over = 99; /* past the old size: not read */
		assert_int_equal(ev_decode(res, AEGIS_RESOURCES_SIZE_V3, &e), 0);
		assert_int_equal(e.resources.interval_ms, 1000);
		assert_int_equal(e.resources.rq_over, 0);
		res->hdr.size = AEGIS_RESOURCES_SIZE_V3 - 1;
		assert_int_equal(ev_decode(res, AEGIS_RESOURCES_SIZE_V3 - 1, &e), -1);
	}
	raw_init(&r, AEGIS_EV_TCP_RETRANS, sizeof(r.retrans) - 1);
	assert_int_equal(ev_decode(&r, sizeof(r.retrans), &e), -1);
}

static void test_user_events_round_trip(void **state)
{
	union raw r;
	struct ev e;

	(void)state;
	raw_init(&r, AEGIS_EV_SEED, sizeof(r.seed));
	r.seed.start_ns = 42;
	assert_int_equal(ev_decode(&r, sizeof(r.seed), &e), 0);
	assert_int_equal(e.seed.start_ns, 42);
	raw_init(&r, AEGIS_EV_TICK, sizeof(r.tick));
	r.tick.events_lost = 7;
	assert_int_equal(ev_decode(&r, sizeof(r.tick), &e), 0);
	assert_int_equal(e.tick.events_lost, 7);
	assert_int_equal(e.hdr.ts_ns, 123456789);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(ev_type_name(AEGIS_EV_EXEC), "exec");
	assert_string_equal(ev_type_name(AEGIS_EV_FORK), "fork");
	assert_string_equal(ev_type_name(AEGIS_EV_EXIT), "exit");
	assert_string_equal(ev_type_name(AEGIS_EV_SIGNAL), "signal");
	assert_string_equal(ev_type_name(AEGIS_EV_OOM_VICTIM), "oom_victim");
	assert_string_equal(ev_type_name(AEGIS_EV_CONNECT), "connect");
	assert_string_equal(ev_type_name(AEGIS_EV_TCP_STATE), "tcp_state");
	assert_string_equal(ev_type_name(AEGIS_EV_NF_DROP), "nf_drop");
	assert_string_equal(ev_type_name(AEGIS_EV_TCP_RETRANS), "tcp_retrans");
	assert_string_equal(ev_type_name(AEGIS_EV_SEED), "running");
	assert_string_equal(ev_type_name(AEGIS_EV_SEED_DONE), "scan_done");
	assert_string_equal(ev_type_name(AEGIS_EV_TICK), "tick");
	assert_string_equal(ev_type_name(0), "unknown");
	assert_string_equal(ev_type_name(12345), "unknown");
}

/* ev_decode_again over a previous, larger event gives the bytes ev_decode
 * gives into fresh memory: nothing of the previous event survives. */
static void test_decode_again_same_bytes(void **state)
{
	union raw big, small;
	struct ev again, fresh;

	(void)state;
	raw_init(&big, AEGIS_EV_EXEC, sizeof(big.exec));
	memset(big.exec.filename, 'f', sizeof(big.exec.filename) - 1);
	strcpy(big.exec.parent_comm, "systemd");
	raw_init(&small, AEGIS_EV_EXIT, sizeof(small.exit));
	small.exit.exit_code = 7;

	memset(&again, 0, sizeof(again));
	assert_int_equal(ev_decode_again(&big, sizeof(big.exec), &again), 0);
	strcpy(again.exe, "/usr/local/aegis/aegis_client/aegis_12_93/AliYunDun");
	strcpy(again.sender_exe, "/usr/bin/kill");
	assert_int_equal(ev_decode_again(&small, sizeof(small.exit), &again), 0);
	poison(&fresh);
	assert_int_equal(ev_decode(&small, sizeof(small.exit), &fresh), 0);
	assert_memory_equal(&again, &fresh, sizeof(fresh));
	/* and a bad record is refused the same way */
	assert_int_equal(ev_decode_again(&small, sizeof(small.exit) - 1, &again), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_short),
		cmocka_unit_test(test_rejects_unknown_type),
		cmocka_unit_test(test_rejects_size_mismatch),
		cmocka_unit_test(test_accepts_padding_and_appends),
		cmocka_unit_test(test_zero_fills),
		cmocka_unit_test(test_exec_strings_terminated),
		cmocka_unit_test(test_fork_strings_terminated),
		cmocka_unit_test(test_exec_fork_start_and_old_sizes),
		cmocka_unit_test(test_signal_clamped_and_terminated),
		cmocka_unit_test(test_drop_owner_terminated),
		cmocka_unit_test(test_user_events_round_trip),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_decode_again_same_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
