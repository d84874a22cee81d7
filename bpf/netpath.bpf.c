// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Network path to the Aegis endpoints: connect() results, the fate of TCP
 * connections, and packets netfilter drops.
 *
 * Watched: connects to an endpoint (LPM trie of CIDRs plus learned IPs) on a
 * configured port, and every connect of a tracked agent process. A watched TCP
 * socket is remembered at CLOSE -> SYN_SENT, which runs in the connecting
 * process, so later transitions in softirq or timer context are attributed to
 * that process. Unrelated sockets and packets cost one or two map lookups.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define EINPROGRESS 115
#define ENETUNREACH 101
#define EPERM 1
#define EACCES 13
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define MAX_SOCKS 16384
#define SOL_TCP 6
/* What a watched socket asks sockops for: its state changes, and its
 * retransmissions (the data phase: stalls, path MTU black holes). */
#define OPS_CB_FLAGS (BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG)

/* [0]: 1 while on_sockops is attached (set by userspace; in the agent scope it
 * comes on demand): until then a watched TCP connect wakes userspace itself.
 * A map, not global data: the object loads on kernels before 5.2. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tcp_ops_armed SEC(".maps");

static __always_inline bool sockops_armed(void)
{
	__u32 zero = 0, *armed = bpf_map_lookup_elem(&tcp_ops_armed, &zero);

	return armed && *armed;
}

struct endpoint_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct endpoint_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct endpoint_v4_key);
	__type(value, __u32);
} endpoints_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct endpoint_v6_key);
	__type(value, __u32);
} endpoints_v6 SEC(".maps");

/* Ports of the endpoints (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} endpoint_ports SEC(".maps");

/* connect() in progress, keyed by pid_tgid: sys_enter to sys_exit (struct
 * pending_connect: events.h, userspace reads presyn_connects). */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending_connect);
} pending_connects SEC(".maps");

/* Agent threads whose connect() a probe saw (the cgroup hook, fexit), keyed
 * by pid_tgid: on_connect_denied leaves their failure to it. Written for an
 * agent's connects only, taken out at the syscall's exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} hooked_connects SEC(".maps");

static __always_inline bool is_denial(long ret)
{
	return ret == -EPERM || ret == -EACCES;
}

/* An agent thread's connect, seen: whatever it returns is told from here. */
static __always_inline void note_hooked(const struct pending_connect *pc, __u64 id)
{
	__u8 one = 1;

	if (pc->flags & AEGIS_NET_AGENT)
		bpf_map_update_elem(&hooked_connects, &id, &one, BPF_ANY);
}

/* Where cgroup/connect4/6 replace the syscall tracepoints: watched TCP
 * connects that have not reached SYN_SENT yet, keyed by socket cookie. One
 * still here when its socket is destroyed (host scope), or a second after
 * it began (agent scope: userspace looks at every tick), failed before the
 * SYN (no route): the SYN leaves inside connect() itself. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending_connect);
} presyn_connects SEC(".maps");

/* Watched TCP connects begun while sockops was away (agent scope, on
 * demand), keyed by socket cookie: sockops watches the socket from here at
 * its first state change. Those that closed before it came are forgotten by
 * the LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct pending_connect);
} unarmed_connects SEC(".maps");

/*
 * Watched TCP sockets, keyed by the sock address (which never leaves
 * aegismon: userspace hides it, user/kernel/sockid.c). Its close is not always seen
 * (the on-demand probes may be away), so an entry may outlive its socket and
 * the address be reused: peer_sig, the peer the socket was watched for, is
 * checked at every use, and a mismatch drops the stale entry. The LRU bounds
 * what is left: a full map forgets its least used entry, never a new connect.
 */
struct watched_sock {
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 flags;
	__u64 since_ns;
	__u32 syn_retries; /* 32 bits: BPF atomics need 32/64 */
	__u32 pad;
	__u64 peer_sig;    /* sock_peer_sig() at the connect */
	char comm[AEGIS_COMM_LEN];
	/* the data retransmitted now (retrans_counted); the socket's lock
	 * serializes retransmissions, so no atomics */
	__u32 stall_una;      /* snd_una when it began */
	__u32 stall_retrans;  /* retransmissions since, 0: none */
	__u64 stall_since_ns; /* the first of them */
	__u32 stall_max;      /* the largest and smallest segment sent again */
	__u32 stall_min;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct watched_sock);
} watched_socks SEC(".maps");

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&agent_pids, &tgid) != NULL;
}

/* Is addr (family, network order) in the endpoint set? */
static __always_inline bool is_endpoint(__u16 family, const __u8 *addr)
{
	if (family == AF_INET) {
		struct endpoint_v4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, addr, 4);
		return bpf_map_lookup_elem(&endpoints_v4, &k) != NULL;
	}
	if (family == AF_INET6) {
		struct endpoint_v6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, addr, 16);
		return bpf_map_lookup_elem(&endpoints_v6, &k) != NULL;
	}
	return false;
}

static __always_inline bool is_endpoint_port(__u16 port)
{
	return bpf_map_lookup_elem(&endpoint_ports, &port) != NULL;
}

static __always_inline __u32 current_netns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
}

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline void fill_hdr_raw(struct aegis_hdr *hdr, __u32 type, __u32 size)
{
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = aegis_now_ns();
}

/* ---- connect() ---- */

struct sockaddr_any {
	__u16 family;
	__u16 port; /* network order */
	union {
		__u8 v4[4];
		struct {
			__u32 flowinfo;
			__u8 v6[16];
		};
	};
};

/* The connect() of the current task to the address at uaddr (user memory):
 * fills pc and says whether it is ours (an agent process, or an endpoint). */
static __always_inline bool connect_from_user(struct pending_connect *pc, const void *uaddr, __u32 fd)
{
	struct sockaddr_any sa = {};
	__u16 port;

	if (bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		return false;
	if (sa.family != AF_INET && sa.family != AF_INET6)
		return false;
	port = __builtin_bswap16(sa.port);
	pc->tuple.family = sa.family;
	pc->tuple.dport = port;
	if (sa.family == AF_INET)
		__builtin_memcpy(pc->tuple.daddr, sa.v4, 4);
	else
		__builtin_memcpy(pc->tuple.daddr, sa.v6, 16);
	if (is_endpoint_port(port) && is_endpoint(sa.family, pc->tuple.daddr))
		pc->flags |= AEGIS_NET_ENDPOINT;
	if (is_tracked(bpf_get_current_pid_tgid() >> 32))
		pc->flags |= AEGIS_NET_AGENT;
	pc->fd = fd;
	return pc->flags != 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int on_connect_enter(struct syscall_trace_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_connect pc = {};

	if (!connect_from_user(&pc, (const void *)ctx->args[1], (__u32)ctx->args[0]))
		return 0;
	pc.start_ns = aegis_now_ns();
	bpf_map_update_elem(&pending_connects, &id, &pc, BPF_ANY);
	return 0;
}

/* The connect event of pc; timed: duration_ns since pc->start_ns (the
 * syscall exit, a socket destroyed), else 0 (at the cgroup hook itself). */
static __always_inline void emit_connect(void *ctx, const struct pending_connect *pc, __s32 ret,
					 __u8 proto, bool timed)
{
	struct aegis_connect *ev;

	ev = reserve_event(AEGIS_EV_CONNECT, sizeof(*ev),
			   (struct task_struct *)bpf_get_current_task());
	if (!ev)
		return;
	ev->tuple = pc->tuple;
	ev->tuple.proto = proto;
	ev->ret = ret;
	ev->flags = pc->flags;
	ev->netns = current_netns();
	ev->fd = pc->fd;
	ev->duration_ns = timed ? ev->hdr.ts_ns - pc->start_ns : 0;
	submit_event(ev);
}

/*
 * connect() seen by cgroup/connect4 and connect6 at the cgroup v2 root: the
 * address comes in the context (no copy from user memory) and, unlike the
 * syscall tracepoints, nothing else on the host pays for it. The program runs
 * after those of descendant cgroups, so bpf_get_retval() tells a connect that
 * one of them refused. The outcome of a TCP connect comes from its state
 * changes; one that never reaches SYN_SENT failed at the route lookup, seen
 * when its socket is destroyed (host scope) or by userspace a second later
 * (agent scope). Always returns 1: it never refuses anything.
 */
static __always_inline void connect_attempt(struct bpf_sock_addr *ctx, __u16 family, bool verdict)
{
	__s32 ret = bpf_get_retval();
	__u64 id, cookie;
	struct pending_connect pc = {};
	__u16 port = __builtin_bswap16((__u16)ctx->user_port);
	__u8 proto = (__u8)ctx->protocol;

	/* the verdict programs look only at refused connects */
	if (verdict && !ret)
		return;
	id = bpf_get_current_pid_tgid();

	pc.tuple.family = family;
	pc.tuple.dport = port;
	if (family == AF_INET) {
		__u32 a = ctx->user_ip4;

		__builtin_memcpy(pc.tuple.daddr, &a, 4);
	} else {
		__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			       ctx->user_ip6[3] };

		__builtin_memcpy(pc.tuple.daddr, a, 16);
	}
	if (is_tracked(id >> 32))
		pc.flags |= AEGIS_NET_AGENT;
	if (is_endpoint_port(port) && is_endpoint(family, pc.tuple.daddr))
		pc.flags |= AEGIS_NET_ENDPOINT;
	if (!pc.flags)
		return;
	note_hooked(&pc, id);
	pc.start_ns = aegis_now_ns();
	pc.pid = (__u32)id;
	pc.tgid = id >> 32;
	pc.uid = (__u32)bpf_get_current_uid_gid();
	pc.netns = current_netns();
	bpf_get_current_comm(pc.comm, sizeof(pc.comm));
	if (ret || proto != IPPROTO_TCP) {
		emit_connect(ctx, &pc, ret, proto, false);
		/* refused after the agent's cgroup let it through: not a
		 * route failure when its socket is released */
		if (verdict && proto == IPPROTO_TCP) {
			cookie = bpf_get_socket_cookie(ctx);
			bpf_map_delete_elem(&presyn_connects, &cookie);
		}
		return;
	}
	cookie = bpf_get_socket_cookie(ctx);
	if (!verdict && !sockops_armed()) {
		/* sockops comes on demand and is not there: ask the socket for
		 * its state changes now (6.12+), so that sockops attached while
		 * the SYN waits for its answer, or later, still hears it; keep
		 * the connect for it, and wake userspace */
		int cb = OPS_CB_FLAGS;

		bpf_setsockopt(ctx, SOL_TCP, TCP_BPF_SOCK_OPS_CB_FLAGS, &cb, sizeof(cb));
		pc.flags |= AEGIS_NET_UNARMED;
		bpf_map_update_elem(&unarmed_connects, &cookie, &pc, BPF_ANY);
		emit_connect(ctx, &pc, 0, proto, false);
		return;
	}
	bpf_map_update_elem(&presyn_connects, &cookie, &pc, BPF_ANY);
}

SEC("cgroup/connect4")
int on_connect4(struct bpf_sock_addr *ctx)
{
	connect_attempt(ctx, AF_INET, false);
	return 1;
}

SEC("cgroup/connect6")
int on_connect6(struct bpf_sock_addr *ctx)
{
	connect_attempt(ctx, AF_INET6, false);
	return 1;
}

/*
 * The agent scope's companions on the cgroup v2 root, attached while the
 * programs above sit on the agent's cgroups and another connect program runs
 * for the agent's sockets (userspace asks the kernel at every tick). Programs
 * of an ancestor cgroup run after those of its descendants, so security
 * software's deny program on the root (or on a cgroup between) refuses a
 * connect after ours let it through; these are attached after it and report
 * the refusal. An allowed connect costs them one helper call.
 */
SEC("cgroup/connect4")
int on_connect4_verdict(struct bpf_sock_addr *ctx)
{
	connect_attempt(ctx, AF_INET, true);
	return 1;
}

SEC("cgroup/connect6")
int on_connect6_verdict(struct bpf_sock_addr *ctx)
{
	connect_attempt(ctx, AF_INET6, true);
	return 1;
}

/* The cookie of a socket, 0 if nobody asked for one: then it is not ours. */
static __always_inline __u64 sock_cookie(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(on_tcp_destroy_sock, const struct sock *sk)
{
	__u64 cookie = sock_cookie(sk);
	struct pending_connect *pc;

	if (!cookie)
		return 0;
	pc = bpf_map_lookup_elem(&presyn_connects, &cookie);
	if (!pc)
		return 0;
	emit_connect(ctx, pc, -ENETUNREACH, IPPROTO_TCP, true);
	bpf_map_delete_elem(&presyn_connects, &cookie);
	return 0;
}

/* The protocol of the socket behind fd, read from the task's file table. */
static __always_inline __u8 fd_protocol(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *file = NULL;
	struct socket *sock;

	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xffff]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	return (__u8)BPF_CORE_READ(sock, sk, sk_protocol);
}

/*
 * An agent's connect() refused before any probe above saw it. A seccomp filter
 * runs at syscall entry: a connect it refuses never reaches sys_enter, fexit
 * on __sys_connect or the cgroup hook, and an LSM (security_socket_connect)
 * refuses before the cgroup hook. The syscall's exit tracepoint still fires
 * (the kernel's exit work runs for a skipped syscall too: kernel/entry/common.c
 * since 5.8, arm64's el0_svc_common), so the refusal is seen here, with its
 * errno; the kernel never copied the sockaddr and sys_exit has no arguments,
 * but the task's saved registers still hold them (connect_denied). A connect the hook saw (hooked_connects) is told
 * by it, whatever it returns (a UDP connect to a broadcast address fails with
 * EACCES after the hook). Only connect() runs this: one map lookup for
 * another process's, a lookup and a delete for the agent's. The price is the
 * tracepoint's: while a syscall tracepoint is attached, the kernel takes its
 * syscall tracing work for every task.
 */
static __always_inline void connect_denied(void *ctx, long ret)
{
	struct pending_connect pc = {};
	__u32 fd = 0;

	/* the syscall's arguments are still in the task's saved registers
	 * (seccomp changed only the return value): the address where the kernel
	 * lets us read them (5.15), and then only a connect of an IP socket */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) &&
	    bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		const void *uaddr = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);

		fd = (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (!connect_from_user(&pc, uaddr, fd))
			return; /* not an IP address: AF_UNIX and the like are not ours */
	}
	pc.flags |= AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED;
	emit_connect(ctx, &pc, (__s32)ret, fd ? fd_protocol(fd) : 0, false);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int on_connect_exit(struct syscall_trace_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_connect *pc = bpf_map_lookup_elem(&pending_connects, &id);

	if (!pc) {
		/* no sys_enter: seccomp refused it at syscall entry */
		if (is_denial(ctx->ret) && is_tracked(id >> 32))
			connect_denied(ctx, ctx->ret);
		return 0;
	}
	emit_connect(ctx, pc, (__s32)ctx->ret, fd_protocol(pc->fd), true);
	bpf_map_delete_elem(&pending_connects, &id);
	return 0;
}

/* The same beside cgroup/connect4+6 and fexit on __sys_connect. */
SEC("tracepoint/syscalls/sys_exit_connect")
int on_connect_denied(struct syscall_trace_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!is_tracked(id >> 32))
		return 0;
	if (bpf_map_lookup_elem(&hooked_connects, &id)) {
		bpf_map_delete_elem(&hooked_connects, &id);
		return 0;
	}
	if (is_denial(ctx->ret))
		connect_denied(ctx, ctx->ret);
	return 0;
}

/*
 * connect() by fexit on __sys_connect, on kernels with BPF trampolines but no
 * bpf_get_retval in cgroup programs (5.5-5.17 on x86-64: Alibaba Cloud Linux
 * 3, Debian 11): the event of the syscall tracepoints above, address and
 * result in one place, while only connect() pays, not every syscall of every
 * task. An LSM refusal (security_socket_connect) is inside it, as with the
 * tracepoints.
 */
SEC("fexit/__sys_connect")
int BPF_PROG(on_sys_connect_exit, int fd, struct sockaddr *uservaddr, int addrlen, int ret)
{
	struct pending_connect pc = {};

	if (!connect_from_user(&pc, uservaddr, (__u32)fd))
		return 0;
	emit_connect(ctx, &pc, ret, fd_protocol((__u32)fd), false);
	note_hooked(&pc, bpf_get_current_pid_tgid());
	return 0;
}

/* ---- TCP state ---- */

static __always_inline void sock_tuple(const struct sock *sk, struct aegis_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->proto = IPPROTO_TCP;
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == AF_INET) {
		__be32 src = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 dst = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(t->saddr, &src, 4);
		__builtin_memcpy(t->daddr, &dst, 4);
	} else {
		struct in6_addr src6 = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr dst6 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);

		__builtin_memcpy(t->saddr, &src6, 16);
		__builtin_memcpy(t->daddr, &dst6, 16);
	}
}

/* Who a connected socket talks to: family, remote port and (the last 32
 * bits of) the remote address, all set before the connect's SYN_SENT. */
static __always_inline __u64 sock_peer_sig(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 addr = family == AF_INET ? BPF_CORE_READ(sk, __sk_common.skc_daddr)
				       : BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);

	return ((__u64)family << 48) | ((__u64)BPF_CORE_READ(sk, __sk_common.skc_dport) << 32) | addr;
}

/* The same from a sock sockops holds (direct reads of a BTF pointer). */
static __always_inline __u64 ops_peer_sig(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;
	__u32 addr = family == AF_INET ? sk->__sk_common.skc_daddr
				       : sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];

	return ((__u64)family << 48) | ((__u64)sk->__sk_common.skc_dport << 32) | addr;
}

/* The entry for sk, if it is still the socket it was made for; a stale one
 * (its socket gone unseen, the address reused) is dropped. The peer is read
 * only for a socket that has an entry: most sockets of a host have none. */
static __always_inline struct watched_sock *watched_lookup(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct watched_sock *ws = bpf_map_lookup_elem(&watched_socks, &key);

	if (ws && ws->peer_sig != sock_peer_sig(sk)) {
		bpf_map_delete_elem(&watched_socks, &key);
		return NULL;
	}
	return ws;
}

/* The same for sockops, which reads its sock directly. */
static __always_inline struct watched_sock *ops_watched_lookup(const struct tcp_sock *tp)
{
	__u64 key = (__u64)tp;
	struct watched_sock *ws = bpf_map_lookup_elem(&watched_socks, &key);

	if (ws && ws->peer_sig != ops_peer_sig(&tp->inet_conn.icsk_inet.sk)) {
		bpf_map_delete_elem(&watched_socks, &key);
		return NULL;
	}
	return ws;
}

/* The header of a TCP state event: the process that connected, not the
 * context the state changed in (softirq, a timer). */
static __always_inline void fill_hdr_watched(struct aegis_hdr *hdr, const struct watched_sock *ws)
{
	fill_hdr_raw(hdr, AEGIS_EV_TCP_STATE, sizeof(struct aegis_tcp));
	hdr->pid = ws->pid;
	hdr->tgid = ws->tgid;
	hdr->ppid = 0;
	hdr->uid = ws->uid;
	__builtin_memcpy(hdr->comm, ws->comm, sizeof(hdr->comm));
}

static __always_inline void watch_new_connect(void *ctx, const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)sk, cookie;
	struct watched_sock ws = {};
	struct aegis_tuple t = {};
	struct aegis_tcp *ev;

	/* cheap tests first: most sockets on a host are neither */
	if (is_tracked(id >> 32))
		ws.flags |= AEGIS_NET_AGENT;
	t.dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!ws.flags && !is_endpoint_port(t.dport))
		return;
	sock_tuple(sk, &t);
	if (t.family != AF_INET && t.family != AF_INET6)
		return;
	if (is_endpoint_port(t.dport) && is_endpoint(t.family, t.daddr))
		ws.flags |= AEGIS_NET_ENDPOINT;
	if (!ws.flags)
		return;
	ws.pid = (__u32)id;
	ws.tgid = id >> 32;
	ws.uid = (__u32)bpf_get_current_uid_gid();
	ws.since_ns = aegis_now_ns();
	ws.peer_sig = sock_peer_sig(sk);
	bpf_get_current_comm(ws.comm, sizeof(ws.comm));
	/* it got as far as the SYN: not a route failure */
	cookie = sock_cookie(sk);
	if (cookie)
		bpf_map_delete_elem(&presyn_connects, &cookie);
	if (bpf_map_update_elem(&watched_socks, &key, &ws, BPF_ANY)) {
		count(AEGIS_CNT_SOCKS_FULL);
		return;
	}
	/* the attempt itself: lets a drop be tied to it before any failure */
	ev = reserve_event(AEGIS_EV_TCP_STATE, sizeof(*ev),
			   (struct task_struct *)bpf_get_current_task());
	if (!ev)
		return;
	ev->tuple = t;
	ev->oldstate = TCP_CLOSE;
	ev->newstate = TCP_SYN_SENT;
	ev->syn_retries = 0;
	ev->sk_err = 0;
	ev->sk_err_soft = 0;
	ev->flags = ws.flags;
	ev->netns = sock_netns(sk);
	ev->sock_id = key;
	ev->since_ns = ws.since_ns;
	submit_event(ev);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(on_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct watched_sock *ws;
	struct aegis_tcp *ev;

	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP)
			watch_new_connect(ctx, sk);
		return 0;
	}
	/* report the outcome of a connect, and the end of an established one */
	if (!(oldstate == TCP_SYN_SENT || newstate == TCP_CLOSE ||
	      (oldstate == TCP_ESTABLISHED)))
		return 0;
	ws = watched_lookup(sk);
	if (!ws)
		return 0;
	/* ESTABLISHED -> FIN_WAIT/CLOSE_WAIT is an orderly close: only its CLOSE matters */
	if (oldstate == TCP_ESTABLISHED && newstate != TCP_CLOSE)
		return 0;

	ev = reserve_raw(sizeof(*ev));
	if (ev) {
		fill_hdr_watched(&ev->hdr, ws);
		sock_tuple(sk, &ev->tuple);
		ev->oldstate = oldstate;
		ev->newstate = newstate;
		ev->syn_retries = (__u16)ws->syn_retries;
		ev->sk_err = BPF_CORE_READ(sk, sk_err);
		ev->sk_err_soft = BPF_CORE_READ(sk, sk_err_soft);
		ev->flags = ws->flags;
		ev->netns = sock_netns(sk);
		ev->sock_id = key;
		ev->since_ns = ws->since_ns;
		submit_event(ev);
	}
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&watched_socks, &key);
	return 0;
}

/*
 * Data of a watched, established socket sent again: counts the
 * retransmissions of the same unacknowledged data (snd_una unchanged) and
 * says whether to report this one: from the second on. A loss that one fast
 * retransmission repairs, or a bulk transfer's recovery that moves snd_una,
 * costs a few map writes and no event.
 */
static __always_inline bool retrans_counted(struct watched_sock *ws, __u32 una, __u32 seg_len)
{
	if (!ws->stall_retrans || ws->stall_una != una) {
		ws->stall_una = una;
		ws->stall_retrans = 1;
		ws->stall_since_ns = aegis_now_ns();
		ws->stall_max = seg_len;
		ws->stall_min = seg_len;
		return false;
	}
	ws->stall_retrans++;
	if (seg_len > ws->stall_max)
		ws->stall_max = seg_len;
	if (seg_len < ws->stall_min)
		ws->stall_min = seg_len;
	return true;
}

/* The retransmission event of ws, its socket's figures left to the caller. */
static __always_inline struct aegis_tcp_retrans *retrans_event(const struct watched_sock *ws,
								__u64 key, __u32 seg_len)
{
	struct aegis_tcp_retrans *ev = reserve_raw(sizeof(*ev));

	if (!ev)
		return NULL;
	fill_hdr_watched(&ev->hdr, ws);
	ev->hdr.type = AEGIS_EV_TCP_RETRANS;
	ev->hdr.size = sizeof(*ev);
	ev->flags = ws->flags & (AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT);
	ev->sock_id = key;
	ev->since_ns = ws->stall_since_ns;
	ev->retrans = ws->stall_retrans;
	ev->seg_len = seg_len;
	ev->max_seg_len = ws->stall_max;
	ev->min_seg_len = ws->stall_min;
	ev->pad = 0;
	return ev;
}

#define TCP_SYN_RECV 3

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(on_tcp_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	__u64 key = (__u64)sk;
	struct watched_sock *ws = bpf_map_lookup_elem(&watched_socks, &key);
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct aegis_tcp_retrans *ev;
	__u32 seg_len, una;
	int state;

	if (!ws)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_SYN_SENT) {
		__sync_fetch_and_add(&ws->syn_retries, 1);
		return 0;
	}
	seg_len = BPF_CORE_READ(skb, len);
	if (state == TCP_SYN_RECV || !seg_len || ws->peer_sig != sock_peer_sig(sk))
		return 0;
	una = BPF_CORE_READ(tp, snd_una);
	if (!retrans_counted(ws, una, seg_len))
		return 0;
	ev = retrans_event(ws, key, seg_len);
	if (!ev)
		return 0;
	sock_tuple(sk, &ev->tuple);
	ev->netns = sock_netns(sk);
	ev->mss = BPF_CORE_READ(tp, mss_cache);
	ev->pmtu = BPF_CORE_READ(tp, inet_conn.icsk_pmtu_cookie);
	ev->in_flight = BPF_CORE_READ(tp, snd_nxt) - una;
	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	submit_event(ev);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(on_tcp_receive_reset, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct watched_sock *ws = bpf_map_lookup_elem(&watched_socks, &key);

	if (ws)
		ws->flags |= AEGIS_NET_RST;
	return 0;
}

/* ---- TCP state in the agent scope: sockops on the agent's cgroups ----
 *
 * The tracepoints above run for every TCP socket of the host. In the agent
 * scope a sockops program on the agent's cgroups runs only for the sockets
 * created there: at the connect (TCP_CONNECT_CB, the SYN about to leave) and,
 * for the sockets it asks it for, at each state change (STATE_CB). Refused and
 * timed out come from sk_err, SYN retransmissions from total_retrans, so
 * tcp_receive_reset and tcp_retransmit_skb are not needed; a connect that
 * never reached TCP_CONNECT_CB failed at the route lookup: userspace finds
 * it in presyn_connects a second later (a program at every socket release
 * of the host would cost more than that scan of an almost empty map).
 */

#define ECONNREFUSED 111
#define ECONNRESET 104
#define EPIPE 32

static __always_inline struct tcp_sock *ops_tcp_sock(const struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;

	return sk ? bpf_skc_to_tcp_sock(sk) : NULL;
}

static __always_inline void ops_tuple(const struct bpf_sock_ops *skops, struct aegis_tuple *t)
{
	t->family = (__u16)skops->family;
	t->proto = IPPROTO_TCP;
	t->sport = (__u16)skops->local_port;
	t->dport = (__u16)__builtin_bswap32(skops->remote_port);
	if (t->family == AF_INET) {
		__u32 src = skops->local_ip4, dst = skops->remote_ip4;

		__builtin_memcpy(t->saddr, &src, 4);
		__builtin_memcpy(t->daddr, &dst, 4);
	} else {
		__u32 src6[4] = { skops->local_ip6[0], skops->local_ip6[1], skops->local_ip6[2],
				  skops->local_ip6[3] };
		__u32 dst6[4] = { skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2],
				  skops->remote_ip6[3] };

		__builtin_memcpy(t->saddr, src6, 16);
		__builtin_memcpy(t->daddr, dst6, 16);
	}
}

static __always_inline void ops_emit(struct bpf_sock_ops *ctx, struct tcp_sock *tp,
				     const struct watched_sock *ws, int oldstate, int newstate,
				     __u32 syn_retries, __u32 flags)
{
	struct sock *sk = &tp->inet_conn.icsk_inet.sk;
	struct aegis_tcp *ev = reserve_raw(sizeof(*ev));

	if (!ev)
		return;
	fill_hdr_watched(&ev->hdr, ws);
	ops_tuple(ctx, &ev->tuple);
	ev->oldstate = oldstate;
	ev->newstate = newstate;
	ev->syn_retries = (__u16)syn_retries;
	ev->sk_err = sk->sk_err;
	ev->sk_err_soft = sk->sk_err_soft;
	ev->flags = flags;
	ev->netns = sk->__sk_common.skc_net.net->ns.inum;
	ev->sock_id = (__u64)tp;
	ev->since_ns = ws->since_ns;
	submit_event(ev);
}

/* Watch the socket of a watched connect (by its address, as the tracepoints
 * and kfree_skb know it) and report its SYN_SENT: at the SYN, from
 * presyn_connects (since = now); or, late, at its first state change once
 * sockops came, from unarmed_connects (since = the connect; SYN_SENT said
 * only if it is the state left). 0 if watched. */
static __always_inline int ops_watch(struct bpf_sock_ops *ctx, struct tcp_sock *tp,
				     struct watched_sock *ws, bool late, int oldstate)
{
	__u64 cookie = bpf_get_socket_cookie(ctx), key = (__u64)tp;
	struct pending_connect *pc;
	void *from = late ? (void *)&unarmed_connects : (void *)&presyn_connects;

	pc = bpf_map_lookup_elem(from, &cookie);
	if (!pc)
		return -1;
	ws->pid = pc->pid;
	ws->tgid = pc->tgid;
	ws->uid = pc->uid;
	ws->flags = pc->flags | (late ? AEGIS_NET_UNARMED : 0);
	ws->since_ns = late ? pc->start_ns : aegis_now_ns();
	ws->peer_sig = ops_peer_sig(&tp->inet_conn.icsk_inet.sk);
	__builtin_memcpy(ws->comm, pc->comm, sizeof(ws->comm));
	bpf_map_delete_elem(from, &cookie);
	if (bpf_map_update_elem(&watched_socks, &key, ws, BPF_ANY)) {
		count(AEGIS_CNT_SOCKS_FULL);
		return -1;
	}
	if (oldstate == TCP_SYN_SENT)
		ops_emit(ctx, tp, ws, TCP_CLOSE, TCP_SYN_SENT, 0, ws->flags);
	return 0;
}

/* A watched connect reached its SYN: watch the socket and ask for its state
 * changes. */
static __always_inline void ops_connect(struct bpf_sock_ops *ctx)
{
	struct watched_sock ws = {};
	struct tcp_sock *tp = ops_tcp_sock(ctx);

	if (!tp || ops_watch(ctx, tp, &ws, false, TCP_SYN_SENT))
		return;
	bpf_sock_ops_cb_flags_set(ctx, ctx->bpf_sock_ops_cb_flags | OPS_CB_FLAGS);
}

static __always_inline void ops_state(struct bpf_sock_ops *ctx, int oldstate, int newstate)
{
	struct tcp_sock *tp = ops_tcp_sock(ctx);
	/* read here, not in a conditional: the compiler would offset the ctx
	 * pointer, which the verifier refuses */
	__u32 retrans = ctx->total_retrans;
	struct watched_sock *ws;
	__u32 flags;
	__u64 key;
	int err;

	/* the outcome of a connect, and the end of an established connection */
	if (!tp || !(oldstate == TCP_SYN_SENT || newstate == TCP_CLOSE))
		return;
	key = (__u64)tp;
	ws = ops_watched_lookup(tp);
	if (!ws) {
		/* its SYN left before sockops was attached; the connect asked
		 * for these callbacks (connect_attempt) */
		struct watched_sock late = {};

		if (ops_watch(ctx, tp, &late, true, oldstate))
			return;
		bpf_sock_ops_cb_flags_set(ctx, ctx->bpf_sock_ops_cb_flags | OPS_CB_FLAGS);
		ws = bpf_map_lookup_elem(&watched_socks, &key);
	}
	if (!ws)
		return;
	flags = ws->flags;
	err = tp->inet_conn.icsk_inet.sk.sk_err;
	/* what tcp_reset() sets: a RST ended it */
	if ((oldstate == TCP_SYN_SENT && err == ECONNREFUSED) || err == ECONNRESET || err == EPIPE)
		flags |= AEGIS_NET_RST;
	ops_emit(ctx, tp, ws, oldstate, newstate,
		 oldstate == TCP_SYN_SENT ? retrans : ws->syn_retries, flags);
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&watched_socks, &key);
}

/* RETRANS_CB: the segment from seq, segs MSS-sized packets at most, was sent
 * again (err 0; a local drop is netfilter's to report). sockops sees no
 * skb, so its size is bounded by the MSS and by what is unacknowledged from
 * seq on: exact for the head segment a retransmission timeout resends. */
static __always_inline void ops_retrans(struct bpf_sock_ops *ctx)
{
	/* every ctx field read up front, unconditionally (see ops_state) */
	__u32 seq = ctx->args[0], segs = ctx->args[1], err = ctx->args[2];
	__u32 state = ctx->state, una = ctx->snd_una, nxt = ctx->snd_nxt, mss = ctx->mss_cache;
	__u64 acked = ctx->bytes_acked, received = ctx->bytes_received;
	struct tcp_sock *tp = ops_tcp_sock(ctx);
	struct aegis_tcp_retrans *ev;
	struct watched_sock *ws;
	__u32 seg_len;

	if (!tp || err || state == TCP_SYN_SENT || state == TCP_SYN_RECV)
		return;
	ws = ops_watched_lookup(tp);
	if (!ws) {
		/* connected before sockops came: its connect asked for these
		 * callbacks (connect_attempt), this is the first one heard */
		struct watched_sock late = {};
		__u64 key = (__u64)tp;

		if (ops_watch(ctx, tp, &late, true, (int)state))
			return;
		ws = bpf_map_lookup_elem(&watched_socks, &key);
		if (!ws)
			return;
	}
	seg_len = nxt - seq;
	if (segs && mss && seg_len > segs * mss)
		seg_len = segs * mss;
	if (!seg_len || !retrans_counted(ws, una, seg_len))
		return;
	ev = retrans_event(ws, (__u64)tp, seg_len);
	if (!ev)
		return;
	ops_tuple(ctx, &ev->tuple);
	ev->flags |= AEGIS_NET_SEG_ESTIMATED;
	ev->netns = tp->inet_conn.icsk_inet.sk.__sk_common.skc_net.net->ns.inum;
	ev->mss = mss;
	ev->pmtu = tp->inet_conn.icsk_pmtu_cookie;
	ev->in_flight = nxt - una;
	ev->bytes_acked = acked;
	ev->bytes_received = received;
	submit_event(ev);
}

/* Returns 1: a sockops program's verdict is not used for these callbacks. */
SEC("sockops")
int on_sockops(struct bpf_sock_ops *ctx)
{
	if (ctx->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		ops_connect(ctx);
	else if (ctx->op == BPF_SOCK_OPS_STATE_CB)
		ops_state(ctx, (int)ctx->args[0], (int)ctx->args[1]);
	else if (ctx->op == BPF_SOCK_OPS_RETRANS_CB)
		ops_retrans(ctx);
	return 1;
}

/* A watched TCP connect whose socket is released before its SYN: the route
 * lookup failed (ENETUNREACH, as tcp_destroy_sock infers in the host scope).
 * Returns 1: the release goes on. */
/* ---- netfilter drops ---- */

struct ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u8 saddr[4];
	__u8 daddr[4];
};

struct ipv6_hdr {
	__u32 ver_tc_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

static __always_inline int parse_packet(struct sk_buff *skb, struct aegis_tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 version = 0;
	__u32 l4off;
	__u16 ports[2];

	if (bpf_probe_read_kernel(&version, 1, head + nh))
		return -1;
	version >>= 4;
	if (version == 4) {
		struct ipv4_hdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		t->family = AF_INET;
		t->proto = ip.protocol;
		__builtin_memcpy(t->saddr, ip.saddr, 4);
		__builtin_memcpy(t->daddr, ip.daddr, 4);
		if (ip.frag_off & __builtin_bswap16(0x1fff)) /* not the first fragment */
			return 0;
		l4off = nh + (ip.ver_ihl & 0x0f) * 4;
	} else if (version == 6) {
		struct ipv6_hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		t->family = AF_INET6;
		t->proto = ip6.nexthdr; /* extension headers: ports stay 0 */
		__builtin_memcpy(t->saddr, ip6.saddr, 16);
		__builtin_memcpy(t->daddr, ip6.daddr, 16);
		l4off = nh + sizeof(ip6);
	} else {
		return -1;
	}
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP)
		return 0;
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + l4off))
		return 0;
	t->sport = __builtin_bswap16(ports[0]);
	t->dport = __builtin_bswap16(ports[1]);
	return 0;
}

/* skb was dropped by netfilter at location: report it if it touches an
 * endpoint, a watched socket or DNS. */
static __always_inline int report_drop(void *ctx, struct sk_buff *skb, void *location,
				       __u32 reason, __u32 flags)
{
	struct aegis_tuple t = {};
	struct watched_sock *ws = NULL;
	struct aegis_drop *ev;
	struct sock *sk;
	struct net_device *dev;
	__u64 sock_key;

	if (parse_packet(skb, &t))
		return 0;

	sk = BPF_CORE_READ(skb, sk);
	sock_key = (__u64)sk;
	if (sk)
		ws = watched_lookup(sk);
	if (is_endpoint(t.family, t.daddr) || is_endpoint(t.family, t.saddr))
		flags |= AEGIS_NET_ENDPOINT;
	if (!ws && !(flags & AEGIS_NET_ENDPOINT) && t.sport != 53 && t.dport != 53)
		return 0;

	ev = reserve_event(AEGIS_EV_NF_DROP, sizeof(*ev), (struct task_struct *)bpf_get_current_task());
	if (!ev)
		return 0;
	ev->tuple = t;
	ev->location = (__u64)location;
	ev->reason = reason;
	dev = BPF_CORE_READ(skb, dev);
	ev->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	/* a drop belongs to the namespace of the device it was dropped on: a
	 * veth keeps skb->sk across namespaces until the IP input path orphans
	 * it, so at the far end's hooks the socket's namespace is the wrong one.
	 * Without a device (OUTPUT) it is the socket's, else the task's. */
	if (dev)
		ev->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	else if (sk)
		ev->netns = sock_netns(sk);
	else
		ev->netns = current_netns();
	if (dev && sk && ev->netns != sock_netns(sk))
		flags |= AEGIS_NET_ELSEWHERE;
	/* arriving: it has a device and is not leaving from the local socket
	 * (in its own namespace) */
	if (dev && ((flags & AEGIS_NET_ELSEWHERE) ||
		    !(sk && t.sport == BPF_CORE_READ(sk, __sk_common.skc_num))))
		flags |= AEGIS_NET_INGRESS;
	ev->sock_id = sock_key;
	ev->owner_tgid = 0;
	__builtin_memset(ev->owner_comm, 0, sizeof(ev->owner_comm));
	if (ws) {
		flags |= AEGIS_NET_OWNER | (ws->flags & AEGIS_NET_AGENT);
		ev->owner_tgid = ws->tgid;
		__builtin_memcpy(ev->owner_comm, ws->comm, sizeof(ev->owner_comm));
	}
	ev->flags = flags;
	submit_event(ev);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	/* the enum is not UAPI: its value comes from this kernel's BTF */
	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		return 0;
	return report_drop(ctx, skb, location, reason, 0);
}

/*
 * Before 5.17 kfree_skb has no reason (and AEGISMON_FORCE_NO_DROP_REASON=1
 * pretends so). A netfilter drop is then told by where the skb was freed:
 * inside nf_hook_slow, which frees a packet a hook returned NF_DROP for, or
 * inside nft_do_chain, which frees it itself on recent kernels (the
 * tracepoint records its caller's address). Userspace fills nf_drop_sites
 * with the address ranges of those functions from /proc/kallsyms. The errno a process sees cannot tell it: a SYN dropped in
 * OUTPUT still ends in ETIMEDOUT, the EPERM of the first transmit is not kept.
 */
struct drop_site {
	__u64 start;
	__u64 end;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AEGIS_DROP_SITES);
	__type(key, __u32);
	__type(value, struct drop_site);
} nf_drop_sites SEC(".maps");

static __always_inline bool in_site(__u32 idx, __u64 addr)
{
	struct drop_site *s = bpf_map_lookup_elem(&nf_drop_sites, &idx);

	return s && addr >= s->start && addr < s->end;
}

/* written out, not a loop: bounded loops need 5.3, and this runs before 5.17 */
_Static_assert(AEGIS_DROP_SITES == 2, "in_drop_site checks two sites");
static __always_inline bool in_drop_site(__u64 addr)
{
	return in_site(0, addr) || in_site(1, addr);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(on_kfree_skb_site, struct sk_buff *skb, void *location)
{
	if (!in_drop_site((__u64)location))
		return 0;
	return report_drop(ctx, skb, location, 0, AEGIS_NET_BY_SITE);
}
