/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The event ABI shared by the BPF programs and userspace.
 *
 * Every event starts with struct aegis_hdr; hdr.size is the size of the whole
 * event so a reader can skip types it does not know. The header describes the
 * subject: the agent process the event is about (for a signal, the target;
 * the sender is in the payload). Types below AEGIS_EV_USER_BASE come from the
 * kernel; the others are made by userspace (process scan at start, ticks) and
 * go through the same correlator, so a recording replays exactly.
 *
 * Change only by appending fields or types, and bump AEGIS_ABI_VERSION.
 */
#ifndef AEGISMON_EVENTS_H
#define AEGISMON_EVENTS_H

#ifndef __VMLINUX_H__ /* userspace; BPF gets the types from vmlinux.h */
#include <linux/types.h>
#endif

#define AEGIS_ABI_VERSION 5

#define AEGIS_COMM_LEN 16
#define AEGIS_PATH_LEN 256
#define AEGIS_ARGS_LEN 128
#define AEGIS_CHAIN_LEN 4

enum aegis_event_type {
	AEGIS_EV_EXEC = 1,       /* a process exec'd with an agent name */
	AEGIS_EV_FORK = 2,       /* a tracked process forked a new process */
	AEGIS_EV_EXIT = 3,       /* the last thread of a tracked process exited */
	AEGIS_EV_SIGNAL = 4,     /* a signal was generated for a tracked process */
	AEGIS_EV_OOM_VICTIM = 5, /* the OOM killer chose a victim (any process) */
	AEGIS_EV_CONNECT = 6,    /* connect() to an endpoint, or by an agent process, returned */
	AEGIS_EV_TCP_STATE = 7,  /* a watched TCP socket changed state */
	AEGIS_EV_NF_DROP = 8,    /* netfilter dropped a packet touching an endpoint or port 53 */
	AEGIS_EV_DNS = 9,        /* a DNS message for a watched name, either direction */
	AEGIS_EV_SOCK_ERROR = 10, /* an ICMP error reached a DNS socket (port 53 peer) */
	AEGIS_EV_TCP_RETRANS = 11, /* data of a watched, established socket sent again, unacknowledged */

	AEGIS_EV_USER_BASE = 64,
	AEGIS_EV_SEED = 64,      /* a process with an agent name found running at start */
	AEGIS_EV_SEED_DONE = 65, /* the start-up scan is complete */
	AEGIS_EV_TICK = 66,      /* time passes: lets the correlator diagnose silence */
	AEGIS_EV_RESOURCES = 67, /* once a second: host CPU/memory/PSI, the agent's share, run-queue waits */
};

/* Indexes of the per-CPU counters map. */
enum aegis_counter {
	AEGIS_CNT_RINGBUF_FULL = 0, /* events lost: reservation failed */
	AEGIS_CNT_PIDSET_FULL = 1,  /* agent processes not tracked: pid set full */
	AEGIS_CNT_SOCKS_FULL = 2,   /* TCP sockets not watched: socket map full */
	AEGIS_CNT_DNS_SEEN = 3,     /* DNS packets inspected */
	AEGIS_CNT_DNS_OTHER = 4,    /* DNS packets for names not watched (not sent up) */
	AEGIS_CNT_MAX = 8,
};

/* Address ranges of the functions that free packets netfilter drops, for
 * kernels whose kfree_skb has no reason (bpf/netpath.bpf.c). */
#define AEGIS_DROP_SITES 2

/* Flags in aegis_exec.flags */
#define AEGIS_EXEC_FILENAME_TRUNCATED 0x1
#define AEGIS_EXEC_EXE_KNOWN 0x2 /* exe_dev/exe_ino are the kernel's (ABI 3) */
#define AEGIS_EXEC_TRACED 0x4    /* the task is ptraced at exec */

/* Flags in aegis_exit.flags */
#define AEGIS_EXIT_GROUP_DEAD 0x1

/* Flags in aegis_oom.flags */
#define AEGIS_OOM_TRACKED 0x1

/* Flags in aegis_connect.flags, aegis_tcp.flags, aegis_drop.flags */
#define AEGIS_NET_ENDPOINT 0x1    /* the remote address is in the endpoint set */
#define AEGIS_NET_AGENT 0x2       /* the process is a tracked agent process */
#define AEGIS_NET_RST 0x4         /* tcp: a RST was received */
#define AEGIS_NET_INGRESS 0x8     /* drop: the packet was arriving */
#define AEGIS_NET_OWNER 0x10      /* drop: owner_* name the socket's process */
#define AEGIS_NET_BY_SITE 0x20    /* drop: told by where the packet was freed (no reason, < 5.17) */
#define AEGIS_NET_UNARMED 0x40    /* connect: TCP, begun while sockops was not attached (agent scope):
				   * its state changes come only if sockops is there in time */
#define AEGIS_NET_ELSEWHERE 0x80  /* drop: on a device in another network namespace than
				   * the packet's socket (the far end of a veth): not its host's */
#define AEGIS_NET_SEG_ESTIMATED 0x100 /* retrans: seg_len is min(segments x MSS, unacked
				       * bytes from the segment on): sockops has no skb */
#define AEGIS_NET_UNHOOKED 0x200  /* connect (ABI 5): an agent's connect() refused (EPERM,
				   * EACCES) before the connect probes saw it, by seccomp at
				   * syscall entry or an LSM: seen at the syscall's exit. Its
				   * address is read from the syscall's arguments where the
				   * kernel has bpf_task_pt_regs (5.15), else unknown: tuple
				   * family 0, fd 0 */

/* Addresses are in network order; IPv4 uses the first 4 bytes. */
struct aegis_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u16 family; /* AF_INET (2) or AF_INET6 (10) */
	__u8 proto;   /* IPPROTO_TCP (6), IPPROTO_UDP (17), 0 unknown */
	__u8 pad;
};

struct aegis_hdr {
	__u16 type;
	__u16 size;
	__u32 cpu;
	__u64 ts_ns; /* the event clock: CLOCK_BOOTTIME (bpf_ktime_get_boot_ns, 5.8+),
		      * CLOCK_MONOTONIC before 5.8 and in recordings made
		      * before the boot clock (bpf/maps.bpf.h aegis_now_ns) */
	__u32 pid;   /* thread id */
	__u32 tgid;  /* process id */
	__u32 ppid;  /* process id of the real parent */
	__u32 uid;
	char comm[AEGIS_COMM_LEN];
};

struct aegis_exec {
	struct aegis_hdr hdr;
	__u32 old_pid;
	__u32 flags;
	char parent_comm[AEGIS_COMM_LEN];
	char filename[AEGIS_PATH_LEN]; /* as passed to execve(); may be relative */
	/* ABI 3: the executable the kernel runs (mm->exe_file), which is what
	 * identifies the agent; the filename above is only what was asked for */
	__u64 exe_ino;
	__u32 exe_dev;  /* the kernel's dev_t: major << 20 | minor */
	__u32 netns;    /* its network namespace: where the agent's sockets live */
	/* ABI 4: the process's start (its leader's, which an exec keeps; on
	 * the event clock: task->start_boottime, or start_time before 5.8):
	 * with the tgid, which process this is (0: unknown) */
	__u64 start_ns;
};

/* Size of an exec event before ABI 3 (recordings made then). */
#define AEGIS_EXEC_SIZE_V2 (sizeof(struct aegis_hdr) + 8 + AEGIS_COMM_LEN + AEGIS_PATH_LEN)
/* ... and before ABI 4: without start_ns */
#define AEGIS_EXEC_SIZE_V3 (sizeof(struct aegis_exec) - 8)

struct aegis_fork {
	struct aegis_hdr hdr; /* the child */
	char parent_comm[AEGIS_COMM_LEN];
	__u64 start_ns; /* ABI 4: the child's start, as in aegis_exec */
};

/* Size of a fork event before ABI 4 (recordings made then). */
#define AEGIS_FORK_SIZE_V3 (sizeof(struct aegis_hdr) + AEGIS_COMM_LEN)

struct aegis_exit {
	struct aegis_hdr hdr;
	__u32 exit_code; /* raw task->exit_code: status << 8 | 0x80 core | signal */
	__u32 flags;
	__u64 start_ns;  /* the start of the process's leader, as in aegis_exec */
};

struct aegis_proc_ref {
	__u32 pid;
	char comm[AEGIS_COMM_LEN];
};

struct aegis_signal {
	struct aegis_hdr hdr; /* the target */
	__s32 sig;
	__s32 si_errno;
	__s32 si_code;   /* SI_USER (0), SI_KERNEL (0x80), SI_TKILL (-6), fault codes > 0 */
	__s32 result;    /* TRACE_SIGNAL_DELIVERED (0), IGNORED, ALREADY_PENDING, ... */
	__u32 group;
	__u32 sender_pid;
	__u32 sender_tgid;
	__u32 sender_uid;
	char sender_comm[AEGIS_COMM_LEN];
	char sender_args[AEGIS_ARGS_LEN]; /* NUL-separated argv prefix of the sender */
	__u32 sender_args_len;
	__u32 chain_len;
	/* the sender's ancestors, nearest first */
	struct aegis_proc_ref chain[AEGIS_CHAIN_LEN];
};

struct aegis_oom {
	struct aegis_hdr hdr; /* the victim; comm may be empty before kernel 6.9 */
	__u32 flags;
	__u32 reserved;
};

struct aegis_connect {
	struct aegis_hdr hdr; /* the calling process */
	struct aegis_tuple tuple; /* daddr/dport from the sockaddr; saddr unknown */
	__s32 ret;        /* 0 or -errno (-EINPROGRESS for a non-blocking start) */
	__u32 flags;
	__u32 netns;      /* network namespace inode of the caller */
	__u32 fd;
	__u64 duration_ns; /* time spent in connect() */
};

struct aegis_tcp {
	struct aegis_hdr hdr; /* the socket's process, recorded at connect */
	struct aegis_tuple tuple;
	__u8 oldstate;
	__u8 newstate;
	__u16 syn_retries;  /* SYNs retransmitted */
	__s32 sk_err;
	__s32 sk_err_soft;
	__u32 flags;
	__u32 netns;
	__u64 sock_id;     /* ties a socket's events together: the kernel puts the
			    * socket's address here, userspace replaces it with a
			    * keyed hash before anything is written (user/kernel/sockid.c) */
	__u64 since_ns;    /* when the connect began */
};

/*
 * A watched, established TCP socket sent data again that is still not
 * acknowledged: emitted from the second retransmission of the same
 * unacknowledged data (snd_una unchanged), so a loss that one fast
 * retransmission repairs costs nothing. since_ns, retrans and the sizes let
 * userspace tell a stall from a path MTU black hole.
 */
struct aegis_tcp_retrans {
	struct aegis_hdr hdr; /* the socket's process, recorded at connect */
	struct aegis_tuple tuple;
	__u32 flags;          /* AEGIS_NET_AGENT, AEGIS_NET_ENDPOINT, AEGIS_NET_SEG_ESTIMATED */
	__u32 netns;
	__u64 sock_id;        /* as in aegis_tcp */
	__u64 since_ns;       /* the first retransmission of this unacknowledged data */
	__u32 retrans;        /* retransmissions since data was last acknowledged */
	__u32 seg_len;        /* payload bytes of the segment sent again */
	__u32 max_seg_len;    /* the largest such segment since since_ns */
	__u32 min_seg_len;    /* the smallest */
	__u32 mss;            /* the socket's MSS now (mss_cache) */
	__u32 pmtu;           /* the path MTU the socket uses (icsk_pmtu_cookie) */
	__u32 in_flight;      /* bytes sent and not acknowledged (snd_nxt - snd_una) */
	__u32 pad;
	__u64 bytes_acked;    /* acknowledged over the connection's life (the SYN counts 1) */
	__u64 bytes_received;
};

struct aegis_drop {
	struct aegis_hdr hdr; /* current task: often unrelated (softirq) */
	struct aegis_tuple tuple; /* as in the packet */
	__u64 location;    /* kernel address that freed the packet */
	__u32 reason;      /* enum skb_drop_reason of this kernel */
	__u32 flags;
	__u32 netns;
	__u32 ifindex;
	__u32 owner_tgid;  /* with AEGIS_NET_OWNER: the socket's process */
	char owner_comm[AEGIS_COMM_LEN];
	__u64 sock_id;
};

#define AEGIS_DNS_PAYLOAD 512
#define AEGIS_DNS_DOMAIN_LEN 64
#define AEGIS_DNS_MAX_DOMAINS 8

struct aegis_dns {
	struct aegis_hdr hdr; /* pid/comm only for queries sent (process context) */
	struct aegis_tuple tuple;
	__u32 flags;       /* AEGIS_NET_INGRESS for arriving messages */
	__u32 len;         /* bytes of the DNS message captured in data */
	__u32 wire_len;    /* bytes of the DNS message on the wire */
	__u32 netns;       /* ABI 3: a query's sender's network namespace, 0 unknown */
	__u8 data[AEGIS_DNS_PAYLOAD]; /* the DNS message (after the TCP length prefix) */
	__u64 sock_cookie; /* ABI 3: the socket's cookie: ties an answer to its query */
};

/* Size of a DNS event before ABI 3 (recordings made then). */
#define AEGIS_DNS_SIZE_V2 (sizeof(struct aegis_hdr) + sizeof(struct aegis_tuple) + 16 + AEGIS_DNS_PAYLOAD)

struct aegis_sockerr {
	struct aegis_hdr hdr; /* current task: not meaningful (softirq) */
	struct aegis_tuple tuple;
	__s32 err;
	__u32 netns;
};

/* Run-queue wait histogram of agent threads (bpf/sched.bpf.c): slot k counts
 * waits of [2^k, 2^(k+1)) microseconds (slot 0: under 2 us); the per-CPU array
 * has two more entries, AEGIS_RQ_SUM, the sum of the waits in nanoseconds,
 * and AEGIS_RQ_OVER, the waits at or above the starvation threshold
 * (rq_threshold): a percentile judged against the threshold exactly, not
 * against the lower bound of a log2 slot. */
#define AEGIS_RQ_SLOTS 27 /* the last slot holds everything from 2^26 us (67 s) */
#define AEGIS_RQ_SUM AEGIS_RQ_SLOTS
#define AEGIS_RQ_OVER (AEGIS_RQ_SLOTS + 1)
#define AEGIS_RQ_CELLS (AEGIS_RQ_SLOTS + 2)

#define AEGIS_RES_TOP 3
#define AEGIS_RES_ABSENT (-1) /* a PSI figure this kernel does not provide */

/* Flags in aegis_resources.flags */
#define AEGIS_RES_HIST 0x1     /* rq_* are valid: the scheduler probes are loaded */
#define AEGIS_RES_TOP_CPU 0x2  /* top_cpu is filled (a CPU threshold was crossed) */
#define AEGIS_RES_TOP_RSS 0x4  /* top_rss is filled (a memory threshold was crossed) */
#define AEGIS_RES_OVER 0x8     /* rq_over and rq_threshold_us are valid (ABI 4) */

struct aegis_res_proc {
	__u32 pid;
	__u32 cpu_pm;    /* permille of one CPU over the interval */
	__u64 rss_kib;
	char comm[AEGIS_COMM_LEN];
};

/* Made by userspace once a second (user event): figures over the interval
 * that ends at hdr.ts_ns. Percentages are in permille (1000 = 100%), PSI
 * avg10 in hundredths of a percent (as /proc/pressure prints it), or
 * AEGIS_RES_ABSENT. */
struct aegis_resources {
	struct aegis_hdr hdr;
	__u32 interval_ms;
	__u32 flags;
	__u32 ncpu;
	__u32 cpu_busy_pm;     /* host: busy (not idle, not iowait) share of all CPUs */
	__u32 load1_centi;     /* 1-minute load average x 100 */
	__s32 psi_cpu_some;    /* avg10 x 100 */
	__s32 psi_mem_some;
	__s32 psi_mem_full;
	__u64 mem_total_kib;
	__u64 mem_avail_kib;
	__u32 agent_procs;     /* tracked agent processes sampled */
	__u32 agent_cpu_pm;    /* their CPU, permille of one CPU */
	__u64 agent_rss_kib;
	__u64 rq_sum_ns;       /* run-queue waits of agent threads in the interval */
	__u64 rq_hist[AEGIS_RQ_SLOTS];
	struct aegis_res_proc top_cpu[AEGIS_RES_TOP];
	struct aegis_res_proc top_rss[AEGIS_RES_TOP];
	/* ABI 4 */
	__u64 rq_over;         /* waits in the interval at or above rq_threshold_us */
	__u64 rq_threshold_us; /* the threshold the kernel compared with */
};

/* Size of a resources event before ABI 4 (recordings made then). */
#define AEGIS_RESOURCES_SIZE_V3 (sizeof(struct aegis_resources) - 16)

/*
 * A watched connect the kernel keeps until its outcome is seen out of its
 * process's context: pending_connects (the syscall tracepoints, by
 * pid_tgid) and presyn_connects (cgroup/connect4+6, by socket cookie, until
 * the SYN leaves). Userspace reads presyn_connects: one a second old never
 * sent its SYN.
 */
struct pending_connect {
	struct aegis_tuple tuple; /* daddr, dport, family */
	__u64 start_ns;
	__u32 flags;              /* AEGIS_NET_AGENT, AEGIS_NET_ENDPOINT */
	__u32 fd;
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 netns;              /* of the connecting task (cgroup/connect4+6) */
	char comm[AEGIS_COMM_LEN];
};

#endif /* AEGISMON_EVENTS_H */
