#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Regenerate the seed corpora in tests/fuzz/corpus/<target>/ from the event ABI
# (bpf/events.h, user/kernel/ev.h), so the seeds follow the structs if they change.
# The records are built by a small C program compiled on the spot.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/gen.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "ev.h"

#define S 1000000000ULL
#define ROOT "/usr/local/aegis"
#define CHUNK offsetof(struct ev, exe) /* as fuzz_correlate.c */

static const char *dir;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
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
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

static struct ev sig(uint64_t ts, uint32_t tgid, int signo, int code, uint32_t from,
		     const char *from_comm)
{
	struct ev e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), ts, tgid, "AliYunDun");

	e.signal.sig = signo;
	e.signal.si_code = code;
	e.signal.sender_pid = e.signal.sender_tgid = from;
	snprintf(e.signal.sender_comm, sizeof(e.signal.sender_comm), "%s", from_comm);
	memcpy(e.signal.sender_args, "kill\0-9\0" "4242", 12);
	e.signal.sender_args_len = 12;
	e.signal.chain_len = 2;
	e.signal.chain[0].pid = 700;
	strcpy(e.signal.chain[0].comm, "bash");
	e.signal.chain[1].pid = 600;
	strcpy(e.signal.chain[1].comm, "sshd");
	return e;
}

/* ---- decode: one record per type, some with trailing exe bytes ---- */
static void decode_corpus(void)
{
	struct ev e;
	unsigned char buf[sizeof(struct ev)];

	e = mk(AEGIS_EV_EXEC, sizeof(e.exec), S, 4242, "AliYunDun");
	strcpy(e.exec.filename, ROOT "/aegis_client/aegis_12_93/AliYunDun");
	strcpy(e.exec.parent_comm, "systemd");
	put("decode", "exec", &e, sizeof(e.exec));
	/* trailing bytes: the fuzz target turns them into exe / sender_exe */
	memcpy(buf, &e, sizeof(e.exec));
	memcpy(buf + sizeof(e.exec), "/tmp/\xe4\xb8\xad\x1b[31m\xff", 14);
	put("decode", "exec_exe", buf, sizeof(e.exec) + 14);

	e = mk(AEGIS_EV_FORK, sizeof(e.fork), S, 4243, "AliYunDun");
	strcpy(e.fork.parent_comm, "AliYunDun");
	put("decode", "fork", &e, sizeof(e.fork));

	e = mk(AEGIS_EV_EXIT, sizeof(e.exit), 2 * S, 4242, "AliYunDun");
	e.exit.exit_code = 0x80 | 11;
	e.exit.start_ns = S;
	put("decode", "exit_segv", &e, sizeof(e.exit));
	e.exit.exit_code = 3 << 8;
	put("decode", "exit_code", &e, sizeof(e.exit));

	e = sig(2 * S, 4242, 9, 0, 777, "killall");
	put("decode", "signal", &e, sizeof(e.signal));
	memcpy(buf, &e, sizeof(e.signal));
	memcpy(buf + sizeof(e.signal), "\0/usr/bin/killall", 17);
	put("decode", "signal_exe", buf, sizeof(e.signal) + 17);

	e = mk(AEGIS_EV_OOM_VICTIM, sizeof(e.oom), 2 * S, 4242, "");
	e.oom.flags = AEGIS_OOM_TRACKED;
	put("decode", "oom", &e, sizeof(e.oom));

	e = mk(AEGIS_EV_CONNECT, sizeof(e.connect), 2 * S, 4242, "AliYunDun");
	e.connect.tuple.family = 2;
	e.connect.tuple.proto = 6;
	e.connect.tuple.dport = 443;
	memcpy(e.connect.tuple.daddr, "\x64\x64\x1e\x19", 4);
	e.connect.ret = -110;
	put("decode", "connect", &e, sizeof(e.connect));
	/* ABI 5: refused before the probes (seccomp, an LSM), no address */
	memset(&e.connect.tuple, 0, sizeof(e.connect.tuple));
	e.connect.flags = AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED;
	e.connect.ret = -1;
	put("decode", "connect_noaddr", &e, sizeof(e.connect));

	e = mk(AEGIS_EV_TCP_STATE, sizeof(e.tcp), 2 * S, 4242, "AliYunDun");
	e.tcp.tuple.family = 10;
	e.tcp.tuple.dport = 80;
	e.tcp.oldstate = 2;
	e.tcp.newstate = 7;
	put("decode", "tcp", &e, sizeof(e.tcp));
	e = mk(AEGIS_EV_TCP_RETRANS, sizeof(e.retrans), 2 * S, 4242, "AliYunDun");
	e.retrans.tuple.family = 2;
	e.retrans.retrans = 5;
	e.retrans.seg_len = 1448;
	put("decode", "retrans", &e, sizeof(e.retrans));

	e = mk(AEGIS_EV_NF_DROP, sizeof(e.drop), 2 * S, 0, "swapper/0");
	e.drop.tuple.family = 2;
	e.drop.tuple.proto = 17;
	e.drop.tuple.dport = 53;
	strcpy(e.drop.owner_comm, "AliYunDun");
	put("decode", "drop", &e, sizeof(e.drop));

	e = mk(AEGIS_EV_SEED, sizeof(e.seed), 2 * S, 4242, "AliYunDunUpdate");
	e.seed.start_ns = S;
	put("decode", "seed", &e, sizeof(e.seed));
	e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), 2 * S, 0, "");
	put("decode", "seed_done", &e, sizeof(e.hdr));
	e = mk(AEGIS_EV_TICK, sizeof(e.tick), 3 * S, 0, "");
	e.tick.events_lost = 5;
	put("decode", "tick", &e, sizeof(e.tick));
}

/* ---- correlate: a config byte, then CHUNK-sized records ---- */
static unsigned char scen[64 * sizeof(struct ev)];
static size_t scen_len;

static void begin(unsigned char conf)
{
	memset(scen, 0, sizeof(scen));
	scen[0] = conf;
	scen_len = 1;
}

static void add(const struct ev *e)
{
	memcpy(scen + scen_len, e, CHUNK); /* zero padding past hdr.size */
	scen_len += CHUNK;
}

static void add_exec(uint64_t ts, uint32_t tgid, const char *comm, unsigned exe_sel)
{
	struct ev e = mk(AEGIS_EV_EXEC, sizeof(e.exec), ts, tgid, comm);

	e.hdr.cpu = exe_sel; /* fuzz_correlate.c: low bits pick the executable */
	add(&e);
}

static void add_exit(uint64_t ts, uint32_t tgid, const char *comm, unsigned code)
{
	struct ev e = mk(AEGIS_EV_EXIT, sizeof(e.exit), ts, tgid, comm);

	e.exit.exit_code = code;
	add(&e);
}

static void add_tick(uint64_t ts, uint64_t lost)
{
	struct ev e = mk(AEGIS_EV_TICK, sizeof(e.tick), ts, 0, "");

	e.tick.events_lost = lost;
	add(&e);
}

static void add_seed(uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e = mk(AEGIS_EV_SEED, sizeof(e.seed), ts, tgid, comm);

	e.hdr.cpu = 1;
	e.seed.start_ns = 1;
	add(&e);
}

static void done(const char *name)
{
	put("correlate", name, scen, scen_len);
}

/* A DNS event between the agent at 192.0.2.1:cport and 198.51.100.53:53: a
 * query leaving, or its answer arriving with rcode and, for an address, one A
 * record (ttl). cpu: fuzz_correlate.c's steering bits. */
static void add_dns(uint64_t ts, int ingress, uint16_t id, const char *name, unsigned rcode,
		    const unsigned char *a, uint32_t ttl, uint16_t cport, uint32_t cpu)
{
	struct ev e = mk(AEGIS_EV_DNS, sizeof(e.dns), ts, ingress ? 0 : 4242, ingress ? "" : "AliYunDun");
	struct aegis_dns *d = &e.dns;
	size_t n;

	e.hdr.cpu = cpu;
	d->tuple.family = 2;
	d->tuple.proto = 17;
	memcpy(ingress ? d->tuple.daddr : d->tuple.saddr, "\xc0\x00\x02\x01", 4);
	memcpy(ingress ? d->tuple.saddr : d->tuple.daddr, "\xc6\x33\x64\x35", 4);
	d->tuple.sport = ingress ? 53 : cport;
	d->tuple.dport = ingress ? cport : 53;
	d->flags = ingress ? AEGIS_NET_INGRESS : 0;
	n = dns_build_query(d->data, sizeof(d->data), id, name, DNS_T_A);
	if (ingress) {
		d->data[2] |= 0x80;
		d->data[3] = (unsigned char)(0x80 | rcode);
	}
	if (ingress && a) {
		const unsigned char rr[12] = { 0xc0, 0x0c, 0, DNS_T_A, 0, 1, (unsigned char)(ttl >> 24),
					       (unsigned char)(ttl >> 16), (unsigned char)(ttl >> 8),
					       (unsigned char)ttl, 0, 4 };

		memcpy(d->data + n, rr, sizeof(rr));
		memcpy(d->data + n + sizeof(rr), a, 4);
		n += sizeof(rr) + 4;
		d->data[7] = 1;
	}
	d->len = d->wire_len = (__u32)n;
	add(&e);
}

static void correlate_corpus(void)
{
	struct ev e;

	/* installed, all three binaries, short timers */
	const unsigned char conf = 1 | 2 | (7 << 2) | 0x20;

	begin(conf);
	add_seed(S, 100, "AliYunDun");
	add_seed(S, 101, "AliYunDunUpdate");
	e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), S, 0, "");
	add(&e);
	add_tick(2 * S, 0);
	done("seed");

	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	e = sig(2 * S, 4242, 9, 0, 777, "killall");
	add(&e);
	add_exit(2 * S + 1, 4242, "AliYunDun", 9);
	add_tick(10 * S, 3);
	done("killed");

	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	e = sig(2 * S, 4242, 9, 0x80, 999, "stress");
	add(&e);
	add_exit(2 * S + 1, 4242, "AliYunDun", 9);
	e = mk(AEGIS_EV_OOM_VICTIM, sizeof(e.oom), 2 * S + 2, 4242, "");
	add(&e);
	add_tick(3 * S, 0);
	done("oom_late");

	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	e = sig(2 * S, 4242, 11, 1, 4242, "AliYunDun");
	add(&e);
	add_exit(2 * S + 1, 4242, "AliYunDun", 0x80 | 11);
	done("crash");

	begin(conf);
	for (unsigned i = 0; i < 6; i++) {
		add_exec(S + i * S, 200 + i, "AliYunDun", 0);
		add_exit(S + i * S + S / 2, 200 + i, "AliYunDun", 1 << 8);
	}
	add_tick(30 * S, 0);
	done("flapping");

	/* a lost exit, then the pid again with another start: not the old process */
	begin(conf);
	e = mk(AEGIS_EV_EXEC, sizeof(e.exec), S, 250, "AliYunDun");
	e.exec.start_ns = S;
	add(&e);
	add_tick(2 * S, 1);
	e = mk(AEGIS_EV_FORK, sizeof(e.fork), 3 * S, 250, "AliYunDun");
	e.fork.start_ns = 3 * S;
	add(&e);
	e = mk(AEGIS_EV_EXIT, sizeof(e.exit), 4 * S, 250, "AliYunDun");
	e.exit.exit_code = 9;
	e.exit.start_ns = 3 * S;
	add(&e);
	add_tick(60 * S, 1);
	done("reused_pid");

	begin(conf);
	add_exec(S, 300, "AliYunDun", 2); /* outside the root */
	e = mk(AEGIS_EV_FORK, sizeof(e.fork), S + 1, 301, "AliYunDun");
	e.hdr.ppid = 300;
	add(&e);
	add_exit(2 * S, 301, "AliYunDun", 9);
	add_exit(2 * S, 300, "AliYunDun", 0);
	done("impostor");

	/* the network path: attempt, local drop, SYN timeout, then back online */
	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	e = mk(AEGIS_EV_TCP_STATE, sizeof(e.tcp), 2 * S, 4242, "AliYunDun");
	e.tcp.tuple.family = 2;
	e.tcp.tuple.proto = 6;
	e.tcp.tuple.sport = 40000;
	e.tcp.tuple.dport = 443;
	memcpy(e.tcp.tuple.daddr, "\x64\x64\x1e\x19", 4);
	e.tcp.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.tcp.oldstate = 7; /* CLOSE -> SYN_SENT */
	e.tcp.newstate = 2;
	add(&e);
	{
		struct ev d = mk(AEGIS_EV_NF_DROP, sizeof(d.drop), 2 * S + 1, 4242, "AliYunDun");

		d.drop.tuple = e.tcp.tuple;
		d.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER;
		d.drop.owner_tgid = 4242;
		strcpy(d.drop.owner_comm, "AliYunDun");
		add(&d);
	}
	e.hdr.ts_ns = 5 * S;
	e.tcp.oldstate = 2; /* SYN_SENT -> CLOSE after retries */
	e.tcp.newstate = 7;
	e.tcp.syn_retries = 3;
	e.tcp.sk_err = 110;
	add(&e);
	e.hdr.ts_ns = 9 * S;
	e.tcp.oldstate = 2; /* SYN_SENT -> ESTABLISHED */
	e.tcp.newstate = 1;
	e.tcp.sk_err = 0;
	add(&e);
	add_tick(10 * S, 0);
	done("network");

	/* after the handshake: large segments sent again, unacknowledged */
	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	e = mk(AEGIS_EV_TCP_RETRANS, sizeof(e.retrans), 2 * S, 4242, "AliYunDun");
	e.retrans.tuple.family = 2;
	e.retrans.tuple.proto = 6;
	e.retrans.tuple.sport = 40000;
	e.retrans.tuple.dport = 443;
	memcpy(e.retrans.tuple.daddr, "\x64\x64\x1e\x19", 4);
	e.retrans.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.retrans.sock_id = 7;
	e.retrans.since_ns = S;
	e.retrans.min_seg_len = e.retrans.max_seg_len = e.retrans.seg_len = 1448;
	e.retrans.mss = 1448;
	e.retrans.pmtu = 1500;
	for (unsigned n = 2; n <= 6; n++) {
		e.hdr.ts_ns = S + (1ULL << n) * S / 8;
		e.retrans.retrans = n;
		add(&e);
	}
	done("stall");

	begin(conf);
	e = mk(AEGIS_EV_CONNECT, sizeof(e.connect), 2 * S, 4242, "AliYunDun");
	e.connect.tuple.family = 2;
	e.connect.tuple.proto = 6;
	e.connect.tuple.dport = 80;
	memcpy(e.connect.tuple.daddr, "\x6a\x0b\x01\x02", 4);
	e.connect.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.connect.ret = -1; /* EPERM */
	add(&e);
	e.connect.ret = -111; /* ECONNREFUSED */
	e.hdr.ts_ns = 3 * S;
	add(&e);
	e.connect.tuple.proto = 17; /* to a sink */
	memset(e.connect.tuple.daddr, 0, sizeof(e.connect.tuple.daddr));
	e.connect.ret = 0;
	add(&e);
	done("connect");

	/* DNS: a matched NXDOMAIN and its duplicate, a stranger's sinkhole, a
	 * learned address that expires, a query that times out */
	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	add_dns(2 * S, 0, 1, "nx.aegis.aliyun.com", 0, NULL, 0, 40000, 0);
	add_dns(2 * S + 1000, 1, 1, "NX.aegis.aliyun.com", 3, NULL, 0, 40000, 0);
	add_dns(2 * S + 2000, 1, 1, "nx.aegis.aliyun.com", 3, NULL, 0, 40000, 0);
	add_dns(2 * S + 3000, 1, 7, "jsrv.aegis.aliyun.com", 0, (const unsigned char *)"\0\0\0\0", 60,
		40001, 0);
	add_dns(3 * S, 0, 2, "jsrv.aegis.aliyun.com", 0, NULL, 0, 40002, 0);
	add_dns(3 * S + 1000, 1, 2, "jsrv.aegis.aliyun.com", 0, (const unsigned char *)"\x64\x64\x1e\x19",
		30, 40002, 0);
	add_dns(4 * S, 0, 3, "update.aegis.aliyun.com", 0, NULL, 0, 40003, 0);
	add_tick(10 * S, 0);
	add_tick(70 * S, 0);
	done("dns");

	/* the same through the steering bits: a query, its answer, a long tick */
	begin(conf);
	add_exec(S, 4242, "AliYunDun", 1);
	add_dns(2 * S, 0, 1, "x", 0, NULL, 0, 1, 0x200);
	add_dns(2 * S + 1000, 1, 1, "x", 0, NULL, 0, 1, 0x200 | 0x400);
	add_dns(2 * S + 2000, 1, 1, "x", 0, NULL, 0, 1, 0x200 | 0x400 | 0x40000);
	add_dns(3 * S, 0, 1, "x", 0, NULL, 0, 1, 0x200 | 0x1000);
	e = mk(AEGIS_EV_SOCK_ERROR, sizeof(e.sockerr), 3 * S + 1000, 0, "");
	e.hdr.cpu = 0x200 | 0x1000;
	add(&e);
	e = mk(AEGIS_EV_TICK, sizeof(e.tick), 4 * S, 0, "");
	e.hdr.cpu = 0x200;
	add(&e);
	done("dns_steered");

	begin(0); /* not installed */
	e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), S, 0, "");
	add(&e);
	done("not_installed");
}

/* ---- dns: DNS messages as captured (fuzz_dns.c) ---- */
static unsigned char msg[AEGIS_DNS_PAYLOAD];
static size_t mlen;

static void m8(unsigned v)
{
	if (mlen < sizeof(msg))
		msg[mlen++] = (unsigned char)v;
}

static void m16(unsigned v)
{
	m8(v >> 8);
	m8(v);
}

static void mbytes(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m8(((const unsigned char *)p)[i]);
}

static void count_up(int field) /* 6 AN, 8 NS, 10 AR */
{
	unsigned v = (unsigned)(msg[field] << 8 | msg[field + 1]) + 1;

	msg[field] = (unsigned char)(v >> 8);
	msg[field + 1] = (unsigned char)v;
}

/* A query, or a response (QR, RA, rcode) to it, for name. */
static void dns_start(uint16_t id, const char *name, uint16_t qtype, int response, unsigned rcode)
{
	memset(msg, 0, sizeof(msg));
	mlen = dns_build_query(msg, sizeof(msg), id, name, qtype);
	if (!mlen) {
		fprintf(stderr, "gen: cannot encode %s\n", name);
		exit(1);
	}
	if (response) {
		msg[2] |= 0x80;
		msg[3] = (unsigned char)(0x80 | rcode);
	}
}

/* A record: owner is a pointer to owner_off (12 = the question name). */
static void dns_rr(int field, unsigned owner_off, unsigned type, uint32_t ttl, const void *rd,
		   unsigned rdlen)
{
	m16(0xc000 | owner_off);
	m16(type);
	m16(1);
	m16(ttl >> 16);
	m16(ttl & 0xffff);
	m16(rdlen);
	mbytes(rd, rdlen);
	count_up(field);
}

static void dns_opt(unsigned udp_size)
{
	m8(0);
	m16(DNS_T_OPT);
	m16(udp_size);
	m16(0);
	m16(0);
	m16(0);
	count_up(10);
}

static void dns_put(const char *name)
{
	put("dns", name, msg, mlen);
}

static void dns_corpus(void)
{
	static const unsigned char a1[4] = { 100, 100, 30, 25 }, a2[4] = { 106, 11, 68, 13 },
				   zero[4] = { 0 }, loop[4] = { 127, 0, 0, 1 };
	static const unsigned char a6[16] = { 0x24, 0x08, 0x40, 0x00, 0x02, 0x00, [15] = 0x25 };
	static const unsigned char cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char rd[64];
	size_t t1;

	dns_start(0x1234, "jsrv.aegis.aliyun.com", DNS_T_A, 0, 0);
	dns_put("query_a");
	dns_start(0x1235, "update.aegis.aliyun.com", DNS_T_AAAA, 0, 0);
	m8(0);
	m16(DNS_T_OPT);
	m16(1232);
	m16(0);
	m16(0);
	m16(sizeof(cookie));
	mbytes(cookie, sizeof(cookie));
	count_up(10);
	dns_put("query_aaaa_edns_cookie");

	dns_start(0x1234, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 300, a1, 4);
	dns_rr(6, 12, DNS_T_A, 300, a2, 4);
	dns_opt(4096);
	dns_put("answer_a");

	dns_start(0x1235, "update.aegis.aliyun.com", DNS_T_AAAA, 1, 0);
	dns_rr(6, 12, DNS_T_AAAA, 60, a6, 16);
	dns_put("answer_aaaa");

	/* CNAME chain with compression: jsrv -> edge.<aegis.aliyun.com> -> cdn.example.net */
	dns_start(0x2000, "JSRV.Aegis.Aliyun.com", DNS_T_A, 1, 0);
	t1 = mlen + 12;
	memcpy(rd, "\x04" "edge\xc0\x11", 7);
	dns_rr(6, 12, DNS_T_CNAME, 600, rd, 7);
	memcpy(rd, "\x03" "cdn\x07" "example\x03" "net\x00", 17);
	dns_rr(6, (unsigned)t1, DNS_T_CNAME, 60, rd, 17);
	dns_rr(6, (unsigned)(t1 + 7 + 12), DNS_T_A, 30, a2, 4);
	dns_put("answer_cname_chain");

	/* NXDOMAIN with an SOA in the authority section */
	/* owner "aegis.aliyun.com" (offset 15); ns1 and hostmaster point at "aliyun.com" (21) */
	dns_start(0x3000, "nx.aegis.aliyun.com", DNS_T_A, 1, 3);
	{
		static const unsigned char soa[] = "\x03" "ns1\xc0\x15" "\x0a" "hostmaster\xc0\x15"
			"\x00\x00\x0e\x10\x00\x00\x0e\x10\x00\x00\x0e\x10\x00\x00\x0e\x10\x00\x00\x0e\x10";

		dns_rr(8, 15, 6, 600, soa, sizeof(soa) - 1);
	}
	dns_opt(1232);
	dns_put("nxdomain_soa");

	dns_start(0x3001, "jsrv.aegis.aliyuncs.com", DNS_T_A, 1, 2);
	dns_put("servfail");
	dns_start(0x3002, "jsrv.aegis.alicdn.com", DNS_T_A, 1, 5);
	dns_put("refused");
	dns_start(0x3003, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	msg[2] |= 0x02; /* TC */
	dns_put("truncated_tc");

	dns_start(0x4000, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 60, zero, 4);
	dns_put("sinkhole_zero");
	dns_start(0x4001, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 60, loop, 4);
	dns_rr(6, 12, DNS_T_A, 60, a1, 4);
	dns_put("sinkhole_loopback");

	/* names under the fuzz target's one-label domain "a" */
	dns_start(0x5000, "x.a", DNS_T_A, 0, 0);
	dns_put("short_query");
	dns_start(0x5000, "x.a", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 5, a1, 4);
	dns_put("short_answer");

	/* hostile */
	dns_start(0x6000, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 300, a1, 4);
	dns_rr(6, 12, DNS_T_A, 300, a2, 4);
	mlen -= 3; /* the capture ends inside the second record */
	dns_put("cut_in_answer");
	dns_start(0x6001, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	t1 = mlen;
	dns_rr(6, 12, DNS_T_A, 300, a1, 4);
	msg[t1] = (unsigned char)(0xc0 | t1 >> 8); /* owner points at itself */
	msg[t1 + 1] = (unsigned char)t1;
	dns_put("pointer_loop_owner");
	memset(msg, 0, sizeof(msg));
	memcpy(msg, "\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01", 18);
	mlen = 18;
	dns_put("pointer_loop_question");
	memcpy(msg + 12, "\x41" "a\x00\x00\x01\x00\x01", 7);
	mlen = 19;
	dns_put("label_0x40");
	{
		static const char q[] = "\x03" "a\x00" "B" "\x02\x7f\xff" "\x05" "aegis" "\x06" "aliyun"
					"\x03" "com" "\x00\x00\x01\x00\x01";

		memcpy(msg + 12, q, sizeof(q) - 1);
		mlen = 12 + sizeof(q) - 1;
		dns_put("escapes");
	}
	dns_start(0x6002, "jsrv.aegis.aliyun.com", DNS_T_A, 1, 0);
	dns_rr(6, 12, DNS_T_A, 300, a1, 4);
	msg[mlen - 5] = 200; /* rdlength past the end */
	dns_put("rdlength_lie");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	dir = argv[1];
	decode_corpus();
	correlate_corpus();
	dns_corpus();
	return 0;
}
EOF

user_inc=()
for d in "$top"/user/*/; do user_inc+=(-I"$d"); done
"$CC" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$top/bpf" "${user_inc[@]}" \
	"$tmp/gen.c" "$top/user/lib/dns.c" -o "$tmp/gen"
# generated seeds are overwritten; regress-* files (past findings) are kept
for t in decode procstat correlate dns; do
	mkdir -p "$here/corpus/$t"
done
"$tmp/gen" "$here/corpus"

# procstat: text lines as /proc/<pid>/stat has them, and some that are not
tail=' S 1 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765 123456789 456 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0'
p="$here/corpus/procstat"
printf '4242 (AliYunDun)%s\n' "$tail" >"$p/plain"
printf '7 (a b) c)%s\n' "$tail" >"$p/parens"
printf '8 (x) S 99 (y)%s\n' "$tail" >"$p/imitation"
printf '9 ()%s\n' "$tail" >"$p/empty_comm"
printf '12 (x) S 1 2 3\n' >"$p/short"
printf '99999999999 (x)%s\n' "$tail" >"$p/big_pid"
# /proc/self/timens_offsets, as the kernel writes it and by clock id
printf 'monotonic           0         0\nboottime       100000         0\n' >"$p/timens_offsets"
printf '1 -3600 250000000\n7 2 5\n' >"$p/timens_ids"

# procres: /proc/stat, meminfo, pressure, loadavg, <pid>/stat and statm text
p="$here/corpus/procres"
mkdir -p "$p"
printf 'cpu  10132153 290696 3084719 46828483 16683 0 25195 7 0 0\ncpu0 1393280 32966 572056 13074644 6148 0 8920 0 0 0\nintr 199292 0 4 0\n' >"$p/stat"
printf 'cpu  1 2 3 4\n' >"$p/stat_old"
printf 'MemTotal:       24683656 kB\nMemFree:        23964080 kB\nMemAvailable:   23759848 kB\nBuffers:           12345 kB\nHugePages_Total:       0\n' >"$p/meminfo"
printf 'MemTotal:       2048 kB\nMemFree:        1024 kB\n' >"$p/meminfo_old"
printf 'some avg10=12.34 avg60=1.00 avg300=0.20 total=123456\nfull avg10=5.06 avg60=0.50 avg300=0.10 total=65432\n' >"$p/psi_memory"
printf 'some avg10=100.00 avg60=0.00 avg300=0.00 total=1\n' >"$p/psi_cpu_old"
printf '0.66 0.50 0.40 1/234 5678\n' >"$p/loadavg"
printf '4242 (Ali YunDun) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 4 0 98765 123456789 456 18446744073709551615 1 1\n' >"$p/pid_stat"
printf '12345 678 90 1 0 100 0\n' >"$p/statm"
echo "corpus: $(find "$here/corpus" -type f | wc -l) files in $here/corpus"
