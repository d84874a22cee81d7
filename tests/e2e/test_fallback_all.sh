#!/usr/bin/env bash
# An old kernel's combination, on this one: perf buffer, classic lifecycle
# tracepoints and drops told by site at once (as aegismon runs on 5.4-5.7
# with BTF), through a kill, a crash, local drops and local DNS drops.
set -u
export AEGISMON_FORCE_PERFBUF=1 AEGISMON_FORCE_CLASSIC_TP=1 AEGISMON_FORCE_NO_DROP_REASON=1
export FALLBACK="all fallbacks"
"$(dirname "$0")/scenarios.sh" test_killed test_crash test_net_blocked test_dns_paths || exit 1
echo "ok [test_fallback_all] every fallback at once"
