# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Which e2e tests each kernel of the matrix runs, and in how many guests
# (sourced by run.sh). Under TCG a test takes about five times as long as on
# the host, so the matrix cannot run the whole suite three times within CI's
# hour:
#
# 5.10 (Alibaba Cloud Linux 3's base, the oldest kernel and the one whose
# variants differ most: fexit connect, fentry socket errors, drops by site,
# the host scope) runs every test but those whose point is not the kernel:
#   test_bpf_portable  reads the BPF objects' ELF, loads nothing
#   test_valgrind      memcheck of our userspace (valgrind under TCG takes
#                      tens of minutes; the host runs it)
#   test_record_replay replays recordings and renders the HTML report in
#                      Chromium (over a minute to start under TCG); what it
#                      records, the kernel's events, every other test sees
#   test_report_html   the HTML report's layout and A4 print, in Chromium (as
#                      above); its kill and impostor events test_killed and
#                      test_impostor see
#   test_hardening     hostile input and full disks for userspace; its 10k
#                      process storm outlasts 9 minutes under TCG; the
#                      lifecycle programs it drives every lifecycle test loads
#   test_trust_files, test_trust_escape, test_trust_volume, test_trust_nft
#                      the threat model's userspace defences (planted files,
#                      escaping, folding, nft off the loop with a 150,000-element
#                      set); the kernel parts of the threat model (the exec's
#                      inode, the DNS socket and namespace, socket ids) run here
#                      in test_trust_identity, test_trust_dns, test_trust_sockid
#   test_daemon_journal, test_syslog_relay, test_metrics_textfile,
#   test_check_metadata, test_schema
#                      the outputs' receivers (journald, an rsyslog relay,
#                      node_exporter's textfile, the metadata service) and the
#                      JSON contract: userspace, and every test here validates
#                      its JSON lines against the schema anyway; the daemon
#                      under systemd has a guest of its own (make test-systemd)
#   test_fallback_drop_site  forces drops told by site, which 5.10 (no drop
#                      reason before 5.17) uses anyway: its scenarios
#                      (test_net_blocked, test_dns_paths, test_net_timeout) run
#                      here on their own
# split over three guests.
#
# 6.1 and 6.12 get the same variants as the host's 6.18 (ring buffer, raw_tp,
# drop reason, cgroup connect with bpf_get_retval, the agent scope with
# sockops), so they run one test per thing that changes with the kernel
# version, which also loads every family on their verifier:
#   test_btf               the load check, --btf, a BTF made on the host
#   test_killed test_oom   lifecycle; mark_victim's prototype changed in 6.9
#   test_dns_answers       DNS (the walk, the query's task)
#   test_dns_paths         timeout, ICMP errors (inet_sk_error_report), drops
#   test_net_blocked       kfree_skb's drop reason
#   test_net_policy        cgroup connect hooks and bpf_get_retval
#   test_net_policy_seccomp  a seccomp-refused connect seen at sys_exit_connect
#   test_net_timeout       TCP state by sockops in the agent scope
#   test_net_scope         the programs following the agent's cgroup
#   test_net_probes        sockops on demand; a connect asking for its state
#                          callbacks needs 6.12
#   test_net_stall         data retransmissions (sockops RETRANS_CB, the
#                          tcp_retransmit_skb tracepoint in the host scope)
#   test_res_starved       the scheduler probes
# The rest (the fallbacks, forced variants that 5.10 runs natively or that run
# the same programs; userspace-only tests) runs on 5.10 and on the host.
NEWER_SUBSET="test_btf test_killed test_oom test_dns_answers test_dns_paths test_net_blocked
test_net_policy test_net_policy_seccomp test_net_timeout test_net_scope test_net_probes test_net_stall
test_res_starved"
OLDEST_EXCLUDED="test_bpf_portable test_valgrind test_record_replay test_hardening"
OLDEST_EXCLUDED+=" test_trust_files test_trust_escape test_trust_volume test_trust_nft"
OLDEST_EXCLUDED+=" test_report_html"
OLDEST_EXCLUDED+=" test_daemon_journal test_syslog_relay test_metrics_textfile test_check_metadata test_schema"
OLDEST_EXCLUDED+=" test_fallback_drop_site"

# kernel_plan LINE: one line per guest, "SHARD TEST..." (SHARD "-" for one guest)
kernel_plan() {
	local var=KERNEL_E2E_ONLY_${1//./_} t i=0 a=() b=() c=()
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
			case $((i++ % 3)) in
			0) a+=("$t") ;;
			1) b+=("$t") ;;
			*) c+=("$t") ;;
			esac
		done
		echo "a ${a[*]}"
		echo "b ${b[*]}"
		echo "c ${c[*]}"
		;;
	*) echo "- $(echo $NEWER_SUBSET)" ;;
	esac
}
