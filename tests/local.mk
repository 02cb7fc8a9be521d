# SPDX-License-Identifier: GPL-2.0-or-later
include tests/unit/local.mk
include tests/integration/local.mk
include tests/xenemu/local.mk
include tests/frontend/local.mk
include tests/fuzz/local.mk
include tests/linux-guest/local.mk
include tests/xenlab/local.mk
include tests/xenbackend/local.mk
