// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Agent process lifecycle: exec, fork, exit, signals to the agent, OOM victims.
 *
 * The set of agent processes lives in the kernel (agent_pids): filled at exec
 * when the new comm is an agent name and at fork of a tracked process, cleared
 * at exit. Every hot hook (fork, exit, signal_generate) answers "not an agent"
 * with one hash lookup before it reads anything else.
 *
 * raw tracepoints: as cheap as tp_btf, and they need only some BTF for CO-RE
 * (not the kernel's own), which keeps the --btf route open for old kernels.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGSYS 31

/* Signals that can end or stop a process by default; others (SIGCHLD on every
 * child exit, SIGWINCH, SIGURG, real-time signals) are noise for diagnosis. */
#define BIT(s) (1ULL << (s))
#define INTERESTING_SIGNALS                                                      \
	(BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGILL) | BIT(SIGTRAP) |  \
	 BIT(SIGABRT) | BIT(SIGBUS) | BIT(SIGFPE) | BIT(SIGKILL) | BIT(SIGUSR1) | \
	 BIT(SIGSEGV) | BIT(SIGUSR2) | BIT(SIGPIPE) | BIT(SIGTERM) |              \
	 BIT(SIGSTKFLT) | BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGXCPU) |            \
	 BIT(SIGXFSZ) | BIT(SIGSYS))

/* Special kernel_siginfo pointers, as the signal_generate tracepoint decodes them. */
#define SEND_SIG_NOINFO 0UL
#define SEND_SIG_PRIV 1UL
#define SI_USER 0
#define SI_KERNEL 0x80

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&agent_pids, &tgid) != NULL;
}

static __always_inline void track(__u32 tgid)
{
	__u32 flags = 0;

	if (bpf_map_update_elem(&agent_pids, &tgid, &flags, BPF_ANY))
		count(AEGIS_CNT_PIDSET_FULL);
}

/* exec of task (the current task) from filename, a kernel string. */
static __always_inline int handle_exec(void *ctx, struct task_struct *task, __u32 old_pid,
				       const char *filename)
{
	struct aegis_name_key name = {};
	struct aegis_exec *ev;
	struct file *exe;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	long len;

	bpf_get_current_comm(name.comm, sizeof(name.comm));
	if (!bpf_map_lookup_elem(&agent_names, &name)) {
		/* a tracked process (say, a forked agent child) became something
		 * else: untrack it, and tell userspace so it forgets it too. Look
		 * before deleting: a delete takes the map's lock on every exec. */
		if (!is_tracked(tgid) || bpf_map_delete_elem(&agent_pids, &tgid))
			return 0;
	} else {
		track(tgid);
	}

	ev = reserve_event(AEGIS_EV_EXEC, sizeof(*ev), task);
	if (!ev)
		return 0;
	ev->old_pid = old_pid;
	ev->flags = 0;
	BPF_CORE_READ_STR_INTO(&ev->parent_comm, task, real_parent, comm);
	len = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename), filename);
	if (len == sizeof(ev->filename))
		ev->flags |= AEGIS_EXEC_FILENAME_TRUNCATED;
	/* the new image's file, set before this tracepoint: userspace tells the
	 * agent by this inode, not by a path that may be gone or planted */
	exe = BPF_CORE_READ(task, mm, exe_file);
	ev->exe_ino = 0;
	ev->exe_dev = 0;
	ev->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	if (exe) {
		ev->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
		ev->exe_dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
		ev->flags |= AEGIS_EXEC_EXE_KNOWN;
	}
	if (BPF_CORE_READ(task, ptrace))
		ev->flags |= AEGIS_EXEC_TRACED;
	/* the process's start, which exec keeps (a thread that execs takes its
	 * leader's): with the tgid it tells a reused pid from the process */
	ev->start_ns = aegis_task_start_ns(BPF_CORE_READ(task, group_leader));
	submit_event(ev);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(ctx, task, old_pid, BPF_CORE_READ(bprm, filename));
}

/* parent forked child (a new process, not a thread: the callers check). */
static __always_inline int handle_fork(void *ctx, struct task_struct *parent,
				       struct task_struct *child, __u32 child_tgid)
{
	struct aegis_fork *ev;

	track(child_tgid);
	ev = reserve_event(AEGIS_EV_FORK, sizeof(*ev), child);
	if (!ev)
		return 0;
	BPF_CORE_READ_STR_INTO(&ev->parent_comm, parent, comm);
	ev->start_ns = aegis_task_start_ns(child); /* a new process: its own leader */
	submit_event(ev);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 child_pid, child_tgid;

	if (!is_tracked(parent_tgid))
		return 0;
	child_pid = BPF_CORE_READ(child, pid);
	child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid) /* a new thread, not a new process */
		return 0;
	return handle_fork(ctx, parent, child, child_tgid);
}

/* task, the current task, is exiting. */
static __always_inline int handle_exit(void *ctx, struct task_struct *task)
{
	struct aegis_exit *ev;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!is_tracked(tgid))
		return 0;
	/* signal->live is decremented before the tracepoint on every kernel we
	 * support, so 0 means this is the last thread of the process. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&agent_pids, &tgid);

	ev = reserve_event(AEGIS_EV_EXIT, sizeof(*ev), task);
	if (!ev)
		return 0;
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	ev->flags = AEGIS_EXIT_GROUP_DEAD;
	/* the process's start, as exec and fork tell it: the last thread to
	 * exit is not always the leader */
	ev->start_ns = aegis_task_start_ns(BPF_CORE_READ(task, group_leader));
	submit_event(ev);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	return handle_exit(ctx, task);
}

/* Ancestor n of a signal's sender into ev->chain[n]; false when the chain ends. */
_Static_assert(AEGIS_CHAIN_LEN == 4, "fill_sender walks four ancestors");
static __always_inline bool chain_step(struct aegis_signal *ev, __u32 n, struct task_struct **parent)
{
	__u32 pid;

	if (!*parent)
		return false;
	pid = BPF_CORE_READ(*parent, tgid);
	if (pid == 0)
		return false;
	ev->chain[n].pid = pid;
	BPF_CORE_READ_STR_INTO(&ev->chain[n].comm, *parent, comm);
	ev->chain_len = n + 1;
	if (pid == 1)
		return false;
	*parent = BPF_CORE_READ(*parent, real_parent);
	return true;
}

/* The sender of a signal is the current task: its name, argv and ancestors. */
static __always_inline void fill_sender(struct aegis_signal *ev)
{
	struct task_struct *sender, *parent;
	unsigned long arg_start, arg_end;

	sender = (struct task_struct *)bpf_get_current_task();
	ev->sender_pid = (__u32)bpf_get_current_pid_tgid();
	ev->sender_tgid = bpf_get_current_pid_tgid() >> 32;
	ev->sender_uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(ev->sender_comm, sizeof(ev->sender_comm));

	/* The sender's argv, read from its own memory: killall -9 AliYunDun. */
	ev->sender_args_len = 0;
	arg_start = BPF_CORE_READ(sender, mm, arg_start);
	arg_end = BPF_CORE_READ(sender, mm, arg_end);
	if (arg_start && arg_end > arg_start) {
		unsigned long len = arg_end - arg_start;

		if (len > sizeof(ev->sender_args))
			len = sizeof(ev->sender_args);
		if (bpf_probe_read_user(ev->sender_args, len, (void *)arg_start) == 0)
			ev->sender_args_len = len;
	}

	/* The sender's ancestors: killall <- uninstall.sh <- bash <- sshd.
	 * Written out, not a loop: verifiers before 5.3 refuse any loop. */
	parent = BPF_CORE_READ(sender, real_parent);
	ev->chain_len = 0;
	(void)(chain_step(ev, 0, &parent) && chain_step(ev, 1, &parent) &&
	       chain_step(ev, 2, &parent) && chain_step(ev, 3, &parent));
}

static __always_inline bool interesting_signal(int sig)
{
	return sig > 0 && sig < 64 && (INTERESTING_SIGNALS & BIT(sig));
}

SEC("raw_tp/signal_generate")
int BPF_PROG(on_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct aegis_signal *ev;

	if (!interesting_signal(sig))
		return 0;
	if (!is_tracked(BPF_CORE_READ(task, tgid)))
		return 0;

	ev = reserve_event(AEGIS_EV_SIGNAL, sizeof(*ev), task);
	if (!ev)
		return 0;
	ev->sig = sig;
	ev->group = group;
	ev->result = result;
	if ((unsigned long)info == SEND_SIG_NOINFO) {
		ev->si_code = SI_USER;
		ev->si_errno = 0;
	} else if ((unsigned long)info == SEND_SIG_PRIV) {
		ev->si_code = SI_KERNEL;
		ev->si_errno = 0;
	} else {
		ev->si_code = BPF_CORE_READ(info, si_code);
		ev->si_errno = BPF_CORE_READ(info, si_errno);
	}
	fill_sender(ev);
	submit_event(ev);
	return 0;
}

static __always_inline void report_oom_victim(void *ctx, __u32 pid, struct task_struct *task)
{
	struct aegis_oom *ev;

	if (task) {
		ev = reserve_event(AEGIS_EV_OOM_VICTIM, sizeof(*ev), task);
		if (!ev)
			return;
	} else {
		ev = reserve_raw(sizeof(*ev));
		if (!ev)
			return;
		__builtin_memset(ev, 0, sizeof(*ev));
		ev->hdr.type = AEGIS_EV_OOM_VICTIM;
		ev->hdr.size = sizeof(*ev);
		ev->hdr.cpu = bpf_get_smp_processor_id();
		ev->hdr.ts_ns = aegis_now_ns();
		ev->hdr.pid = pid;
		ev->hdr.tgid = pid;
	}
	ev->flags = is_tracked(ev->hdr.tgid) ? AEGIS_OOM_TRACKED : 0;
	ev->reserved = 0;
	submit_event(ev);
}

/*
 * oom:mark_victim changed its arguments in 6.9: (int pid) before, (struct
 * task_struct *task, uid_t uid) after. Userspace reads the prototype from the
 * kernel BTF and loads the one that fits. OOM kills are rare: every victim is
 * reported, the correlator keeps those of agent processes.
 */
SEC("raw_tp/mark_victim")
int BPF_PROG(on_mark_victim_task, struct task_struct *task)
{
	report_oom_victim(ctx, 0, task);
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(on_mark_victim_pid, int pid)
{
	report_oom_victim(ctx, (__u32)pid, NULL);
	return 0;
}

/*
 * The same probes on classic tracepoints, for kernels where raw tracepoints
 * cannot be used (AEGISMON_FORCE_CLASSIC_TP=1 forces them). The loader loads
 * one set or the other. A classic tracepoint hands over its recorded fields,
 * not the kernel objects: the task is the current one where the event runs
 * in it (exec, exit, fork's parent), and is looked up where it does not.
 */
SEC("tracepoint/sched/sched_process_exec")
int tp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	/* the filename is recorded in the event, after the fixed fields */
	__u32 off = ctx->__data_loc_filename & 0xffff;

	return handle_exec(ctx, (struct task_struct *)bpf_get_current_task(), ctx->old_pid,
			   (const char *)ctx + off);
}

/* The child of a fork is the newest entry on its parent's children list; a
 * new thread never goes on it, so a match on the pid also says "a process". */
static __always_inline struct task_struct *new_child(struct task_struct *parent, __u32 child_pid)
{
	struct list_head *last = BPF_CORE_READ(parent, children.prev);
	struct task_struct *child;

	child = (void *)last - bpf_core_field_offset(struct task_struct, sibling);
	if (BPF_CORE_READ(child, pid) != child_pid || BPF_CORE_READ(child, tgid) != child_pid)
		return NULL;
	return child;
}

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct task_struct *parent = (struct task_struct *)bpf_get_current_task();
	__u32 child_pid = ctx->child_pid;
	struct task_struct *child;

	if (!is_tracked(bpf_get_current_pid_tgid() >> 32))
		return 0;
	child = new_child(parent, child_pid);
	if (!child)
		return 0;
	return handle_fork(ctx, parent, child, child_pid);
}

SEC("tracepoint/sched/sched_process_exit")
int tp_exit(void *ctx)
{
	return handle_exit(ctx, (struct task_struct *)bpf_get_current_task());
}

/*
 * The target is recorded by thread id only. A fault signal (SEGV, ABRT) is
 * raised in the target itself, so the current task is the target; a signal
 * from another process goes to the agent's main thread (kill(2)), whose id is
 * the process id in the pid set. A tgkill() to another thread of the agent is
 * not seen here.
 */
SEC("tracepoint/signal/signal_generate")
int tp_signal_generate(struct trace_event_raw_signal_generate *ctx)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = ctx->pid, tgid;
	struct aegis_signal *ev;
	int sig = ctx->sig;

	if (!interesting_signal(sig))
		return 0;
	if (pid == (__u32)id) {
		tgid = id >> 32;
		if (!is_tracked(tgid))
			return 0;
		ev = reserve_event(AEGIS_EV_SIGNAL, sizeof(*ev), cur);
		if (!ev)
			return 0;
	} else {
		if (!is_tracked(pid))
			return 0;
		ev = reserve_raw(sizeof(*ev));
		if (!ev)
			return 0;
		ev->hdr.type = AEGIS_EV_SIGNAL;
		ev->hdr.size = sizeof(*ev);
		ev->hdr.cpu = bpf_get_smp_processor_id();
		ev->hdr.ts_ns = aegis_now_ns();
		ev->hdr.pid = pid;
		ev->hdr.tgid = pid;
		ev->hdr.ppid = 0; /* unknown here: the correlator has it from exec or the scan */
		ev->hdr.uid = 0;
		bpf_probe_read_kernel(ev->hdr.comm, sizeof(ev->hdr.comm), ctx->comm);
	}
	ev->sig = sig;
	ev->group = ctx->group;
	ev->result = ctx->result;
	ev->si_code = ctx->code;
	ev->si_errno = ctx->errno;
	fill_sender(ev);
	submit_event(ev);
	return 0;
}

SEC("tracepoint/oom/mark_victim")
int tp_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	report_oom_victim(ctx, (__u32)ctx->pid, NULL);
	return 0;
}
