# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# apt-sources.sh: sourced by the lab's image builders (build-image.sh,
# debian-dom0/build.sh). The host's Debian archive, for another suite.
#
# The archive's host name is never written into the tree: it is read from the host's
# apt configuration at run time. Each host entry for a bookworm suite (bookworm,
# bookworm-updates, bookworm-security; component main) becomes the same entry for the
# suite asked for. deb822 (.sources) and one-line (.list) styles.

# host_entries: prints "URI SUITE" pairs of the host's bookworm* main entries
host_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = ""; c = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) u = $i; if ($i ~ /^Suites:/) s = $i; if ($i ~ /^Components:/) c = $i }
        if (c !~ /[ \t]main([ \t]|$)/) next
        sub(/^URIs:[ \t]*/, "", u); sub(/^Suites:[ \t]*/, "", s)
        nu = split(u, us, /[ \t]+/); ns = split(s, ss, /[ \t]+/)
        for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
          if (ss[k] ~ /^bookworm(-updates|-security)?$/) print us[j], ss[k] }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    awk '$1 == "deb" { sub(/\[[^]]*\][ \t]*/, "")
         if ($3 ~ /^bookworm(-updates|-security)?$/ && $0 ~ /[ \t]main([ \t]|$)/) print $2, $3 }' "$f"
  done
}

# suite_sources SUITE: one-line sources.list entries for SUITE (and its -updates,
# -security) on the host's archive, signed by Debian's archive keyring
suite_sources() {
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg uri suite
  host_entries | sort -u | while read -r uri suite; do
    echo "deb [signed-by=$keyring] $uri ${suite/bookworm/$1} main"
  done
}
