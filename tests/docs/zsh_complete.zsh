# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# usage: zsh -f tests/docs/zsh_complete.zsh COMPDIR 'aegismon trace --ca'
# Types the words and a TAB into an interactive zsh in a pseudo-terminal, with
# the completion of COMPDIR loaded by compinit, and prints the screen after
# the TAB (escape sequences removed): the line as the completion left it.
setopt extendedglob
zmodload zsh/zpty || exit 1
comp=$1 input=$2
out=
drain() { local chunk; while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done }
wait_for() { for i in {1..75}; do drain; [[ $out == *$'\n'$1* ]] && return 0; sleep 0.2; done; return 1 }
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($comp \$fpath); autoload -U compinit; compinit -u -D; print READY1"
wait_for READY1 || { zpty -d z; print "zsh did not start"; exit 1 }
zpty -w z "bindkey '^I' complete-word; zstyle ':completion:*' menu no; print READY2"
wait_for READY2 || { zpty -d z; print "zsh did not take the bindings"; exit 1 }
out=
zpty -n -w z "$input"$'\t'
sleep 1.5
drain
zpty -d z
print -r -- "${out//$'\e'\[[0-9;?]#[a-zA-Z]/}"
