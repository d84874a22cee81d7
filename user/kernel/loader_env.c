// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Before loading: what this kernel offers and which probe variants it gets
 * (loader_plan), whether we may load at all, and the options that set them. */
#include "loader.h"
#include "loader_int.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kcaps.h"
#include "stderrlog.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool verbose;

void loader_set_verbose(bool v)
{
	verbose = v;
}

int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	/* libbpf's lines end with a newline: each gets its priority */
	fputs(journal_level_prefix(level == LIBBPF_WARN ? LOG_WARNING : level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG),
	      stderr);
	return vfprintf(stderr, fmt, ap);
}

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* --btf FILE: the kernel's types from FILE, for kernels without
 * /sys/kernel/btf/vmlinux (bpftool btf dump / gen min_core_btf). */
static const char *custom_btf;
static bool force_host_scope;

void loader_set_btf(const char *path)
{
	custom_btf = path;
}

bool loader_boot_clock(void)
{
	struct btf *btf = custom_btf ? btf__parse(custom_btf, NULL) : btf__load_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "bpf_func_id", BTF_KIND_ENUM) : -1;
	bool boot = true;

	if (id > 0) { /* as libbpf resolves bpf_core_enum_value_exists */
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		boot = false;
		for (int i = 0; i < btf_vlen(t) && !boot; i++)
			boot = !strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_FUNC_ktime_get_boot_ns");
	}
	btf__free(btf);
	return boot;
}

/* Open options shared by every skeleton: the custom BTF, when given. */
void open_opts(struct bpf_object_open_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->btf_custom_path = custom_btf;
}

/* AEGISMON_FORCE_*: set to anything but "" or "0". */
static bool switch_on(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] && strcmp(v, "0") != 0;
}

/* 1 if the tracefs format of event ("skb/kfree_skb") holds needle, 0 if
 * not, -1 if it cannot be read. */
static int tp_format_has(const char *event, const char *needle)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[128], buf[4096];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/events/%s/format", roots[i], event);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		return strstr(buf, needle) != NULL;
	}
	return -1;
}

bool loader_btf_has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT) : -1;
	const struct btf_type *t;
	const struct btf_member *m;

	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

/* Does kfree_skb carry a reason, and does this kernel name NETFILTER_DROP?
 * The tracefs format says both (the field, and the value in its print
 * format); without tracefs, the kernel's BTF says whether the field is there. */
static bool has_drop_reason(void)
{
	int field = tp_format_has("skb/kfree_skb", "skb_drop_reason reason");
	struct btf *btf;
	bool yes;

	if (field >= 0)
		return field == 1 && tp_format_has("skb/kfree_skb", "NETFILTER_DROP") == 1;
	btf = custom_btf ? btf__parse(custom_btf, NULL) : btf__load_vmlinux_btf();
	yes = loader_btf_has_member(btf, "trace_event_raw_kfree_skb", "reason");
	btf__free(btf);
	return yes;
}

static void ensure_tracefs(void);

/* Do fentry/fexit attach? Asked of the kernel once, and only by the plans
 * that would use them (an attach costs a text patch). */
static bool plan_trampoline(struct loader_plan *p)
{
	static int known = -1;
	static char why[sizeof(p->trampoline_why)];

	if (known < 0) {
		if (switch_on("AEGISMON_FORCE_NO_TRAMPOLINE")) {
			known = 0;
			snprintf(why, sizeof(why), "forced by AEGISMON_FORCE_NO_TRAMPOLINE");
		} else {
			known = kcaps_trampoline("sock_def_error_report", why, sizeof(why));
		}
	}
	p->trampoline = known;
	snprintf(p->trampoline_why, sizeof(p->trampoline_why), "%s", why);
	return known;
}

/* ICMP errors on DNS sockets: the inet_sk_error_report tracepoint (5.14), an
 * fentry on sock_def_error_report before it, or nothing. */
static void plan_sk_error(struct loader_plan *p)
{
	if (kcaps_tracepoint("sock", "inet_sk_error_report", custom_btf)) {
		snprintf(p->sk_error_why, sizeof(p->sk_error_why), "the kernel has the tracepoint (5.14+)");
	} else if (plan_trampoline(p)) {
		p->sk_error_fentry = true;
		snprintf(p->sk_error_why, sizeof(p->sk_error_why),
			 "no inet_sk_error_report tracepoint (before 5.14); %s", p->trampoline_why);
	} else {
		p->no_sk_error = true;
		snprintf(p->sk_error_why, sizeof(p->sk_error_why),
			 "no inet_sk_error_report tracepoint (before 5.14), and %s", p->trampoline_why);
	}
}

void loader_plan(struct loader_plan *p)
{
	memset(p, 0, sizeof(*p));
	ensure_tracefs();
	if (switch_on("AEGISMON_FORCE_PERFBUF")) {
		p->perfbuf = true;
		snprintf(p->perfbuf_why, sizeof(p->perfbuf_why), "forced by AEGISMON_FORCE_PERFBUF");
	} else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 0) {
		p->perfbuf = true;
		snprintf(p->perfbuf_why, sizeof(p->perfbuf_why), "no BPF ring buffer (before 5.8)");
	} else {
		snprintf(p->perfbuf_why, sizeof(p->perfbuf_why), "the kernel has it (5.8+)");
	}
	if (switch_on("AEGISMON_FORCE_CLASSIC_TP")) {
		p->classic_tp = true;
		snprintf(p->classic_why, sizeof(p->classic_why), "forced by AEGISMON_FORCE_CLASSIC_TP");
	} else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 0) {
		p->classic_tp = true;
		snprintf(p->classic_why, sizeof(p->classic_why), "no raw tracepoints (before 4.17)");
	} else {
		snprintf(p->classic_why, sizeof(p->classic_why), "the kernel has them (4.17+)");
	}
	if (switch_on("AEGISMON_FORCE_NO_DROP_REASON")) {
		p->drop_site = true;
		snprintf(p->drop_why, sizeof(p->drop_why), "forced by AEGISMON_FORCE_NO_DROP_REASON");
	} else if (!has_drop_reason()) {
		p->drop_site = true;
		snprintf(p->drop_why, sizeof(p->drop_why),
			 "kfree_skb has no NETFILTER_DROP reason (before 5.17)");
	} else {
		snprintf(p->drop_why, sizeof(p->drop_why), "kfree_skb has it (5.17+)");
	}
	plan_sk_error(p);
	if (switch_on("AEGISMON_FORCE_SYSCALL_CONNECT")) {
		p->syscall_connect = true;
		snprintf(p->connect_why, sizeof(p->connect_why), "forced by AEGISMON_FORCE_SYSCALL_CONNECT");
	} else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_get_retval,
					   NULL) != 1) {
		p->syscall_connect = true;
		p->fexit_connect = plan_trampoline(p);
		snprintf(p->connect_why, sizeof(p->connect_why),
			 "no bpf_get_retval in cgroup programs (before 5.18)%s",
			 p->fexit_connect ? "; the kernel has BPF trampolines" : "");
	} else {
		snprintf(p->connect_why, sizeof(p->connect_why),
			 "cgroup/connect4+6 with bpf_get_retval (5.18+), if cgroup v2 is mounted");
	}
	if (force_host_scope) {
		p->host_scope = true;
		snprintf(p->scope_why, sizeof(p->scope_why), "asked for (--net-scope host)");
	} else if (p->syscall_connect) {
		p->host_scope = true;
		snprintf(p->scope_why, sizeof(p->scope_why),
			 "the agent scope needs connect() by cgroup/connect4+6");
	} else {
		snprintf(p->scope_why, sizeof(p->scope_why),
			 "the default; the kernel has sockops and bpf_skc_to_tcp_sock (5.9+)");
	}
}

void loader_set_host_scope(bool host)
{
	force_host_scope = host;
}

void loader_plan_summary(const struct loader_plan *p, char *buf, size_t len)
{
	const char *parts[] = { p->perfbuf ? "perf buffer" : NULL,
				p->classic_tp ? "classic tracepoints" : NULL,
				p->drop_site ? "netfilter drops by site" : NULL,
				p->sk_error_fentry ? "socket errors by fentry" : NULL,
				p->no_sk_error ? "no socket errors (an unreachable nameserver is a timeout)"
					       : NULL };
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!parts[i] || o >= len)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", parts[i]);
	}
}

int loader_check_env(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0 && !has_cap(data, CAP_SYS_ADMIN) &&
	    !(has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))) {
		snprintf(err, errlen,
			 "needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) to load BPF "
			 "programs: run it with sudo");
		return 3;
	}
	if (custom_btf) {
		if (access(custom_btf, R_OK) != 0) {
			snprintf(err, errlen, "--btf %s: %s", custom_btf, strerror(errno));
			return 3;
		}
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen,
			 "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): give one "
			 "with --btf FILE (see README, \"Kernel support\"), or use a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y");
		return 3;
	}
	return 0;
}

/* The oom:mark_victim prototype: (task, uid) since 6.9, (int pid) before. */
bool loader_mark_victim_takes_task(void)
{
	static const char *const formats[] = { "/sys/kernel/tracing/events/oom/mark_victim/format",
					       "/sys/kernel/debug/tracing/events/oom/mark_victim/format" };
	struct btf *btf;
	char buf[2048];

	/* the tracefs format gained comm with the (task, uid) prototype in 6.9:
	 * reading it is far cheaper than parsing the kernel BTF once more */
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		FILE *f = fopen(formats[i], "re");
		size_t n;

		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		return strstr(buf, "char[] comm") != NULL;
	}
	btf = custom_btf ? btf__parse(custom_btf, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_param *params;
	bool task = true;
	int id;

	if (!btf)
		return true;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		t = btf__type_by_id(btf, t->type); /* pointer */
		t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
		if (t && btf_is_func_proto(t) && btf_vlen(t) >= 2) {
			params = btf_params(t);
			/* params[0] is the void *data of every btf_trace_* */
			task = btf_is_ptr(btf__type_by_id(btf, params[1].type));
		}
	}
	btf__free(btf);
	return task;
}

/* Syscall tracepoints are found through tracefs; mount it where libbpf looks
 * if nobody has (a host without it mounted is common). */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/debug/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/tracing/events", &st) == 0)
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && verbose)
		stderr_say(LOG_WARNING, "aegismon: cannot mount tracefs: %s\n", strerror(errno));
}
