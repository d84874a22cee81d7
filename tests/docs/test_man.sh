#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The man pages and the shell completion against the binary's option table
# (`aegismon options`), so neither can drift from what the commands accept.
# Prints "docs: N passed, N failed". Needs ./aegismon built, mandoc, bash;
# zsh for the zsh checks.
set -u
cd "$(dirname "$0")/../.."
man8=docs/man/aegismon.8
man5=docs/man/aegismon.conf.5
bin=./aegismon
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME CMD...: passes when CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

table=$("$bin" options) || { echo "docs: 0 passed, 1 failed ($bin options failed)"; exit 1; }

# --- (a) mandoc lint: no output at warning level ---
for page in "$man8" "$man5"; do
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then ok "mandoc lint $page"; else fail "mandoc lint $page: $out"; fi
done

# --- (b) the options of aegismon(8) against the table ---
# The options of a command are the .It entries under ".Ss Options of CMD"
# ("trace and run" covers both). One record per long option documented:
# SECTION_COMMANDS<TAB>NAME<TAB>SHORT<TAB>CONFIG_KEY_SAID
documented() {
	awk '
	function flush(   i, n, w, lng, sh) {
		if (cur == "") return
		n = split(cur, w, /[ \t]+/)
		lng = ""; sh = "-"
		for (i = 1; i < n; i++)
			if (w[i] == "Fl") {
				if (w[i + 1] ~ /^-/) lng = lng " " substr(w[i + 1], 2)
				else sh = w[i + 1]
			}
		n = split(lng, w, " ")
		for (i = 1; i <= n; i++) printf "%s\t%s\t%s\t%d\n", cmds, w[i], sh, ck
		cur = ""
	}
	/^\.Ss Options of / { flush(); sec = substr($0, 16); cmds = sec; sub(/ and /, ",", cmds); next }
	/^\.S[hs] / { flush(); cmds = ""; next }
	cmds == "" { next }
	/^\.It Fl / { flush(); cur = $0; ck = 0; next }
	/^\.El/ { flush(); next }
	/Config key/ { ck = 1 }
	END { flush() }' "$1"
}
doc=$(documented "$man8")
[ -n "$doc" ] || fail "no option found in $man8"

# per command/name: the short option and whether "Config key." is said
declare -A doc_short doc_key
while IFS=$'\t' read -r cmds name short said; do
	for c in ${cmds//,/ }; do
		doc_short[$c/$name]=$short
		doc_key[$c/$name]=$said
	done
done <<<"$doc"
missing=0 wrong_short=0 wrong_key=0
while read -r _ name short _ cmds _ cfg; do
	for c in ${cmds//,/ }; do
		if [ -z "${doc_short[$c/$name]+set}" ]; then
			fail "aegismon(8) lacks --$name under 'Options of $c'"
			missing=$((missing + 1))
			continue
		fi
		if [ "${doc_short[$c/$name]}" != "$short" ]; then
			fail "aegismon(8): --$name of $c has short '${doc_short[$c/$name]}', the table says '$short'"
			wrong_short=$((wrong_short + 1))
		fi
		# trace and run: "Config key." exactly for the config keys
		if [ "$c" = trace ]; then
			said=${doc_key[$c/$name]}
			if { [ "$cfg" = config ] && [ "$said" != 1 ]; } || { [ "$cfg" != config ] && [ "$said" = 1 ]; }; then
				fail "aegismon(8): --$name 'Config key.' said=$said, the table says '$cfg'"
				wrong_key=$((wrong_key + 1))
			fi
		fi
	done
done < <(grep '^option ' <<<"$table")
[ $missing -eq 0 ] && ok "every option of every command is in aegismon(8)"
[ $wrong_short -eq 0 ] && ok "short options in aegismon(8) match the table"
[ $wrong_key -eq 0 ] && ok "aegismon(8) says 'Config key.' exactly for the config keys"

# per command/name: listed by the table
declare -A listed_for
while read -r _ name _ _ cmds _ _; do
	for c in ${cmds//,/ }; do listed_for[$c/$name]=1; done
done < <(grep '^option ' <<<"$table")
extra=0
while IFS=$'\t' read -r cmds name _ _; do
	found=0
	for c in ${cmds//,/ }; do
		[ -n "${listed_for[$c/$name]+set}" ] && found=1
	done
	if [ $found -eq 0 ]; then
		fail "aegismon(8) documents --$name for $cmds, which no such command accepts"
		extra=$((extra + 1))
	fi
done <<<"$doc"
[ $extra -eq 0 ] && ok "every option documented in aegismon(8) exists"

# every command in the synopsis
for c in $(awk '$1 == "command" { print $2 }' <<<"$table"); do
	if sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$man8" | grep -qx "\.Cm $c"; then :; else
		fail "aegismon(8) SYNOPSIS lacks $c"
	fi
done
ok "the synopsis checked for every command"

# every cause under CAUSES, and nothing else there
causes_doc=$(sed -n '/^\.Sh CAUSES/,/^\.Sh /p' "$man8" | sed -n 's/^\.It Cm \([a-z_0-9]*\).*/\1/p' | sort)
causes_bin=$(awk '$1 == "cause" { print $2 }' <<<"$table" | sort)
if [ "$causes_doc" = "$causes_bin" ]; then ok "CAUSES lists every cause code"; else
	fail "CAUSES differs from the binary's causes: $(diff <(echo "$causes_doc") <(echo "$causes_bin") | grep '^[<>]' | tr '\n' ' ')"
fi

# --- the listing against what the commands really accept ---
# Each listed option, given to its command before --help, must not be
# "unknown"; a made-up one must be (so this check can fail).
unknown_re="unknown option|not a pid or an option"
: >"$tmp/empty.conf"
chmod 0600 "$tmp/empty.conf"
accept() { # command, option name, takes an arg, kind
	local c=$1 n=$2 arg=$3 kind=$4 v=1 pre=()
	[ "$kind" = file ] && v=$tmp/empty.conf
	case "$c" in
	trace | run | check | restart) pre=(--no-config) ;;
	esac
	if [ "$arg" = arg ]; then
		"$bin" "$c" "${pre[@]}" "--$n" "$v" --help 2>&1
	else
		"$bin" "$c" "${pre[@]}" "--$n" --help 2>&1
	fi
}
refused=0
while read -r _ name _ arg cmds kind _; do
	for c in ${cmds//,/ }; do
		[ "$c" = version ] && continue # 'version --features' loads the probes: its help is checked below
		if accept "$c" "$name" "$arg" "$kind" | grep -qE "$unknown_re"; then
			fail "aegismon $c refuses --$name, listed by 'aegismon options'"
			refused=$((refused + 1))
		fi
	done
done < <(grep '^option ' <<<"$table")
[ $refused -eq 0 ] && ok "every listed option is accepted by its commands"
for c in trace run check replay restart reload; do
	if accept "$c" no-such-option - flag | grep -qE "$unknown_re"; then :; else
		fail "aegismon $c accepted --no-such-option: the acceptance check above proves nothing"
	fi
done
ok "a made-up option is refused by every command"

# each command's --help against the listing (both ways); replay's help names
# trace's --record, run's refers to trace's
help_mismatch=0
for c in trace check replay restart reload version; do
	said=$("$bin" "$c" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u)
	listed=$(awk -v c="$c" '$1 == "option" { k = split($5, cs, ","); for (i = 1; i <= k; i++) if (cs[i] == c) print $2 }' <<<"$table" | sort -u)
	for n in $listed; do
		[ "$n" = help ] && continue
		grep -qx "$n" <<<"$said" || { fail "'aegismon $c --help' does not mention --$n"; help_mismatch=$((help_mismatch + 1)); }
	done
	for n in $said; do
		[ "$c/$n" = replay/record ] && continue
		grep -qx "$n" <<<"$listed" || { fail "'aegismon $c --help' mentions --$n, not listed for $c"; help_mismatch=$((help_mismatch + 1)); }
	done
done
[ $help_mismatch -eq 0 ] && ok "each command's --help matches the listing"

# --- (c) config keys against aegismon.conf(5) ---
keys_doc=$(sed -n '/^\.Sh KEYS/,/^\.Sh /p' "$man5" | sed -n 's/^\.It Cm \([a-z0-9-]*\) Ns.*/\1/p' | sort)
keys_bin=$(awk '$1 == "option" && $7 == "config" { print $2 }' <<<"$table" | sort)
if [ -n "$keys_bin" ] && [ "$keys_doc" = "$keys_bin" ]; then ok "aegismon.conf(5) KEYS lists exactly the config keys"; else
	fail "aegismon.conf(5) KEYS differs from the config keys: $(diff <(echo "$keys_doc") <(echo "$keys_bin") | grep '^[<>]' | tr '\n' ' ')"
fi
# and the file reader agrees: each key is accepted in a file (its value may be
# wrong), each command-line-only option is refused as a key
bad_key=0
while read -r _ name _ _ _ _ cfg; do
	printf '%s = x\n' "$name" >"$tmp/k.conf"
	chmod 0600 "$tmp/k.conf"
	out=$("$bin" trace --config "$tmp/k.conf" --check-config 2>&1)
	if [ "$cfg" = config ]; then
		grep -qE "unknown key|is a command-line option" <<<"$out" && { fail "config key $name refused by the reader: $out"; bad_key=$((bad_key + 1)); }
	else
		grep -q "is a command-line option" <<<"$out" || { fail "command-line option $name not refused as a key: $out"; bad_key=$((bad_key + 1)); }
	fi
done < <(grep '^option ' <<<"$table" | awk '{ split($5, cs, ","); if (cs[1] == "trace") print }')
[ $bad_key -eq 0 ] && ok "the config reader accepts exactly the listed keys"

# --- completion ---
comp=build/completion
if ! make -s "$comp/aegismon.bash" "$comp/_aegismon" >"$tmp/make.log" 2>&1; then
	fail "make $comp: $(cat "$tmp/make.log")"
fi
check "bash: complete -p aegismon after sourcing" bash -c ". $comp/aegismon.bash && complete -p aegismon | grep -q -- '-F _aegismon'"
# complete WORDS...: COMPREPLY for the last word
complete_bash() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _aegismon; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$comp/aegismon.bash" "$@"
}
has() { # reply, word
	grep -qx -- "$2" <<<"$1"
}
r=$(complete_bash aegismon trace --ca)
check "bash: aegismon trace --ca<TAB> offers --cause" has "$r" --cause
r=$(complete_bash aegismon trace --cause agent_k)
check "bash: aegismon trace --cause agent_k<TAB> gives agent_killed" test "$r" = agent_killed
r=$(complete_bash aegismon "")
all=1
for c in $(awk '$1 == "command" { print $2 }' <<<"$table"); do has "$r" "$c" || all=0; done
check "bash: aegismon <TAB> offers every command" test $all = 1
r=$(complete_bash aegismon check --)
check "bash: check's options only (--server, not --grace)" bash -c "grep -qx -- --server <<<'$r' && ! grep -qx -- --grace <<<'$r'"
r=$(complete_bash aegismon run --color "")
check "bash: --color completes auto always never" test "$(echo $r)" = "auto always never"
r=$(complete_bash aegismon trace --syslog-facility loc)
check "bash: --syslog-facility loc<TAB> gives local0-7" test "$(wc -l <<<"$r")" = 8
r=$(complete_bash aegismon trace --net-scope = h)
check "bash: --net-scope=h<TAB> gives host" test "$r" = host
mkdir -p "$tmp/dir/sub" && : >"$tmp/dir/afile"
r=$(complete_bash aegismon trace --json-log "$tmp/dir/")
check "bash: a file option completes files" has "$r" "$tmp/dir/afile"
r=$(complete_bash aegismon trace --agent-root "$tmp/dir/")
check "bash: a dir option completes directories only" test "$r" = "$tmp/dir/sub"
r=$(complete_bash aegismon trace --grace "")
check "bash: a number offers nothing" test -z "$r"

if command -v zsh >/dev/null; then
	check "zsh: _aegismon parses (zsh -n)" zsh -n "$comp/_aegismon"
	# loaded by compinit from an fpath entry, as the vendor-completions
	# directory is, and driven by a TAB in an interactive zsh (a pty)
	complete_zsh() {
		timeout 60 zsh -f tests/docs/zsh_complete.zsh "$PWD/$comp" "$1" 2>&1 | tr -d '\r'
	}
	r=$(complete_zsh 'aegismon trace --ca')
	check "zsh: aegismon trace --ca<TAB> gives --cause" grep -q 'aegismon trace --cause' <<<"$r"
	r=$(complete_zsh 'aegismon trace --cause agent_k')
	check "zsh: aegismon trace --cause agent_k<TAB> gives agent_killed" grep -q 'aegismon trace --cause agent_killed' <<<"$r"
	r=$(complete_zsh 'aegismon chec')
	check "zsh: aegismon chec<TAB> gives check" grep -q 'aegismon check' <<<"$r"
	r=$(complete_zsh 'aegismon run --color al')
	check "zsh: --color al<TAB> gives always" grep -q 'aegismon run --color always' <<<"$r"
else
	fail "zsh not installed (scripts/deps.sh installs it)"
fi

# --- make install puts the pages and the completion where man and the shells look ---
if make -s install DESTDIR="$tmp/dest" PREFIX=/usr >"$tmp/install.log" 2>&1; then
	for f in share/man/man8/aegismon.8 share/man/man5/aegismon.conf.5 \
		share/bash-completion/completions/aegismon share/zsh/vendor-completions/_aegismon; do
		check "make install: /usr/$f" test -f "$tmp/dest/usr/$f"
	done
	check "make install: the installed page is the source's" cmp -s "$man8" "$tmp/dest/usr/share/man/man8/aegismon.8"
else
	fail "make install: $(cat "$tmp/install.log")"
fi

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
