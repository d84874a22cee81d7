#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The agent scope: the agent runs in a cgroup of its own (as under systemd's
# aegis.service). Its connects and DNS lookups are diagnosed through programs
# on that cgroup only; the root has none of ours then (the companions come
# when a deny program is put on the agent's cgroup after the start), and a
# process outside (not the agent) connecting to the same endpoint is not traced. When the
# cgroup goes away (the service stopped) the programs are back on the root,
# and a new cgroup of the same name (the service started again) gets them.
# --net-scope host: the root, and the other process's connect is seen too.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
mkdir -p "$WORK/other"
install -m 0755 "$FAKE" "$WORK/other/othertool"
net_rig
start_dnsmasq
make_cg2 "aegismon-e2e-scope-$$"
CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -1)
REL=${CG2#"$CGROOT"}

# in_cg CMD...: CMD in the agent's cgroup, in the client namespace; pid in $LAST_PID
in_cg() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2" \
		nsenter --net="/run/netns/$CNS" "$@" >>"$WORK/agent.out" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# ours CGROUP_DIR: how many cgroup links this aegismon holds on it, as the
# kernel shows each link (its fdinfo names the cgroup by id, the directory's
# inode). Not bpftool cgroup show: Debian 12's bpftool cannot query a 5.10
# kernel (every query fails), and this counts no other aegismon's programs.
ours() {
	local cgid f n=0
	cgid=$(stat -c %i "$1")
	for f in /proc/"$TRACE_PID"/fdinfo/*; do
		grep -q "^link_type:[[:space:]]*cgroup$" "$f" 2>/dev/null || continue
		grep -q "^cgroup_id:[[:space:]]*$cgid$" "$f" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# ours_is CGROUP_DIR N: exactly N of ours there (a moment after a change: the
# companions follow each foreign program, detached and attached again)
ours_is() { [ "$(ours "$1")" = "$2" ]; }

# cg_lookup: the agent looks up an Aegis name from its cgroup; nxdomain is diagnosed
cg_lookup() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG2" \
		nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" nx.aegis.aliyun.com \
		>>"$WORK/agent.out" 2>&1
	wait_diag dns_nxdomain '.subject.qname=="nx.aegis.aliyun.com"'
}

# other_connect: another process, outside the agent's cgroup, connects to the
# endpoint; its pid in $other
other_connect() {
	nsenter --net="/run/netns/$CNS" "$WORK/other/othertool" connect "$SERVER_IP" 80 1 >/dev/null 2>&1 &
	other=$!
	PIDS+=("$other")
	wait "$other"
}
seen_other() { [ "$(jq -s "[.[] | select(.kind==\"event\" and .pid==$other)] | length" "$OUT")" -gt 0 ]; }

# Before 5.18 (no bpf_get_retval) the kernel gets the host scope: the
# programs stay on the root, the agent's connects and lookups are diagnosed
# from any cgroup, and another process's connect to an endpoint is seen too.
if ! kernel_agent_scope; then
	start_trace --grace 60
	grep -q "network scope: host (cgroup v2 root)" "$ERR" || fail "expected the host scope on $(uname -r): $(head -1 "$ERR")"
	# the DNS pair only: connect() is not by cgroup hooks here
	[ "$(ours "$CGROOT")" = 2 ] || fail "host scope before 5.18: expected our 2 DNS programs on the root, found $(ours "$CGROOT")"
	in_cg "$(agent_path AliYunDun)" connectstay "$SERVER_IP" 80 300
	agent=$LAST_PID
	wait_diag connect_refused ".subject.pid==$agent"
	[ "$(ours "$CGROOT")" = 2 ] && [ "$(ours "$CG2")" = 0 ] || fail "the programs moved in the host scope"
	cg_lookup
	other_connect
	wait_for 5 seen_other || fail "the host scope did not trace another process's connect to an endpoint"
	kill -TERM "$agent"
	wait "$agent" 2>/dev/null
	stop_trace
	pass "host scope before 5.18: the root only, the agent diagnosed from its cgroup, another process seen"
fi

# Another aegismon runs beside this one all along (as an SRE's trace beside
# the daemon): its connect programs on the root run the same code as ours and
# refuse nothing, so they are no reason for companions on the root.
"$AEGISMON" trace --agent-root "$WORK/no-agent" --duration 600 >"$WORK/other-aegismon.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -qs "probes attached" "$WORK/other-aegismon.out" || fail "the other aegismon did not start"

# sockops from the start: the program counts below are those of the scope
start_trace --grace 60 --metrics "$WORK/m.prom" --net-probes always
grep -q "network scope: agent, cgroup v2 root until an agent cgroup is known" "$ERR" ||
	fail "no agent yet: the network programs should be on the root: $(head -1 "$ERR")"
wait_for 5 ours_is "$CGROOT" 5 || fail "expected our 5 cgroup programs on the root, found $(ours "$CGROOT")"

# the agent starts in its cgroup: the programs move there
in_cg "$(agent_path AliYunDun)" connectstay "$SERVER_IP" 80 300
agent=$LAST_PID
wait_for 5 grep -q "network scope: agent, cgroup $REL\$" "$ERR" ||
	fail "the network programs did not move to the agent's cgroup $REL"
wait_for 5 ours_is "$CG2" 5 || fail "expected 5 programs on $CG2, found $(ours "$CG2")"
# nothing of ours on the root: no other connect program runs for the agent,
# so the companions are not needed
wait_for 5 ours_is "$CGROOT" 0 || fail "the root has $(ours "$CGROOT") of our programs, not 0"
wait_diag connect_refused ".subject.pid==$agent"
# the metrics say it too (rewritten every 5 s)
wait_for 7 grep -q '^aegismon_network_scope{where="agent_cgroups"} 1$' "$WORK/m.prom" ||
	fail "metrics: the network scope is not on the agent's cgroups: $(grep network_scope "$WORK/m.prom")"
assert_eq "$(diag connect_refused .subject.errno ".subject.pid==$agent")" ECONNREFUSED "errno"

# DNS from the agent's cgroup
cg_lookup

# another process, outside the agent's cgroup, to the same endpoint: not ours
other_connect
sleep 0.5
[ "$(jq -s "[.[] | select(.pid==$other or .subject.pid==$other)] | length" "$OUT")" = 0 ] ||
	fail "a connect from outside the agent's cgroup was traced in the agent scope"

# the service stops: the agent exits, systemd removes its cgroup
kill -TERM "$agent"
wait "$agent" 2>/dev/null
wait_for 5 rmdir "$CG2" || fail "cannot remove $CG2"
wait_for 5 grep -q "network scope: agent, cgroup v2 root until an agent cgroup is known$" "$ERR" ||
	fail "the programs did not go back to the root when the agent's cgroup went away"
wait_for 5 ours_is "$CGROOT" 5 || fail "expected our 5 programs on the root again, found $(ours "$CGROOT")"

# and starts again, in a new cgroup of the same name
mkdir "$CG2" || fail "cannot create $CG2 again"
in_cg "$(agent_path AliYunDun)" connectstay "$SERVER_IP" 80 300
agent2=$LAST_PID
moved_twice() { [ "$(grep -c "network scope: agent, cgroup $REL\$" "$ERR")" = 2 ]; }
wait_for 5 moved_twice ||
	fail "the programs did not follow the agent into its new cgroup"
wait_for 5 ours_is "$CGROOT" 0 || fail "the root has $(ours "$CGROOT") of our programs, not 0"
wait_diag connect_refused ".subject.pid==$agent2"

# security software attaches a deny program after aegismon started: within a
# tick the two companions go on the root, after it, and see what it refuses
"$REPO/build/tests/deny_connect" --multi "$CG2" >/dev/null || fail "cannot attach the deny program"
wait_for 5 grep -q "network scope: agent, cgroup $REL; companions on the root" "$ERR" ||
	fail "no companions on the root after a deny program came: $(tail -2 "$ERR")"
wait_for 5 ours_is "$CGROOT" 2 || fail "the root has $(ours "$CGROOT") of our programs, not the 2 companions"
bpftool cgroup show "$CGROOT" | grep -q "on_connect4_ver" || fail "no connect4 companion on the root"
in_cg "$(agent_path AliYunDun)" connect "$SERVER_IP" 80 1
agent3=$LAST_PID
wait_diag connect_blocked_policy ".subject.pid==$agent3"
assert_eq "$(diag connect_blocked_policy .subject.errno ".subject.pid==$agent3")" EPERM "errno"
kill -TERM "$agent2"
wait "$agent2" 2>/dev/null
stop_trace

# the host scope: the root only, the other process's connect seen as well
start_trace --grace 60 --net-scope host
grep -q "network scope: host" "$ERR" || fail "--net-scope host: $(head -1 "$ERR")"
wait_for 5 ours_is "$CGROOT" 4 || fail "host scope: expected 4 programs on the root (no sockops, no sock_release), found $(ours "$CGROOT")"
other_connect
wait_for 5 seen_other ||
	fail "the host scope did not trace another process's connect to an endpoint"
stop_trace
pass "agent cgroup scope: follows the agent, spares the rest, back to the root between starts"
