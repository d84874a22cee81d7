// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A SIGHUP reload during `trace --record` is a record of its own (kind
 * SETTINGS), written between the events it came between; `aegismon replay`
 * applies it there, so the replay diagnoses with the settings the live
 * session had at each event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "record.h"
#include "replay.h"

#define S 1000000000ULL
#define ROOT "/usr/local/aegis"
#define EXE_DUN ROOT "/aegis_client/aegis_12_93/AliYunDun"

struct fixture {
	char dir[64];
	char rec[128];
	char out[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/aegis-test-reload.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->rec, sizeof(f->rec), "%s/session.rec", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/replay.out", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->rec);
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The header and a reload's text, as trace_output.c and trace_reload.c write them. */
static const char *settings_text(unsigned flap_count)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "install_found = 1\ninstall_root = " ROOT "\ninstall_client_dir = " ROOT
		 "/aegis_client/aegis_12_93\ninstall_version = 12 93\ninstall_present_mask = 1\n"
		 "root = " ROOT "\n[settings]\nagent-root = " ROOT "\ngrace = 60\n"
		 "flap-count = %u\nflap-window = 300\n",
		 flap_count);
	return buf;
}

static void begin_record(struct recorder *r, const char *path, unsigned flap_count)
{
	char err[256], header[1024];

	snprintf(header, sizeof(header), "host = test\nstart_ns = %llu\nmono_to_real_ns = 0\n%s",
		 (unsigned long long)S, settings_text(flap_count));
	assert_int_equal(rec_create(r, path, err, sizeof(err)), 0);
	assert_int_equal(rec_begin(r, header, err, sizeof(err)), 0);
}

static void record_ev(struct recorder *r, unsigned type, uint64_t ts, uint32_t tgid, unsigned code)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	e.hdr.ppid = 1;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "AliYunDun");
	if (type == AEGIS_EV_EXEC) {
		e.hdr.size = sizeof(e.exec);
		snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", EXE_DUN);
		snprintf(e.exe, sizeof(e.exe), "%s", EXE_DUN);
		e.exec.start_ns = ts;
		e.ident = IDENT_AGENT;
	} else if (type == AEGIS_EV_EXIT) {
		e.hdr.size = sizeof(e.exit);
		e.exit.exit_code = code;
		e.exit.flags = AEGIS_EXIT_GROUP_DEAD;
		e.exit.start_ns = ts - S;
	} else {
		e.hdr.size = sizeof(e.hdr);
	}
	rec_event(r, &e);
}

/* The agent starts at 1 s, exits after a second, and is started again
 * every 2 s: restarts at 3, 5, 7 and 9 s (pids 101, 102, 103, 104). */
static void restart_loop(struct recorder *r, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		record_ev(r, AEGIS_EV_EXEC, (1 + 2 * i) * S, 100 + i, 0);
		record_ev(r, AEGIS_EV_EXIT, (2 + 2 * i) * S, 100 + i, 1 << 8);
	}
}

/* `aegismon replay FILE --json`, its stdout into out; the exit status. */
static int replay_json(const char *rec, const char *out)
{
	char *argv[] = { "replay", (char *)rec, "--json", NULL };
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved, rc;

	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = cmd_replay(3, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return rc;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned count_of(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The record reads back in order: events, the reload with its time and
 * text, events, the end. */
static void test_settings_record_round_trip(void **state)
{
	struct fixture *f = *state;
	static struct rec_reader rd;
	static struct rec_item item;
	struct recorder r;
	struct rec_end end = { .end_ns = 20 * S };
	const char *text = settings_text(3);
	enum rec_kind kinds[8];
	char err[256];
	unsigned n = 0;
	int rc;

	begin_record(&r, f->rec, 10);
	restart_loop(&r, 0, 1);
	assert_int_equal(rec_settings(&r, 3 * S, text), 0);
	restart_loop(&r, 1, 2);
	assert_int_equal(rec_close(&r, &end), 0);

	assert_int_equal(rec_reader_open(&rd, f->rec, err, sizeof(err)), 0);
	while ((rc = rec_next(&rd, &item, err, sizeof(err))) > 0 && n < 8) {
		kinds[n++] = item.kind;
		if (item.kind == REC_SETTINGS) {
			assert_int_equal(item.settings.ts_ns, 3 * S);
			assert_int_equal(item.settings.len, strlen(text));
			assert_memory_equal(item.settings.text, text, strlen(text));
		}
	}
	assert_int_equal(rc, 0);
	rec_reader_close(&rd);
	assert_int_equal(n, 6);
	assert_int_equal(kinds[0], REC_EVENT);
	assert_int_equal(kinds[1], REC_EVENT);
	assert_int_equal(kinds[2], REC_SETTINGS);
	assert_int_equal(kinds[3], REC_EVENT);
	assert_int_equal(kinds[4], REC_EVENT);
	assert_int_equal(kinds[5], REC_END);
}

/* A payload with a NUL, or shorter than its time, is malformed. */
static void test_settings_record_malformed(void **state)
{
	static struct rec_item item;
	uint8_t p[16] = { 0 };

	(void)state;
	memcpy(p + 8, "grace", 5);
	assert_int_equal(rec_decode(REC_SETTINGS, p, 13, &item), 0);
	assert_int_equal(item.settings.len, 5);
	assert_int_equal(rec_decode(REC_SETTINGS, p, 14, &item), -1); /* a NUL */
	assert_int_equal(rec_decode(REC_SETTINGS, p, 7, &item), -1);
}

/*
 * Live: flap-count 10 for three restarts (no flapping), then a reload to
 * flap-count 3, then the fourth restart: agent_flapping, now pid 104. The
 * replay says the same: not nothing (the header's 10 throughout), and not at
 * pid 103 (the reload's 3 from the start).
 */
static void test_replay_applies_reload_where_it_was(void **state)
{
	struct fixture *f = *state;
	struct recorder r;
	struct rec_end end = { .end_ns = 20 * S, .events = 8 };
	const char *out;

	begin_record(&r, f->rec, 10);
	restart_loop(&r, 0, 4);
	assert_int_equal(rec_settings(&r, 8 * S + S / 2, settings_text(3)), 0);
	restart_loop(&r, 4, 5);
	record_ev(&r, AEGIS_EV_EXEC, 11 * S, 200, 0);
	assert_int_equal(rec_close(&r, &end), 0);

	assert_int_equal(replay_json(f->rec, f->out), 1);
	out = slurp(f->out);
	assert_int_equal(count_of(out, "\"cause\":\"agent_flapping\""), 1);
	assert_non_null(strstr(out, "restarted 3 times within"));
	assert_non_null(strstr(out, "(now pid 104)"));
}

/* Without a reload the header's settings hold throughout. */
static void test_replay_without_reload_keeps_header_settings(void **state)
{
	struct fixture *f = *state;
	struct recorder r;
	struct rec_end end = { .end_ns = 20 * S, .events = 8 };

	begin_record(&r, f->rec, 10);
	restart_loop(&r, 0, 5);
	record_ev(&r, AEGIS_EV_EXEC, 11 * S, 200, 0);
	assert_int_equal(rec_close(&r, &end), 0);
	replay_json(f->rec, f->out);
	assert_int_equal(count_of(slurp(f->out), "\"cause\":\"agent_flapping\""), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_settings_record_round_trip),
		cmocka_unit_test(test_settings_record_malformed),
		T(test_replay_applies_reload_where_it_was),
		T(test_replay_without_reload_keeps_header_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
