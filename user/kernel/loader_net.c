// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The network and DNS probe families: their load, the endpoint and domain maps,
 * the connect hook and cgroup scope, and the probes attached on demand. */
#include "loader.h"
#include "loader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "endpoints.h"
#include "netpath.skel.h"
#include "dns.skel.h"
#include "netpath_perf.skel.h"
#include "dns_perf.skel.h"
#include "kallsyms.h"
#include "dns.h"

static bool net_probes_always;

DEFINE_OPEN(netpath)
DEFINE_OPEN(dns)

void loader_set_net_probes_always(bool always)
{
	net_probes_always = always;
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

void scope_dns(struct loader *l)
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

void scope_netpath(struct loader *l)
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

void load_netpath(struct loader *l, const struct endpoint_set *eps)
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

void load_dns(struct loader *l, const struct domain_set *doms)
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

/*
 * The drop probes: kfree_skb (netfilter drops) and inet_sk_error_report (ICMP
 * errors on DNS sockets) run for every dropped packet and every socket error
 * of the host. In the agent scope they are attached on demand with sockops
 * (loader_net_arm), unless --net-probes always; in the host scope always.
 */
void net_probes_pick(struct loader *l)
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
