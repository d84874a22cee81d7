#!/usr/bin/env bash
# Every fallback at once, on this kernel: perf buffer, classic lifecycle
# tracepoints and drops told by site (what a kernel without ring buffer, raw
# tracepoints and drop reason would get), through a kill, a crash, local drops
# and local DNS drops.
set -u
export AEGISMON_FORCE_PERFBUF=1 AEGISMON_FORCE_CLASSIC_TP=1 AEGISMON_FORCE_NO_DROP_REASON=1
export FALLBACK="all fallbacks"
"$(dirname "$0")/scenarios.sh" test_killed test_crash test_net_blocked test_dns_paths || exit 1
echo "ok [test_fallback_all] every fallback at once"
