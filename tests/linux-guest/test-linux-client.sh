#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: the real Linux 9p client (Debian's kernel under QEMU TCG) runs
# the shared workload on a 9P2000.L and a 9P2000.u share served by the
# xen9pd built here, over its socket transport.  TAP; see run-guest.sh for the
# knobs (SERVER=diod runs the same against Debian's diod).
. "$(dirname "$0")/../vm-tests.sh"
exec bash "$(dirname "$0")/run-guest.sh"
