# SPDX-License-Identifier: GPL-2.0-or-later
# tests/linux-guest/: the real Linux 9p client against xen9pd's socket
# transport, in a Debian guest under QEMU TCG (image cached outside the tree,
# see build-image.sh); the workload it runs lives in tests/workload/.
TESTS += tests/workload/test-workload-selftest.sh tests/linux-guest/test-linux-client.sh
EXTRA_DIST += \
	tests/workload/test-workload-selftest.sh \
	tests/linux-guest/test-linux-client.sh \
	tests/linux-guest/run-guest.sh \
	tests/linux-guest/guest-run.sh \
	tests/linux-guest/build-image.sh \
	tests/workload/wl-common.sh \
	tests/workload/guest-workload.sh \
	tests/workload/host-prepare.sh \
	tests/workload/host-verify.sh
# console, server logs, results and summary of the last run, per server
CLEANFILES += tests/linux-guest/artifacts/*.log tests/linux-guest/artifacts/*.txt
