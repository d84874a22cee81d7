#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A lookup that gets no answer: the nameserver's namespace drops port 53
# (dns_timeout), no nameserver listens (dns_unreachable from the ICMP error),
# and the client's own nftables drops DNS (dns_blocked_local).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
# every lookup here is a first one: the drop probes from the start (on demand,
# a one-shot lookup goes before they are attached: test_net_probes)
start_trace --grace 60 --dns-timeout 1 --net-probes always
raw() { nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" "$1" >>"$WORK/agent.out" 2>&1; }

# nothing listens on the server's port 53: ICMP port unreachable
raw jsrv.aegis.aliyun.com
if grep -q "fallbacks:.*no socket errors" "$ERR"; then
	# a kernel without inet_sk_error_report (5.14) nor BPF trampolines
	# (README, kernel matrix): the lookup is seen to go unanswered
	wait_diag dns_timeout '.subject.qname=="jsrv.aegis.aliyun.com"' 10
	[ "$(count_diag dns_unreachable)" = 0 ] || fail "dns_unreachable without socket errors"
else
	wait_diag dns_unreachable
	assert_eq "$(diag dns_unreachable .subject.server)" "$SERVER_IP" "nameserver"
	assert_eq "$(diag dns_unreachable .subject.errno)" ECONNREFUSED "errno"
	assert_eq "$(diag dns_unreachable .subject.qname)" jsrv.aegis.aliyun.com "the lookup it ended"
fi

# the server namespace drops DNS on arrival: silence, not a local drop
in_server nft add table inet sg
in_server nft add chain inet sg in '{ type filter hook input priority 0; }'
in_server nft add rule inet sg in udp dport 53 drop
raw jsrv2.aegis.aliyun.com
wait_diag dns_timeout '.subject.qname=="jsrv2.aegis.aliyun.com"' 10
assert_eq "$(diag dns_timeout .subject.server '.subject.qname=="jsrv2.aegis.aliyun.com"')" "$SERVER_IP" "nameserver"
[ "$(count_diag dns_blocked_local)" = 0 ] || fail "the far end's drop was taken for a local one"

# the client's own firewall drops its queries
in_client nft add table inet aegistest
in_client nft add chain inet aegistest out '{ type filter hook output priority 0; }'
in_client nft add rule inet aegistest out udp dport 53 drop
raw update.aegis.aliyun.com
wait_diag dns_blocked_local '.subject.hook=="OUTPUT"'
assert_eq "$(diag dns_blocked_local .subject.server)" "$SERVER_IP" "nameserver"
stop_trace
pass "timeout, unreachable, blocked locally"
