#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon check and the ECS metadata service in security hardening mode
# (HttpTokens=required): a stand-in service (metadata_server.py) at
# 100.100.100.200:80 in the server namespace, check run only inside the
# client namespace, whose one route to that address is the test veth.
# Hardening mode: a token first, the EIP read with it; normal mode (PUT 405 or
# 404, a reset): the plain GET; the token refused: a clear warning; no token
# given while one is required; an instance without an EIP. The service's log
# shows the TTL header sent and the token echoed back.
. "$(dirname "$0")/lib.sh"

METADATA_IP=100.100.100.200
EIP=203.0.113.7
MD_PID=

# run_check NAME [OPTIONS...]: the JSON report in $CHECK_OUT
run_check() {
	local name=$1
	shift
	CHECK_OUT=$WORK/$name.json
	ip netns exec "$CNS" "$AEGISMON" check --json --no-config --agent-root "$ROOT" --timeout 1 "$@" \
		>"$CHECK_OUT" 2>"$WORK/$name.err"
	jq -e -s 'length == 12 and .[-1].kind == "summary"' "$CHECK_OUT" >/dev/null ||
		fail "check $name: not 11 checks and a summary: $(cat "$CHECK_OUT" "$WORK/$name.err")"
}
field() { jq -r -s ".[] | select(.kind==\"check\" and .name==\"endpoint_choice\") | $1" "$CHECK_OUT"; }
expect_choice() { # expect_choice STATUS SUMMARY-REGEX
	assert_eq "$(field .status)" "$1" "endpoint_choice status ($(field .summary))"
	assert_match "$(field .summary)" "$2" "endpoint_choice summary"
}

# start_md MODE [EIP]: the stand-in service, its requests logged in $MD_LOG
start_md() {
	[ -z "$MD_PID" ] || stop_md
	MD_RUN=$((${MD_RUN:-0} + 1))
	MD_LOG=$WORK/md-$MD_RUN-$1.log
	: >"$MD_LOG"
	# a file of its own per run: the last one's "listening" must not count
	nsenter --net="/run/netns/$SNS" python3 "$REPO/tests/e2e/metadata_server.py" \
		"$METADATA_IP" 80 "$1" "$MD_LOG" "${2:-$EIP}" >"$MD_LOG.out" 2>&1 &
	MD_PID=$!
	PIDS+=("$MD_PID")
	wait_for 5 grep -qs listening "$MD_LOG.out" || fail "metadata stand-in ($1) did not start: $(cat "$MD_LOG.out")"
}
stop_md() {
	kill -TERM "$MD_PID" 2>/dev/null
	wait "$MD_PID" 2>/dev/null
	MD_PID=
}
# md_count JQ-CONDITION: how many logged requests meet it
md_count() { jq -s "[.[] | select($1)] | length" "$MD_LOG"; }

install_agent AliYunDun AliYunDunMonitor AliYunDunUpdate
net_rig
# the metadata address on the server's side; in the client only a /32 route
# through the veth, still no default route
ip -n "$SNS" addr add "$METADATA_IP/32" dev "vs$$"
ip -n "$CNS" route add "$METADATA_IP/32" dev "vc$$"
net_check_isolated
ip -n "$CNS" route get "$METADATA_IP" | grep -q "dev vc$$" || fail "the metadata address is not reached through the test veth"
start_dnsmasq

# 1. security hardening mode: a token (TTL header sent), the EIP read with it
start_md hardening
run_check hardening
expect_choice ok "^jsrv\.aegis\.aliyun\.com and update\.aegis\.aliyun\.com: an EIP \($EIP, from the ECS metadata service, read with a token\)$"
assert_eq "$(field .evidence.metadata)" token "how the metadata was read"
assert_eq "$(field .evidence.eip)" "$EIP" "the EIP in the evidence"
assert_eq "$(field '.evidence.names | join(",")')" "jsrv.aegis.aliyun.com,update.aegis.aliyun.com" "names chosen"
assert_eq "$(md_count '.method=="PUT"')" 1 "token requests in one check run"
assert_eq "$(md_count '.method=="PUT" and .path=="/latest/api/token" and .ttl=="60"')" 1 "a PUT with the TTL header"
token=$(jq -r -s '.[] | select(.method=="PUT") | .issued' "$MD_LOG")
[ -n "$token" ] && [ "$token" != null ] || fail "the stand-in issued no token: $(cat "$MD_LOG")"
assert_eq "$(md_count '.method=="GET"')" 1 "metadata reads"
assert_eq "$(jq -r -s '.[] | select(.method=="GET") | .token' "$MD_LOG")" "$token" "the token header of the read"
assert_eq "$(jq -r -s '.[] | select(.method=="GET") | .path' "$MD_LOG")" /latest/meta-data/eipv4 "the path read"
# the text report tells it too (the evidence with -v)
ip netns exec "$CNS" "$AEGISMON" check -v --no-config --agent-root "$ROOT" --timeout 1 --color never \
	>"$WORK/hardening.txt" 2>&1
grep -Eq "^endpoint_choice +ok +jsrv\.aegis\.aliyun\.com and update\.aegis\.aliyun\.com: an EIP \($EIP, .*read with a token\)" "$WORK/hardening.txt" ||
	fail "the text report does not tell the token read: $(grep -A8 ^endpoint_choice "$WORK/hardening.txt")"
grep -Eq "^ +metadata: token$" "$WORK/hardening.txt" ||
	fail "the text evidence has no 'metadata: token': $(grep -A8 ^endpoint_choice "$WORK/hardening.txt")"
# the token is a credential for the metadata service: never in a report
for t in $(jq -r -s '.[] | select(.issued) | .issued' "$MD_LOG"); do
	grep -qF -- "$t" "$CHECK_OUT" "$WORK/hardening.txt" && fail "a session token appears in check's output"
done
echo "   hardening mode: $(field .summary)"

# 2. normal mode, an older service: PUT gets 405 (or 404, or a reset), the plain GET reads the EIP
for mode in normal normal404 putreset; do
	start_md "$mode"
	run_check "$mode"
	expect_choice ok "an EIP \($EIP, from the ECS metadata service, read without a token\)$"
	assert_eq "$(field .evidence.metadata)" plain "how the metadata was read ($mode)"
	assert_eq "$(field .evidence.eip)" "$EIP" "the EIP ($mode)"
	case $mode in
	normal) want="HTTP 405" ;;
	normal404) want="HTTP 404" ;;
	putreset) want="(reset|closed without an answer)" ;;
	esac
	assert_match "$(field .evidence.metadata_token)" "^$want$" "why no token ($mode)"
	assert_eq "$(md_count '.method=="PUT" and .ttl=="60"')" 1 "the token asked for once ($mode)"
	assert_eq "$(md_count '.method=="GET" and .token==null')" 1 "one read without a token header ($mode)"
	echo "   $mode: $(field .summary) (token request: $(field .evidence.metadata_token))"
done

# 3. the token refused: PUT gives one, the GET with it gets 403: a warning that says so
start_md refused
run_check refused
expect_choice warn "^jsrv2\.aegis\.aliyun\.com and update2\.aegis\.aliyun\.com: no public address \(interfaces; metadata service: token refused \(HTTP 403\)\)$"
assert_eq "$(field .evidence.metadata)" "token refused (HTTP 403)" "the refusal in the evidence"
assert_eq "$(field .evidence.eip)" null "no EIP read"
assert_match "$(field .advice)" "refused the read with the session token" "advice"
token=$(jq -r -s '.[] | select(.method=="PUT") | .issued' "$MD_LOG")
assert_eq "$(jq -r -s '.[] | select(.method=="GET") | .token' "$MD_LOG")" "$token" "the refused read carried the issued token"
ip netns exec "$CNS" "$AEGISMON" check --no-config --agent-root "$ROOT" --timeout 1 --color never \
	>"$WORK/refused.txt" 2>&1
grep -Eq "^endpoint_choice +warn +.*metadata service: token refused \(HTTP 403\)" "$WORK/refused.txt" ||
	fail "the text report does not tell the refused token: $(grep -A3 ^endpoint_choice "$WORK/refused.txt")"
grep -Eq "^ +fix: The ECS metadata service \($METADATA_IP\) refused" "$WORK/refused.txt" ||
	fail "the text report has no fix for the refused token: $(grep -A3 ^endpoint_choice "$WORK/refused.txt")"
echo "   token refused: $(field .summary)"

# 4. a token required but none given (PUT 404, a plain GET 403)
start_md noput
run_check noput
expect_choice warn "metadata service: refused without a token \(HTTP 403; token request: HTTP 404\)\)$"

# 5. an instance without an EIP (404 for eipv4), read with a token: the internal names, ok
start_md hardening none
run_check noeip
expect_choice ok "^jsrv2\.aegis\.aliyun\.com and update2\.aegis\.aliyun\.com: no public address \(interfaces; metadata service, read with a token: no EIP\)$"
assert_eq "$(field .evidence.metadata)" token "how the metadata was read (no EIP)"
assert_eq "$(field .evidence.eip)" null "no EIP"

# 6. --no-metadata: nothing asked
start_md hardening
run_check nomd --no-metadata
expect_choice ok "metadata not asked"
assert_eq "$(md_count true)" 0 "requests with --no-metadata"
stop_md
pass "hardening mode (token, TTL header, token echoed), normal mode (405, 404, reset: plain), token refused (warn), token required but none given, no EIP, --no-metadata"
