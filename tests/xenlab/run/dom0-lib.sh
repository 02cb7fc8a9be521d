# SPDX-License-Identifier: GPL-2.0-or-later
# dom0-lib.sh: helpers for the lab's dom0 scripts (busybox sh), sourced as /xenlab/lib.sh.
#
# Results travel to the host through the serial console as lines that lab.sh parses:
#   @@TAP ok DESC | @@TAP not ok DESC | @@TAP skip DESC # WHY, then @@DIAG lines
#   @@PHASE NAME begin|done UPTIME (lab.sh fails every declared phase that never finished)
# domUs are driven through xenstore: dom0 writes data/xenlab/cmd/N (a shell command
# line), the domU agent (domu-main.sh) runs it with its output on the domU console and
# writes data/xenlab/rc/N. dom0 reads the consoles from xenconsoled's logs.
# Functions keep their variables `local`: callers use the same short names.

XEN=$(cat /xenlab/xen-version)
BACKEND=$(cat /xenlab/backend)
XEN9PD_LOG=/var/log/xen9pd.log
XEN9PD_PID=/run/xen9pd.pid
L=/run/lab
mkdir -p "$L"

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "@@LAB $* ($(up))"; }
diag() { sed 's/^/@@DIAG /'; }
tap_ok() { echo "@@TAP ok $*"; }
tap_fail() {
  echo "@@TAP not ok $1"; shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | diag
  return 0
}
tap_skip() { echo "@@TAP skip $1 # $2"; }
# check DESC CMD...: ok when CMD succeeds, else not ok with CMD's output as diagnostics
check() {
  local desc=$1 out; shift
  if out=$("$@" 2>&1); then tap_ok "$desc"; else tap_fail "$desc" "$out"; return 1; fi
}
# expect DESC GOT WANT
expect() { if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1" "got '$2', want '$3'"; return 1; fi; }

PHASE=
phase() {
  [ -n "$PHASE" ] && echo "@@PHASE $PHASE done $(up)"
  PHASE=$1; echo "@@PHASE $PHASE begin $(up)"
}
phase_end() { [ -n "$PHASE" ] && echo "@@PHASE $PHASE done $(up)"; PHASE=; }

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds; 1 on timeout
wait_for() {
  local n=$(( $1 * 5 )); shift
  while ! "$@" > /dev/null 2>&1; do
    n=$((n - 1)); [ "$n" -le 0 ] && return 1
    sleep 0.2
  done
  return 0
}
# wait_slowly SECONDS CMD...: the same for long waits, polling ever less often (to 1 s)
wait_slowly() {
  local left=$(( $1 * 10 )) step=2 n=0; shift   # tenths of a second
  while ! "$@" > /dev/null 2>&1; do
    [ "$left" -le 0 ] && return 1
    case $step in 10) sleep 1 ;; *) sleep "0.$step" ;; esac
    left=$((left - step)); n=$((n + 1))
    [ $n = 5 ] && step=5
    [ $n = 15 ] && step=10
  done
  return 0   # (a while loop's status is its body's last command's)
}
elapsed() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }

# ---- domU consoles -----------------------------------------------------------------
# Copies a guest's console to the serial console as "[NAME] line": one long-lived
# tail per guest. (Every process dom0 spawns costs ~0.1 s of emulated CPU, which the
# domUs then lack: no polling loops here.)
# (To /dev/console: it is started inside $(domu_create ...), whose pipe it must not hold.)
console_follow() {
  tail -n +1 -F "/var/log/xen/console/guest-$1.log" 2> /dev/null < /dev/null \
    | awk -v n="$1" '{ sub(/\r$/, ""); print "[" n "] " $0; fflush() }' > /dev/console 2>&1 &
}

# ---- domUs ------------------------------------------------------------------------------
# domu_create NAME MEMORY [P9-LINE [VCPUS]]: xl create a PV domU that runs the lab agent
# and print its domid (the domain boots on; domu_ready waits for it). The P9-LINE goes
# verbatim into the config. The kernel logs warnings on the console (loglevel=5), so
# a "Wrong req tag" reaches dom0 even from a guest that hangs afterwards.
domu_create() {
  local name=$1 mem=$2 p9=${3:-} vcpus=${4:-1} d
  {
    echo "name = \"$name\""
    echo 'type = "pv"'
    echo 'kernel = "/xenlab/vmlinuz"'
    echo 'ramdisk = "/xenlab/domu.gz"'
    echo 'extra = "console=hvc0 loglevel=5"'
    echo "memory = $mem"
    echo "vcpus = $vcpus"
    echo 'on_poweroff = "destroy"'
    echo 'on_crash = "destroy"'
    echo "$p9"
  } > "$L/$name.cfg"
  if ! xl create "$L/$name.cfg" > "$L/$name.create.log" 2>&1; then
    sed "s/^/xl create: /" "$L/$name.create.log" >&2
    return 1
  fi
  console_follow "$name"
  d=$(xl domid "$name") || return 1
  echo "$name" > "$L/name-$d"; echo 0 > "$L/seq-$d"; rm -f "$L/wedged-$d"
  echo "$d"
}
# domu_ready DOMID: wait until the domU's agent answers
domu_ready() {
  [ -n "$1" ] && wait_slowly 120 xenstore-read "/local/domain/$1/data/xenlab/ready"
}
domu_console() { tr -d '\r' < "/var/log/xen/console/guest-$(cat "$L/name-$1").log" 2> /dev/null; }
# domu_send DOMID CMD: start CMD in the domU, print its number (for domu_wait, domu_out)
domu_send() {
  local d=$1 n; shift
  [ -n "$d" ] && [ -e "$L/seq-$d" ] && [ ! -e "$L/wedged-$d" ] || { echo 0; return 1; }
  n=$(( $(cat "$L/seq-$d") + 1 )); echo "$n" > "$L/seq-$d"
  xenstore-write "/local/domain/$d/data/xenlab/cmd/$n" "$*"
  echo "$n"
}
# domu_wait DOMID N TIMEOUT: CMD N's status (124: timed out, 125: never started or the
# agent is stuck in an earlier command that timed out)
domu_wait() {
  local d=$1 n=$2 t=$3
  [ "$n" -gt 0 ] 2> /dev/null || return 125
  if ! wait_slowly "$t" xenstore-read "/local/domain/$d/data/xenlab/rc/$n"; then
    touch "$L/wedged-$d"; say "domU $d: command $n timed out after $t s"
    return 124
  fi
  # the console log may lag the rc node a little
  wait_for 5 grep -q "^@@CMD $n end" "/var/log/xen/console/guest-$(cat "$L/name-$d").log"
  return "$(xenstore-read "/local/domain/$d/data/xenlab/rc/$n")"
}
# domu_run DOMID TIMEOUT CMD: run CMD in the domU and wait for it
domu_run() {
  local d=$1 t=$2 n; shift 2
  n=$(domu_send "$d" "$@")
  domu_wait "$d" "$n" "$t"
}
# domu_out DOMID [N]: console output of command N (default: the last one)
domu_out() {
  local n=${2:-}; [ -n "$n" ] || n=$(cat "$L/seq-$1" 2> /dev/null) || return 0
  domu_console "$1" | sed -n "/^@@CMD $n begin/,/^@@CMD $n end/p" | sed '1d;$d'
}
# Kernel messages of a guest whose 9p transport went wrong: a reply it could not place
# ("Wrong req tag", an oversized reply), a CPU spinning (soft lockup, RCU stall) or a
# task stuck (hung task). Read from the console log in dom0: works for a hung guest.
GUEST_ALARMS='soft lockup|rcu.*(stall|detected)|Wrong req tag|blocked for more than|requested packet size too big|BUG:|Oops'
domu_alarms() { domu_console "$1" | grep -E "$GUEST_ALARMS" | head -5; }
no_domu_alarms() { [ -z "$(domu_alarms "$1")" ]; }
domu_gone() { ! xl domid "$1" > /dev/null 2>&1; }

# ---- the emulated CPU ------------------------------------------------------------------
# vector_preflight DOMID: the CPU keeps vector registers across context switches, in dom0
# and in the domU, while both run (tests/xenlab/vector-check.c). Under TCG with XSAVE
# exposed (-cpu max without -xsave) both lose AVX state once a domU runs: glibc's memcpy
# then writes wrong bytes anywhere, 9P reply headers included, and Linux guests spin on
# them (tests/xenlab/README.md "Vector state"). Nothing measured on such a CPU means
# anything, so a failure here ends the run (`lab_abort`). XENLAB_VECTOR_CHECK=0 in the
# host's environment skips it, to watch what the rest of the lab does on a broken CPU.
vector_preflight() {
  local d=$1 n out
  [ "$(cat /xenlab/vector-check 2> /dev/null)" = 0 ] && { tap_skip "vector state survives context switches" "XENLAB_VECTOR_CHECK=0"; return 0; }
  n=$(domu_send "$d" "/xenlab/workload/vector-check 6 2")
  out=$(vector-check 6 2)
  domu_wait "$d" "$n" 60
  out="dom0: $out; domU: $(domu_out "$d" "$n" | grep '^vector-check')"
  case "$out" in
    *CORRUPT* | *"domU: ") tap_fail "vector state survives context switches in dom0 and domU $(cat "$L/name-$d")" \
      "$out" "the emulated CPU loses vector registers: run QEMU with -cpu ...,-xsave (XENLAB_CPU)"; return 1 ;;
    *) tap_ok "vector state survives context switches in dom0 and domU $(cat "$L/name-$d") ($out)" ;;
  esac
}
# lab_abort WHY: ends the run (dom0 powers off; every later phase shows as unfinished)
lab_abort() { say "aborted: $*"; exit 1; }

# ---- the backend: xen9pd, or QEMU's Xen 9pfs backend (XENLAB_BACKEND=qemu) ---------
# xen9pd runs as systemd runs the packaged service (Type=notify, a descriptor store,
# Restart=always): under svc-standin (tests/integration/svc-standin.c), whose log
# ($SVC_LOG: "started pid=N fds=K", "ready pid=N", "exited pid=N code=C|signal=S",
# "store NAME ...", "stopped") names the daemon's current pid. Its workers outlive a
# restarted xen9pd; the next one takes them back from the store.
SVC_LOG=/var/log/svc.log
SVC_PID=/run/svc-standin.pid
# restarts the lab asked for ($L/svc-restarts): any other exit of xen9pd is a crash
svc_pid() { cat "$SVC_PID" 2> /dev/null; }
svc_starts() { grep -c '^started pid=' "$SVC_LOG" 2> /dev/null; }
svc_exits() { grep -c '^exited pid=' "$SVC_LOG" 2> /dev/null; }
svc_restarts_asked() { cat "$L/svc-restarts" 2> /dev/null || echo 0; }
xen9pd_pid() {
  if [ -s "$SVC_LOG" ]; then sed -n 's/^started pid=\([0-9]*\).*/\1/p' "$SVC_LOG" | tail -1
  else cat "$XEN9PD_PID" 2> /dev/null; fi
}
# xen9pd_alive: the daemon runs, and never exited but when the lab restarted it
xen9pd_alive() {
  local p; p=$(xen9pd_pid) && [ -n "$p" ] && [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" &&
    { [ ! -s "$SVC_LOG" ] || [ "$(svc_exits)" -le "$(svc_restarts_asked)" ]; }
}
xen9pd_dead() { ! xen9pd_alive; }
# xen9pd's workers: the pids of its child processes (one per connected device), and
# those of an earlier xen9pd it took back (svc-standin, a child subreaper as systemd
# is, is their parent now)
xen9pd_workers() {
  local p s; p=$(xen9pd_pid) && [ -n "$p" ] || return 1
  s=$(svc_pid)
  cat /proc/"$p"/task/*/children ${s:+/proc/$s/task/*/children} 2> /dev/null | tr ' ' '\n' | grep . | grep -vx "$p"
}
# xen9pd and its workers
xen9pd_tree() { xen9pd_pid; xen9pd_workers; }
# worker_of DOMID DEVID: the pid of that device's worker (`xen9p list --verbose`)
worker_of() {
  xen9p list --verbose 2> /dev/null | awk -v d="$1" -v v="$2" '
    $1 == d && $2 == v { mine = 1; next }
    mine && $1 == "worker:" { print ($2 == "pid" ? $3 : ""); exit }
    { mine = 0 }'
}
# dev_workers: "DOMID/DEVID WORKER-PID" for every device xen9pd lists
dev_workers() {
  xen9p list --verbose 2> /dev/null | awk '
    $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { dev = $1 "/" $2; next }
    $1 == "worker:" && dev != "" { print dev, ($2 == "pid" ? $3 : "none"); dev = "" }'
}
# worker_diag PID: what a worker is doing, as diagnostics (state, signals, descriptors,
# each thread's state, wait channel and kernel stack)
worker_diag() {
  local w=$1 t
  [ -d "/proc/$w" ] || { echo "worker $w: gone"; return; }
  echo "worker $w: $(grep -E '^(State|Threads|SigPnd|ShdPnd|SigBlk|SigCgt)' "/proc/$w/status" | tr '\t\n' ' ')"
  echo "worker $w: $(ls "/proc/$w/fd" 2> /dev/null | wc -l) descriptors, $(grep 'Max open files' "/proc/$w/limits" | tr -s ' ')"
  for t in /proc/"$w"/fd/*; do
    echo "  fd ${t##*/} -> $(readlink "$t") $(grep -E '^(eventfd-count|flags)' "/proc/$w/fdinfo/${t##*/}" 2> /dev/null | tr -s '\t\n' '  ')"
  done
  for t in /proc/"$w"/task/*; do
    echo "thread ${t##*/} ($(cat "$t/comm")): state $(sed 's/.*) //' "$t/stat" | cut -d' ' -f1), wchan $(cat "$t/wchan" 2> /dev/null), syscall $(cut -d' ' -f1-3 "$t/syscall" 2> /dev/null)"
    [ -r "$t/stack" ] && sed 's/^/    /' "$t/stack" 2> /dev/null | head -8
  done
}
# status_field PID FIELD: a field of /proc/PID/status ("NoNewPrivs", "Seccomp", "CapEff")
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# xen9pd_start [OPTION...]: xen9pd as dom0's backend service, in the background:
#   svc-standin --log $SVC_LOG -- xen9pd --foreground --pid-file $XEN9PD_PID OPTION...
# (the daemon's log, its later incarnations' too, in $XEN9PD_LOG); returns once it is
# ready. Not under `check`: the daemon would hold check's output pipe open.
xen9pd_start() {
  mkdir -p /tmp; : > "$SVC_LOG"; echo 0 > "$L/svc-restarts"
  svc-standin --log "$SVC_LOG" -- xen9pd --foreground --pid-file "$XEN9PD_PID" "$@" > "$XEN9PD_LOG" 2>&1 &
  echo $! > "$SVC_PID"
  wait_for 10 grep -q '^ready pid=' "$SVC_LOG" && wait_for 5 test -s "$XEN9PD_PID"
}
# xen9pd_restart USR1|USR2: `systemctl restart xen9pd` (USR1: SIGTERM to the daemon,
# started again with the store) or a crash (USR2: SIGKILL to it, started again by
# Restart=always), through svc-standin; returns at once
xen9pd_restart() {
  echo $(( $(svc_restarts_asked) + 1 )) > "$L/svc-restarts"
  kill -"$1" "$(svc_pid)"
}
# xen9pd_stop: svc-standin's stop (SIGTERM to it: it sends xen9pd SIGTERM, releases the
# store, waits for the workers). The packaged unit stops xen9pd with SIGINT, which closes
# every device; SIGTERM hands them over: the lab stops it only once no device is left.
xen9pd_stop() {
  echo $(( $(svc_restarts_asked) + 1 )) > "$L/svc-restarts"
  kill -TERM "$(svc_pid)"
}
# svc_stopped: svc-standin logged its stop and ended (a zombie until the shell reaps it)
svc_stopped() {
  local s; s=$(svc_pid)
  grep -q '^stopped' "$SVC_LOG" && { [ ! -d "/proc/$s" ] || grep -q '^State:.*Z' "/proc/$s/status"; }
}
# svc_stopped_clean: and it released the store, and had no worker left to kill
svc_stopped_clean() { svc_stopped && grep -q '^released' "$SVC_LOG" && ! grep -q '^children-left' "$SVC_LOG"; }
# Kind of backend directory the shares use: xen9pd serves libxl's xen_9pfs kind.
be_kind() { if [ "$BACKEND" = qemu ]; then echo 9pfs; else echo xen_9pfs; fi; }

# state_at_least DIR N: the xenbus state in DIR/state is N or later
state_at_least() { local v; v=$(xenstore-read "$1/state" 2> /dev/null) && [ "$v" -ge "$2" ]; }
# share_attach DOMID tag=T,path=P,...: hot-attach a share, print the device id
share_attach() {
  if [ "$BACKEND" = xen9pd ]; then xen9p attach "$@"; return; fi
  local d=$1 spec=$2 tag path dev fe be
  tag=$(echo "$spec" | tr ',' '\n' | sed -n 's/^tag=//p')
  path=$(echo "$spec" | tr ',' '\n' | sed -n 's/^path=//p')
  dev=0; while xenstore-exists "/local/domain/0/backend/9pfs/$d/$dev"; do dev=$((dev + 1)); done
  fe=/local/domain/$d/device/9pfs/$dev be=/local/domain/0/backend/9pfs/$d/$dev
  # the same nodes and permissions libxl writes; the frontend sees the device at chmod
  xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$d" "$be/online" 1 "$be/state" 1 \
    "$be/path" "$path" "$be/security_model" none
  xenstore-chmod -r "$be" n0 "r$d"
  xenstore-write "$fe/backend" "$be" "$fe/backend-id" 0 "$fe/state" 1 "$fe/tag" "$tag"
  xenstore-chmod -r "$fe" "n$d" r0
  # QEMU serves the devices it finds when it starts (and, 7.2, ones added later)
  if [ ! -e "$L/qemu-$d.pid" ]; then
    xen-qemu-system-i386 -xen-domid "$d" -xen-attach -name "dom$d" -nographic -nodefaults \
      -no-user-config -machine xenpv -m 64 -display none -monitor none \
      > "/var/log/xen/qemu-$d.log" 2>&1 &
    echo $! > "$L/qemu-$d.pid"
  fi
  # QEMU needs a while to start under TCG; the frontend may connect at once
  if ! wait_slowly 120 state_at_least "$be" 2; then
    echo "backend never reached InitWait" >&2
    return 1
  fi
  echo "$dev"
}
# share_detach DOMID DEVID
share_detach() {
  if [ "$BACKEND" = xen9pd ]; then xen9p detach "$@"; return; fi
  local be=/local/domain/0/backend/9pfs/$1/$2
  xenstore-write "$be/online" 0 "$be/state" 5
  wait_for 10 state_at_least "$be" 6
  xenstore-rm "/local/domain/$1/device/9pfs/$2"; xenstore-rm "$be"
}

# One of the daemon-wide counters of `xen9p list`'s last line:
#   daemon: pid=N devices=N mapped_pages=N event_channels=N open_files=N
xen9p_counter() { xen9p list 2> /dev/null | sed -n "s/^daemon:.* $1=\([0-9]*\).*/\1/p"; }
counter_is() { [ "$(xen9p_counter "$1")" = "$2" ]; }
# Pages xen9pd and its workers map from guests, from their /proc maps (gntdev mappings;
# a worker's show the device's path as its own root sees it: "/xen/gntdev")
gntdev_pages() {
  local p maps=
  for p in $(xen9pd_tree); do maps="$maps /proc/$p/maps"; done
  awk '/gntdev/ { split($1, r, "-"); n += (("0x" r[2]) - ("0x" r[1])) / 4096 } END { print n + 0 }' \
    $maps 2> /dev/null
}
# Grant pages a Linux frontend shares for device DOMID/DEVID: rings x (1 + 2^order),
# order = min(what the backend offers, 9)
expected_pages() {
  local be=/local/domain/0/backend/$(be_kind)/$1/$2 r o
  r=$(xenstore-read "/local/domain/$1/device/9pfs/$2/num-rings")
  o=$(xenstore-read "$be/max-ring-page-order"); [ "$o" -gt 9 ] && o=9
  echo $(( r * (1 + (1 << o)) ))
}
# Open descriptors of xen9pd that point at DIR or beneath it (a worker's show
# paths of its own root: its export is counted by worker_count instead)
xen9pd_fds_under() {
  ls -l "/proc/$(xen9pd_pid)/fd" 2> /dev/null | awk -v d="$1" 'index($NF, d "/") == 1 || $NF == d'
}
worker_count() { xen9pd_workers | wc -l; }
no_fds_under() { [ -z "$(xen9pd_fds_under "$1")" ]; }
# xen9p_has DOMID DEVID [TAG]: `xen9p list` has that device (DOM DEV TAG ... columns)
xen9p_has() { xen9p list 2> /dev/null | awk -v d="$1" -v v="$2" -v t="${3:-}" '$1 == d && $2 == v && (t == "" || $3 == t) { f = 1 } END { exit !f }'; }
xen9p_has_dom() { xen9p list 2> /dev/null | awk -v d="$1" '$1 == d { f = 1 } END { exit !f }'; }
xen9p_lacks() { ! xen9p_has "$@"; }
xen9p_lacks_dom() { ! xen9p_has_dom "$1"; }
# ring_stat DOMID DEVID KEY: KEY=value summed over the device's rings (`xen9p rings`)
ring_stat() {
  xen9p rings 2> /dev/null | awk -v d="$1" -v v="$2" -v k="$3" '
    $1 == "device" { mine = ($2 == d && $3 == v) }
    $1 == "ring" && mine { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } }
    END { print s + 0 }'
}
# ring_stat_max DOMID DEVID KEY: the largest KEY over the device's rings
ring_stat_max() {
  xen9p rings 2> /dev/null | awk -v d="$1" -v v="$2" -v k="$3" '
    $1 == "device" { mine = ($2 == d && $3 == v) }
    $1 == "ring" && mine { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k && kv[2] > m) m = kv[2] } }
    END { print m + 0 }'
}
# dump_dev DOMID DEVID: a device's xenstore nodes and xen9pd's own messages, as diagnostics
dump_dev() {
  xenstore-ls -fp "/local/domain/0/backend/$(be_kind)/$1/$2" 2>&1 | diag
  xenstore-ls -fp "/local/domain/$1/device/9pfs/$2" 2>&1 | diag
  [ -f "$XEN9PD_LOG" ] && grep -v ' v9fs_' "$XEN9PD_LOG" | tail -8 | diag
}
