# SPDX-License-Identifier: GPL-2.0-or-later
# The Xen lab: real Xen 4.17 and 4.20 under QEMU (TCG) with xen9pd in dom0 and Linux
# domUs on its shares. Images are cached outside the tree (see tests/xenlab/README.md).
TESTS += tests/xenlab/test-xenlab-4.17.sh tests/xenlab/test-xenlab-4.20.sh
# A full-Debian dom0 (systemd, the .deb, xendomains, a reboot): tests/xenlab/README.md
TESTS += tests/xenlab/test-debian-dom0-4.20.sh
# The guests' parallel I/O checker: static, the lab's busybox guests have no libc of ours.
check_PROGRAMS += tests/workload/wl-stress
tests_workload_wl_stress_SOURCES = tests/workload/wl-stress.c
tests_workload_wl_stress_LDFLAGS = -static
# Does the emulated CPU keep vector registers across context switches? (lab preflight)
check_PROGRAMS += tests/xenlab/vector-check
tests_xenlab_vector_check_SOURCES = tests/xenlab/vector-check.c
tests_xenlab_vector_check_LDFLAGS = -static -pthread
# How long a guest waits for its share while dom0 upgrades workers (live-upgrade phase)
check_PROGRAMS += tests/xenlab/pause-probe
tests_xenlab_pause_probe_SOURCES = tests/xenlab/pause-probe.c
tests_xenlab_pause_probe_LDFLAGS = -static
EXTRA_DIST += \
	tests/xenlab/README.md \
	tests/xenlab/build-image.sh \
	tests/xenlab/apt-sources.sh \
	tests/xenlab/serial-check.sh \
	tests/xenlab/lab.sh \
	tests/xenlab/demo.sh \
	tests/xenlab/test-xenlab-4.17.sh \
	tests/xenlab/test-xenlab-4.20.sh \
	tests/xenlab/test-debian-dom0-4.20.sh \
	tests/xenlab/debian-dom0/build.sh \
	tests/xenlab/debian-dom0/run.sh \
	tests/xenlab/debian-dom0/agent.sh \
	tests/xenlab/debian-dom0/xenlab-agent.service \
	tests/xenlab/debian-dom0/domu-poweroff \
	tests/xenlab/image/dom0-init \
	tests/xenlab/image/domu-init \
	tests/xenlab/run/dom0-lib.sh \
	tests/xenlab/run/dom0-lab.sh \
	tests/xenlab/run/dom0-demo.sh \
	tests/xenlab/run/dom0-bench.sh \
	tests/xenlab/run/dom0-stress.sh \
	tests/xenlab/run/domu-main.sh \
	tests/xenlab/run/domu-lib.sh
