#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Untrusted bytes in every output (issue #20, item 8). An unprivileged user
# (uid 65534) runs an impostor named AliYunDun from a directory whose name
# holds a Latin-1 byte (0xe9), a right-to-left override (U+202E) and a raw
# 8-bit CSI (0x9b), then kills it with a kill binary from the same directory.
# Asserted: every JSON line (stdout and the JSON log) parses, shows no raw
# U+202E and no 0x9b, and the impostor's exe has U+FFFD where the bytes were
# not UTF-8, with exe_hex the exact bytes; every syslog datagram (a unix
# socket receiver keeps the exact bytes) is strict UTF-8 with no raw bidi,
# C1 or 0x9b, and its MSG is ASCII JSON with the same exe_hex; the text
# output and the HTML report show no raw bidi or 0x9b either. Then root kills
# the agent with a kill binary named with the same bytes: the sender's comm
# and exe (JSON, with sender_exe_hex, and syslog's structured data) likewise.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is needed to check the bytes"
SOCK=$WORK/syslog.sock
SYSLOG_OUT=$WORK/syslog.hex
TEXT_PID=

stop_text() {
	if [ -n "$TEXT_PID" ]; then
		kill -INT "$TEXT_PID" 2>/dev/null
		wait "$TEXT_PID" 2>/dev/null
		TEXT_PID=
	fi
}
trap 'stop_text; cleanup' EXIT

# the syslog receiver: one datagram a line, in hex, so no byte is lost or changed
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "w", buffering=1)
print("listening", flush=True)
while True:
    out.write(s.recv(65536).hex() + "\n")
' "$SOCK" "$SYSLOG_OUT" >"$WORK/receiver.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -q listening "$WORK/receiver.out" || fail "syslog receiver did not start: $(cat "$WORK/receiver.out")"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
agent=$LAST_PID
start_trace --no-config --grace 60 --json-log "$WORK/diag.json" --syslog "unix:$SOCK" \
	--report "$WORK/report.html"
# the same session as text, for people
"$AEGISMON" trace --no-config --events --color never --agent-root "$ROOT" --grace 60 \
	>"$WORK/text.out" 2>"$WORK/text.err" &
TEXT_PID=$!
wait_for 10 grep -q "probes attached" "$WORK/text.err" || fail "the text trace did not attach: $(cat "$WORK/text.err")"

# the attacker's directory, planted in a shared one
chmod 0711 "$WORK"
mkdir -m 1777 "$WORK/pub"
EVIL=$WORK/pub/$'ev\xe9il\xe2\x80\xae\x9bdir'
KILL_BIN=$(type -P kill)
attacker() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
attacker sh -c 'mkdir "$1" && cp "$2" "$1/AliYunDun" && cp "$3" "$1/kill"' sh "$EVIL" "$FAKE" "$KILL_BIN" ||
	fail "the attacker could not plant the binaries"
# setpriv directly, not through the function: $! must be the impostor itself
setpriv --reuid 65534 --regid 65534 --clear-groups "$EVIL/AliYunDun" &
fake=$!
PIDS+=("$fake")
wait_diag agent_impostor ".subject.pid==$fake"
attacker "$EVIL/kill" -KILL "$fake" || fail "the attacker could not kill the impostor"
wait "$fake" 2>/dev/null
wait_for 10 grep -q "agent_impostor" "$WORK/text.out" || fail "no agent_impostor in the text output: $(cat "$WORK/text.out")"

# the same bytes in a killer's name, for the sender fields (structured data
# included): only root may kill the agent, so root runs it, as in test_hardening
# a shell under that name, whose builtin kill sends the signal and which then
# stays a while: aegismon reads the sender's executable when the signal is
# reported, and a kill binary may be gone by then on a busy machine
KILLER=$WORK/$'k\x9b\xe2\x80\xaell'
install -m 0755 "$(type -P bash)" "$KILLER"
mkfifo "$WORK/hold"
"$KILLER" -c 'kill -KILL "$1" || exit 1; read -r -t 10 _ <>"$2"; exit 0' killer "$agent" "$WORK/hold" &
killer=$!
PIDS+=("$killer")
wait_diag agent_killed ".subject.pid==$agent"
wait_for 10 grep -q "agent_killed" "$WORK/text.out" || fail "no agent_killed in the text output"
kill "$killer" 2>/dev/null
# the receiver keeps hex: look for the causes' bytes
syslog_has() { grep -q "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" "$SYSLOG_OUT" 2>/dev/null; }
wait_for 10 syslog_has agent_impostor || fail "agent_impostor did not reach the syslog receiver"
wait_for 10 syslog_has agent_killed || fail "agent_killed did not reach the syslog receiver"
stop_text
stop_trace
[ -s "$WORK/report.html" ] || fail "no HTML report"

python3 - "$EVIL/AliYunDun" "$fake" "$KILLER" "$agent" "$OUT" "$WORK/diag.json" "$SYSLOG_OUT" \
	"$WORK/text.out" "$WORK/report.html" <<'EOF' || fail "untrusted bytes reached an output raw (above)"
import json, os, sys

exe = os.fsencode(sys.argv[1])
pid = int(sys.argv[2])
killer = os.fsencode(sys.argv[3])
agent = int(sys.argv[4])
out, jlog, slog, text, html = sys.argv[5:10]
want_comm = "k\ufffd\u202ell"  # the killer's comm, decoded
# the code points no output may show raw (user/lib/escape.h, cp_is_hidden)
hidden = set(range(0x20)) | set(range(0x7f, 0xa0)) | {0xad, 0x61c, 0x180e, 0x2028, 0x2029, 0xfeff}
hidden |= set(range(0x200b, 0x2010)) | set(range(0x202a, 0x202f)) | set(range(0x2060, 0x2070))
hidden |= set(range(0xfff9, 0xfffc)) | set(range(0xe0000, 0xe0080))
want_exe = exe.decode("utf-8", errors="replace")  # U+FFFD for each byte that is not UTF-8
bad = []

def check_text(where, data, lines=True):
    """strict UTF-8, no raw 0x9b, no hidden code point (newlines between lines)"""
    if b"\x9b" in data:
        bad.append(f"{where}: a raw 0x9b byte")
    try:
        s = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        bad.append(f"{where}: not UTF-8: {e}")
        return None
    for ch in s:
        if ord(ch) in hidden and not (lines and ch == "\n"):
            bad.append(f"{where}: raw U+{ord(ch):04X}")
            break
    return s

def check_exe(where, obj):
    if obj.get("exe") != want_exe:
        bad.append(f"{where}: exe {obj.get('exe')!r}, want {want_exe!r}")
    if obj.get("exe_hex") != exe.hex():
        bad.append(f"{where}: exe_hex {obj.get('exe_hex')!r}, want {exe.hex()}")

def check_sender(where, d):
    sig = [e for e in d.get("evidence", []) if e.get("type") == "signal"]
    if not sig:
        bad.append(f"{where}: no signal evidence")
        return
    e = sig[0]
    if e.get("sender_comm") != want_comm:
        bad.append(f"{where}: sender_comm {e.get('sender_comm')!r}, want {want_comm!r}")
    if e.get("sender_exe") != killer.decode("utf-8", errors="replace"):
        bad.append(f"{where}: sender_exe {e.get('sender_exe')!r}")
    if e.get("sender_exe_hex") != killer.hex():
        bad.append(f"{where}: sender_exe_hex {e.get('sender_exe_hex')!r}, want {killer.hex()}")

def json_lines(where, path):
    found = killed = 0
    s = check_text(where, open(path, "rb").read())
    for n, line in enumerate((s or "").splitlines(), 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            bad.append(f"{where}:{n}: not JSON: {e}: {line[:200]}")
            continue
        if o.get("cause") == "agent_impostor" and o["subject"].get("pid") == pid:
            check_exe(f"{where}:{n} subject", o["subject"])
            found += 1
        if o.get("cause") == "agent_killed" and o["subject"].get("pid") == agent:
            check_sender(f"{where}:{n} agent_killed", o)
            killed += 1
        # any event about the impostor that names its exe
        if o.get("kind") == "event" and o.get("pid") == pid and "exe" in o:
            check_exe(f"{where}:{n} event", o)
    if not found:
        bad.append(f"{where}: no agent_impostor diagnosis for pid {pid}")
    if not killed:
        bad.append(f"{where}: no agent_killed diagnosis for pid {agent}")

json_lines("stdout", out)
json_lines("json log", jlog)

seen = killed = 0
for n, line in enumerate(open(slog), 1):
    msg = bytes.fromhex(line.strip())
    s = check_text(f"syslog #{n}", msg, lines=False)
    if s is None:
        continue
    body = s.split("] ", 1)[1] if "] " in s else ""
    if not body.isascii():
        bad.append(f"syslog #{n}: the MSG is not ASCII")
    if "agent_impostor" in s.split("[", 1)[0]:
        d = json.loads(body)
        if d["subject"].get("pid") == pid:
            check_exe(f"syslog #{n}", d["subject"])
            seen += 1
    if "agent_killed" in s.split("[", 1)[0]:
        # the structured data as sent: RFC 5424's \\ before our \u202e
        if 'sender_comm="k\ufffd\\\\u202ell"' not in s:
            bad.append(f"syslog #{n}: sender_comm not shown safely: {s[:400]}")
        check_sender(f"syslog #{n}", json.loads(body))
        killed += 1
if not seen:
    bad.append("syslog: no agent_impostor message for the impostor")
if not killed:
    bad.append("syslog: no agent_killed message")

t = check_text("text", open(text, "rb").read())
if t is not None and "\\u202e" not in t:
    bad.append("text: the override is not shown as \\u202e")
h = check_text("html", open(html, "rb").read())
if h is not None and "\\u202e" not in h:
    bad.append("html: the override is not shown as \\u202e")

for b in bad:
    print("   " + b)
sys.exit(1 if bad else 0)
EOF
pass "a path with 0xe9, U+202E and 0x9b: JSON, syslog, text and HTML stay valid and show it safely"
