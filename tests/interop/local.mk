# SPDX-License-Identifier: GPL-2.0-or-later
# tests/interop/: the same export served by QEMU's 9pfs (-virtfs) and by xen9pd,
# each read by the real Linux client (the guest image of tests/linux-guest).
TESTS += tests/interop/test-qemu-interop.sh
EXTRA_DIST += tests/interop/test-qemu-interop.sh tests/interop/interop-guest.sh
CLEANFILES += tests/interop/artifacts/*.log
