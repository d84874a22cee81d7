// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * DNS on the wire, for every process whatever its resolver (glibc, musl,
 * static and Go binaries, systemd-resolved, dnsmasq): cgroup_skb programs on
 * the cgroup v2 root see every socket's packets in every network namespace,
 * including namespaces created later. Only port 53 is inspected, and only
 * messages whose question is under a watched domain go to userspace.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define DNS_PORT 53
#define DNS_HDR 12

/* Watched domains as hashes of their last 1-4 labels (FNV-1a over each
 * lowercased label, then over the label hashes), filled by userspace with the
 * same function (user/lib/dns.c). A hash match is checked again in userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} dns_suffixes SEC(".maps");

/* Bit k set: some watched domain has k labels (filled with dns_suffixes). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dns_label_counts SEC(".maps");

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* An index into data[] the verifier can bound: the mask is done in asm so the
 * compiler cannot drop it after its own range checks. */
static __always_inline __u32 bound_idx(__u32 i)
{
	asm volatile("%0 &= 511" : "+r"(i));
	return i;
}

struct l4_info {
	struct aegis_tuple t;
	__u32 payload_off;
	__u32 payload_len;
};

static __always_inline int parse_l3l4(struct __sk_buff *skb, struct l4_info *li)
{
	__u8 ports[4];
	__u32 l4;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u8 iph[20];

		if (bpf_skb_load_bytes(skb, 0, iph, sizeof(iph)))
			return -1;
		if (iph[6] & 0x3f || iph[7]) /* fragments: not a whole DNS message */
			return -1;
		li->t.family = AF_INET;
		li->t.proto = iph[9];
		__builtin_memcpy(li->t.saddr, &iph[12], 4);
		__builtin_memcpy(li->t.daddr, &iph[16], 4);
		l4 = (iph[0] & 0x0f) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 ip6h[40];

		if (bpf_skb_load_bytes(skb, 0, ip6h, sizeof(ip6h)))
			return -1;
		li->t.family = AF_INET6;
		li->t.proto = ip6h[6];
		__builtin_memcpy(li->t.saddr, &ip6h[8], 16);
		__builtin_memcpy(li->t.daddr, &ip6h[24], 16);
		l4 = 40;
	} else {
		return -1;
	}
	if (li->t.proto != IPPROTO_UDP && li->t.proto != IPPROTO_TCP)
		return -1;
	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)))
		return -1;
	li->t.sport = (ports[0] << 8) | ports[1];
	li->t.dport = (ports[2] << 8) | ports[3];
	if (li->t.sport != DNS_PORT && li->t.dport != DNS_PORT)
		return -1;
	if (li->t.proto == IPPROTO_UDP) {
		li->payload_off = l4 + 8;
	} else {
		__u8 doff;

		if (bpf_skb_load_bytes(skb, l4 + 12, &doff, 1))
			return -1;
		/* skip the 2-byte length prefix of DNS over TCP */
		li->payload_off = l4 + (doff >> 4) * 4 + 2;
	}
	if (skb->len <= li->payload_off + DNS_HDR)
		return -1; /* no DNS message here (a bare ACK, say) */
	li->payload_len = skb->len - li->payload_off;
	return 0;
}

/* The message is assembled here, then copied to the ring buffer only when
 * its question is watched: most DNS traffic never reaches userspace. One
 * slot for egress, one for ingress: an answer arriving in softirq may
 * interrupt a query being sent on the same CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct aegis_dns);
} dns_scratch SEC(".maps");

/* A connected socket whose ports are not 53 carries no DNS: decided from the
 * socket, without reading the packet (most packets on a host are TCP). The
 * kernel gives remote_port in network order, in the upper half of the word on
 * little-endian; every placement of 53 is accepted, so none is missed. */
static __always_inline bool not_dns_socket(const struct __sk_buff *skb)
{
	__u32 rp = skb->remote_port;

	if (rp == 0)
		return false; /* unconnected (sendto): the packet decides */
	if (rp == bpf_htons(DNS_PORT) || rp == ((__u32)bpf_htons(DNS_PORT) << 16) || rp == DNS_PORT)
		return false;
	return skb->local_port != DNS_PORT;
}

/*
 * Is the question name (at data[12]) under a watched domain? Bounded loops
 * (5.3) that the 5.10 verifier follows in about 10k steps (bpf_loop would
 * need 5.17, and its callback misbehaved on 6.1). A verifier explores a loop
 * once per iteration and per state that differs in what it tracks, so:
 *   - a first loop hops from label to label and keeps the offsets of the last
 *     four in a map, not in registers: every way out of it then reaches the
 *     second loop in the same state, and that loop is explored once;
 *   - the second loop hashes those four labels byte by byte; its exits differ
 *     only in values nothing reads after it;
 *   - the case is folded without a branch.
 * The suffixes of 1-4 labels are all looked up, a missing label hashing as 0
 * (a false match is as unlikely as any hash collision, and userspace checks
 * every match with the real parser). A name of more labels than the first
 * loop takes goes to userspace too.
 */
#define MAX_LABELS 40
#define MAX_LABEL_BYTES 63

struct label_starts {
	__u32 at[4]; /* offsets of the last four labels' length bytes, oldest first; 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* egress, ingress: see dns_scratch */
	__type(key, __u32);
	__type(value, struct label_starts);
} dns_label_starts SEC(".maps");

/* A hash lookup costs more than the walk: only the suffix lengths that some
 * watched domain has (bit k of counts: a domain of k labels). */
static __always_inline bool suffix_watched(__u32 counts, __u64 l0, __u64 l1, __u64 l2, __u64 l3)
{
	__u64 s1 = (FNV_OFFSET ^ l3) * FNV_PRIME;
	__u64 s2 = (((FNV_OFFSET ^ l2) * FNV_PRIME) ^ l3) * FNV_PRIME;
	__u64 s3 = (((((FNV_OFFSET ^ l1) * FNV_PRIME) ^ l2) * FNV_PRIME) ^ l3) * FNV_PRIME;
	__u64 s4 = (((((((FNV_OFFSET ^ l0) * FNV_PRIME) ^ l1) * FNV_PRIME) ^ l2) * FNV_PRIME) ^ l3) *
		   FNV_PRIME;

	return (counts & 2 && bpf_map_lookup_elem(&dns_suffixes, &s1)) ||
	       (counts & 4 && bpf_map_lookup_elem(&dns_suffixes, &s2)) ||
	       (counts & 8 && bpf_map_lookup_elem(&dns_suffixes, &s3)) ||
	       (counts & 16 && bpf_map_lookup_elem(&dns_suffixes, &s4));
}

/* c + 32 when c is 'A'..'Z' (c < 256), in asm: the compiler would turn the
 * range test back into a branch. Bit 8 of c + 191 says c >= 'A', of c + 165
 * says c > 'Z'; they differ exactly for the capitals. */
static __always_inline __u64 fold_case(__u64 c)
{
	__u64 t, u;

	asm volatile("%[t] = %[c]; %[t] += 191; %[t] >>= 8;"
		     "%[u] = %[c]; %[u] += 165; %[u] >>= 8;"
		     "%[t] ^= %[u]; %[t] <<= 5; %[c] += %[t]"
		     : [c] "+r"(c), [t] "=&r"(t), [u] "=&r"(u));
	return c;
}

/* The hash of the label whose length byte is at data[at]; 0 for none. */
static __always_inline __u64 label_hash(const __u8 *data, __u32 at)
{
	__u64 h = FNV_OFFSET;
	__u32 n;

	if (!at)
		return 0;
	n = data[bound_idx(at)];
	for (__u32 j = 1; j <= MAX_LABEL_BYTES; j++) {
		if (j > n)
			break;
		h = (h ^ fold_case(data[bound_idx(at + j)])) * FNV_PRIME;
	}
	return h;
}

/* 1 watched (or too long to tell here), 0 not, -1 malformed */
static __always_inline int find_labels(const __u8 *data, __u32 len, struct label_starts *ls)
{
	__u32 pos = DNS_HDR;

	ls->at[0] = ls->at[1] = ls->at[2] = ls->at[3] = 0;
	for (__u32 k = 0; k < MAX_LABELS; k++) {
		__u32 n = data[bound_idx(pos)];

		if (n == 0)
			return 0;
		if (n & 0xc0) /* no compression in a question name */
			return -1;
		ls->at[0] = ls->at[1];
		ls->at[1] = ls->at[2];
		ls->at[2] = ls->at[3];
		ls->at[3] = pos;
		pos += n + 1;
		if (pos >= len)
			return -1;
	}
	return 1;
}

static __always_inline bool watched_question(const __u8 *data, __u32 len, __u32 slot)
{
	__u32 zero = 0, *counts = bpf_map_lookup_elem(&dns_label_counts, &zero);
	struct label_starts *ls = bpf_map_lookup_elem(&dns_label_starts, &slot);
	int found;

	if (!counts || !*counts || !ls)
		return false;
	found = find_labels(data, len, ls);
	if (found)
		return found > 0;
	return suffix_watched(*counts, label_hash(data, ls->at[0]), label_hash(data, ls->at[1]),
			      label_hash(data, ls->at[2]), label_hash(data, ls->at[3]));
}

/*
 * A query leaves in the sending process's context, but cgroup_skb programs may
 * not call the current-task helpers before 6.18 (bpf_get_current_pid_tgid from
 * 6.12, bpf_get_current_comm never before): the task is read through
 * bpf_get_current_task(), which they may call from 5.x on. A segment sent from
 * a timer (a TCP retransmission) runs on whatever task was current: the task
 * is named only when its fsuid owns the socket, as the socket's creator did.
 */
static __always_inline __u32 query_sender(struct aegis_hdr *hdr)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 netns;

	if (!task)
		return 0;
	/* the sending task's network namespace, which a UDP query always
	 * leaves in (a TCP segment sent from a timer may name another) */
	netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	if (BPF_CORE_READ(task, cred, fsuid.val) != hdr->uid)
		return netns;
	hdr->pid = BPF_CORE_READ(task, pid);
	hdr->tgid = BPF_CORE_READ(task, tgid);
	BPF_CORE_READ_STR_INTO(&hdr->comm, task, comm);
	return netns;
}

static __always_inline int inspect(struct __sk_buff *skb, bool ingress)
{
	void *ctx = skb; /* output_event() sends through the program's context */
	struct l4_info li = {};
	struct aegis_dns *ev;
	__u32 n, slot = ingress;

	if (not_dns_socket(skb) || parse_l3l4(skb, &li))
		return 1;
	/* queries matter as they leave, answers as they arrive; a query reaching
	 * a local server or its answer leaving it is the same lookup again */
	if (ingress ? li.t.sport != DNS_PORT : li.t.dport != DNS_PORT)
		return 1;
	count(AEGIS_CNT_DNS_SEEN);
	ev = bpf_map_lookup_elem(&dns_scratch, &slot);
	if (!ev)
		return 1;
	n = li.payload_len;
	if (n < DNS_HDR + 1)
		return 1;
	/* clamp to the buffer in asm, where the compiler cannot fold it away
	 * before the verifier sees the length it bounds */
	asm volatile("if %0 <= 512 goto +1; %0 = 512; if %0 > 12 goto +1; %0 = 13" : "+r"(n));
	if (bpf_skb_load_bytes(skb, li.payload_off, ev->data, n) ||
	    !watched_question(ev->data, n, slot)) {
		count(AEGIS_CNT_DNS_OTHER);
		return 1;
	}
	ev->hdr.type = AEGIS_EV_DNS;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.cpu = bpf_get_smp_processor_id();
	ev->hdr.ts_ns = aegis_now_ns();
	ev->hdr.ppid = 0;
	ev->hdr.uid = bpf_get_socket_uid(skb);
	ev->hdr.pid = 0;
	ev->hdr.tgid = 0;
	__builtin_memset(ev->hdr.comm, 0, sizeof(ev->hdr.comm));
	ev->netns = ingress ? 0 : query_sender(&ev->hdr);
	ev->tuple = li.t;
	ev->flags = ingress ? AEGIS_NET_INGRESS : 0;
	ev->len = n;
	ev->wire_len = li.payload_len;
	/* the socket itself: an answer counts only on the socket its query
	 * left from, which no other namespace or socket can forge */
	ev->sock_cookie = bpf_get_socket_cookie(skb);
	output_event(ev);
	return 1;
}

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	return inspect(skb, false);
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	return inspect(skb, true);
}

/* An ICMP error (port or host unreachable) reached a socket talking to port
 * 53: the nameserver is unreachable. UDP sockets never change TCP state, so
 * the socket's error report is what shows it: the inet_sk_error_report
 * tracepoint (5.14), or before it, on kernels with BPF trampolines, an fentry
 * on sock_def_error_report, the report every UDP socket calls. */
static __always_inline int report_sock_error(void *ctx, const struct sock *sk)
{
	struct aegis_sockerr *ev;
	__u16 dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__u16 family;
	__be32 src, dst;

	if (dport != DNS_PORT)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev = reserve_event(AEGIS_EV_SOCK_ERROR, sizeof(*ev),
			   (struct task_struct *)bpf_get_current_task());
	if (!ev)
		return 0;
	__builtin_memset(&ev->tuple, 0, sizeof(ev->tuple));
	ev->tuple.family = family;
	ev->tuple.proto = BPF_CORE_READ(sk, sk_protocol);
	ev->tuple.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->tuple.dport = dport;
	if (family == AF_INET) {
		src = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		dst = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ev->tuple.saddr, &src, 4);
		__builtin_memcpy(ev->tuple.daddr, &dst, 4);
	} else {
		struct in6_addr s6 = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr d6 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);

		__builtin_memcpy(ev->tuple.saddr, &s6, 16);
		__builtin_memcpy(ev->tuple.daddr, &d6, 16);
	}
	ev->err = BPF_CORE_READ(sk, sk_err);
	ev->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	submit_event(ev);
	return 0;
}

SEC("raw_tp/inet_sk_error_report")
int BPF_PROG(on_sk_error_report, const struct sock *sk)
{
	return report_sock_error(ctx, sk);
}

SEC("fentry/sock_def_error_report")
int BPF_PROG(on_sk_error_fentry, struct sock *sk)
{
	return report_sock_error(ctx, sk);
}
