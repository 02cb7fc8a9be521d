#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The stand-in libxengnttab.so.1 / libxenevtchn.so.1 replace Debian's: same
# sonames and versioned symbols, and a binary linked against the real ones
# binds to ours through LD_LIBRARY_PATH. Prints TAP.
set -u

build=${top_builddir:-.}
lib=$(cd "$build/tests/xenemu/lib" && pwd)
probe=$build/tests/xenemu/test-xenemu-gnttab
work=$(mktemp -d /tmp/xenemu-standin-XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() {
	desc=$1
	shift
	if "$@" >"$work/out" 2>&1; then ok "$desc"; else not_ok "$desc"; sed 's/^/# /' "$work/out"; fi
}
# "VERSION SYMBOL" for every symbol a library defines.
exports() { objdump -T "$1" | awk '$2 == "g" && $0 !~ /\*UND\*/ { print $(NF-1), $NF }' | sort; }

for name in libxengnttab.so.1 libxenevtchn.so.1; do
	pc=${name%%.so.1}
	pc=${pc#lib}
	real=$(pkg-config --variable=libdir "$pc")/$name
	check "$name: real library found" test -f "$real"
	readelf -d "$lib/$name" >"$work/dyn"
	check "$name: soname $name" grep -q "Library soname: \[$name\]" "$work/dyn"
	exports "$real" >"$work/real"
	exports "$lib/$name" >"$work/ours"
	check "$name: exports the real library's symbols with its versions" \
		diff "$work/real" "$work/ours"
done

LD_LIBRARY_PATH=$lib ldd "$probe" >"$work/ldd" 2>&1
check "ldd: libxengnttab.so.1 resolves to the stand-in" \
	grep -q "libxengnttab.so.1 => $lib/libxengnttab.so.1" "$work/ldd"
check "ldd: libxenevtchn.so.1 resolves to the stand-in" \
	grep -q "libxenevtchn.so.1 => $lib/libxenevtchn.so.1" "$work/ldd"

# Bind everything at start-up and log it; -l only lists the tests.
LD_LIBRARY_PATH=$lib LD_BIND_NOW=1 LD_DEBUG=bindings "$probe" -l >/dev/null 2>"$work/bindings"
for sym in xengnttab_open:VERS_1.0 xengnttab_map_domain_grant_refs:VERS_1.0 \
	   xengnttab_unmap:VERS_1.0 xengnttab_grant_copy:VERS_1.1 \
	   xengntshr_share_pages:VERS_1.0 xenevtchn_open:VERS_1.0 \
	   xenevtchn_bind_interdomain:VERS_1.0 xenevtchn_pending:VERS_1.0 xenevtchn_fd:VERS_1.0; do
	s=${sym%%:*}
	v=${sym#*:}
	check "LD_DEBUG=bindings: $s binds to the stand-in [$v]" \
		grep -q "to $lib/lib[a-z]*\.so\.1 \[0\]: normal symbol \`$s' \[$v\]" "$work/bindings"
done
check "LD_DEBUG=bindings: nothing binds to Debian's libraries" \
	sh -c "! grep -E 'to /(usr/)?lib.*/libxen(gnttab|evtchn)' '$work/bindings'"

echo "1..$n"
exit $failed
