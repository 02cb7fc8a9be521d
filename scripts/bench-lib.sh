# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmark scripts: the emulated Xen (tests/xenemu), xen9pd against
# it, shares attached with xen9p, and xen9p-bench run as a guest domain.
#   . scripts/bench-lib.sh BUILDDIR    then bench_start, bench_daemon, bench_attach...
B=$(realpath "$1")
W=$(mktemp -d /tmp/xen9p-bench.XXXXXX)
export XEN9P_EMU_DIR=$W/emu
BENCH_PIDS=()
DAEMON_PID=
bench_cleanup() {
  for p in "${BENCH_PIDS[@]}" $DAEMON_PID; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap bench_cleanup EXIT
DOM0=(env XENSTORED_PATH="$XEN9P_EMU_DIR/xenstored.sock" LD_LIBRARY_PATH="$B/tests/xenemu/lib")

# bench_start DOMID...: the emulated xenstore, dom0 and the guest domains
bench_start() {
  "$B/tests/xenemu/xenemu-xenstored" --dir "$XEN9P_EMU_DIR" --daemon --pid-file "$W/xs.pid"
  BENCH_PIDS+=("$(cat "$W/xs.pid")")
  "${DOM0[@]}" "$B/tests/xenemu/xenemu-ctl" create-domain 0 Domain-0
  local d
  for d in "$@"; do "${DOM0[@]}" "$B/tests/xenemu/xenemu-ctl" create-domain "$d" "guest-$d"; done
}

# bench_daemon [XEN9PD OPTION...]: (re)starts xen9pd; its log is $W/xen9pd.log
bench_daemon() {
  bench_daemon_stop
  rm -f "$W/control.sock"
  "${DOM0[@]}" "$B/xen9pd" --foreground --control "$W/control.sock" "$@" >> "$W/xen9pd.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 50); do [ -S "$W/control.sock" ] && return; sleep 0.1; done
  echo "xen9pd did not start:" >&2; cat "$W/xen9pd.log" >&2; exit 1
}
bench_daemon_stop() {
  [ -n "$DAEMON_PID" ] || return 0
  kill "$DAEMON_PID" 2>/dev/null || true
  wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=
}

# bench_attach DOMID TAG [KEY=VALUE,...]: a share of $W/TAG for the domain; prints its device id
bench_attach() {
  mkdir -p "$W/$2"
  "${DOM0[@]}" "$B/xen9p" --control "$W/control.sock" attach "$1" "tag=$2,path=$W/$2${3:+,$3}"
}
bench_xen9p() { "${DOM0[@]}" "$B/xen9p" --control "$W/control.sock" "$@"; }

# bench_guest DOMID DEVID [xen9p-bench OPTION...]: xen9p-bench as that guest
bench_guest() {
  local dom=$1 dev=$2; shift 2
  env XEN9P_EMU_DOMID="$dom" XENSTORED_PATH="$XEN9P_EMU_DIR/dom$dom/xenstore.sock" \
    LD_LIBRARY_PATH="$B/tests/xenemu/lib" "$B/xen9p-bench" --device "device/9pfs/$dev" "$@"
}

# bench_header TEXT: what ran where
bench_header() { echo "# $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ): $*"; }

# An awk function for the scripts' summaries: median(LIST) of space-separated numbers.
BENCH_AWK_MEDIAN='
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }'
