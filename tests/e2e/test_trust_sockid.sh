#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# No kernel address leaves aegismon (issue 20, item 7): the kernel ties a
# socket's events by its address; the record file (0640) keeps the events as
# the kernel lays them out. Every socket id in it must be a keyed hash: the
# same for one socket, never a kernel address (x86-64 kernel addresses have
# their top 17 bits set; a hash does with a chance of 2^-17).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_trace --grace 60 --record "$WORK/rec"
client_agent connect "$SERVER_IP" 80 2
pid=$LAST_PID
wait_diag connect_refused ".subject.pid==$pid"
wait "$pid"
stop_trace

# struct aegis_tcp (bpf/events.h, an append-only ABI): hdr 48 bytes, tuple
# 40, then 20 bytes of state, 4 of padding, sock_id at 112
python3 - "$WORK/rec" <<'PY' >"$WORK/ids" || fail "the record file cannot be read: $(cat "$WORK/ids")"
import struct, sys
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'AEGISREC', 'no magic'
hl = struct.unpack_from('<I', data, 16)[0]
off = 20 + hl
while off + 8 <= len(data):
    length, kind = struct.unpack_from('<IH', data, off)
    body = data[off + 8: off + 8 + length]
    off += 8 + length
    if kind != 1 or len(body) < 120:
        continue
    etype, = struct.unpack_from('<H', body, 0)
    if etype == 7:  # AEGIS_EV_TCP_STATE
        print('%016x' % struct.unpack_from('<Q', body, 112)[0])
PY
n=$(wc -l <"$WORK/ids")
[ "$n" -ge 2 ] || fail "the record has $n TCP state events, not the connect's"
if grep -q '^ffff[89a-f]' "$WORK/ids"; then
	fail "a kernel address in the record file: $(grep '^ffff[89a-f]' "$WORK/ids" | head -1)"
fi
grep -q '^0000000000000000$' "$WORK/ids" && fail "a socket without an id"
# the ids still tie one socket's events together: fewer ids than events
[ "$(sort -u "$WORK/ids" | wc -l)" -lt "$n" ] || fail "every event got its own socket id: $(tr '\n' ' ' <"$WORK/ids")"
pass "socket ids in the record are keyed hashes ($n TCP events, $(sort -u "$WORK/ids" | wc -l) sockets)"
