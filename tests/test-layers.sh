#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The tree shows the layers (docs/design.md "Layers"), and this keeps it so
# (TAP): each directory includes only the layers it may call (down), only the
# supervisor and the xenstore helpers include xenstore.h, the worker and the
# server never do, and no header includes itself through others.

set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top_srcdir" || exit 1
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# DIR ALLOWED...: every project include in DIR/*.[ch] starts with an allowed prefix
only_includes() {
    local dir=$1 bad; shift
    bad=$(grep -Hn '#include "[a-z]' "$dir"/*.[ch] | grep -v '#include "config.h"' |
          while IFS= read -r line; do
              inc=${line#*#include \"}; inc=${inc%%\"*}
              allowed=
              for a in "$@"; do case $inc in "$a"*) allowed=1 ;; esac; done
              [ -n "$allowed" ] || echo "$line"
          done)
    if [ -z "$bad" ]; then ok "$dir includes only: $*"
    else not_ok "$dir includes only: $*"; echo "$bad" | sed 's/^/# /'; fi
}
only_includes ring ring/
only_includes fsdrv fsdrv/
only_includes backend/proto backend/proto/
only_includes backend/common backend/common/ fsdrv/fsdrv.h
only_includes backend/server backend/server/ backend/proto/ backend/common/ fsdrv/fsdrv.h
only_includes backend/xen backend/xen/ backend/server/ backend/proto/ backend/common/ ring/
only_includes backend/worker backend/worker/ backend/xen/ backend/server/ backend/proto/ \
    backend/common/ fsdrv/fsdrv.h ring/
# the supervisor never parses 9P nor touches a ring
only_includes backend/supervisor backend/supervisor/ backend/worker/ backend/common/ fsdrv/fsdrv.h
only_includes tools tools/ backend/proto/ backend/common/ ring/

# xenstore: the supervisor, the helpers and the tools; never a worker or the server
users=$(grep -l '#include <xenstore.h>' backend/*/*.[ch] backend/*.c 2> /dev/null |
        grep -v -e '^backend/supervisor/' -e '^backend/common/xen_store')
if [ -z "$users" ]; then ok "only the supervisor and its helpers include xenstore.h"
else not_ok "only the supervisor and its helpers include xenstore.h"; echo "$users" | sed 's/^/# /'; fi

# no include cycle among the project's headers
cycle=$(find ring fsdrv backend tools tests -name '*.h' | sort | while read -r h; do
            grep -o '#include "[^"]*\.h"' "$h" | sed 's/#include "\(.*\)"/\1/' |
                grep -v '^config.h$' | sed "s|^|$h |"
        done | tsort 2>&1 > /dev/null | grep -i 'cycle\|loop')
if [ -z "$cycle" ]; then ok "no include cycle"
else not_ok "no include cycle"; echo "$cycle" | sed 's/^/# /'; fi

echo "1..$n"
exit $((failed > 0))
