// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Kernel feature probes: BTF, program and map types, helpers, the fields and
 * enum values the probes rely on (read from BTF), mounts. */
#include "kfeatures.h"

#include <errno.h>
#include <mntent.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "events.h"
#include "endpoints.h"
#include "kcaps.h"
#include "loader.h"
#include "timefmt.h"

/* 1 yes, 0 no, -1 unknown (not root: the probes load programs) */
static int yes_no(int probe)
{
	return probe == 1 ? 1 : probe == 0 ? 0 : -1;
}

static const char *word(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "unknown (run as root)";
}

static long enum_value(const struct btf *btf, const char *type, const char *name)
{
	int id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_ENUM) : -1;
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
			return e[i].val;
	return -1;
}

/* The clock of event times (user/lib/timefmt.h), and the time namespace's
 * offsets that aegismon takes off its own clock reads. */
static void print_clock(FILE *out)
{
	struct timens_offsets off;
	int rc;

	fprintf(out, "  %-44s %s\n", "event clock (bpf_ktime_get_boot_ns, 5.8)",
		loader_boot_clock() ? "boottime (counts suspend, as /proc starttimes)"
				    : "monotonic (no bpf_ktime_get_boot_ns)");
	rc = timens_read(&off);
	if (rc)
		fprintf(out, "  %-44s unreadable: %s\n", "time namespace offsets", strerror(-rc));
	else if (off.mono_ns || off.boot_ns)
		fprintf(out, "  %-44s monotonic %+.3f s, boottime %+.3f s (taken off)\n",
			"time namespace offsets", (double)off.mono_ns / 1e9, (double)off.boot_ns / 1e9);
	else
		fprintf(out, "  %-44s %s\n", "time namespace offsets", "none");
}

static void mount_of(const char *type, char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;

	buf[0] = '\0';
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, type)) {
			snprintf(buf, len, "%s", m->mnt_dir);
			break;
		}
	if (f)
		endmntent(f);
}

/* Which variant each probe family uses on this kernel, and why: the same
 * choice loader_open() makes (loader_plan), switches included. */
static void print_families(FILE *out, const struct loader_plan *p, int rawtp, bool dns_ok,
			   bool cg2, bool victim_task)
{
	fprintf(out, "\nprobe families (variant used: why):\n");
	fprintf(out, "  %-10s %s: %s\n", "output", p->perfbuf ? "perf buffer" : "ring buffer",
		p->perfbuf_why);
	fprintf(out, "  %-10s %s: %s\n", "lifecycle",
		p->classic_tp ? "classic tracepoints sched:*, signal:signal_generate, oom:mark_victim"
			      : "raw_tp sched_process_exec/fork/exit, signal_generate, mark_victim",
		p->classic_why);
	if (!p->classic_tp)
		fprintf(out, "  %-10s oom:mark_victim %s\n", "",
			victim_task ? "(task, uid) variant, 6.9+" : "(int pid) variant");
	if (rawtp == 0)
		fprintf(out, "  %-10s cannot load (needs raw tracepoints, 4.17)\n", "network");
	else if (!p->host_scope && cg2)
		fprintf(out, "  %-10s agent scope, TCP state by sockops on the agent's\n"
			     "  %-10s cgroups (the cgroup v2 root until one is known): %s;\n"
			     "  %-10s sockops and the drop probes on demand (--net-probes), a connect\n"
			     "  %-10s before them asks for its socket's state changes (6.12+)\n",
			"network", "", p->scope_why, "", "");
	else
		fprintf(out, "  %-10s host scope, TCP state by raw_tp inet_sock_set_state, tcp_retransmit_skb,\n"
			     "  %-10s tcp_receive_reset: %s\n",
			"network", "", !cg2 ? "no cgroup v2 mount" : p->scope_why);
	fprintf(out, "  %-10s connect() via %s: %s\n", "",
		p->fexit_connect	   ? "fexit __sys_connect (only connect() pays)"
		: p->syscall_connect || !cg2 ? "the syscall tracepoints (every syscall pays while attached)"
		: p->host_scope		   ? "cgroup/connect4+6 and raw_tp tcp_destroy_sock"
					   : "cgroup/connect4+6",
		!cg2 && !p->syscall_connect ? "no cgroup v2 mount" : p->connect_why);
	fprintf(out, "  %-10s %s: %s\n", "drops",
		p->drop_site ? "kfree_skb, netfilter drops told by site (nft_do_chain, nf_hook_slow)"
			     : "kfree_skb with its NETFILTER_DROP reason",
		p->drop_why);
	if (dns_ok)
		fprintf(out, "  %-10s cgroup_skb on the network scope's cgroups (the name walk: bounded loops, 5.3);\n"
			     "  %-10s socket errors %s: %s\n",
			"dns", "",
			p->sk_error_fentry ? "by fentry sock_def_error_report"
			: p->no_sk_error   ? "not seen"
					   : "by raw_tp inet_sk_error_report",
			p->sk_error_why);
	else
		fprintf(out, "  %-10s cannot load (needs cgroup_skb and a cgroup v2 mount)\n", "dns");
	fprintf(out, "  %-10s %s\n", "scheduler",
		rawtp != 0 ? "raw_tp sched_wakeup, sched_wakeup_new, sched_switch (attached while\n"
			     "             the agent's threads wait to run)"
			   : "cannot load (needs raw tracepoints, 4.17)");
	fprintf(out, "  switches: AEGISMON_FORCE_PERFBUF=1, AEGISMON_FORCE_CLASSIC_TP=1,\n"
		     "            AEGISMON_FORCE_NO_DROP_REASON=1, AEGISMON_FORCE_SYSCALL_CONNECT=1,\n"
		     "            AEGISMON_FORCE_NO_TRAMPOLINE=1\n");
}

static int ignore_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* The families loaded and attached for real, as trace would, then let go:
 * what the kernel's verifier accepts is known only by asking it. */
static void load_check(FILE *out)
{
	struct endpoint_set eps;
	struct domain_set doms;
	struct loader l;
	char err[256] = "";
	int rc;

	endpoints_defaults(&eps);
	domains_defaults(&doms);
	memset(&l, 0, sizeof(l));
	rc = loader_open(&l, 256, &eps, &doms, ignore_event, NULL, err, sizeof(err));
	fprintf(out, "\nload check (the probes loaded and attached now, then removed):\n");
	if (rc) {
		fprintf(out, "  nothing loaded: %s\n", err);
		return;
	}
	fprintf(out, "  %-10s %s\n", "lifecycle", l.skel ? "loaded" : "failed");
	fprintf(out, "  %-10s %s\n", "network", l.net ? "loaded" : "failed");
	fprintf(out, "  %-10s %s\n", "dns", l.dns ? "loaded" : "failed");
	fprintf(out, "  %-10s %s\n", "scheduler", l.sched ? "loaded" : "failed");
	fprintf(out, "  %u probes attached in %.1f ms%s%s\n", l.attached, (double)l.attach_ns / 1e6,
		l.failed_names[0] ? "; failed: " : "", l.failed_names);
	loader_close(&l);
}

int features_report(FILE *out, const char *btf_path)
{
	struct utsname u;
	struct stat st;
	struct btf *btf;
	bool root = geteuid() == 0;
	int ringbuf, rawtp, tracing, cgskb, perfarr, retval;
	bool reason, victim_task;
	struct loader_plan plan;
	long nf_drop;
	char cg2[256], tracefs[256];
	const char *btf_src = btf_path ? btf_path : "/sys/kernel/btf/vmlinux";

	libbpf_set_print(NULL);
	uname(&u);
	fprintf(out, "kernel: %s %s (%s)\n", u.release, u.version, u.machine);
	if (stat(btf_src, &st) == 0)
		fprintf(out, "BTF: %s (%.1f MiB)%s\n", btf_src, (double)st.st_size / (1 << 20),
			btf_path ? " (--btf)" : "");
	else
		fprintf(out, "BTF: %s missing: give the kernel's types with --btf FILE\n", btf_src);
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();

	ringbuf = root ? yes_no(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL)) : -1;
	perfarr = root ? yes_no(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL)) : -1;
	rawtp = root ? yes_no(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL)) : -1;
	/* tp_btf needs the btf_trace_* types; libbpf cannot probe it without a target */
	tracing = btf ? btf__find_by_name_kind(btf, "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF) > 0 : -1;
	cgskb = root ? yes_no(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, NULL)) : -1;
	retval = root ? yes_no(libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
							BPF_FUNC_get_retval, NULL)) : -1;
	reason = loader_btf_has_member(btf, "trace_event_raw_kfree_skb", "reason");
	nf_drop = enum_value(btf, "skb_drop_reason", "SKB_DROP_REASON_NETFILTER_DROP");
	loader_set_btf(btf_path);
	victim_task = loader_mark_victim_takes_task();
	mount_of("cgroup2", cg2, sizeof(cg2));
	mount_of("tracefs", tracefs, sizeof(tracefs));

	fprintf(out, "\nfeatures:\n");
	fprintf(out, "  %-44s %s\n", "BPF ring buffer (5.8)", word(ringbuf));
	fprintf(out, "  %-44s %s\n", "perf event array (ring buffer's fallback)", word(perfarr));
	fprintf(out, "  %-44s %s\n", "raw tracepoints (4.17)", word(rawtp));
	fprintf(out, "  %-44s %s\n", "BTF-typed tracepoints, tp_btf (5.5)", word(tracing));
	fprintf(out, "  %-44s %s\n", "cgroup_skb programs", word(cgskb));
	fprintf(out, "  %-44s %s\n", "bpf_get_retval in cgroup/connect (5.18)", word(retval));
	if (btf)
		fprintf(out, "  %-44s %s\n", "kfree_skb drop reason (5.17)", reason ? "yes" : "no");
	else
		fprintf(out, "  %-44s %s\n", "kfree_skb drop reason (5.17)", "unknown (no BTF)");
	if (nf_drop >= 0)
		fprintf(out, "  %-44s %ld\n", "SKB_DROP_REASON_NETFILTER_DROP", nf_drop);
	else
		fprintf(out, "  %-44s %s\n", "SKB_DROP_REASON_NETFILTER_DROP", "absent");
	fprintf(out, "  %-44s %s\n", "oom:mark_victim prototype", victim_task ? "(task, uid), 6.9+" : "(int pid)");
	fprintf(out, "  %-44s %s\n", "cgroup v2 mount", cg2[0] ? cg2 : "none");
	fprintf(out, "  %-44s %s\n", "tracefs", tracefs[0] ? tracefs : "not mounted (aegismon mounts it)");
	fprintf(out, "  %-44s %s\n", "inet_sk_error_report tracepoint (5.14)",
		word(kcaps_tracepoint("sock", "inet_sk_error_report", btf_path)));
	if (root) {
		char why[96];
		int tramp = kcaps_trampoline("sock_def_error_report", why, sizeof(why));

		fprintf(out, "  %-44s %s (%s)\n", "BPF trampolines, fentry/fexit (5.5)", word(tramp), why);
	} else {
		fprintf(out, "  %-44s %s\n", "BPF trampolines, fentry/fexit (5.5)", word(-1));
	}
	print_clock(out);

	loader_plan(&plan);
	print_families(out, &plan, rawtp, cgskb != 0 && cg2[0], cg2[0] != '\0', victim_task);
	if (root)
		load_check(out);
	else
		fprintf(out, "\n(not root: the program and map type probes and the load were not run)\n");
	btf__free(btf);
	return 0;
}
