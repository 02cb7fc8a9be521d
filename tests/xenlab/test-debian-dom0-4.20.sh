#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A full-Debian dom0 on Xen 4.20 (Debian 13): systemd as PID 1, xen9p's .deb from this
# tree, a guest xendomains starts with a p9 share, a reboot, `systemctl stop xen9pd`.
# TAP from debian-dom0/run.sh.
. "$(dirname "$0")/../vm-tests.sh"
exec bash "$(dirname "$0")/debian-dom0/run.sh" 4.20
