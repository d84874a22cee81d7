#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_blocked_local when nft cannot name the rule. The daemon runs in a
# mount namespace of its own where /usr/sbin/nft is a stand-in that (1) hangs:
# the diagnosis goes out when the worker gives nft up, rules_unread "timeout";
# (2) fails: "nft_failed"; (3) is not executable: "no_nft". The drop is
# diagnosed each time, and the test's own nft (the real one) is untouched. A
# replay of the session's recording says the same.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold

stub=$WORK/nft-stub
printf '#!/bin/sh\necho "$*" >>%q\n[ "$(cat %q)" = hang ] && exec sleep 60\nexit 1\n' \
	"$WORK/nft.calls" "$WORK/nft.mode" >"$stub"
chmod 755 "$stub"
echo hang >"$WORK/nft.mode"

: >"$ERR"
# unshare execs in place: $! is the daemon
unshare -m --propagation private sh -c 'mount --bind "$1" /usr/sbin/nft && shift && exec "$@"' \
	_ "$stub" "$AEGISMON" trace --json --events --agent-root "$ROOT" --grace 60 \
	--record "$WORK/session.rec" >"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon did not attach within 10 s: $(cat "$ERR")"
[ -x /usr/sbin/nft ] && nft --version >/dev/null || fail "the host's nft was touched"

in_client nft add table inet aegunread || fail "nft in the client namespace"
in_client nft add chain inet aegunread out '{ type filter hook output priority 0; }'
in_client nft add rule inet aegunread out ip daddr 100.100.0.0/16 drop

# (1) nft hangs: given up within the hold
t0=$(now_ms)
client_agent connect "$SERVER_IP" 80 1
pid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$pid" 20
echo "   drop to diagnosis with nft hanging: $(($(now_ms) - t0)) ms"
assert_eq "$(diag connect_blocked_local .rules_unread ".subject.pid==$pid")" timeout "hanging nft"
assert_eq "$(diag connect_blocked_local '.rules | length' ".subject.pid==$pid")" 0 "rules with a hanging nft"
grep -q 'list ruleset' "$WORK/nft.calls" || fail "the stand-in nft never ran"
kill "$pid" 2>/dev/null

# (2) nft fails: a new ruleset generation is read again
echo fail >"$WORK/nft.mode"
in_client nft add rule inet aegunread out ip daddr 100.100.0.0/16 tcp dport 443 drop
client_agent connect "$SERVER_IP" 443 1
pid2=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$pid2" 20
assert_eq "$(diag connect_blocked_local .rules_unread ".subject.pid==$pid2")" nft_failed "failing nft"
kill "$pid2" 2>/dev/null

# (3) no nft the daemon may run
chmod 644 "$stub"
in_client nft add rule inet aegunread out ip daddr 100.100.0.0/16 tcp dport 8080 drop
calls=$(wc -l <"$WORK/nft.calls")
client_agent connect "$SERVER_IP" 8080 1
pid3=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$pid3" 20
assert_eq "$(diag connect_blocked_local .rules_unread ".subject.pid==$pid3")" no_nft "no nft"
assert_eq "$(wc -l <"$WORK/nft.calls")" "$calls" "nft calls without an executable nft"
kill "$pid3" 2>/dev/null
stop_trace
in_client nft delete table inet aegunread

# sorted: a held diagnosis goes out live after those made during its hold
grep '"kind":"diagnosis"' "$OUT" | sort >"$WORK/live.json"
"$AEGISMON" replay "$WORK/session.rec" --json 2>"$WORK/replay.err" | grep '"kind":"diagnosis"' | sort >"$WORK/replay.json"
diff -u "$WORK/live.json" "$WORK/replay.json" >"$WORK/diff.txt" ||
	fail "the replay differs from the live run: $(head -20 "$WORK/diff.txt")"
[ "$(grep -c '"rules_unread"' "$WORK/replay.json")" -ge 3 ] || fail "rules_unread not replayed"
"$AEGISMON" replay "$WORK/session.rec" 2>/dev/null | grep -q 'rules: not read (timeout)' ||
	fail "the text output does not say why the rules are missing"
pass "local drops without their rules say why: timeout, nft_failed, no_nft"
