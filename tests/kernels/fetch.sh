#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Fetch and unpack Debian's kernels for the kernel matrix (tests/kernels/run.sh).
# usage: fetch.sh LINE...   LINE is 5.10, 6.1 or 6.12; prints "LINE KVER DIR" per kernel.
# Packages come from Debian's archive through apt with a private configuration
# (the machine's own lists stay untouched) and are cached in $KERNEL_CACHE, so a
# second run fetches nothing. The newest package of each line that downloads wins.
set -euo pipefail

CACHE=${KERNEL_CACHE:-/var/cache/aegismon-kernels}
APTDIR=$CACHE/apt
mkdir -p "$APTDIR"/lists/partial "$APTDIR"/archives/partial "$APTDIR"/etc "$CACHE"/debs

cat >"$APTDIR/etc/sources.list" <<'SRC'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
SRC
apt_opts=(-o Dir::Etc::sourcelist="$APTDIR/etc/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	  -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR" -o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root)

# the package lists are refreshed at most once a day
stamp=$APTDIR/lists/.fetched
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
	apt-get -qq "${apt_opts[@]}" update >&2 || [ -e "$stamp" ]
	touch "$stamp"
fi

pattern() {
	case $1 in
	5.10) echo '^linux-image-5\.10\.0-[0-9]+-amd64-unsigned$' ;;
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
	*) echo "fetch.sh: unknown kernel line '$1' (5.10, 6.1 or 6.12)" >&2; return 2 ;;
	esac
}

for line in "$@"; do
	pat=$(pattern "$line")
	done_one=
	# the generic flavour: the cloud one has no 9p
	for pkg in $(apt-cache "${apt_opts[@]}" pkgnames linux-image- | grep -E "$pat" | sort -rV); do
		kver=${pkg#linux-image-}
		kver=${kver%-unsigned}
		dir=$CACHE/$kver
		if [ ! -e "$dir/.unpacked" ]; then
			deb=$(ls "$CACHE"/debs/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
			if [ -z "$deb" ]; then
				(cd "$CACHE/debs" && apt-get -qq "${apt_opts[@]}" download "$pkg" >&2) || continue
				deb=$(ls "$CACHE"/debs/"${pkg}"_*.deb | head -1)
			fi
			rm -rf "$dir"
			mkdir -p "$dir"
			dpkg-deb -x "$deb" "$dir"
			depmod -b "$dir" "$kver"
			dpkg-deb -f "$deb" Version >"$dir/.version"
			touch "$dir/.unpacked"
		fi
		echo "$line $kver $dir"
		done_one=1
		break
	done
	if [ -z "$done_one" ]; then
		echo "fetch.sh: no kernel of line $line could be fetched" >&2
		exit 1
	fi
done
