#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# valgrind memcheck, clean: a unit test binary (the correlator), and a real
# trace session (attach, a seeded agent, a kill, an exit, the report) with no
# memory error and no definite leak. tests/valgrind.supp holds the only
# suppressions: valgrind's incomplete model of bpf(2) arguments.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
VG=(valgrind --suppressions="$REPO/tests/valgrind.supp" --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite --track-origins=yes -q)

"${VG[@]}" "$REPO/build/tests/test_correlate" >"$WORK/unit.out" 2>"$WORK/unit.err"
rc=$?
[ "$rc" -ne 99 ] || fail "memcheck errors in test_correlate: $(grep -m20 '==' "$WORK/unit.err")"
[ "$rc" -eq 0 ] || fail "test_correlate failed under valgrind: $(tail -5 "$WORK/unit.out")"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
victim=$LAST_PID
: >"$ERR"
# (under valgrind, loading the kernel BTF takes ~20 s: no --duration, SIGINT at the end)
"${VG[@]}" "$AEGISMON" trace --no-config --agent-root "$ROOT" --grace 60 --json \
	--report "$WORK/r.html" >"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 120 grep -q "probes attached" "$ERR" || fail "aegismon did not attach under valgrind: $(tail -5 "$ERR")"
sleep 1
kill -KILL "$victim"
wait_diag agent_killed ".subject.pid==$victim" 20
start_agent AliYunDun exit 3 10
wait_diag agent_exited ".subject.exit_code==3" 20
kill -INT "$TRACE_PID"
wait "$TRACE_PID"
rc=$?
TRACE_PID=
[ "$rc" -ne 99 ] || fail "memcheck errors in aegismon trace: $(grep -m30 '==' "$ERR")"
assert_eq "$rc" 1 "trace exit status under valgrind (a problem diagnosed)"
grep -q '"kind":"summary"' "$OUT" || fail "no summary under valgrind"
[ -s "$WORK/r.html" ] || fail "no report under valgrind"
pass "memcheck clean: test_correlate and a trace session"
