# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced first by the tests that boot guests under QEMU (the Linux client,
# the QEMU interoperability test, the Xen labs): with VM_TESTS=no
# (`./configure --disable-vm-tests` or `make check VM_TESTS=no`: a
# distribution's build, no QEMU, no images, no network) they skip, saying why.
if [ "${VM_TESTS:-yes}" = no ]; then
    echo "1..0 # SKIP VM_TESTS=no: this test boots guests under QEMU from downloaded Debian packages"
    exit 0
fi
