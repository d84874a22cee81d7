#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make deb / make rpm: build aegismon's packages into build/pkg/.
#   deb: build/pkg/aegismon_VERSION_ARCH.deb   (dpkg-buildpackage -b, debian/)
#   rpm: build/pkg/aegismon-VERSION-1.ARCH.rpm (rpmbuild -tb, packaging/rpm/aegismon.spec.in)
#        and build/pkg/aegismon-VERSION.tar.gz, the source with its spec (rpmbuild -ta on the target)
# Both build from a copy of the tree (its tracked and new files, not the ignored ones): the
# package build runs `make clean`, which must not touch this tree's build/. The copy gets the
# files written from VERSION: debian/changelog and aegismon.spec.
set -euo pipefail

kind=${1:?usage: packaging/build.sh deb|rpm}
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$top/VERSION")
out=$top/build/pkg
name=aegismon-$version

# the files of the tree, NUL-separated: git's list when this is a checkout, else all but build output
tree_files() {
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$top" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$top/$f" ] && printf '%s\0' "$f"; done
	else
		(cd "$top" && find . -path ./build -prune -o -path ./.git -prune -o \
			! -name aegismon ! -name '*.o' -type f -printf '%P\0')
	fi
}

copy_tree() { # $1: the destination directory
	mkdir -p "$1"
	tree_files | (cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$1"
}

# the time of the last commit (reproducible), or now outside git
source_epoch() {
	git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s
}

write_changelog() { # $1: the path; a native package whose version is VERSION
	local maint
	maint=$(sed -n 's/^Maintainer: //p' "$top/debian/control")
	cat >"$1" <<-END
	aegismon ($version) unstable; urgency=medium

	  * aegismon $version, packaged from the tree's VERSION.

	 -- $maint  $(date -u -R -d "@$(source_epoch)")
	END
}

build_deb() {
	local arch src
	arch=$(dpkg --print-architecture)
	src=$out/deb/$name
	rm -rf "$out/deb"
	copy_tree "$src"
	write_changelog "$src/debian/changelog"
	(cd "$src" && SOURCE_DATE_EPOCH=$(source_epoch) dpkg-buildpackage -b -us -uc)
	mkdir -p "$out"
	cp "$out/deb/aegismon_${version}_$arch.deb" "$out/deb/aegismon_${version}_${arch}".{changes,buildinfo} "$out/"
	echo "deb: $out/aegismon_${version}_$arch.deb"
}

build_rpm() {
	local stage=$out/rpm/stage
	rm -rf "$out/rpm"
	copy_tree "$stage/$name"
	sed "s/@VERSION@/$version/g" "$top/packaging/rpm/aegismon.spec.in" >"$stage/$name/aegismon.spec"
	mkdir -p "$out"
	tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$(source_epoch)" -czf "$out/$name.tar.gz" "$name"
	# --nodeps: the BuildRequires are the target's package names (libbpf-devel, ...), which
	# Debian's rpm database does not know; deps.sh installs the Debian equivalents.
	rpmbuild -tb --nodeps --define "_topdir $out/rpm/top" "$out/$name.tar.gz"
	cp "$out"/rpm/top/RPMS/*/"$name"-*.rpm "$out/"
	echo "rpm: $(ls "$out/$name"-*.rpm)"
}

case $kind in
deb) build_deb ;;
rpm) build_rpm ;;
*) echo "packaging/build.sh: unknown package kind '$kind' (deb or rpm)" >&2; exit 2 ;;
esac
