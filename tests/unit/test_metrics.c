/*
 * The metrics a collector reads: the new lines of the textfile (exact text),
 * label escaping, the probe variants, the file's mode whatever the umask, and
 * aegismon_diagnosis_active: when each kind of problem begins and ends
 * (correlate_active.c, docs/metrics.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "correlate.h"
#include "loader.h"
#include "sink_metrics.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define ROOT "/usr/local/aegis"
#define EXE_DUN ROOT "/aegis_client/aegis_12_93/AliYunDun"
#define EXE_MON ROOT "/aegis_client/aegis_12_93/AliYunDunMonitor"
#define EXE_UPD ROOT "/aegis_update/AliYunDunUpdate"
#define NS_AGENT 4026532001u

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));   \
	} while (0)

/* ---- the text ---- */

static void base_metrics(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->net_scope_agent = -1;
	m->net_attached = -1;
	m->version = "0.1.0";
	m->abi = 5;
	snprintf(m->bpf_features, sizeof(m->bpf_features), "ringbuf,raw_tp");
	m->written_s = 1765000000;
}

static void test_new_lines(void **state)
{
	static char buf[16384];
	struct metrics m;
	size_t n;

	(void)state;
	base_metrics(&m);
	m.core_running[CORE_ALIYUNDUN] = 2;
	m.core_running[CORE_UPDATE] = 1;
	m.active[CAUSE_AGENT_KILLED] = 1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_contains(buf, "# HELP aegismon_build_info The aegismon version, event ABI and probe variants in use.\n"
			     "# TYPE aegismon_build_info gauge\n"
			     "aegismon_build_info{version=\"0.1.0\",abi=\"5\",bpf_features=\"ringbuf,raw_tp\"} 1\n");
	/* every core name, installed or not (nothing is installed here) */
	assert_contains(buf, "# TYPE aegismon_agent_processes gauge\n"
			     "aegismon_agent_processes{name=\"AliYunDun\"} 2\n"
			     "aegismon_agent_processes{name=\"AliYunDunMonitor\"} 0\n"
			     "aegismon_agent_processes{name=\"AliYunDunUpdate\"} 1\n");
	assert_null(strstr(buf, "aegismon_agent_up{"));
	/* every cause, 1 or 0, with its severity for the alert rules */
	assert_contains(buf, "# TYPE aegismon_diagnosis_active gauge\n"
			     "aegismon_diagnosis_active{cause=\"agent_not_running\",severity=\"critical\"} 0\n"
			     "aegismon_diagnosis_active{cause=\"agent_crashed\",severity=\"critical\"} 0\n"
			     "aegismon_diagnosis_active{cause=\"agent_killed\",severity=\"critical\"} 1\n");
	assert_contains(buf, "aegismon_diagnosis_active{cause=\"agent_online\",severity=\"info\"} 0\n");
	assert_contains(buf, "aegismon_diagnosis_active{cause=\"agent_starved\",severity=\"warning\"} 0\n");
	for (int c = 0; c < CAUSE_COUNT; c++) {
		char line[128];

		snprintf(line, sizeof(line), "aegismon_diagnosis_active{cause=\"%s\",", cause_code((enum cause)c));
		assert_contains(buf, line);
	}
	assert_contains(buf, "# HELP aegismon_last_update_timestamp_seconds When aegismon wrote this file (Unix time).\n"
			     "# TYPE aegismon_last_update_timestamp_seconds gauge\n"
			     "aegismon_last_update_timestamp_seconds 1765000000\n");
	/* nothing half-written into a buffer too small for the new lines */
	assert_int_equal(metrics_format(buf, n, &m), 0);
	assert_int_equal(metrics_format(buf, n + 1, &m), n);
}

/* The text format escapes backslash, double quote and line feed in label values. */
static void test_label_escaping(void **state)
{
	static char buf[16384];
	struct metrics m;

	(void)state;
	base_metrics(&m);
	m.version = "1.0\"x\\y\nz";
	snprintf(m.bpf_features, sizeof(m.bpf_features), "a\"b");
	assert_true(metrics_format(buf, sizeof(buf), &m) > 0);
	assert_contains(buf, "aegismon_build_info{version=\"1.0\\\"x\\\\y\\nz\",abi=\"5\",bpf_features=\"a\\\"b\"} 1\n");
}

static void test_bpf_features(void **state)
{
	struct loader_plan p;
	char buf[128];

	(void)state;
	memset(&p, 0, sizeof(p));
	metrics_bpf_features(buf, sizeof(buf), &p, LOADER_CONNECT_CGROUP, 1);
	assert_string_equal(buf, "ringbuf,raw_tp,connect_cgroup,drop_reason,sk_error_tp,agent_scope");
	p.perfbuf = p.classic_tp = p.drop_site = p.sk_error_fentry = p.host_scope = true;
	metrics_bpf_features(buf, sizeof(buf), &p, LOADER_CONNECT_FEXIT, 1);
	assert_string_equal(buf, "perfbuf,classic_tp,connect_fexit,drop_site,sk_error_fentry,host_scope");
	p.no_sk_error = true;
	metrics_bpf_features(buf, sizeof(buf), &p, LOADER_CONNECT_SYSCALL, 1);
	assert_string_equal(buf, "perfbuf,classic_tp,connect_syscall_tp,drop_site,no_sk_error,host_scope");
	metrics_bpf_features(buf, sizeof(buf), &p, LOADER_CONNECT_SYSCALL, 0);
	assert_string_equal(buf, "perfbuf,classic_tp");
}

/* ---- the file: 0644 whatever the umask, and whatever was there ---- */

static mode_t written_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_file_mode(void **state)
{
	char dir[] = "/tmp/aegismon-metrics-XXXXXX", path[96], err[256];
	const mode_t masks[] = { 0022, 0027, 0077, 0777 };
	mode_t old = umask(0);
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/aegismon.prom", dir);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		umask(masks[i]);
		assert_int_equal(metrics_write(path, "x 1\n", 4, err, sizeof(err)), 0);
		assert_int_equal(written_mode(path), 0644);
	}
	/* a file of another mode there (an older aegismon's 0640): replaced by a 0644 one */
	umask(0027);
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0640), 0);
	close(fd);
	assert_int_equal(written_mode(path), 0640);
	assert_int_equal(metrics_write(path, "x 2\n", 4, err, sizeof(err)), 0);
	assert_int_equal(written_mode(path), 0644);
	umask(old);
	unlink(path);
	rmdir(dir);
}

/* ---- aegismon_diagnosis_active ---- */

struct fixture {
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
	unsigned n;
};

static void count_diag(const struct diagnosis *d, void *ctx)
{
	(void)d;
	((struct fixture *)ctx)->n++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "%s", ROOT);
	f->env.install.found = true;
	snprintf(f->env.install.root, sizeof(f->env.install.root), "%s", ROOT);
	f->env.install.major = 12;
	f->env.install.minor = 93;
	f->env.install.present_mask = (1u << CORE_COUNT) - 1;
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	f->c = correlator_new(&f->cfg, count_diag, f);
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
}

static struct ev mk(unsigned type, size_t size, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	e.hdr.ppid = 1;
	if (comm)
		snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

static void judge(struct ev *e, const char *exe)
{
	snprintf(e->exe, sizeof(e->exe), "%s", exe);
	if (path_inside(exe, ROOT)) {
		e->ident = IDENT_AGENT;
	} else {
		e->ident = IDENT_IMPOSTOR;
		e->ident_why = WHY_NOT_INSTALLED;
	}
}

static void seed(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, const char *exe)
{
	struct ev e = mk(AEGIS_EV_SEED, sizeof(e.seed), ts, tgid, comm);

	judge(&e, exe);
	e.seed.start_ns = ts > S ? ts - S : 1;
	correlator_feed(f->c, &e);
}

static void seed_done(struct fixture *f, uint64_t ts)
{
	struct ev e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), ts, 0, NULL);

	correlator_feed(f->c, &e);
}

static void exec_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, const char *exe)
{
	struct ev e = mk(AEGIS_EV_EXEC, sizeof(e.exec), ts, tgid, comm);

	judge(&e, exe);
	e.exec.start_ns = ts;
	snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", exe);
	correlator_feed(f->c, &e);
}

static void fork_(struct fixture *f, uint64_t ts, uint32_t tgid, uint32_t ppid, const char *comm)
{
	struct ev e = mk(AEGIS_EV_FORK, sizeof(e.fork), ts, tgid, comm);

	e.hdr.ppid = ppid;
	e.fork.start_ns = ts;
	correlator_feed(f->c, &e);
}

static void exit_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, unsigned code)
{
	struct ev e = mk(AEGIS_EV_EXIT, sizeof(e.exit), ts, tgid, comm);

	e.exit.exit_code = code;
	e.exit.flags = AEGIS_EXIT_GROUP_DEAD;
	correlator_feed(f->c, &e);
}

static void tick(struct fixture *f, uint64_t ts)
{
	struct ev e = mk(AEGIS_EV_TICK, sizeof(e.tick), ts, 0, NULL);

	correlator_feed(f->c, &e);
}

static bool active(struct fixture *f, enum cause cause)
{
	uint8_t a[CAUSE_COUNT];

	correlator_active(f->c, a);
	return a[cause];
}

static unsigned active_count(struct fixture *f)
{
	uint8_t a[CAUSE_COUNT];
	unsigned n = 0;

	correlator_active(f->c, a);
	for (int i = 0; i < CAUSE_COUNT; i++)
		n += a[i];
	return n;
}

static void seed_all(struct fixture *f)
{
	seed(f, S, 100, "AliYunDun", EXE_DUN);
	seed(f, S, 101, "AliYunDunMonito", EXE_MON);
	seed(f, S, 102, "AliYunDunUpdate", EXE_UPD);
	seed_done(f, S);
	assert_int_equal(f->n, 0);
	assert_int_equal(active_count(f), 0);
}

/* A death lasts until the process runs again; agent_not_running too. */
static void test_killed_until_running_again(void **state)
{
	struct fixture *f = *state;

	seed_all(f);
	exit_(f, 10 * S, 100, "AliYunDun", 15); /* SIGTERM */
	assert_int_equal(f->n, 1);
	assert_true(active(f, CAUSE_AGENT_KILLED));
	tick(f, 45 * S); /* the grace period: not restarted */
	assert_int_equal(f->n, 2);
	assert_true(active(f, CAUSE_AGENT_KILLED));
	assert_true(active(f, CAUSE_AGENT_NOT_RUNNING));
	tick(f, 5000 * S); /* no time limit: it is still down */
	assert_true(active(f, CAUSE_AGENT_KILLED));
	exec_(f, 5001 * S, 200, "AliYunDun", EXE_DUN);
	assert_false(active(f, CAUSE_AGENT_KILLED));
	assert_false(active(f, CAUSE_AGENT_NOT_RUNNING));
	assert_int_equal(active_count(f), 0);
	/* killed, back, then gone again by itself: only the last one lasts */
	exit_(f, 5010 * S, 200, "AliYunDun", 15);
	exec_(f, 5011 * S, 201, "AliYunDun", EXE_DUN);
	exit_(f, 5012 * S, 201, "AliYunDun", 1 << 8);
	assert_false(active(f, CAUSE_AGENT_KILLED));
	assert_true(active(f, CAUSE_AGENT_EXITED));
}

/* A crash of a forked helper: the process itself still runs, nothing lasts. */
static void test_helper_death_not_active(void **state)
{
	struct fixture *f = *state;

	seed_all(f);
	fork_(f, 10 * S, 300, 100, "AliYunDun");
	exit_(f, 11 * S, 300, "AliYunDun", 11); /* SIGSEGV */
	assert_int_equal(f->n, 1);
	assert_false(active(f, CAUSE_AGENT_CRASHED));
	/* the module a core process starts: until it runs again */
	exec_(f, 20 * S, 400, "AliNet", ROOT "/aegis_client/aegis_12_93/AliNet");
	exit_(f, 21 * S, 400, "AliNet", 9);
	assert_true(active(f, CAUSE_AGENT_KILLED));
	exec_(f, 30 * S, 401, "AliNet", ROOT "/aegis_client/aegis_12_93/AliNet");
	assert_false(active(f, CAUSE_AGENT_KILLED));
}

/* Not installed: until any core process runs. */
static void test_not_installed(void **state)
{
	struct fixture *f = *state;

	memset(&f->env.install, 0, sizeof(f->env.install));
	seed_done(f, S);
	assert_true(active(f, CAUSE_AGENT_NOT_RUNNING));
	tick(f, 10000 * S);
	assert_true(active(f, CAUSE_AGENT_NOT_RUNNING));
}

/* A restart loop: active while restarts come, the flapping window after the last. */
static void test_flapping_window(void **state)
{
	struct fixture *f = *state;
	uint32_t pid = 100;
	uint64_t t;

	seed_all(f);
	for (t = 10; t <= 40; t += 10) {
		exit_(f, t * S, pid, "AliYunDun", 1 << 8);
		exec_(f, t * S + S, ++pid, "AliYunDun", EXE_DUN);
	}
	assert_true(active(f, CAUSE_AGENT_FLAPPING));
	assert_false(active(f, CAUSE_AGENT_EXITED)); /* each exit: it runs again */
	/* it goes on past the diagnosis's own window: each restart extends it */
	for (t = 200; t <= 400; t += 100) {
		exit_(f, t * S, pid, "AliYunDun", 1 << 8);
		exec_(f, t * S + S, ++pid, "AliYunDun", EXE_DUN);
	}
	tick(f, 401 * S + 300 * S);
	assert_true(active(f, CAUSE_AGENT_FLAPPING));
	tick(f, 401 * S + 300 * S + 1);
	assert_false(active(f, CAUSE_AGENT_FLAPPING));
}

/* made by the remediator, noted from outside: until the process runs again */
static void test_outside_diagnosis(void **state)
{
	struct fixture *f = *state;
	struct diagnosis d;

	seed_all(f);
	exit_(f, 10 * S, 100, "AliYunDun", 9);
	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_REMEDIATION_FAILED;
	snprintf(d.process, sizeof(d.process), "AliYunDun");
	correlator_note_diagnosis(f->c, &d);
	assert_true(active(f, CAUSE_REMEDIATION_FAILED));
	tick(f, 1000 * S);
	assert_true(active(f, CAUSE_REMEDIATION_FAILED));
	exec_(f, 1001 * S, 500, "AliYunDun", EXE_DUN);
	assert_false(active(f, CAUSE_REMEDIATION_FAILED));
}

/* ---- network ---- */

static void tcp(struct fixture *f, uint64_t ts, int from, int to, int err, unsigned flags,
		const char *dst, uint32_t tgid)
{
	struct ev e = mk(AEGIS_EV_TCP_STATE, sizeof(e.tcp), ts, tgid, "AliYunDun");

	e.tcp.tuple.family = AF_INET;
	e.tcp.tuple.proto = 6;
	inet_pton(AF_INET, "192.0.2.1", e.tcp.tuple.saddr);
	inet_pton(AF_INET, dst, e.tcp.tuple.daddr);
	e.tcp.tuple.sport = 40000;
	e.tcp.tuple.dport = 80;
	e.tcp.oldstate = (uint8_t)from;
	e.tcp.newstate = (uint8_t)to;
	e.tcp.sk_err = err;
	e.tcp.flags = flags | AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.tcp.netns = NS_AGENT;
	e.tcp.sock_id = 7;
	correlator_feed(f->c, &e);
}

enum { EST = 1, SYN_SENT = 2, CLOSE = 7 };

/* A failed connect lasts until the agent connects to that endpoint. */
static void test_connect_until_connected(void **state)
{
	struct fixture *f = *state;

	seed_all(f);
	tcp(f, 10 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.2", 100);
	tcp(f, 10 * S + MS, SYN_SENT, CLOSE, ECONNREFUSED, AEGIS_NET_RST, "100.100.77.2", 100);
	assert_true(active(f, CAUSE_CONNECT_REFUSED));
	/* another endpoint connects: not this one's end */
	tcp(f, 20 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.3", 100);
	tcp(f, 20 * S + MS, SYN_SENT, EST, 0, 0, "100.100.77.3", 100);
	assert_true(active(f, CAUSE_CONNECT_REFUSED));
	tcp(f, 30 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.2", 100);
	tcp(f, 30 * S + MS, SYN_SENT, EST, 0, 0, "100.100.77.2", 100);
	assert_false(active(f, CAUSE_CONNECT_REFUSED));
	assert_false(active(f, CAUSE_AGENT_ONLINE)); /* said, never a lasting problem */
	assert_int_equal(active_count(f), 0);
}

/* ... or until --net-window passes without another failure there. */
static void test_connect_net_window(void **state)
{
	struct fixture *f = *state;

	seed_all(f);
	tcp(f, 10 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.2", 100);
	tcp(f, 13 * S, SYN_SENT, CLOSE, ETIMEDOUT, 0, "100.100.77.2", 100);
	assert_true(active(f, CAUSE_CONNECT_TIMEOUT));
	tcp(f, 60 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.2", 100);
	tcp(f, 63 * S, SYN_SENT, CLOSE, ETIMEDOUT, 0, "100.100.77.2", 100);
	tick(f, 63 * S + 120 * S);
	assert_true(active(f, CAUSE_CONNECT_TIMEOUT));
	tick(f, 63 * S + 120 * S + 1);
	assert_false(active(f, CAUSE_CONNECT_TIMEOUT));
}

/* Failures to more endpoints than the table holds: the agent still down stays active. */
static void test_storm_keeps_process(void **state)
{
	struct fixture *f = *state;
	char dst[32];

	seed_all(f);
	exit_(f, 10 * S, 100, "AliYunDun", 9);
	assert_true(active(f, CAUSE_AGENT_KILLED));
	for (int i = 1; i <= 200; i++) {
		snprintf(dst, sizeof(dst), "100.100.%d.%d", i / 100, i % 100 + 1);
		tcp(f, 20 * S + (uint64_t)i * MS, CLOSE, SYN_SENT, 0, 0, dst, 101);
		tcp(f, 20 * S + (uint64_t)i * MS + 1, SYN_SENT, CLOSE, ECONNREFUSED, AEGIS_NET_RST, dst, 101);
	}
	assert_true(active(f, CAUSE_CONNECT_REFUSED));
	assert_true(active(f, CAUSE_AGENT_KILLED));
	exec_(f, 30 * S, 500, "AliYunDun", EXE_DUN);
	assert_false(active(f, CAUSE_AGENT_KILLED));
}

/* An impostor's failed connects are not the agent's problem. */
static void test_impostor_failure_not_active(void **state)
{
	struct fixture *f = *state;

	seed_all(f);
	exec_(f, 5 * S, 666, "AliYunDun", "/tmp/AliYunDun");
	assert_true(active(f, CAUSE_AGENT_IMPOSTOR));
	tcp(f, 10 * S, CLOSE, SYN_SENT, 0, 0, "100.100.77.2", 666);
	tcp(f, 10 * S + MS, SYN_SENT, CLOSE, ECONNREFUSED, AEGIS_NET_RST, "100.100.77.2", 666);
	assert_false(active(f, CAUSE_CONNECT_REFUSED));
	tick(f, 5 * S + 300 * S + 1);
	assert_false(active(f, CAUSE_AGENT_IMPOSTOR));
}

/* A nameserver unreachable: the net window after the last one. */
static void test_dns_window(void **state)
{
	struct fixture *f = *state;
	struct ev e = mk(AEGIS_EV_SOCK_ERROR, sizeof(e.sockerr), 10 * S, 0, "swapper/1");

	seed_all(f);
	e.sockerr.tuple.family = AF_INET;
	e.sockerr.tuple.proto = 17;
	inet_pton(AF_INET, "192.0.2.1", e.sockerr.tuple.saddr);
	inet_pton(AF_INET, "192.0.2.53", e.sockerr.tuple.daddr);
	e.sockerr.tuple.sport = 33333;
	e.sockerr.tuple.dport = 53;
	e.sockerr.err = ECONNREFUSED;
	correlator_feed(f->c, &e);
	assert_int_equal(f->n, 1);
	assert_true(active(f, CAUSE_DNS_UNREACHABLE));
	tick(f, 10 * S + 120 * S + 1);
	assert_false(active(f, CAUSE_DNS_UNREACHABLE));
}

/* ---- resources: while the condition holds ---- */

static void sample(struct fixture *f, uint64_t ts, uint32_t busy_pm)
{
	struct ev e = mk(AEGIS_EV_RESOURCES, sizeof(e.resources), ts, 0, NULL);

	e.resources.interval_ms = 1000;
	e.resources.ncpu = 2;
	e.resources.cpu_busy_pm = busy_pm;
	e.resources.psi_mem_full = -1;
	correlator_feed(f->c, &e);
}

static void test_resource_while_it_holds(void **state)
{
	struct fixture *f = *state;
	uint64_t t;

	seed_all(f);
	for (t = 10; t <= 75; t++)
		sample(f, t * S, 990);
	assert_int_equal(f->n, 1);
	assert_true(active(f, CAUSE_CPU_SATURATED));
	sample(f, 76 * S, 100); /* it clears */
	assert_false(active(f, CAUSE_CPU_SATURATED));
	for (t = 77; t <= 140; t++)
		sample(f, t * S, 990);
	assert_true(active(f, CAUSE_CPU_SATURATED));
	/* the samples stop: nothing says it still holds */
	tick(f, 144 * S);
	assert_false(active(f, CAUSE_CPU_SATURATED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_lines),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_bpf_features),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test_setup_teardown(test_killed_until_running_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_death_not_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flapping_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_diagnosis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_until_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_net_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_keeps_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impostor_failure_not_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resource_while_it_holds, setup, teardown),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
