#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# domu-main.sh: the lab's agent in a domU (PID 1 after /init). Runs the command lines
# dom0 posts in xenstore (data/xenlab/cmd/N, in order) with their output on the console
# between "@@CMD N begin" and "@@CMD N end rc=R", and answers data/xenlab/rc/N.
# xenstore, not the share under test, carries the control: a broken share cannot
# break the lab's own plumbing.
. /xenlab/domu-lib.sh
xenstore-write data/xenlab/ready "$(uptime_s)"
n=1
while :; do
  if cmd=$(xenstore-read "data/xenlab/cmd/$n" 2> /dev/null); then
    echo "@@CMD $n begin"
    ( eval "$cmd" ) < /dev/null 2>&1
    rc=$?
    echo "@@CMD $n end rc=$rc"
    xenstore-write "data/xenlab/rc/$n" "$rc"
    n=$((n + 1))
  else
    sleep 0.3
  fi
done
