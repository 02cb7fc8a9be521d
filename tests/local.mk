# SPDX-License-Identifier: GPL-2.0-or-later
include tests/unit/local.mk
include tests/integration/local.mk
include tests/xenemu/local.mk
include tests/frontend/local.mk
include tests/fuzz/local.mk
include tests/linux-guest/local.mk
include tests/interop/local.mk
include tests/packaging/local.mk
include tests/xenlab/local.mk
include tests/xenbackend/local.mk

# The layers keep to their includes (docs/design.md "Layers").
TESTS += tests/test-layers.sh
EXTRA_DIST += tests/test-layers.sh tests/tap-lib.sh tests/vm-tests.sh
