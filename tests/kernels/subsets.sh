# shellcheck shell=bash
# Which e2e tests each kernel of the matrix runs, and in how many guests
# (sourced by run.sh). Under TCG a test takes about five times as long as on
# the host, so the matrix cannot run the whole suite three times within CI's
# hour:
#
# 5.10 (Alibaba Cloud Linux 3's base, the oldest kernel and the one whose
# variants differ most: fexit connect, fentry socket errors, drops by site,
# the host scope) runs every test but two that do not touch the kernel:
#   test_bpf_portable  reads the BPF objects' ELF, loads nothing
#   test_valgrind      memcheck of our userspace (valgrind under TCG takes
#                      tens of minutes; the host runs it)
# split over two guests.
#
# 6.1 and 6.12 get the same variants as the host's 6.18 (ring buffer, raw_tp,
# drop reason, cgroup connect with bpf_get_retval, the agent scope with
# sockops): they run every test that loads a family on their verifier and
# every behaviour that changes with the kernel version: lifecycle (the
# mark_victim prototype changed in 6.9), DNS, each network cause and the
# network scope and its on-demand probes (sockops; a connect asking for its
# state callbacks needs 6.12), the scheduler probes, --btf, the daemon's
# probe metrics. Left out there, as on 5.10's list but not run again: the
# fallback tests (forced variants that 5.10 runs natively or that run the
# same programs), and tests of userspace only (check, cli, config reload,
# record/replay, tty, install, hardening storms, remediation policy,
# resources from /proc, third-party scan).
NEWER_SUBSET="test_btf test_crash test_exit test_killed test_oom test_not_running test_flapping
test_impostor test_dns_answers test_dns_domains test_dns_paths test_net_blocked test_net_ipv6
test_net_paths test_net_policy test_net_probes test_net_refused test_net_scope test_net_scope_policy
test_net_timeout test_res_starved test_daemon_syslog"
OLDEST_EXCLUDED="test_bpf_portable test_valgrind"

# kernel_plan LINE: one line per guest, "SHARD TEST..." (SHARD "-" for one guest)
kernel_plan() {
	local var=KERNEL_E2E_ONLY_${1//./_} t i=0 a=() b=()
	if [ -n "${!var:-}" ]; then
		echo "- ${!var}"
		return
	fi
	if [ -n "${KERNEL_E2E_ALL:-}" ]; then
		echo "- $(cd "$REPO/tests/e2e" && ls test_*.sh | sed 's/\.sh$//' | tr '\n' ' ')"
		return
	fi
	case $1 in
	5.10)
		for t in $(cd "$REPO/tests/e2e" && ls test_*.sh | sed 's/\.sh$//'); do
			[[ " $OLDEST_EXCLUDED " == *" $t "* ]] && continue
			if [ $((i++ % 2)) -eq 0 ]; then a+=("$t"); else b+=("$t"); fi
		done
		echo "a ${a[*]}"
		echo "b ${b[*]}"
		;;
	*) echo "- $(echo $NEWER_SUBSET)" ;;
	esac
}
