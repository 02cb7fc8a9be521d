#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Xen 4.20 lab (Debian 13 packages) with xen9pd from this build: TAP from lab.sh.
. "$(dirname "$0")/../vm-tests.sh"
exec bash "$(dirname "$0")/lab.sh" 4.20
