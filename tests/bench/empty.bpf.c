// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of aegismon's overhead: programs that do nothing, on the same hooks
 * and with the same program types (raw_tp for the sched/signal/oom/sock/tcp/skb
 * tracepoints, classic tracepoints for the connect syscalls, cgroup_skb for DNS
 * on the cgroup v2 root or on a given cgroup, attached by empty_probes.c). The
 * connect() hooks come in both of aegismon's forms: the syscall tracepoints, and
 * cgroup/connect4, cgroup/connect6 with raw_tp/tcp_destroy_sock (and the TCP
 * state tracepoints) on the root, or, when aegismon watches only the agent's
 * cgroups, cgroup/connect4, connect6, sockops and cgroup/sock_release there;
 * tests/bench/run.sh loads the set the built aegismon uses and leaves the rest
 * out. The scheduler probes (sched_wakeup, sched_wakeup_new, sched_switch) are
 * aegismon's run-queue probes, always attached. What aegismon
 * costs above this is its own filtering work; this much is the price of the
 * hooks themselves.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tp/sched_process_exec")
int empty_exec(void *ctx) { return 0; }

SEC("raw_tp/sched_process_fork")
int empty_fork(void *ctx) { return 0; }

SEC("raw_tp/sched_process_exit")
int empty_exit(void *ctx) { return 0; }

SEC("raw_tp/signal_generate")
int empty_signal_generate(void *ctx) { return 0; }

SEC("raw_tp/mark_victim")
int empty_mark_victim(void *ctx) { return 0; }

SEC("raw_tp/inet_sock_set_state")
int empty_sock_set_state(void *ctx) { return 0; }

SEC("raw_tp/tcp_retransmit_skb")
int empty_tcp_retransmit(void *ctx) { return 0; }

SEC("raw_tp/tcp_receive_reset")
int empty_tcp_receive_reset(void *ctx) { return 0; }

SEC("raw_tp/kfree_skb")
int empty_kfree_skb(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_connect")
int empty_connect_enter(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_connect")
int empty_connect_exit(void *ctx) { return 0; }

SEC("raw_tp/inet_sk_error_report")
int empty_sk_error_report(void *ctx) { return 0; }

/* cgroup_skb: 1 lets the packet through */
SEC("cgroup_skb/egress")
int empty_skb_egress(struct __sk_buff *skb) { return 1; }

SEC("cgroup_skb/ingress")
int empty_skb_ingress(struct __sk_buff *skb) { return 1; }

/* cgroup/connect4, connect6: 1 allows the connect() (0 would refuse it) */
SEC("cgroup/connect4")
int empty_connect4(struct bpf_sock_addr *ctx) { return 1; }

SEC("cgroup/connect6")
int empty_connect6(struct bpf_sock_addr *ctx) { return 1; }

SEC("raw_tp/tcp_destroy_sock")
int empty_tcp_destroy_sock(void *ctx) { return 0; }

/* sockops, cgroup/sock_release: 1 lets the socket operation go on */
SEC("sockops")
int empty_sockops(struct bpf_sock_ops *ctx) { return 1; }

SEC("cgroup/sock_release")
int empty_sock_release(struct bpf_sock *ctx) { return 1; }

SEC("raw_tp/sched_wakeup")
int empty_sched_wakeup(void *ctx) { return 0; }

SEC("raw_tp/sched_wakeup_new")
int empty_sched_wakeup_new(void *ctx) { return 0; }

SEC("raw_tp/sched_switch")
int empty_sched_switch(void *ctx) { return 0; }
