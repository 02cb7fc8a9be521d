# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/: the Debian package of debian/, built and inspected.
TESTS += tests/packaging/test-deb.sh
EXTRA_DIST += tests/packaging/test-deb.sh
