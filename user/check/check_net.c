// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The way to the endpoint addresses (the reachability and firewall checks):
 * TCP 80/443 and a 1000-byte ping, the path MTU, local nftables rules. */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netprobe.h"
#include "nftexec.h"
#include "nftrules.h"

#define PMTU_BUDGET_MS 2500 /* the whole path MTU search, every address at once */

/* Did anything at this address answer (an echo, a connect, a reset)? */
static bool addr_answered(const struct icmp_probe *icmp, const struct tcp_probe *tcp)
{
	if (icmp->err == 0)
		return true;
	for (size_t p = 0; p < 2; p++)
		if (tcp[p].err == 0 || tcp[p].err == -ECONNREFUSED)
			return true;
	return false;
}

/* The path MTU search toward every address, after the seed's ping: an
 * address where nothing answered is not searched (a black hole would cost
 * the whole budget for nothing). */
static void run_path_mtu(struct check_ctx *c, const struct icmp_probe *icmp,
			 const struct tcp_probe *tcp, struct pmtu_search *mtu, bool *searched)
{
	for (int i = 0; i < c->naddrs; i++) {
		unsigned ifmtu = 0;

		netprobe_interface_mtu(c->addrs[i].family, c->addrs[i].addr, &ifmtu);
		/* the 1000-byte ping lost: the minimum first, it ends a hopeless search */
		pmtu_search_init(&mtu[i], c->addrs[i].family, c->addrs[i].addr, ifmtu, icmp[i].err != 0);
		searched[i] = addr_answered(&icmp[i], &tcp[(size_t)i * 2]);
		if (!searched[i])
			mtu[i].done = true;
	}
	path_mtu_search(mtu, c->naddrs, check_budget_ms(c, PMTU_BUDGET_MS));
}

static void json_path_mtu(struct jw *w, const struct pmtu_search *m, bool searched)
{
	jw_key(w, "path_mtu");
	jw_obj_begin(w);
	jw_key(w, "interface_mtu");
	if (m->interface_mtu)
		jw_uint(w, m->interface_mtu);
	else
		jw_null(w);
	jw_key(w, "largest_df_packet");
	if (pmtu_largest(m))
		jw_uint(w, pmtu_largest(m));
	else
		jw_null(w);
	jw_key(w, "reported_mtu");
	if (m->reported_mtu)
		jw_uint(w, m->reported_mtu);
	else
		jw_null(w);
	jw_kuint(w, "probes", m->probes);
	jw_kuint(w, "ms", (uint64_t)m->ms);
	if (!searched)
		jw_kstr(w, "result", "not searched: nothing answered");
	else if (!m->interface_mtu)
		jw_kstr(w, "result", "not searched: no route MTU");
	else if (!m->done)
		jw_kstr(w, "result", "cut by the deadline");
	else if (!pmtu_largest(m))
		jw_kstr(w, "result", netprobe_err_name(m->smallest_err));
	jw_obj_end(w);
}

/* The path MTU black hole of the seed's ping: the 1000-byte echo is lost
 * while smaller packets with DF pass, below what the interface sends. */
static bool mtu_blackhole(const struct icmp_probe *icmp, const struct pmtu_search *m)
{
	return icmp->err != 0 && pmtu_largest(m) && pmtu_largest(m) < m->interface_mtu;
}

/* "path MTU 1500 (interface 1500)", or per address when they differ */
static void mtu_note(const struct check_ctx *c, const struct pmtu_search *mtu, char *out, size_t len)
{
	bool same = true;
	int known = 0;

	out[0] = '\0';
	for (int i = 0; i < c->naddrs; i++) {
		if (!pmtu_largest(&mtu[i]))
			continue;
		known++;
		same &= pmtu_largest(&mtu[i]) == pmtu_largest(&mtu[0]) &&
			mtu[i].interface_mtu == mtu[0].interface_mtu && !mtu[i].reported_mtu;
	}
	if (!known)
		return;
	if (same && known == c->naddrs) {
		snprintf(out, len, "path MTU %u (interface %u)", pmtu_largest(&mtu[0]), mtu[0].interface_mtu);
		return;
	}
	snprintf(out, len, "path MTU");
	for (int i = 0, listed = 0; i < c->naddrs; i++) {
		char reported[48] = "";

		if (!pmtu_largest(&mtu[i]))
			continue;
		if (mtu[i].reported_mtu)
			snprintf(reported, sizeof(reported), ", a router reports %u", mtu[i].reported_mtu);
		snprintf(out + strlen(out), len - strlen(out), "%s %s %u (interface %u%s)",
			 listed++ ? "," : "", c->addrs[i].text, pmtu_largest(&mtu[i]),
			 mtu[i].interface_mtu, reported);
	}
}

/* The finding of a black hole: the summary names the MTU, the advice the way out. */
static void mtu_finding(const struct check_ctx *c, const struct icmp_probe *icmp,
			const struct pmtu_search *mtu, char *summary, size_t slen, char *advice, size_t alen)
{
	int first = -1;

	summary[0] = advice[0] = '\0';
	for (int i = 0; i < c->naddrs; i++) {
		char reported[48] = "";

		if (!mtu_blackhole(&icmp[i], &mtu[i]))
			continue;
		if (first < 0)
			first = i;
		if (mtu[i].reported_mtu)
			snprintf(reported, sizeof(reported), ", a router reports MTU %u", mtu[i].reported_mtu);
		snprintf(summary + strlen(summary), slen - strlen(summary),
			 "%sthe path to %s carries packets up to %u bytes only (interface MTU %u%s): "
			 "the 1000-byte ping is lost",
			 summary[0] ? "; " : "", c->addrs[i].text, pmtu_largest(&mtu[i]), mtu[i].interface_mtu,
			 reported);
	}
	if (first < 0)
		return;
	snprintf(advice, alen,
		 "A tunnel, VPN or overlay network on the way carries packets up to %u bytes only. "
		 "Where the ICMP \"fragmentation needed\" (IPv6: \"packet too big\") messages are "
		 "filtered, Path MTU Discovery breaks: the TCP handshake succeeds and full-sized "
		 "segments are lost, so the agent connects and hangs. The official step: "
		 "ping -s 1000 %s. Mitigate with sysctl -w net.ipv4.tcp_mtu_probing=1, a lower "
		 "interface MTU (ip link set dev DEV mtu %u) or MSS clamping on the tunnel; let the "
		 "ICMP errors through to this host.",
		 pmtu_largest(&mtu[first]), c->addrs[first].name, pmtu_largest(&mtu[first]));
}

/* The path MTU in the summary; a black hole makes the check a warning
 * unless it fails already. */
static void add_path_mtu(const struct check_ctx *c, struct check_result *r, const struct icmp_probe *icmp,
			 const struct pmtu_search *mtu)
{
	char finding[400], advice[700], note[300];
	size_t sl = strlen(r->summary);

	mtu_finding(c, icmp, mtu, finding, sizeof(finding), advice, sizeof(advice));
	if (!finding[0] || r->status == CHECK_FAIL) {
		mtu_note(c, mtu, note, sizeof(note));
		if (note[0])
			snprintf(r->summary + sl, sizeof(r->summary) - sl, "; %s", note);
		return;
	}
	if (r->status == CHECK_WARN) { /* TCP 443 too: both findings, the MTU first */
		char old_advice[sizeof(r->advice)];

		snprintf(r->summary + sl, sizeof(r->summary) - sl, "; %s", finding);
		memcpy(old_advice, r->advice, sizeof(old_advice));
		snprintf(r->advice, sizeof(r->advice), "%s %s", advice, old_advice);
		return;
	}
	r->status = CHECK_WARN;
	snprintf(r->summary, sizeof(r->summary), "TCP reachable, but %s", finding);
	snprintf(r->advice, sizeof(r->advice), "%s", advice);
}

void check_reachability(struct check_ctx *c, struct check_result *r)
{
	static const uint16_t ports[] = { 80, 443 };
	struct tcp_probe tcp[CHECK_MAX_ADDRS * 2];
	struct icmp_probe icmp[CHECK_MAX_ADDRS];
	struct pmtu_search mtu[CHECK_MAX_ADDRS];
	bool searched[CHECK_MAX_ADDRS];
	int nt = 0;
	char bad[400] = "", bad443[300] = "", good[300] = "";
	bool name_ok[CHECK_MAX_NAMES] = { false }, any443_fail = false;

	if (!c->naddrs) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "no endpoint address resolved (see dns)");
		return;
	}
	for (int i = 0; i < c->naddrs; i++) {
		for (size_t p = 0; p < 2; p++) {
			struct tcp_probe *t = &tcp[nt++];

			memset(t, 0, sizeof(*t));
			t->family = c->addrs[i].family;
			memcpy(t->addr, c->addrs[i].addr, 16);
			t->port = ports[p];
		}
		memset(&icmp[i], 0, sizeof(icmp[i]));
		icmp[i].family = c->addrs[i].family;
		memcpy(icmp[i].addr, c->addrs[i].addr, 16);
		icmp[i].payload = 1000; /* the official step: ping -s 1000 */
	}
	/* both at once: a black-holed network costs one timeout */
	{
		unsigned budget = check_budget_ms(c, c->o->timeout_ms);

		icmp_probe_run(icmp, c->naddrs, budget < 100 ? budget : budget / 2);
		tcp_probe_run(tcp, nt, check_budget_ms(c, c->o->timeout_ms));
	}
	run_path_mtu(c, icmp, tcp, mtu, searched);
	jw_key(&r->ev, "probes");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < c->naddrs; i++) {
		const struct check_addr *a = &c->addrs[i];

		jw_obj_begin(&r->ev);
		jw_kstr(&r->ev, "name", a->name);
		jw_kstr(&r->ev, "address", a->text);
		for (size_t p = 0; p < 2; p++) {
			const struct tcp_probe *t = &tcp[(size_t)i * 2 + p];
			char key[16];

			snprintf(key, sizeof(key), "tcp_%u", t->port);
			jw_key(&r->ev, key);
			jw_obj_begin(&r->ev);
			jw_kstr(&r->ev, "result", netprobe_err_name(t->err));
			jw_kuint(&r->ev, "ms", (uint64_t)t->ms);
			jw_obj_end(&r->ev);
			if (t->err == 0 && t->port == 80) {
				for (int k = 0; k < c->nnames; k++)
					if (!strcmp(c->names[k], a->name))
						name_ok[k] = true;
				snprintf(good + strlen(good), sizeof(good) - strlen(good), "%s%s:80 %.0f ms",
					 good[0] ? ", " : "", a->text, t->ms);
			} else if (t->err && t->port == 80) {
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s:80 %s",
					 bad[0] ? ", " : "", a->text, netprobe_err_name(t->err));
			} else if (t->err) {
				any443_fail = true;
				snprintf(bad443 + strlen(bad443), sizeof(bad443) - strlen(bad443), "%s%s:443 %s",
					 bad443[0] ? ", " : "", a->text, netprobe_err_name(t->err));
			}
		}
		jw_key(&r->ev, "icmp_1000");
		jw_obj_begin(&r->ev);
		jw_kstr(&r->ev, "result", netprobe_err_name(icmp[i].err));
		jw_kuint(&r->ev, "ms", (uint64_t)icmp[i].ms);
		jw_obj_end(&r->ev);
		json_path_mtu(&r->ev, &mtu[i], searched[i]);
		jw_obj_end(&r->ev);
	}
	jw_arr_end(&r->ev);
	for (int k = 0; k < c->nnames; k++) {
		bool resolved = false;

		for (int i = 0; i < c->naddrs; i++)
			resolved |= !strcmp(c->addrs[i].name, c->names[k]);
		if (resolved && !name_ok[k]) {
			r->status = CHECK_FAIL;
			break;
		}
	}
	if (r->status == CHECK_FAIL) {
		snprintf(r->summary, sizeof(r->summary), "not reachable on TCP 80: %s", bad);
		snprintf(r->advice, sizeof(r->advice),
			 "timeout: a security group, network ACL or cloud firewall drops the traffic (allow "
			 "outbound TCP 80 and 443 to 100.100.0.0/16, 106.11.0.0/16, 100.103.0.0/16); blocked "
			 "locally: this host's firewall or security software (see firewall, third_party); "
			 "refused: a wrong address (hosts file, DNS) or a proxy; unreachable: routing.");
	} else if (any443_fail) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "TCP 80 reachable (%s); failing: %s", good, bad443);
		snprintf(r->advice, sizeof(r->advice),
			 "Allow outbound TCP 443 to the endpoints as well: updates and some channels use it.");
	} else {
		snprintf(r->summary, sizeof(r->summary), "reachable: %s", good);
	}
	add_path_mtu(c, r, icmp, mtu);
}

/* The local address the kernel would use toward addr: rules may match it. */
static void local_source(int family, const uint8_t *addr, uint8_t *out)
{
	struct sockaddr_storage ss, me;
	socklen_t sl, ml = sizeof(me);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(out, 0, 16);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(80);
		memcpy(&s6->sin6_addr, addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(80);
		memcpy(&s4->sin_addr, addr, 4);
		sl = sizeof(*s4);
	}
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 && getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		memcpy(out, family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&me)->sin6_addr
					       : (void *)&((struct sockaddr_in *)&me)->sin_addr,
		       family == AF_INET6 ? 16 : 4);
	close(fd);
}

struct fw_target {
	int family;
	uint8_t addr[16];
	char text[64];
};

void check_firewall(struct check_ctx *c, struct check_result *r)
{
	struct fw_target targets[CHECK_MAX_ADDRS + ENDPOINT_MAX_CIDRS];
	static const uint16_t ports[] = { 80, 443 };
	char *json = NULL, *text = NULL, first[400] = "", legacy[128] = "";
	size_t jlen = 0, tlen = 0;
	unsigned drops = 0, uncertain = 0;
	int nt = 0, rc;
	FILE *f;

	/* the resolved addresses, and one address of every configured CIDR */
	for (int i = 0; i < c->naddrs; i++) {
		targets[nt].family = c->addrs[i].family;
		memcpy(targets[nt].addr, c->addrs[i].addr, 16);
		snprintf(targets[nt].text, sizeof(targets[nt].text), "%s", c->addrs[i].text);
		nt++;
	}
	for (int i = 0; i < c->o->endpoints.ncidrs; i++) {
		const struct cidr *cd = &c->o->endpoints.cidrs[i];
		struct fw_target *t = &targets[nt];
		unsigned last = cd->family == AF_INET6 ? 15 : 3;
		char a[64];

		t->family = cd->family;
		memcpy(t->addr, cd->addr, 16);
		if (cd->prefixlen < (cd->family == AF_INET6 ? 128u : 32u))
			t->addr[last] |= 1; /* a host inside the range */
		snprintf(t->text, sizeof(t->text), "%s (in %s/%u)", addr_str(t->family, t->addr, a, sizeof(a)),
			 addr_str(cd->family, cd->addr, a, sizeof(a)), cd->prefixlen);
		nt++;
	}
	/* iptables-legacy tables live beside nftables and nft does not show them */
	f = fopen("/proc/net/ip_tables_names", "re");
	if (f) {
		size_t n = fread(legacy, 1, sizeof(legacy) - 1, f);

		legacy[n] = '\0';
		for (char *p = legacy; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fclose(f);
	}
	rc = nft_ruleset_read_within(-1, NFT_CHECK_TIMEOUT_MS, &json, &jlen, &text, &tlen);
	if (rc) {
		jw_kstr(&r->ev, "nft", rc == -ENOENT ? "nft not installed" : strerror(-rc));
	} else {
		jw_key(&r->ev, "rules");
		jw_arr_begin(&r->ev);
		for (int i = 0; i < nt; i++) {
			for (size_t p = 0; p < 2; p++) {
				for (int dir = 0; dir < 2; dir++) {
					struct nft_tuple tu = { .family = targets[i].family, .l4proto = IPPROTO_TCP };
					struct nft_rule_match m[4];
					uint8_t local[16];
					int nm;

					local_source(targets[i].family, targets[i].addr, local);
					if (dir == 0) { /* the SYN out */
						tu.dir = NFT_DIR_OUTPUT;
						memcpy(tu.daddr, targets[i].addr, 16);
						memcpy(tu.saddr, local, 16);
						tu.dport = ports[p];
						tu.sport = 40000;
					} else { /* the reply in */
						tu.dir = NFT_DIR_INPUT;
						memcpy(tu.saddr, targets[i].addr, 16);
						memcpy(tu.daddr, local, 16);
						tu.sport = ports[p];
						tu.dport = 40000;
					}
					nm = nft_rules_match(json, jlen, &tu, m, 4);
					if (nm > 0)
						nft_rules_attach_text(text, tlen, m, nm);
					for (int k = 0; k < nm; k++) {
						jw_obj_begin(&r->ev);
						jw_kstr(&r->ev, "target", targets[i].text);
						jw_kuint(&r->ev, "port", ports[p]);
						jw_kstr(&r->ev, "direction", dir ? "reply in" : "out");
						jw_kstr(&r->ev, "family", m[k].family);
						jw_kstr(&r->ev, "table", m[k].table);
						jw_kstr(&r->ev, "chain", m[k].chain);
						jw_kstr(&r->ev, "hook", m[k].hook);
						jw_kuint(&r->ev, "handle", m[k].handle);
						jw_kstr(&r->ev, "verdict", m[k].verdict);
						jw_kstr(&r->ev, "rule", m[k].text);
						jw_kbool(&r->ev, "certain", m[k].certain);
						jw_obj_end(&r->ev);
						if (m[k].certain)
							drops++;
						else
							uncertain++;
						if (!first[0])
							snprintf(first, sizeof(first), "%s %s %s handle %llu: %s (%s %s:%u)",
								 m[k].family, m[k].table, m[k].chain,
								 (unsigned long long)m[k].handle, m[k].text,
								 dir ? "replies from" : "to", targets[i].text, ports[p]);
					}
				}
			}
		}
		jw_arr_end(&r->ev);
	}
	if (legacy[0])
		jw_kstr(&r->ev, "iptables_legacy_tables", legacy);
	free(json);
	free(text);
	if (drops || uncertain) {
		r->status = drops ? CHECK_FAIL : CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "%u rule%s %s Aegis traffic: %s", drops + uncertain,
			 drops + uncertain == 1 ? "" : "s", drops ? "drop" : "may drop", first);
		snprintf(r->advice, sizeof(r->advice),
			 "Delete the rule (nft delete rule FAMILY TABLE CHAIN handle N) or add an accept "
			 "before it for TCP 80/443 to the Aegis endpoints; find out who added it (a hardening "
			 "script, security software, malware).");
	} else if (rc && !legacy[0]) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "nftables not readable (%s)",
			 rc == -ENOENT ? "nft not installed" : strerror(-rc));
	} else {
		snprintf(r->summary, sizeof(r->summary), "no nftables rule drops TCP 80/443 to or from the endpoints");
	}
	if (legacy[0] && !drops) {
		check_raise(r, CHECK_WARN);
		snprintf(r->summary + strlen(r->summary), sizeof(r->summary) - strlen(r->summary),
			 "; legacy iptables tables loaded (%s): not read", legacy);
		if (!r->advice[0])
			snprintf(r->advice, sizeof(r->advice),
				 "Look for DROP/REJECT rules to the endpoints with 'iptables-legacy -S' and "
				 "'ip6tables-legacy -S'.");
	}
}
