# SPDX-License-Identifier: GPL-2.0-or-later
# domu-lib.sh: what dom0 asks a lab domU to do (busybox sh). Each function prints
# "@@KEY value" lines that dom0 reads back from the console.

uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }'; }

# mount_share TAG MOUNTPOINT VERSION [SECONDS]: mount a Xen 9pfs share. The tag is
# known to 9pnet_xen only once the device has connected, so retry for a while.
mount_share() {
  mkdir -p "$2"
  t0=$(uptime_s) i=0
  while [ "$i" -lt "$(( ${4:-30} * 4 ))" ]; do
    if mount -t 9p -o "trans=xen,version=$3,msize=524288" "$1" "$2" 2> /tmp/mount.err; then
      echo "@@MOUNT ok after $(since "$t0") s: $(grep " $2 " /proc/mounts)"
      return 0
    fi
    sleep 0.25; i=$((i + 1))
  done
  echo "@@MOUNT failed: $(cat /tmp/mount.err)"
  for d in /sys/bus/xen/devices/9pfs-*; do
    [ -e "$d" ] && echo "@@MOUNT device ${d##*/}: state $(cat "$d/state" 2> /dev/null), driver $(basename "$(readlink "$d/driver")" 2> /dev/null)"
  done
  dmesg | grep -iE '9p|xen' | tail -10
  return 1
}

# workload MOUNTPOINT: tests/workload's guest side (knobs in the environment). Debian 13's
# busybox has getfattr/setfattr applets, and busybox-static's shell runs applets in
# preference to PATH: shell functions come first, so they bring attr's tools back.
workload() {
  sh -c 'getfattr() { /usr/bin/getfattr "$@"; }; setfattr() { /usr/bin/setfattr "$@"; }; . "$0"' \
    /xenlab/workload/guest-workload.sh "$1"
}

# io_once MOUNTPOINT NAME: write a file, read it back, list the directory (on 9p only)
# mapped_probe MOUNTPOINT: what the guest makes under a mapped model, then what it
# sees: "@@MX NAME MODE UID GID MAJOR MINOR TYPE" and "@@MX link TARGET"
mapped_probe() {
  ( cd "$1" && echo mapped > f && chown 1234:5678 f && chmod 4755 f && mknod nd c 1 3 &&
    ln -s some/target sl && chown -h 7:8 sl ) || { echo "@@MX failed to make the files"; return 1; }
  for n in f nd sl; do
    echo "@@MX $n $(stat -c '%a %u %g %t %T %F' "$1/$n")"
  done
  echo "@@MX link $(readlink "$1/sl")"
}

io_once() {
  grep -q " $1 9p " /proc/mounts || { echo "$1 is not a 9p mount"; return 1; }
  s="io $2 $(uptime_s) $$"
  echo "$s" > "$1/$2" && [ "$(cat "$1/$2")" = "$s" ] && ls "$1" > /dev/null
}

# ---- stress: parallel processes on every ring, replies and requests of msize --------
# stress MOUNTPOINT MIB: tests/workload/wl-stress on the share (every byte checked):
#   4 files of MIB MiB written at once (1 MiB write()s: requests of msize fill the
#   request rings); 6 readers and 2 writer/readers at once with 1 MiB calls (replies of
#   msize, several per ring: the reply rings fill up); 8 readers with 4 KiB calls over
#   an eighth of each file (many small requests per ring). Prints "@@ST" lines; status 0 iff all matched.
stress() {
  m=$1 mib=$2 s=/xenlab/workload/wl-stress d=$1/stress
  mkdir -p "$d" || return 1
  $s prepare "$d" 4 "$mib" 1048576 && $s mixed "$d" 4 "$mib" 1048576 6 2 2 &&
    $s mixed "$d" 4 "$mib" 4096 8 0 1 "$(( (mib + 7) / 8 ))"
  rc=$?
  rm -rf "$d"
  return $rc
}

# guest_alarms: kernel messages that mean the guest's 9p transport went wrong
guest_alarms() {
  dmesg | grep -E 'soft lockup|rcu.*stall|Wrong req tag|blocked for more than|hung_task|requested packet size too big' | tail -5
}

# ---- flush: a read that blocks in dom0 (dom0 binds its trace_pipe onto FILE) ------
# flush_block MOUNTPOINT FILE: start a reader of FILE, prove it is stuck in the
# backend, do other I/O meanwhile, SIGKILL it and time its death.
flush_block() {
  m=$1 f=$2
  dmesg | grep -c 'Wrong req tag' > /tmp/flush.wrongtag0
  cat "$m/$f" > /tmp/flush.out 2>&1 &
  pid=$!
  echo "$pid" > /tmp/flush.pid
  sleep 3
  st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)
  echo "@@FL reader pid=$pid state=${st:-gone} bytes=$(wc -c < /tmp/flush.out) wchan=$(cat "/proc/$pid/wchan" 2> /dev/null)"
  # other requests on the same mount while the reader is stuck (each bounded)
  t0=$(uptime_s)
  if timeout 10 sh -c ". /xenlab/domu-lib.sh; io_once '$m' flush-side-1 && io_once '$m' flush-side-2 && cat '$m/flush-side-1' > /dev/null"; then
    echo "@@FL side-io ok $(since "$t0")"
  else
    echo "@@FL side-io failed $(since "$t0")"
  fi
  t0=$(uptime_s)
  kill -9 "$pid"
  i=0
  # dead = reaped or a zombie (the shell reaps it at wait below)
  while [ "$i" -lt 1000 ]; do
    st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)
    [ -z "$st" ] || [ "$st" = Z ] && break
    sleep 0.01; i=$((i + 1))
  done
  if [ -z "$st" ] || [ "$st" = Z ]; then
    echo "@@FL died-after $(since "$t0")"
    wait "$pid" 2> /dev/null
  else
    echo "@@FL still-alive-after $(since "$t0") state=$st wchan=$(cat "/proc/$pid/wchan" 2> /dev/null)"
  fi
  return 0
}
# flush_after MOUNTPOINT: after dom0 released the read: the mount works, no stray reply
flush_after() {
  m=$1 pid=$(cat /tmp/flush.pid)
  st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)
  echo "@@FL reader-now ${st:-gone}"
  [ -z "$st" ] || [ "$st" = Z ] && wait "$pid" 2> /dev/null
  t0=$(uptime_s)
  if timeout 10 sh -c ". /xenlab/domu-lib.sh; io_once '$m' flush-after"; then
    echo "@@FL after-io ok $(since "$t0")"
  else
    echo "@@FL after-io failed $(since "$t0")"
  fi
  echo "@@FL wrong-req-tag $(( $(dmesg | grep -c 'Wrong req tag') - $(cat /tmp/flush.wrongtag0) ))"
  dmesg | grep -i '9p' | tail -5
}

# ---- module reload: unmount, unload the 9p modules, load them again, mount again ----
# xenbus holds a reference on a frontend module while one of its devices is bound
# (Linux >= 5.5), so the 9pfs devices are unbound from the driver before rmmod; insmod
# binds them again and the frontend connects anew.
modreload() {  # modreload TAG MOUNTPOINT VERSION
  tag=$1 m=$2 v=$3
  umount "$m" || { echo "@@MR umount failed"; return 1; }
  for dev in /sys/bus/xen/drivers/9pfs/9pfs-*; do
    [ -e "$dev" ] || continue
    echo "${dev##*/}" > /sys/bus/xen/drivers/9pfs/unbind || { echo "@@MR unbind ${dev##*/} failed"; return 1; }
    echo "@@MR unbound ${dev##*/}"
  done
  for mod in 9p 9pnet_xen 9pnet; do rmmod "$mod" || { echo "@@MR rmmod $mod failed"; return 1; }; done
  echo "@@MR unloaded: $(lsmod | grep -c 9p) 9p modules left"
  sleep 1
  for f in 9pnet.ko 9pnet_xen.ko 9p.ko; do insmod "/lib/modules/$f" || { echo "@@MR insmod $f failed"; return 1; }; done
  mount_share "$tag" "$m" "$v" 30 || { echo "@@MR mount failed"; return 1; }
  io_once "$m" after-reload && echo "@@MR io ok"
}

# ---- a loop of small I/O that must keep going while other domains come and go --------
# Progress in xenstore (data/xenlab/loop = "ROUNDS ERRORS UPTIME SLOWEST") so dom0 sees a
# stall. A round that takes over 30 s counts as an error (a TCG round takes 1-5 s,
# longer while Xen tears a domain down); the slowest round is kept to show the margin.
io_loop() {
  m=$1 r=0 e=0 slow=0
  rm -f /tmp/loop.stop
  while [ ! -e /tmp/loop.stop ]; do
    t0=$(uptime_s)
    if timeout 30 sh -c ". /xenlab/domu-lib.sh; io_once '$m' loop-$((r % 8))"; then r=$((r + 1))
    else e=$((e + 1)); echo "@@LOOP round failed at $t0 after $(since "$t0") s"; fi
    slow=$(awk -v a="$t0" -v b="$(uptime_s)" -v s="$slow" 'BEGIN { d = b - a; printf "%.2f", (d > s ? d : s) }')
    xenstore-write data/xenlab/loop "$r $e $(uptime_s) $slow"
    sleep 0.2
  done
  xenstore-write data/xenlab/loop "$r $e $(uptime_s) $slow stopped"
}
io_loop_start() { io_loop "$1" > /tmp/loop.log 2>&1 & echo $! > /tmp/loop.pid; }
io_loop_stop() {
  touch /tmp/loop.stop
  i=0; while [ -d "/proc/$(cat /tmp/loop.pid)" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
  cat /tmp/loop.log
  echo "@@LOOP $(xenstore-read data/xenlab/loop)"
}

# ---- live upgrade: checked I/O while dom0 replaces the share's worker and xen9pd ----
# lu_loop MOUNTPOINT BIG-MD5: rounds until /tmp/lu.stop exists; each writes 4 MiB of
# fresh random data (md5 taken in the guest before it leaves) to MOUNTPOINT/lu, reads it
# back and compares md5, then reads MOUNTPOINT/lu/big (made by dom0 before, BIG-MD5) and
# compares. Progress in xenstore data/xenlab/lu = "ROUNDS ERRORS LONGEST-ROUND-MS".
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
lu_loop() {
  m=$1 want=$2 r=0 e=0 slow=0
  while [ ! -e /tmp/lu.stop ]; do
    t0=$(now_ms) f=$m/lu/w-$((r % 2))
    dd if=/dev/urandom of=/tmp/lu.src bs=1M count=4 2> /dev/null
    a=$(md5sum < /tmp/lu.src)
    b=
    if dd if=/tmp/lu.src of="$f" bs=1M 2> /tmp/lu.err; then
      b=$(dd if="$f" bs=1M 2> /tmp/lu.err | md5sum)
    fi
    if [ "$a" != "$b" ]; then
      e=$((e + 1)); echo "@@LU round $r at $(uptime_s): $f: md5 ${a%% *} written, ${b:-nothing} read back: $(cat /tmp/lu.err)"
    fi
    c=$(dd if="$m/lu/big" bs=1M 2> /tmp/lu.err | md5sum)
    if [ "${c%% *}" != "$want" ]; then
      e=$((e + 1)); echo "@@LU round $r at $(uptime_s): $m/lu/big: md5 ${c%% *}, want $want: $(cat /tmp/lu.err)"
    fi
    r=$((r + 1)) t1=$(now_ms)
    [ $((t1 - t0)) -gt "$slow" ] && slow=$((t1 - t0))
    xenstore-write data/xenlab/lu "$r $e $slow"
  done
  echo "@@LU loop rounds=$r errors=$e longest_round_ms=$slow"
}
# lu_start MOUNTPOINT BIG-MD5: the loop and tests/xenlab/pause-probe (one request every
# 5 ms on a file held open throughout: the longest gap is the pause the guest saw)
lu_start() {
  mkdir -p "$1/lu" && [ -f "$1/lu/big" ] || { echo "no $1/lu/big"; return 1; }
  rm -f /tmp/lu.stop
  xenstore-write data/xenlab/lu "0 0 0"
  /xenlab/workload/pause-probe "$1/lu/probe" /tmp/lu.stop 5 > /tmp/lu-probe.log 2>&1 &
  echo $! > /tmp/lu-probe.pid
  lu_loop "$1" "$2" > /tmp/lu.log 2>&1 &
  echo $! > /tmp/lu.pid
}
# running PID: the process exists and is no zombie (PID 1, the agent, reaps lazily)
running() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2> /dev/null; }
# lu_stop: stop both (the loop ends its round) and print their reports
lu_stop() {
  touch /tmp/lu.stop
  for p in "$(cat /tmp/lu.pid)" "$(cat /tmp/lu-probe.pid)"; do
    i=0; while running "$p" && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
    running "$p" && echo "@@LU process $p still running after 60 s"
  done
  cat /tmp/lu.log /tmp/lu-probe.log
}

# big_write MOUNTPOINT: a large write that only ends with the domain
big_write() { dd if=/dev/zero of="$1/destroy-big" bs=1M count=100000 > /dev/null 2>&1 & }

# show COMMAND...: print a command as typed, then run it (the demo)
show() { echo "domU# $*"; "$@"; }

# demo_domu TAG: what the demo shows a domU doing with a share served by xen9pd
demo_domu() {
  i=0
  while ! mount -t 9p -o trans=xen,version=9p2000.L,msize=524288 "$1" /mnt 2> /dev/null; do
    i=$((i + 1)); [ $i -gt 60 ] && { echo "the share never came up"; return 1; }
    sleep 0.5
  done
  echo "domU# mount -t 9p -o trans=xen,version=9p2000.L,msize=524288 $1 /mnt"
  echo "domU# grep ' /mnt ' /proc/mounts"; grep " /mnt " /proc/mounts
  show cat /mnt/hello.txt
  echo "domU# echo \"written by the domU, Linux \$(uname -r)\" > /mnt/from-domu.txt"
  echo "written by the domU, Linux $(uname -r)" > /mnt/from-domu.txt || return 1
  show dd if=/dev/urandom of=/mnt/blob.bin bs=1M count=8 || return 1
  show md5sum /mnt/blob.bin
  show ls -l /mnt
  show df -h /mnt
  show umount /mnt
}

# ---- microbench MOUNTPOINT: timed file operations (the lab's benchmark, run/dom0-bench.sh)
# Prints "@@MB OPERATION SECONDS" lines. Busybox builtins where possible: under TCG a
# process spawn in a PV guest costs more than a 9P round trip.
microbench() {
  m=$1
  t=$(uptime_s); i=0; while [ $i -lt 300 ]; do : > "$m/f$i"; i=$((i + 1)); done; echo "@@MB create-300-files $(since "$t")"
  t=$(uptime_s); i=0; while [ $i -lt 300 ]; do [ -e "$m/f$i" ] || echo "f$i missing"; i=$((i + 1)); done; echo "@@MB stat-300-files $(since "$t")"
  t=$(uptime_s); dd if=/dev/zero of="$m/big" bs=512k count=64 2> /dev/null; echo "@@MB write-32MiB-512k $(since "$t")"
  t=$(uptime_s); dd if="$m/big" of=/dev/null bs=512k 2> /dev/null; echo "@@MB read-32MiB-512k $(since "$t")"
  t=$(uptime_s); dd if="$m/big" of=/dev/null bs=4k count=2048 2> /dev/null; echo "@@MB read-8MiB-4k $(since "$t")"
  # four readers at once: requests in flight on the same mount
  t=$(uptime_s)
  for k in 0 1 2 3; do dd if="$m/big" of=/dev/null bs=4k count=2048 skip=$((k * 2048)) 2> /dev/null & done
  wait
  echo "@@MB read-4x8MiB-4k-parallel $(since "$t")"
  t=$(uptime_s); i=0; while [ $i -lt 300 ]; do rm "$m/f$i"; i=$((i + 1)); done; echo "@@MB remove-300-files $(since "$t")"
  rm -f "$m/big"
}
