// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libbpf glue: environment checks, load, per-program attach, ring buffer. */
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "endpoints.h"
#include "lifecycle.skel.h"
#include "netpath.skel.h"
#include "dns.skel.h"
#include "sched.skel.h"
#include "lifecycle_perf.skel.h"
#include "netpath_perf.skel.h"
#include "dns_perf.skel.h"
#include "sched_perf.skel.h"
#include "kallsyms.h"
#include "kcaps.h"
#include "dns.h"
#include "timefmt.h"

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

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
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
static bool net_probes_always;
static void net_probes_pick(struct loader *l);

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
static void open_opts(struct bpf_object_open_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->btf_custom_path = custom_btf;
}

/*
 * Open a family's skeleton from the ring buffer build of its object or from
 * the perf buffer build (bpf/maps.bpf.h). Both builds have the same programs
 * and maps by name, so the skeleton binds them the same way; the perf build's
 * extra map (its per-CPU event slot) is the object's own business.
 */
#define DEFINE_OPEN(fam)                                                                \
	static struct fam##_bpf *open_##fam(bool perfbuf)                             \
	{                                                                               \
		struct fam##_bpf *obj = calloc(1, sizeof(*obj));                      \
		struct bpf_object_open_opts opts;                                      \
		int e;                                                                  \
                                                                                        \
		if (!obj)                                                               \
			return NULL;                                                    \
		if (fam##_bpf__create_skeleton(obj))                                   \
			goto fail;                                                      \
		if (perfbuf)                                                            \
			obj->skeleton->data =                                           \
				(void *)fam##_perf_bpf__elf_bytes(&obj->skeleton->data_sz); \
		open_opts(&opts);                                                       \
		if (bpf_object__open_skeleton(obj->skeleton, &opts))                   \
			goto fail;                                                      \
		return obj;                                                             \
	fail:                                                                           \
		e = errno;                                                              \
		fam##_bpf__destroy(obj);                                               \
		errno = e;                                                              \
		return NULL;                                                            \
	}

DEFINE_OPEN(lifecycle)
DEFINE_OPEN(netpath)
DEFINE_OPEN(dns)
DEFINE_OPEN(sched)

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

void loader_set_net_probes_always(bool always)
{
	net_probes_always = always;
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

static int fill_names(struct lifecycle_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.agent_names);

	for (size_t i = 0; i < agent_comm_count; i++) {
		char key[AEGIS_COMM_LEN] = { 0 };
		__u8 one = 1;

		strncpy(key, agent_comm_names[i], sizeof(key) - 1);
		if (bpf_map_update_elem(fd, key, &one, BPF_ANY))
			return -errno;
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
		fprintf(stderr, "aegismon: cannot mount tracefs: %s\n", strerror(errno));
}

static void attach_all(struct loader *l, struct bpf_object *obj, struct bpf_object_skeleton *sk)
{
	struct bpf_program *prog;

	/* one by one: a probe the kernel lacks is named, the rest run */
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			size_t o = strlen(l->failed_names);

			snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s",
				 o ? ", " : "", bpf_program__name(prog));
			l->failed++;
			continue;
		}
		/* the skeleton destroys the links it knows: keep ours on its list */
		for (int i = 0; i < sk->prog_cnt; i++)
			if (*sk->progs[i].prog == prog)
				*sk->progs[i].link = link;
		l->attached++;
	}
}

static int fill_endpoints(struct loader *l, const struct endpoint_set *eps)
{
	int fd = bpf_map__fd(l->net->maps.endpoint_ports);

	for (int i = 0; i < eps->ncidrs; i++) {
		int rc = loader_add_endpoint(l, eps->cidrs[i].family, eps->cidrs[i].addr,
					     eps->cidrs[i].prefixlen);
		if (rc)
			return rc;
	}
	for (int i = 0; i < eps->nports; i++) {
		__u16 port = eps->ports[i];
		__u8 one = 1;

		if (bpf_map_update_elem(fd, &port, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* The key of an endpoint trie entry. */
struct endpoint_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* The trie of family with key filled for addr/prefixlen; -ENOENT without the
 * network programs. */
static int endpoint_entry(struct loader *l, int family, const unsigned char *addr,
			  unsigned prefixlen, struct endpoint_key *key)
{
	if (!l->net)
		return -ENOENT;
	memset(key, 0, sizeof(*key));
	key->prefixlen = prefixlen;
	memcpy(key->addr, addr, family == AF_INET6 ? 16 : 4);
	return family == AF_INET6 ? bpf_map__fd(l->net->maps.endpoints_v6)
				  : bpf_map__fd(l->net->maps.endpoints_v4);
}

int loader_add_endpoint(struct loader *l, int family, const unsigned char *addr, unsigned prefixlen)
{
	struct endpoint_key key;
	__u32 val = 1;
	int fd = endpoint_entry(l, family, addr, prefixlen, &key);

	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, &key, &val, BPF_ANY) ? -errno : 0;
}

int loader_del_endpoint(struct loader *l, int family, const unsigned char *addr, unsigned prefixlen)
{
	struct endpoint_key key;
	int fd = endpoint_entry(l, family, addr, prefixlen, &key);

	if (fd < 0)
		return fd;
	return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
}

void loader_forget_endpoint(void *loader, int family, const uint8_t *addr)
{
	loader_del_endpoint(loader, family, addr, family == AF_INET6 ? 128 : 32);
}

static int fill_domains(struct loader *l, const struct domain_set *doms)
{
	int fd = bpf_map__fd(l->dns->maps.dns_suffixes);
	__u32 zero = 0, counts = 0;

	for (int i = 0; i < doms->n; i++) {
		__u64 h = dns_suffix_hash(doms->names[i]);
		__u8 one = 1;

		if (!h)
			continue;
		if (bpf_map_update_elem(fd, &h, &one, BPF_ANY))
			return -errno;
		counts |= 1u << dns_label_count(doms->names[i]);
	}
	/* the filter looks up only suffixes of these lengths */
	if (bpf_map_update_elem(bpf_map__fd(l->dns->maps.dns_label_counts), &zero, &counts, BPF_ANY))
		return -errno;
	return 0;
}

static int endpoint_key_fd(struct loader *l, const struct cidr *c, void *key)
{
	struct lpm_key {
		__u32 prefixlen;
		__u8 addr[16];
	} *k = key;

	memset(k, 0, sizeof(*k));
	k->prefixlen = c->prefixlen;
	memcpy(k->addr, c->addr, c->family == AF_INET6 ? 16 : 4);
	return c->family == AF_INET6 ? bpf_map__fd(l->net->maps.endpoints_v6)
				     : bpf_map__fd(l->net->maps.endpoints_v4);
}

static bool has_cidr(const struct endpoint_set *s, const struct cidr *c)
{
	for (int i = 0; i < s->ncidrs; i++)
		if (s->cidrs[i].family == c->family && s->cidrs[i].prefixlen == c->prefixlen &&
		    !memcmp(s->cidrs[i].addr, c->addr, sizeof(c->addr)))
			return true;
	return false;
}

static bool has_port(const struct endpoint_set *s, uint16_t port)
{
	for (int i = 0; i < s->nports; i++)
		if (s->ports[i] == port)
			return true;
	return false;
}

int loader_set_endpoints(struct loader *l, const struct endpoint_set *old, const struct endpoint_set *eps)
{
	unsigned char key[20];
	int pfd, rc = 0;

	if (!l->net)
		return -ENOENT;
	/* add before removing: an address in both never leaves the set. An
	 * address learned from DNS inside a removed CIDR is a /32 of its own. */
	rc = fill_endpoints(l, eps);
	for (int i = 0; i < old->ncidrs; i++) {
		if (has_cidr(eps, &old->cidrs[i]))
			continue;
		int fd = endpoint_key_fd(l, &old->cidrs[i], key);

		if (bpf_map_delete_elem(fd, key) && errno != ENOENT && !rc)
			rc = -errno;
	}
	pfd = bpf_map__fd(l->net->maps.endpoint_ports);
	for (int i = 0; i < old->nports; i++) {
		__u16 port = old->ports[i];

		if (!has_port(eps, port) && bpf_map_delete_elem(pfd, &port) && errno != ENOENT && !rc)
			rc = -errno;
	}
	return rc;
}

int loader_set_domains(struct loader *l, const struct domain_set *old, const struct domain_set *doms)
{
	int fd, rc;

	if (!l->dns)
		return -ENOENT;
	rc = fill_domains(l, doms);
	fd = bpf_map__fd(l->dns->maps.dns_suffixes);
	for (int i = 0; i < old->n; i++) {
		__u64 h = dns_suffix_hash(old->names[i]);
		bool kept = false;

		for (int j = 0; j < doms->n; j++)
			kept |= dns_suffix_hash(doms->names[j]) == h;
		if (h && !kept && bpf_map_delete_elem(fd, &h) && errno != ENOENT && !rc)
			rc = -errno;
	}
	return rc;
}

/* Cgroup programs are attached by the scope, not by attach_all. */
static void scope_progs(struct loader *l, struct bpf_program **progs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bpf_program__set_autoattach(progs[i], false);
		if (bpf_program__autoload(progs[i]))
			netscope_add_prog(&l->scope, progs[i]);
	}
}

static void scope_dns(struct loader *l)
{
	struct bpf_program *cg_progs[] = {
		l->dns->progs.dns_egress, l->dns->progs.dns_ingress,
	};

	scope_progs(l, cg_progs, sizeof(cg_progs) / sizeof(cg_progs[0]));
}

/* Tell the connect program whether sockops is attached (tcp_ops_armed). */
static void set_ops_armed(struct loader *l, bool armed)
{
	__u32 zero = 0, v = armed;

	bpf_map_update_elem(bpf_map__fd(l->net->maps.tcp_ops_armed), &zero, &v, BPF_ANY);
}

static void scope_netpath(struct loader *l)
{
	struct bpf_program *cg_progs[] = { l->net->progs.on_connect4, l->net->progs.on_connect6,
					   l->net->progs.on_sockops };
	struct bpf_program *verdicts[] = { l->net->progs.on_connect4_verdict,
					   l->net->progs.on_connect6_verdict };
	struct bpf_program *ops = l->net->progs.on_sockops;
	/* sockops runs at four callbacks of every TCP connect of the host once
	 * any cgroup has it: on demand, with the drop probes */
	bool lazy_ops = l->net_on_demand && bpf_program__autoload(ops);

	/* sockops, the last, left out when it comes on demand */
	scope_progs(l, cg_progs, sizeof(cg_progs) / sizeof(cg_progs[0]) - lazy_ops);
	if (lazy_ops) {
		bpf_program__set_autoattach(ops, false);
		netscope_add_lazy(&l->scope, ops);
	}
	/* until then a watched TCP connect asks for its socket's state
	 * callbacks and wakes the session itself (connect_attempt) */
	set_ops_armed(l, !lazy_ops);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		bpf_program__set_autoattach(verdicts[i], false);
		if (bpf_program__autoload(verdicts[i]))
			netscope_add_companion(&l->scope, verdicts[i]);
	}
}

/*
 * connect() through cgroup/connect4+6 at the cgroup v2 root where the kernel
 * has them and bpf_get_retval() (5.18: tells a refusal by a descendant
 * cgroup's program); else by fexit on __sys_connect where BPF trampolines
 * attach; else the syscall tracepoints, which put every syscall of every task
 * on the traced slow path while attached.
 */
static enum loader_connect_hook choose_connect_hook(const struct loader *l)
{
	if (l->plan.fexit_connect)
		return LOADER_CONNECT_FEXIT;
	return l->plan.syscall_connect || !l->scope.mount[0] ? LOADER_CONNECT_SYSCALL
							     : LOADER_CONNECT_CGROUP;
}

static void select_connect_progs(struct loader *l)
{
	bool cg = l->connect_hook == LOADER_CONNECT_CGROUP;
	bool sys = l->connect_hook == LOADER_CONNECT_SYSCALL;
	bool agent = cg && l->scope.agent_scope;

	bpf_program__set_autoload(l->net->progs.on_connect4, cg);
	bpf_program__set_autoload(l->net->progs.on_connect6, cg);
	bpf_program__set_autoload(l->net->progs.on_connect_enter, sys);
	bpf_program__set_autoload(l->net->progs.on_connect_exit, sys);
	bpf_program__set_autoload(l->net->progs.on_sys_connect_exit,
				  l->connect_hook == LOADER_CONNECT_FEXIT);
	/* an agent's connect refused before those (seccomp, an LSM before the
	 * cgroup hook); the syscall tracepoints see it in on_connect_exit */
	bpf_program__set_autoload(l->net->progs.on_connect_denied, !sys);
	bpf_program__set_autoattach(l->net->progs.on_connect_denied, false); /* loader_unhooked_arm */
	/* TCP state: sockops on the agent's cgroups, or tracepoints on the host */
	bpf_program__set_autoload(l->net->progs.on_connect4_verdict, agent);
	bpf_program__set_autoload(l->net->progs.on_connect6_verdict, agent);
	bpf_program__set_autoload(l->net->progs.on_sockops, agent);
	bpf_program__set_autoload(l->net->progs.on_tcp_destroy_sock, cg && !agent);
	bpf_program__set_autoload(l->net->progs.on_sock_set_state, !agent);
	bpf_program__set_autoload(l->net->progs.on_tcp_retransmit, !agent);
	bpf_program__set_autoload(l->net->progs.on_tcp_receive_reset, !agent);
}

const char *loader_connect_hook_name(enum loader_connect_hook h)
{
	return h == LOADER_CONNECT_CGROUP ? "cgroup/connect4+6"
	       : h == LOADER_CONNECT_FEXIT ? "fexit __sys_connect"
					   : "syscall tracepoints";
}

/* A probe family shares the ring buffer, counters, pid set and names of the
 * lifecycle object: point its maps at those before it is loaded. */
static int share_maps(struct loader *l, struct bpf_map *events, struct bpf_map *counters,
		      struct bpf_map *pids, struct bpf_map *names)
{
	if (bpf_map__reuse_fd(events, bpf_map__fd(l->skel->maps.events)) ||
	    bpf_map__reuse_fd(counters, bpf_map__fd(l->skel->maps.counters)) ||
	    bpf_map__reuse_fd(pids, bpf_map__fd(l->skel->maps.agent_pids)) ||
	    bpf_map__reuse_fd(names, bpf_map__fd(l->skel->maps.agent_names)))
		return -errno;
	return 0;
}

/* A family that cannot load (an older kernel, a verifier that disagrees) is
 * named, and the others run: the lifecycle probes do not need it. */
static void family_failed(struct loader *l, const char *family, int rc)
{
	size_t o = strlen(l->failed_names);

	snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s probes (%s)",
		 o ? ", " : "", family, strerror(rc < 0 ? -rc : rc ? rc : EINVAL));
	l->failed++;
}

/*
 * Where netfilter frees the packets its hooks drop: nftables frees them in
 * nft_do_chain on recent kernels; elsewhere (older kernels, iptables-legacy)
 * nf_hook_slow frees what a hook returned NF_DROP for. Each function's range
 * runs from its address to the next higher symbol address in /proc/kallsyms
 * (two passes: module symbols are not listed in address order).
 */
static const char *const drop_funcs[AEGIS_DROP_SITES] = { "nf_hook_slow", "nft_do_chain" };

static int find_drop_sites(uint64_t start[AEGIS_DROP_SITES], uint64_t end[AEGIS_DROP_SITES])
{
	char line[512], name[128];
	uint64_t addr;
	int found = 0;
	FILE *f;

	memset(start, 0, sizeof(uint64_t) * AEGIS_DROP_SITES);
	memset(end, 0, sizeof(uint64_t) * AEGIS_DROP_SITES);
	for (int pass = 0; pass < 2; pass++) {
		f = fopen("/proc/kallsyms", "re");
		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			if (ksym_parse_line(line, &addr, name, sizeof(name)) || !addr)
				continue;
			for (int i = 0; i < AEGIS_DROP_SITES; i++) {
				if (pass == 0 && !start[i] && !strcmp(name, drop_funcs[i]))
					start[i] = addr;
				if (pass == 1 && start[i] && addr > start[i] && (!end[i] || addr < end[i]))
					end[i] = addr;
			}
		}
		fclose(f);
	}
	for (int i = 0; i < AEGIS_DROP_SITES; i++)
		found += start[i] && end[i];
	return found ? 0 : -ENOENT;
}

static void fill_drop_sites(struct loader *l)
{
	struct {
		__u64 start;
		__u64 end;
	} site;
	uint64_t start[AEGIS_DROP_SITES], end[AEGIS_DROP_SITES];
	int fd = bpf_map__fd(l->net->maps.nf_drop_sites);
	int rc = find_drop_sites(start, end);

	for (__u32 i = 0; !rc && i < AEGIS_DROP_SITES; i++) {
		site.start = start[i];
		site.end = end[i];
		if (bpf_map_update_elem(fd, &i, &site, BPF_ANY))
			rc = -errno;
	}
	if (rc) {
		/* the probe would see nothing: leave it out, and say so */
		bpf_program__set_autoattach(l->net->progs.on_kfree_skb_site, false);
		family_failed(l, "kfree_skb (no netfilter symbols in /proc/kallsyms)", -rc);
	}
}

static void load_netpath(struct loader *l, const struct endpoint_set *eps)
{
	int rc;

	l->net = open_netpath(l->plan.perfbuf);
	if (!l->net) {
		family_failed(l, "network", errno);
		return;
	}
	l->connect_hook = choose_connect_hook(l);
	select_connect_progs(l);
	rc = share_maps(l, l->net->maps.events, l->net->maps.counters, l->net->maps.agent_pids,
			l->net->maps.agent_names);
	bpf_program__set_autoload(l->net->progs.on_kfree_skb, !l->plan.drop_site);
	bpf_program__set_autoload(l->net->progs.on_kfree_skb_site, l->plan.drop_site);
	if (!rc)
		rc = netpath_bpf__load(l->net);
	if (!rc)
		rc = fill_endpoints(l, eps);
	if (!rc && l->plan.drop_site)
		fill_drop_sites(l);
	if (rc) {
		family_failed(l, "network", rc);
		netpath_bpf__destroy(l->net);
		l->net = NULL;
	}
}

static void load_dns(struct loader *l, const struct domain_set *doms)
{
	int rc;

	/* for tests: behave as on a kernel that refuses the DNS object */
	if (getenv("AEGISMON_TEST_NO_DNS")) {
		family_failed(l, "DNS", EOPNOTSUPP);
		return;
	}
	l->dns = open_dns(l->plan.perfbuf);
	if (!l->dns) {
		family_failed(l, "DNS", errno);
		return;
	}
	rc = share_maps(l, l->dns->maps.events, l->dns->maps.counters, l->dns->maps.agent_pids,
			l->dns->maps.agent_names);
	/* socket errors: the tracepoint, an fentry before 5.14, or none (told at start) */
	bpf_program__set_autoload(l->dns->progs.on_sk_error_report,
				  !l->plan.sk_error_fentry && !l->plan.no_sk_error);
	bpf_program__set_autoload(l->dns->progs.on_sk_error_fentry, l->plan.sk_error_fentry);
	if (!rc)
		rc = dns_bpf__load(l->dns);
	if (!rc)
		rc = fill_domains(l, doms);
	if (rc) {
		family_failed(l, "DNS", rc);
		dns_bpf__destroy(l->dns);
		l->dns = NULL;
	}
}

static void load_sched(struct loader *l)
{
	int rc;

	/* for tests: behave as on a kernel that refuses the scheduler object */
	if (getenv("AEGISMON_TEST_NO_SCHED")) {
		family_failed(l, "scheduler", EOPNOTSUPP);
		return;
	}
	l->sched = open_sched(l->plan.perfbuf);
	if (!l->sched) {
		family_failed(l, "scheduler", errno);
		return;
	}
	rc = share_maps(l, l->sched->maps.events, l->sched->maps.counters,
			l->sched->maps.agent_pids, l->sched->maps.agent_names);
	if (!rc)
		rc = sched_bpf__load(l->sched);
	if (rc) {
		family_failed(l, "scheduler", rc);
		sched_bpf__destroy(l->sched);
		l->sched = NULL;
	}
}

/* Raw tracepoints or classic ones for the lifecycle probes; the oom
 * variant that fits the kernel's mark_victim. */
static void choose_lifecycle(struct loader *l)
{
	struct lifecycle_bpf *k = l->skel;
	struct bpf_program *raw[] = { k->progs.on_exec, k->progs.on_fork, k->progs.on_exit,
				      k->progs.on_signal_generate, k->progs.on_mark_victim_task,
				      k->progs.on_mark_victim_pid };
	struct bpf_program *classic[] = { k->progs.tp_exec, k->progs.tp_fork, k->progs.tp_exit,
					  k->progs.tp_signal_generate, k->progs.tp_mark_victim };

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		bpf_program__set_autoload(raw[i], !l->plan.classic_tp);
	for (size_t i = 0; i < sizeof(classic) / sizeof(classic[0]); i++)
		bpf_program__set_autoload(classic[i], l->plan.classic_tp);
	if (l->plan.classic_tp)
		return;
	if (loader_mark_victim_takes_task())
		bpf_program__set_autoload(k->progs.on_mark_victim_pid, false);
	else
		bpf_program__set_autoload(k->progs.on_mark_victim_task, false);
}

/*
 * A perf buffer is one ring per CPU: a read takes each CPU's events in turn,
 * so a SIGKILL recorded on one CPU can come after the exit it caused on
 * another. The correlator needs event order (a ring buffer is one ordered
 * stream), so the samples of one read are copied here, sorted by their
 * timestamps, and only then delivered.
 */
struct perf_rec {
	uint64_t ts;
	size_t off;
	uint32_t size;
	uint32_t seq; /* arrival: keeps equal timestamps in order */
};

struct perf_batch {
	unsigned char *buf;
	size_t len, cap;
	struct perf_rec *recs;
	size_t n, rcap;
};

static uint64_t sample_ts(const void *data, uint32_t size)
{
	struct aegis_hdr h;

	if (size < sizeof(h))
		return 0; /* malformed: the decoder will say so */
	memcpy(&h, data, sizeof(h));
	return h.ts_ns;
}

/* Make room for one more record of size bytes; false when memory is short. */
static bool batch_reserve(struct perf_batch *b, uint32_t size)
{
	if (b->n == b->rcap) {
		size_t nc = b->rcap ? b->rcap * 2 : 256;
		struct perf_rec *r = realloc(b->recs, nc * sizeof(*r));

		if (!r)
			return false;
		b->recs = r;
		b->rcap = nc;
	}
	if (b->len + size > b->cap) {
		size_t nc = b->cap ? b->cap : 64 * 1024;
		unsigned char *nb;

		while (nc < b->len + size)
			nc *= 2;
		nb = realloc(b->buf, nc);
		if (!nb)
			return false;
		b->buf = nb;
		b->cap = nc;
	}
	return true;
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct loader *l = ctx;
	struct perf_batch *b = l->batch;

	(void)cpu;
	if (!b || !batch_reserve(b, size)) {
		l->fn(l->fn_ctx, data, size); /* out of memory: unordered, not lost */
		return;
	}
	memcpy(b->buf + b->len, data, size);
	b->recs[b->n] = (struct perf_rec){ sample_ts(data, size), b->len, size, (uint32_t)b->n };
	b->len += size;
	b->n++;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct perf_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void batch_deliver(struct loader *l)
{
	struct perf_batch *b = l->batch;

	if (!b || !b->n)
		return;
	qsort(b->recs, b->n, sizeof(b->recs[0]), rec_cmp);
	for (size_t i = 0; i < b->n; i++)
		l->fn(l->fn_ctx, b->buf + b->recs[i].off, b->recs[i].size);
	b->n = 0;
	b->len = 0;
}

static void batch_free(struct perf_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->recs);
	free(b);
}

static void on_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct loader *l = ctx;

	(void)cpu;
	l->perf_lost += cnt;
}

/* Pages per CPU for a perf buffer of about kib in all: a power of two. */
static size_t perf_pages(unsigned kib)
{
	long page = sysconf(_SC_PAGESIZE);
	int ncpu = libbpf_num_possible_cpus();
	size_t want, pages = 2;

	if (page <= 0 || ncpu <= 0)
		return 8;
	want = (size_t)kib * 1024 / (size_t)page / (size_t)ncpu;
	while (pages * 2 <= want && pages < 4096)
		pages *= 2;
	return pages;
}

static int open_buffer(struct loader *l, unsigned kib)
{
	int fd = bpf_map__fd(l->skel->maps.events);

	if (l->plan.perfbuf) {
		l->batch = calloc(1, sizeof(*l->batch));
		if (!l->batch)
			return -ENOMEM;
		l->pb = perf_buffer__new(fd, perf_pages(kib), on_perf_sample, on_perf_lost, l, NULL);
	}
	else
		l->rb = ring_buffer__new(fd, l->fn, l->fn_ctx, NULL);
	if (!l->pb && !l->rb)
		return errno ? -errno : -EINVAL;
	return 0;
}

int loader_open(struct loader *l, unsigned ringbuf_kib, const struct endpoint_set *eps,
		const struct domain_set *doms, loader_event_fn fn, void *ctx, char *err, size_t errlen)
{
	uint64_t t0 = clock_event_ns();
	int rc;

	memset(l, 0, sizeof(*l));
	libbpf_set_print(print_libbpf);

	loader_plan(&l->plan);
	l->fn = fn;
	l->fn_ctx = ctx;
	l->skel = open_lifecycle(l->plan.perfbuf);
	if (!l->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return 3;
	}
	/* the perf event array gets one slot per CPU (max_entries 0) */
	if (!l->plan.perfbuf)
		bpf_map__set_max_entries(l->skel->maps.events, ringbuf_kib * 1024);
	choose_lifecycle(l);

	rc = lifecycle_bpf__load(l->skel);
	if (rc) {
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (not permitted: run as root; lockdown or "
					"kernel.unprivileged_bpf_disabled may forbid BPF)"
				      : " (run with -v for the verifier log)");
		loader_close(l);
		return 3;
	}
	rc = fill_names(l->skel);
	if (rc) {
		snprintf(err, errlen, "cannot fill the agent name map: %s", strerror(-rc));
		loader_close(l);
		return 3;
	}

	/* before any probe runs: perf output to a CPU without a reader is lost */
	rc = open_buffer(l, ringbuf_kib);
	if (rc) {
		snprintf(err, errlen, "cannot set up the %s: %s",
			 l->plan.perfbuf ? "perf buffer" : "ring buffer", strerror(-rc));
		loader_close(l);
		return 3;
	}

	/* the network family shares the ring buffer, counters and pid set */
	netscope_init(&l->scope, !l->plan.host_scope); /* no cgroup2: syscall connect, no DNS */
	if (!l->scope.mount[0])
		l->scope.agent_scope = false;
	load_netpath(l, eps);
	load_dns(l, doms);
	load_sched(l);

	net_probes_pick(l);
	attach_all(l, l->skel->obj, l->skel->skeleton);
	if (l->net) {
		scope_netpath(l);
		attach_all(l, l->net->obj, l->net->skeleton);
	}
	if (l->dns) {
		scope_dns(l);
		attach_all(l, l->dns->obj, l->dns->skeleton);
	}
	/* the scheduler probes are attached by loader_sched_arm, on demand */
	{
		/* on the root for now: the agent's cgroups come with loader_follow_agent */
		size_t want = l->scope.nprogs, o = strlen(l->failed_names);
		char failed[192] = "";
		int n = netscope_start(&l->scope, failed, sizeof(failed));

		if (failed[0])
			snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s",
				 o ? ", " : "", failed);
		l->attached += (unsigned)n;
		l->failed += (unsigned)(want - (size_t)n);
	}
	if (l->attached == 0) {
		snprintf(err, errlen, "no probe could be attached (%s)", l->failed_names);
		loader_close(l);
		return 3;
	}

	l->attach_ns = clock_event_ns() - t0;
	return 0;
}

void loader_close(struct loader *l)
{
	bpf_link__destroy(l->denied_link);
	l->denied_link = NULL;
	netscope_close(&l->scope);
	ring_buffer__free(l->rb);
	l->rb = NULL;
	perf_buffer__free(l->pb);
	l->pb = NULL;
	batch_free(l->batch);
	l->batch = NULL;
	netpath_bpf__destroy(l->net);
	l->net = NULL;
	dns_bpf__destroy(l->dns);
	l->dns = NULL;
	sched_bpf__destroy(l->sched);
	l->sched = NULL;
	lifecycle_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_epoll_fd(const struct loader *l)
{
	return l->pb ? perf_buffer__epoll_fd(l->pb) : ring_buffer__epoll_fd(l->rb);
}

int loader_consume(struct loader *l)
{
	if (l->pb) {
		int rc = perf_buffer__consume(l->pb);

		batch_deliver(l);
		return rc < 0 ? rc : 0;
	}
	return ring_buffer__consume(l->rb);
}

int loader_track(struct loader *l, uint32_t tgid)
{
	__u32 flags = 0;

	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.agent_pids), &tgid, &flags, BPF_ANY)
		       ? -errno
		       : 0;
}

int loader_follow_agent(struct loader *l, pid_t pid)
{
	return netscope_follow(&l->scope, pid);
}

int loader_refresh_scope(struct loader *l)
{
	return netscope_refresh(&l->scope);
}

int loader_expire_presyn(struct loader *l, uint64_t now_ns, uint64_t age_ns,
			 void (*fn)(void *ctx, const struct pending_connect *pc), void *ctx)
{
	struct pending_connect pc;
	__u64 key, next;
	int fd, n = 0;
	bool first = true;

	if (!l->net || !l->scope.agent_scope || l->connect_hook != LOADER_CONNECT_CGROUP)
		return 0;
	fd = bpf_map__fd(l->net->maps.presyn_connects);
	/* almost always empty: an entry lives from the connect to its SYN */
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &pc) || now_ns < pc.start_ns ||
		    now_ns - pc.start_ns < age_ns)
			continue;
		/* whoever deletes it reports it: the SYN's callback or we */
		if (bpf_map_delete_elem(fd, &key))
			continue;
		fn(ctx, &pc);
		n++;
	}
	return n;
}

int loader_untrack(struct loader *l, uint32_t tgid)
{
	return bpf_map_delete_elem(bpf_map__fd(l->skel->maps.agent_pids), &tgid) ? -errno : 0;
}

/*
 * The drop probes: kfree_skb (netfilter drops) and inet_sk_error_report (ICMP
 * errors on DNS sockets) run for every dropped packet and every socket error
 * of the host. In the agent scope they are attached on demand with sockops
 * (loader_net_arm), unless --net-probes always; in the host scope always.
 */
static void net_probes_pick(struct loader *l)
{
	struct bpf_program *progs[] = { l->net ? l->net->progs.on_kfree_skb : NULL,
					l->net ? l->net->progs.on_kfree_skb_site : NULL,
					l->dns ? l->dns->progs.on_sk_error_report : NULL,
					l->dns ? l->dns->progs.on_sk_error_fentry : NULL };
	struct bpf_link **links[] = { l->net ? &l->net->links.on_kfree_skb : NULL,
				      l->net ? &l->net->links.on_kfree_skb_site : NULL,
				      l->dns ? &l->dns->links.on_sk_error_report : NULL,
				      l->dns ? &l->dns->links.on_sk_error_fentry : NULL };

	l->net_on_demand = l->scope.agent_scope && !net_probes_always;
	l->ndrop = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (!progs[i] || !bpf_program__autoload(progs[i]) || !bpf_program__autoattach(progs[i]))
			continue;
		l->drop_progs[l->ndrop] = progs[i];
		l->drop_links[l->ndrop++] = links[i];
		if (l->net_on_demand)
			bpf_program__set_autoattach(progs[i], false);
	}
	if (!l->ndrop && !(l->net && bpf_program__autoload(l->net->progs.on_sockops)))
		l->net_on_demand = false;
}

/* Attach (on) the programs of a set not attached yet, or detach the whole
 * set; a failed attach detaches the set again. 0 or -errno. */
static int arm_set(struct bpf_program *const *progs, struct bpf_link **const *links, size_t n,
		   bool on)
{
	for (size_t i = 0; i < n; i++) {
		if (!on) {
			bpf_link__destroy(*links[i]);
			*links[i] = NULL;
			continue;
		}
		if (*links[i])
			continue;
		*links[i] = bpf_program__attach(progs[i]);
		if (!*links[i]) {
			int rc = errno ? -errno : -EINVAL;

			arm_set(progs, links, n, false);
			return rc;
		}
	}
	return 0;
}

/* The probes on demand: the drop probes and sockops on the agent's cgroups
 * (lazy in the scope), all or none. The connect program learns from
 * tcp_ops_armed whether sockops will hear its socket. 0 or -errno. */
int loader_net_arm(struct loader *l, bool on)
{
	bool ops = l->net && l->scope.nlazy;
	int rc = 0;

	if (!l->ndrop && !ops)
		return -ENOENT;
	if (!on && ops)
		set_ops_armed(l, false);
	if (l->ndrop)
		rc = arm_set(l->drop_progs, l->drop_links, l->ndrop, on);
	if (!rc && ops) {
		rc = netscope_arm(&l->scope, on);
		if (rc && on && l->ndrop)
			arm_set(l->drop_progs, l->drop_links, l->ndrop, false);
	}
	if (!rc && on && ops)
		set_ops_armed(l, true);
	return rc;
}

/* Forget what the probes saw before they were detached: a thread woken then
 * and switched in now would count the whole gap as a wait. */
static void sched_reset(struct loader *l)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->sched->maps.rq_start);
	__u32 key, zero = 0;
	__s64 none = 0;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			break;
	bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_waiting), &zero, &none, BPF_ANY);
	if (ncpu > 0 && ncpu <= 4096) {
		__u32 cur[ncpu];

		memset(cur, 0, sizeof(cur));
		bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_current), &zero, cur, BPF_ANY);
	}
}

int loader_sched_arm(struct loader *l, bool on)
{
	struct bpf_program *progs[] = { l->sched ? l->sched->progs.on_sched_wakeup : NULL,
					l->sched ? l->sched->progs.on_sched_wakeup_new : NULL,
					l->sched ? l->sched->progs.on_sched_switch : NULL };
	struct bpf_link **links[] = { l->sched ? &l->sched->links.on_sched_wakeup : NULL,
				      l->sched ? &l->sched->links.on_sched_wakeup_new : NULL,
				      l->sched ? &l->sched->links.on_sched_switch : NULL };

	if (!l->sched)
		return -ENOENT;
	if (on)
		sched_reset(l);
	return arm_set(progs, links, sizeof(progs) / sizeof(progs[0]), on);
}

int loader_rq_threshold(struct loader *l, uint64_t ns)
{
	__u32 zero = 0;

	if (!l->sched)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_threshold), &zero, &ns, BPF_ANY) ? -errno : 0;
}

int loader_rq_hist(struct loader *l, uint64_t out[AEGIS_RQ_CELLS])
{
	int ncpu = libbpf_num_possible_cpus(), fd;

	memset(out, 0, sizeof(uint64_t) * AEGIS_RQ_CELLS);
	if (!l->sched)
		return -ENOENT;
	if (ncpu <= 0 || ncpu > 4096)
		return -EINVAL;
	fd = bpf_map__fd(l->sched->maps.rq_hist);
	{
		__u64 vals[ncpu]; /* on the stack: no allocation per sample */

		memset(vals, 0, sizeof(vals)); /* see loader_counter */
		for (__u32 k = 0; k < AEGIS_RQ_CELLS; k++) {
			if (bpf_map_lookup_elem(fd, &k, vals))
				return -errno;
			for (int i = 0; i < ncpu; i++)
				out[k] += vals[i];
		}
	}
	return 0;
}

int loader_unhooked_arm(struct loader *l, bool on)
{
	struct bpf_program *prog = l->net ? l->net->progs.on_connect_denied : NULL;

	if (!prog || !bpf_program__autoload(prog) || bpf_program__fd(prog) < 0)
		return -ENOENT;
	if (!on) {
		bpf_link__destroy(l->denied_link);
		l->denied_link = NULL;
		return 0;
	}
	if (l->denied_link)
		return 0;
	l->denied_link = bpf_program__attach(prog);
	if (!l->denied_link) {
		int rc = errno ? -errno : -EINVAL;

		l->denied_link = NULL;
		return rc;
	}
	return 0;
}

int loader_for_each_tracked(struct loader *l, void (*fn)(uint32_t tgid, void *ctx), void *ctx,
			    unsigned max)
{
	int fd = bpf_map__fd(l->skel->maps.agent_pids);
	__u32 key, next;
	unsigned n = 0;
	void *prev = NULL;

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		fn(next, ctx);
		key = next;
		prev = &key;
		n++;
	}
	return (int)n;
}

uint64_t loader_counter(struct loader *l, enum aegis_counter idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = idx;
	uint64_t sum = 0;

	if (ncpu <= 0 || ncpu > 4096)
		return 0;
	{
		__u64 vals[ncpu];

		/* the kernel fills it; zeroed so that valgrind, which does not model
		 * the bpf() output, checks the rest of the program cleanly */
		memset(vals, 0, sizeof(vals));
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &key, vals))
			return 0;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	}
	/* the programs count a full perf buffer at once; the kernel's own
	 * lost-sample records count the same samples later: take the larger,
	 * in case a kernel's output helper does not report the failure */
	if (idx == AEGIS_CNT_RINGBUF_FULL && l->perf_lost > sum)
		sum = l->perf_lost;
	return sum;
}
