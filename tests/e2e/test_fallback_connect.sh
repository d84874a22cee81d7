#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The connect() fallback of kernels without cgroup v2 or bpf_get_retval()
# (< 5.18): the syscall tracepoints, forced on this kernel. The scenarios that
# need connect()'s own errno run through it: no route (ENETUNREACH), a cgroup
# program's EPERM, a seccomp filter's EPERM (no sys_enter: seen at sys_exit alone),
# a refused and a timed-out connect; and the host scope it
# brings, as kernels before 5.18 have it (the scope tests' host branches).
set -u
export AEGISMON_FORCE_SYSCALL_CONNECT=1 E2E_EXPECT_CONNECT="syscall tracepoints"
export FALLBACK="syscall tracepoints for connect()"
"$(dirname "$0")/scenarios.sh" test_net_paths test_net_policy test_net_policy_seccomp test_net_refused \
	test_net_timeout test_net_scope test_net_scope_policy test_net_probes || exit 1
echo "ok [fallback_connect] syscall tracepoint path"
