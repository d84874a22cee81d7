#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make deb and make rpm: both build, lintian is clean, and each package holds the binary in
# /usr/sbin, the unit in the system unit directory running /usr/sbin/aegismon, the config and
# the logrotate snippet as config files, the docs, and the version of the top-level VERSION
# (which `aegismon version` says too). Nothing is installed on this host: the packages are
# only read (dpkg-deb, rpm -qp) and unpacked into a temporary directory.
# Prints "pkg: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
# packages are release builds whatever `make test` was given (SANITIZE=1 reaches a
# nested make through MAKEFLAGS)
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE
top=$PWD
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
check() { # $1: what; the rest: a command that must succeed
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
has_line() { grep -qxF -- "$2" <<<"$1"; }
has_match() { grep -qE -- "$2" <<<"$1"; }
lacks_match() { ! grep -qE -- "$2" <<<"$1"; }

# run a postinst "configure" (a first install) with stand-ins for deb-systemd-helper,
# deb-systemd-invoke and systemctl; fails when it asked for an enable
postinst_enables_nothing() {
	local stubs=$tmp/stubs calls=$tmp/stub-calls
	mkdir -p "$stubs"; : >"$calls"
	for tool in deb-systemd-helper deb-systemd-invoke systemctl; do
		cat >"$stubs/$tool" <<-STUB
		#!/bin/sh
		echo "$tool \$*" >>"$calls"
		# never installed before; was-enabled is true by default for a unit it never saw
		case "\$*" in *debian-installed*) exit 1 ;; esac
		exit 0
		STUB
		chmod +x "$stubs/$tool"
	done
	PATH=$stubs:$PATH sh "$1" configure "" >/dev/null 2>&1 || return 1
	cat "$calls"
	! grep -qE '^(deb-systemd-helper|systemctl) .*enable' "$calls"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(cat VERSION)
arch=$(dpkg --print-architecture)
rpmarch=$(uname -m)
deb=build/pkg/aegismon_${version}_$arch.deb
rpmfile=build/pkg/aegismon-$version-1.$rpmarch.rpm
# what the tree may have or not (man pages, completion, license): checked when present
man8=$([ -f docs/man/aegismon.8 ] && echo yes)
completion=$([ -f scripts/gen-completion.sh ] && echo yes)
license=$([ -f LICENSE ] && echo yes)

# the tree's own binary, which the package build must leave alone (it runs make clean)
[ -x aegismon ] || nice -n 10 make -j2 --no-print-directory all >"$tmp/make-all.log" 2>&1
check "./aegismon version says VERSION ($version)" \
	has_match "$(./aegismon version)" "^aegismon $version "
tree_bin_before=$(stat -c %Y aegismon)

## deb
if nice -n 10 make --no-print-directory deb >"$tmp/deb.log" 2>&1; then ok "make deb"
else fail "make deb"; tail -30 "$tmp/deb.log"; fi
check "the .deb is at $deb" test -f "$deb"
check "make deb left the tree's build alone" test "$(stat -c %Y aegismon 2>/dev/null)" = "$tree_bin_before"

if [ -f "$deb" ]; then
	# the .changes: the .deb and its .buildinfo
	lintian --fail-on error,warning "${deb%.deb}.changes" >"$tmp/lintian.log" 2>&1
	rc=$?
	check "lintian: no error or warning left (overrides in debian/aegismon.lintian-overrides)" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || cat "$tmp/lintian.log"

	list=$(dpkg-deb -c "$deb" | awk '{print $6}')
	for f in ./usr/sbin/aegismon ./lib/systemd/system/aegismon.service ./etc/aegismon.conf \
		./etc/logrotate.d/aegismon ./usr/share/doc/aegismon/README.md \
		./usr/share/doc/aegismon/copyright; do
		check "deb holds $f" has_line "$list" "$f"
	done
	check "deb puts nothing in /etc/systemd (the admin's directory)" \
		lacks_match "$list" '^\./etc/systemd'
	if [ -n "$man8" ]; then
		check "deb holds the man page aegismon.8" has_match "$list" '^\./usr/share/man/man8/aegismon\.8\.gz$'
		check "deb holds the man page aegismon.conf.5" has_match "$list" '^\./usr/share/man/man5/aegismon\.conf\.5\.gz$'
	fi
	if [ -n "$completion" ]; then
		check "deb holds the bash completion" has_line "$list" ./usr/share/bash-completion/completions/aegismon
		check "deb holds the zsh completion" has_line "$list" ./usr/share/zsh/vendor-completions/_aegismon
	fi

	check "deb version is VERSION" test "$(dpkg-deb -f "$deb" Version)" = "$version"
	check "deb depends on the shared libbpf (shlibs)" has_match "$(dpkg-deb -f "$deb" Depends)" 'libbpf1'

	dpkg-deb -e "$deb" "$tmp/deb-ctl"
	conffiles=$(cat "$tmp/deb-ctl/conffiles" 2>/dev/null)
	check "deb conffiles: /etc/aegismon.conf" has_line "$conffiles" /etc/aegismon.conf
	check "deb conffiles: /etc/logrotate.d/aegismon" has_line "$conffiles" /etc/logrotate.d/aegismon
	# A first install must not enable the service. The postinst runs with stand-ins for the
	# helpers it calls (nothing on this host changes); they answer as on a host where the
	# package was never installed, and log what they are asked.
	check "deb postinst of a first install never enables the unit" \
		postinst_enables_nothing "$tmp/deb-ctl/postinst"

	dpkg-deb -x "$deb" "$tmp/deb-root"
	unit=$(cat "$tmp/deb-root/lib/systemd/system/aegismon.service")
	check "deb unit: ExecStart=/usr/sbin/aegismon run ..." has_match "$unit" '^ExecStart=/usr/sbin/aegismon run '
	check "deb unit: ExecReload=/usr/sbin/aegismon reload" has_match "$unit" '^ExecReload=/usr/sbin/aegismon reload '
	check "deb binary says VERSION" has_match "$("$tmp/deb-root/usr/sbin/aegismon" version)" "^aegismon $version "
fi

## rpm
if nice -n 10 make --no-print-directory rpm >"$tmp/rpm.log" 2>&1; then ok "make rpm"
else fail "make rpm"; tail -30 "$tmp/rpm.log"; fi
check "the .rpm is at $rpmfile" test -f "$rpmfile"
check "the source tarball carries the spec with Version: $version" \
	has_match "$(tar -xzOf "build/pkg/aegismon-$version.tar.gz" "aegismon-$version/aegismon.spec" 2>/dev/null)" \
	"^Version: +$version\$"

if [ -f "$rpmfile" ]; then
	check "rpm version is VERSION" test "$(rpm -qp --qf '%{VERSION}' "$rpmfile" 2>/dev/null)" = "$version"
	check "rpm -qpi names the package" has_match "$(rpm -qpi "$rpmfile" 2>/dev/null)" '^Name +: aegismon$'
	list=$(rpm -qpl "$rpmfile" 2>/dev/null)
	for f in /usr/sbin/aegismon /usr/lib/systemd/system/aegismon.service /etc/aegismon.conf \
		/etc/logrotate.d/aegismon /usr/share/doc/aegismon/README.md; do
		check "rpm holds $f" has_line "$list" "$f"
	done
	if [ -n "$man8" ]; then
		check "rpm holds the man page aegismon.8" has_match "$list" '^/usr/share/man/man8/aegismon\.8'
	fi
	if [ -n "$completion" ]; then
		check "rpm holds the bash completion" has_line "$list" /usr/share/bash-completion/completions/aegismon
		check "rpm holds the zsh completion where RHEL's zsh looks" has_line "$list" /usr/share/zsh/site-functions/_aegismon
	fi
	if [ -n "$license" ]; then
		check "rpm holds LICENSE as %license" has_match "$(rpm -qpL "$rpmfile" 2>/dev/null)" '/LICENSE$'
	fi
	check "rpm requires the shared libbpf" has_match "$(rpm -qpR "$rpmfile" 2>/dev/null)" '^libbpf\.so'
	configs=$(rpm -qp --configfiles "$rpmfile" 2>/dev/null)
	check "rpm config: /etc/aegismon.conf" has_line "$configs" /etc/aegismon.conf
	check "rpm config: /etc/logrotate.d/aegismon" has_line "$configs" /etc/logrotate.d/aegismon
	check "rpm: /etc/aegismon.conf is %config(noreplace)" \
		has_match "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile" 2>/dev/null)" \
		'^cn +/etc/aegismon\.conf$'
	scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
	check "rpm %post: a preset on first install (no unconditional enable)" \
		has_match "$scripts" 'systemctl --no-reload preset aegismon\.service'
	check "rpm %preun: stop and disable on erase" has_match "$scripts" 'disable --now aegismon\.service'
	check "rpm %postun: try-restart on upgrade" has_match "$scripts" 'try-restart aegismon\.service'

	mkdir -p "$tmp/rpm-root"
	(cd "$tmp/rpm-root" && rpm2cpio "$top/$rpmfile" | cpio -idm --quiet)
	unit=$(cat "$tmp/rpm-root/usr/lib/systemd/system/aegismon.service" 2>/dev/null)
	check "rpm unit: ExecStart=/usr/sbin/aegismon run ..." has_match "$unit" '^ExecStart=/usr/sbin/aegismon run '
	check "rpm binary says VERSION" \
		has_match "$("$tmp/rpm-root/usr/sbin/aegismon" version 2>/dev/null)" "^aegismon $version "
fi

echo "pkg: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
