#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Every fallback at once, on this kernel: perf buffer, classic lifecycle
# tracepoints, drops told by site and connect() by the syscall tracepoints
# (what a kernel without ring buffer, raw tracepoints, drop reason and
# bpf_get_retval would get), through a
# kill, a crash, local drops, a route failure and the DNS paths.
set -u
export AEGISMON_FORCE_PERFBUF=1 AEGISMON_FORCE_CLASSIC_TP=1 AEGISMON_FORCE_NO_DROP_REASON=1
export AEGISMON_FORCE_SYSCALL_CONNECT=1 E2E_EXPECT_CONNECT="syscall tracepoints"
export FALLBACK="all fallbacks"
"$(dirname "$0")/scenarios.sh" test_killed test_crash test_net_blocked test_net_paths test_dns_paths || exit 1
echo "ok [test_fallback_all] every fallback at once"
