#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Without BPF trampolines (AEGISMON_FORCE_NO_TRAMPOLINE=1): on a kernel before
# 5.18, connect() falls back from fexit to the syscall tracepoints, and before
# 5.14 socket errors are not seen (an unreachable nameserver is a timeout);
# where the kernel has the newer hooks (this machine), nothing changes. The
# kernel matrix runs it on 5.10, where both fallbacks are real.
set -u
export AEGISMON_FORCE_NO_TRAMPOLINE=1 FALLBACK="no BPF trampolines"
"$(dirname "$0")/scenarios.sh" test_dns_paths test_net_refused test_net_paths || exit 1
echo "ok [test_fallback_no_trampoline] DNS and connect paths without trampolines"
