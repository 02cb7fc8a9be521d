#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: the Debian package (debian/) builds from a copy of the source
# tree with `dpkg-buildpackage -us -uc -b`, lintian finds nothing, and the
# .deb holds the daemon, the CLI, the benchmark, their man pages and a unit
# whose ExecStart names the packaged daemon; its maintainer scripts enable
# the unit and an upgrade restarts it (guests keep their shares); the
# configuration file is a conffile.  TAP.
set -u
export LC_ALL=C
SRC=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tap-lib.sh"
for t in dpkg-buildpackage dpkg-deb lintian; do
    command -v "$t" > /dev/null || bail "$t is missing (see scripts/deps.txt)"
done
W=$(mktemp -d /tmp/xen9p-deb-XXXXXX)
trap 'rm -rf "$W"' EXIT
# the tracked files only: a build directory inside the tree is not source
mkdir "$W/xen9p"
if git -C "$SRC" rev-parse --git-dir > /dev/null 2>&1; then
    git -C "$SRC" ls-files -z | (cd "$SRC" && tar --null -T - -cf -) | tar -C "$W/xen9p" -xf -
else
    (cd "$SRC" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$W/xen9p" -xf -
fi
# A clean build: nothing of the `make check` running this test (its MAKEFLAGS
# carry TESTS=, which would make the package's own check run this test again).
if (cd "$W/xen9p" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u TESTS \
        -u top_builddir -u top_srcdir dpkg-buildpackage -us -uc -b) > "$W/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b builds the package"
else
    not_ok "dpkg-buildpackage -us -uc -b builds the package" "$(tail -20 "$W/build.log")"
    tap_end; exit 1
fi
DEB=$(ls "$W"/xen9p_*.deb | head -1)
lint=$(lintian --allow-root --fail-on none "$W"/*.changes 2>&1)
[ -z "$lint" ] && ok "lintian: no tag" || not_ok "lintian: no tag" "$lint"
files=$(dpkg-deb -c "$DEB" | awk '{ print $6 }')
for f in ./usr/sbin/xen9pd ./usr/sbin/xen9p ./usr/bin/xen9p-bench ./lib/systemd/system/xen9pd.service \
         ./usr/share/man/man8/xen9pd.8.gz ./usr/share/man/man8/xen9p.8.gz \
         ./usr/share/man/man1/xen9p-bench.1.gz ./usr/share/doc/xen9p/copyright \
         ./etc/xen9p/xen9pd.conf; do
    echo "$files" | grep -qx "$f" && ok "the package holds ${f#.}" || not_ok "the package holds ${f#.}"
done
dpkg-deb -x "$DEB" "$W/root"
exec_start=$(sed -n 's/^ExecStart=//p' "$W/root/lib/systemd/system/xen9pd.service")
if [ "$exec_start" = "/usr/sbin/xen9pd --foreground" ] && [ -x "$W/root/usr/sbin/xen9pd" ]; then
    ok "the unit starts the packaged daemon: $exec_start"
else
    not_ok "the unit starts the packaged daemon" "ExecStart=$exec_start"
fi
reload=$(sed -n 's/^ExecReload=//p' "$W/root/lib/systemd/system/xen9pd.service")
[ "$reload" = "/usr/sbin/xen9p reload" ] && ok "systemctl reload runs $reload" ||
    not_ok "systemctl reload runs the packaged xen9p reload" "ExecReload=$reload"
dpkg-deb -e "$DEB" "$W/control"
grep -qx /etc/xen9p/xen9pd.conf "$W/control/conffiles" &&
    ok "the configuration file is a conffile (an administrator's edits survive upgrades)" ||
    not_ok "the configuration file is a conffile" "$(cat "$W/control/conffiles" 2>&1)"
grep -q "deb-systemd-helper enable 'xen9pd.service'" "$W/control/postinst" &&
    ok "postinst enables xen9pd.service" || not_ok "postinst enables xen9pd.service"
# An upgrade must not take running guests' shares away: it restarts xen9pd (whose
# workers serve on) and then upgrades the workers; only a removal stops it.
if grep -q "_dh_action=restart" "$W/control/postinst" &&
   grep -q "xen9p upgrade all" "$W/control/postinst" &&
   grep -q '"$1" = remove' "$W/control/prerm"; then
    ok "an upgrade restarts xen9pd and upgrades its workers, never stops it (a removal does)"
else
    not_ok "an upgrade restarts xen9pd and upgrades its workers, never stops it" \
        "$(cat "$W/control/postinst" "$W/control/prerm")"
fi
tap_end
