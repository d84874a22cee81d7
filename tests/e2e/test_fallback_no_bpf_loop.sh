#!/usr/bin/env bash
# The DNS causes again with the name walk as a bounded loop instead of
# bpf_loop, as on a kernel before 5.17 (Alibaba Cloud Linux 3, Debian 11):
# AEGISMON_FORCE_NO_BPF_LOOP=1.
set -u
export AEGISMON_FORCE_NO_BPF_LOOP=1 FALLBACK="DNS names without bpf_loop"
"$(dirname "$0")/scenarios.sh" test_dns_answers test_dns_paths || exit 1
echo "ok [test_fallback_no_bpf_loop] DNS causes without bpf_loop"
