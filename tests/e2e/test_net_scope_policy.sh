#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_blocked_policy in the agent scope, from a deny program above the
# agent's cgroup (security software attaches to the root or a slice, not to
# the agent's service): it runs after aegismon's programs on the agent's
# cgroup, which let the connect through; the companions on the root see the
# refusal. Without them it would read as a route failure when the socket is
# released (connect_unreachable).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold
make_cg2 "aegismon-e2e-slice-$$"
SLICE=$CG2
AGENT_CG=$SLICE/agent
mkdir "$AGENT_CG" || fail "cannot create $AGENT_CG"
CGROUPS=("$AGENT_CG" "${CGROUPS[@]}") # removed before its parent
CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -1)
REL=${AGENT_CG#"$CGROOT"}
# multi: the agent's cgroup below may still get programs of its own
"$REPO/build/tests/deny_connect" --multi "$SLICE" >/dev/null || fail "cannot attach the deny program"

start_trace --grace 60
# the agent connects once, 300 ms after it starts: by then its cgroup has
# aegismon's programs, and the root only the companions (there because the
# deny program runs for the agent's sockets)
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$AGENT_CG" \
	nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" connectstay "$SERVER_IP" 80 300 \
	>"$WORK/agent.out" 2>&1 &
pid=$!
PIDS+=("$pid")
if kernel_agent_scope; then
	wait_for 5 grep -q "network scope: agent, cgroup $REL; companions on the root" "$ERR" ||
		fail "the programs did not move to the agent's cgroup $REL with companions on the root: $(tail -2 "$ERR")"
else
	# before 5.18 the host scope: connect() seen by fexit (or the syscall
	# tracepoints) with its EPERM, wherever the refusal came from
	grep -q "network scope: host" "$ERR" || fail "expected the host scope on $(uname -r): $(head -1 "$ERR")"
fi
wait_diag connect_blocked_policy ".subject.pid==$pid"
assert_eq "$(diag connect_blocked_policy .subject.errno ".subject.pid==$pid")" EPERM "errno"
assert_eq "$(diag connect_blocked_policy .subject.daddr ".subject.pid==$pid")" "$SERVER_IP" "daddr"
grep -q "Operation not permitted" "$WORK/agent.out" || fail "the agent did not get EPERM: $(cat "$WORK/agent.out")"
kill -TERM "$pid"
wait "$pid" 2>/dev/null
sleep 0.5 # its socket is released: no route failure may follow
stop_trace
[ "$(count_diag connect_unreachable)" = 0 ] || fail "the refusal was also taken for a route failure"
[ "$(count_diag connect_blocked_local)" = 0 ] || fail "the refusal was taken for a netfilter drop"
pass "a deny program above the agent's cgroup: connect_blocked_policy, not a route failure"
