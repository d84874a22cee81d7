#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# --domain replaces the watched suffixes, in the kernel filter too: names under
# a 2-label and a 4-label domain are diagnosed (the filter looks up only the
# suffix lengths the loader marked), the default Aegis names are no longer seen.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_dnsmasq
start_trace --grace 60 --domain corp.example --domain a.b.corp.test

raw() { nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" "$1" >>"$WORK/agent.out" 2>&1; }
raw other.aegis.aliyun.com
raw x.corp.example
wait_diag dns_refused '.subject.qname=="x.corp.example"'
raw Q.A.B.Corp.Test
# the second REFUSED from the same nameserver within the 10 s repeat window is
# held, and told when the window ends
wait_diag dns_refused '.subject.qname|ascii_downcase=="q.a.b.corp.test"' 15
# not under a watched suffix, though it shares labels with one
raw b.corp.test
sleep 0.3
n=$(jq -s '[.[] | select((.qname // .subject.qname // "") | test("aegis|^b\\.corp"))] | length' "$OUT")
assert_eq "$n" 0 "events for names outside the watched domains"
pass "2- and 4-label domains watched, the defaults replaced"
