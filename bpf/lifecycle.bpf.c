// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct aegis_name_key name = {};
	struct aegis_exec *ev;
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
	len = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename),
					BPF_CORE_READ(bprm, filename));
	if (len == sizeof(ev->filename))
		ev->flags |= AEGIS_EXEC_FILENAME_TRUNCATED;
	submit_event(ev);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct aegis_fork *ev;
	__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 child_pid, child_tgid;

	if (!is_tracked(parent_tgid))
		return 0;
	child_pid = BPF_CORE_READ(child, pid);
	child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid) /* a new thread, not a new process */
		return 0;
	track(child_tgid);

	ev = reserve_event(AEGIS_EV_FORK, sizeof(*ev), child);
	if (!ev)
		return 0;
	BPF_CORE_READ_STR_INTO(&ev->parent_comm, parent, comm);
	submit_event(ev);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
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
	ev->start_ns = BPF_CORE_READ(task, start_time);
	submit_event(ev);
	return 0;
}

SEC("raw_tp/signal_generate")
int BPF_PROG(on_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *sender, *parent;
	struct aegis_signal *ev;
	unsigned long arg_start, arg_end;
	__u32 n;

	if (sig <= 0 || sig >= 64 || !(INTERESTING_SIGNALS & BIT(sig)))
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

	/* The sender's ancestors: killall <- uninstall.sh <- bash <- sshd. */
	parent = BPF_CORE_READ(sender, real_parent);
	ev->chain_len = 0;
	for (n = 0; n < AEGIS_CHAIN_LEN; n++) {
		__u32 pid;

		if (!parent)
			break;
		pid = BPF_CORE_READ(parent, tgid);
		if (pid == 0)
			break;
		ev->chain[n].pid = pid;
		BPF_CORE_READ_STR_INTO(&ev->chain[n].comm, parent, comm);
		ev->chain_len = n + 1;
		if (pid == 1)
			break;
		parent = BPF_CORE_READ(parent, real_parent);
	}
	submit_event(ev);
	return 0;
}

static __always_inline void report_oom_victim(__u32 pid, struct task_struct *task)
{
	struct aegis_oom *ev;

	if (task) {
		ev = reserve_event(AEGIS_EV_OOM_VICTIM, sizeof(*ev), task);
		if (!ev)
			return;
	} else {
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
		if (!ev) {
			count(AEGIS_CNT_RINGBUF_FULL);
			return;
		}
		__builtin_memset(ev, 0, sizeof(*ev));
		ev->hdr.type = AEGIS_EV_OOM_VICTIM;
		ev->hdr.size = sizeof(*ev);
		ev->hdr.cpu = bpf_get_smp_processor_id();
		ev->hdr.ts_ns = bpf_ktime_get_ns();
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
	report_oom_victim(0, task);
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(on_mark_victim_pid, int pid)
{
	report_oom_victim((__u32)pid, NULL);
	return 0;
}
