#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The JSON contract (docs/schema/aegismon.schema.json): a valid draft 2020-12
# schema whose cause list is the binary's; the validator every e2e test runs at
# its end rejects a line without host, with an unknown field or a wrong type;
# every line names its host and schema version, and a replay names the host
# that was traced (recorded in a UTS namespace of another name), not this one.
. "$(dirname "$0")/lib.sh"

SCHEMA=$REPO/docs/schema/aegismon.schema.json
VALIDATE="/usr/bin/python3 $REPO/tests/e2e/validate_json.py $SCHEMA"

# the cause codes: the schema's enum is the correlator's table (user/correlate/causes.c)
schema_causes=$(jq -r '."$defs".cause.enum[]' "$SCHEMA" | sort)
code_causes=$(sed -n 's/^\t\t"\([a-z_]*\)", SEV_.*/\1/p' "$REPO/user/correlate/causes.c" | sort)
[ -n "$code_causes" ] || fail "no cause codes read from user/correlate/causes.c"
assert_eq "$schema_causes" "$code_causes" "the schema's cause codes"

# the validator can fail
good='{"kind":"action","schema":1,"host":"h","ts":"2026-12-06T02:20:52.098Z","action":"advise","outcome":"advised"}'
echo "$good" >"$WORK/good.jsonl"
$VALIDATE "$WORK/good.jsonl" >/dev/null 2>&1 || fail "a valid action line was rejected"
for bad in '{"kind":"action","schema":1,"ts":"2026-12-06T02:20:52.098Z","action":"a","outcome":"o"}' \
	'{"kind":"action","schema":1,"host":"h","ts":"2026-12-06T02:20:52.098Z","action":"a","outcome":"o","x":1}' \
	'{"kind":"action","schema":2,"host":"h","ts":"2026-12-06T02:20:52.098Z","action":"a","outcome":"o"}' \
	'{"kind":"action","schema":1,"host":"h","ts":"yesterday","action":"a","outcome":"o"}' \
	'{"kind":"diagnosis","schema":1,"host":"h","ts":"2026-12-06T02:20:52.098Z","cause":"agent_gone"}'; do
	echo "$bad" >"$WORK/bad.jsonl"
	$VALIDATE "$WORK/bad.jsonl" >/dev/null 2>&1 && fail "an invalid line passed: $bad"
done
rm -f "$WORK/good.jsonl" "$WORK/bad.jsonl"

# every line: host and schema; a replay names the traced host
install_agent AliYunDun
unshare --uts sh -c "hostname rec-host-7 && exec \"$AEGISMON\" trace --json --duration 2 --agent-root \"$ROOT\" \
	--record \"$WORK/session.rec\"" >"$WORK/traced.jsonl" 2>"$ERR"
[ -s "$WORK/traced.jsonl" ] || fail "no trace output: $(cat "$ERR")"
assert_eq "$(jq -r -s '[.[].host] | unique | join(",")' "$WORK/traced.jsonl")" rec-host-7 "host of every traced line"
assert_eq "$(jq -r -s '[.[].schema] | unique | join(",")' "$WORK/traced.jsonl")" 1 "schema of every line"
"$AEGISMON" replay --json "$WORK/session.rec" >"$WORK/replayed.jsonl" 2>>"$ERR"
[ -s "$WORK/replayed.jsonl" ] || fail "no replay output: $(cat "$ERR")"
assert_eq "$(jq -r -s '[.[].host] | unique | join(",")' "$WORK/replayed.jsonl")" rec-host-7 "host of every replayed line"
# check in a network namespace of its own with nothing but lo: no packet leaves
unshare --net "$AEGISMON" check --json --no-metadata --agent-root "$ROOT" --timeout 1 >"$WORK/check.jsonl" 2>/dev/null &
check_pid=$!
PIDS+=("$check_pid")
wait "$check_pid"
assert_eq "$(jq -r -s '[.[].host] | unique | join(",")' "$WORK/check.jsonl")" "$(hostname)" "host of check's lines"
# pass() validates every line written here
pass "schema valid, causes in step, validator rejects, host and schema on every line, replay names the traced host"
