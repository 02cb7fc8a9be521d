#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-guest.sh: the real Linux 9p client against a 9P server on a unix
# socket.  Prints TAP; the host-side checks decide pass/fail.
#
# Starts the server on an export under /tmp, boots Debian's kernel (see
# build-image.sh) under QEMU TCG and mounts the export in the guest with the
# kernel 9p client, trans=tcp, one 9P session per share: QEMU's user network
# with restrict=on (the guest reaches nothing) and one guestfwd per share that
# joins 10.0.2.100:PORT to the server's socket (see guest-run.sh for why not
# trans=fd).  Each share runs tests/workload/guest-workload.sh;
# tests/workload/host-verify.sh then checks on the host what the guest did
# and claims.  One boot, several mounts.
#
# Environment:
#   SERVER=xen9pd|diod   server to test (default xen9pd: $XEN9PD, default
#                        $top_builddir/xen9pd); diod (9P2000.L only) is the
#                        reference server the harness was developed against
#   SHARES="TAG:VERSION:MODEL[:BIG_MB[:OPTIONS]] ..."  mounts, in this
#                        order; MODEL is the --security-model of that share's
#                        server (one server per model, all on one export),
#                        BIG_MB overrides WL_BIG_MB, OPTIONS are extra 9p mount
#                        options (comma-separated).  Default: both dialects,
#                        both models, two servers at once, and the client's
#                        page cache on one share:
#                          L:9p2000.L:passthrough
#                          u:9p2000.u:none:16
#                          c:9p2000.u:passthrough:8:cache=loose
#                        (xattrs are exercised on 9p2000.L shares only)
#   LISTEN=unix|tcp      the server's socket (default unix; tcp: 127.0.0.1
#                        and a free port)
#   MSIZE                9p msize to ask for (default 524288)
#   MOUNT_OPTS           extra mount options for every share
#   WL_BIG_MB WL_PARALLEL WL_PAR_MB   workload knobs (wl-common.sh)
#   TRACE=1              the server traces requests into its log
#   GUEST_SMP            guest CPUs (default 1: on a 2-core host a second
#                        TCG vCPU competes with the server and QEMU's I/O
#                        thread, and the run gets 2-3 times slower)
#   GUEST_TIMEOUT        seconds QEMU may run (default 900; each share's
#                        workload gets an equal part of it, less a minute)
#   GUEST_MEM            guest RAM in MiB (default: enough for the files the
#                        workload stages in the guest's /tmp)
#   ARTIFACTS            where the console, server logs, results and a
#                        summary are kept (default
#                        $top_builddir/tests/linux-guest/artifacts)
#   KEEP=1               keep the /tmp work dir (export, images) afterwards
set -u
shopt -s extglob
export LC_ALL=C
SRC=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${top_builddir:-$PWD}
HERE=$SRC/tests/linux-guest
WORKLOAD=$SRC/tests/workload
SERVER=${SERVER:-xen9pd}
SHARES=${SHARES:-L:9p2000.L:passthrough u:9p2000.u:none:16 c:9p2000.u:passthrough:8:cache=loose}
LISTEN=${LISTEN:-unix}
MSIZE=${MSIZE:-524288}
GUEST_SMP=${GUEST_SMP:-1}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-900}
ARTIFACTS=${ARTIFACTS:-$BUILD/tests/linux-guest/artifacts}
export WL_BIG_MB=${WL_BIG_MB:-64} WL_PARALLEL=${WL_PARALLEL:-4} WL_PAR_MB=${WL_PAR_MB:-4}
SERVER_IP=10.0.2.100

usec() { echo "${EPOCHREALTIME/./}"; }
T0=$(usec)
since() { local e=$(( $(usec) - $1 )); printf '%d.%02d' $((e / 1000000)) $((e % 1000000 / 10000)); }

N=0
FAILED=0
tap() {  # tap ok|fail|skip DESCRIPTION [DIAGNOSTIC...]
    local st=$1 desc=$2 d
    shift 2
    N=$((N + 1))
    case "$st" in
        ok) echo "ok $N - $desc" ;;
        skip) echo "ok $N - $desc # SKIP $1"; shift ;;
        *) echo "not ok $N - $desc"; FAILED=$((FAILED + 1)) ;;
    esac
    for d in "$@"; do [ -n "$d" ] && echo "$d" | sed 's/^/# /'; done
    return 0
}
bail() { echo "Bail out! $*"; exit 1; }
# Renumbers the TAP of a sub-script into ours (its plan line is dropped).
merge_tap() {
    local line
    while IFS= read -r line; do
        case "$line" in
            "ok "[0-9]*) N=$((N + 1)); echo "ok $N ${line#ok +([0-9]) }" ;;
            "not ok "[0-9]*) N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N ${line#not ok +([0-9]) }" ;;
            1..*) ;;
            *) echo "$line" ;;
        esac
    done
}
# parse_share SPEC: sets tag, version, model, big, opts, xattr, setid
parse_share() {
    local IFS=:
    set -- $1
    tag=$1 version=$2 model=${3:-passthrough} big=${4:-$WL_BIG_MB} opts=${5:-}
    [ "$SERVER" = diod ] && model=passthrough   # diod has no models; as root it keeps owners
    xattr=0
    [ "$version" = 9p2000.L ] && xattr=1        # .u has no xattr messages
    # set-ID bits: diod keeps them; xen9pd strips them unless the share opts in,
    # which the passthrough server here does (--allow-setid) and the none one does not
    setid=stripped
    { [ "$SERVER" = diod ] || [ "$model" = passthrough ]; } && setid=kept
    return 0
}

case "$LISTEN" in unix | tcp) ;; *) bail "LISTEN must be unix or tcp" ;; esac
# host-prepare.sh sets owners, and the servers must be free to set any owner
[ "$(id -u)" = 0 ] || bail "run-guest.sh must run as root"
for t in qemu-system-x86_64 cpio gzip getfattr setfattr timeout flock; do
    command -v "$t" > /dev/null || bail "$t is missing (see scripts/deps.txt)"
done
mkdir -p "$ARTIFACTS" || bail "cannot create $ARTIFACTS"
W=$(mktemp -d /tmp/linux-guest-XXXXXX)
chmod 755 "$W"    # a server may look at the export as another user (diod: "nobody")
SERVER_PIDS=()
QEMU_PID=
cleanup() {
    local p
    # `timeout` passes the signal on to QEMU
    [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2> /dev/null
    for p in "${SERVER_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2> /dev/null; done
    [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the guest image (cached) ---------------------------------------------------
if ! IMAGE=$("$HERE/build-image.sh" 2> "$W/build-image.log"); then
    cat "$W/build-image.log" >&2
    bail "build-image.sh failed: $(tail -1 "$W/build-image.log")"
fi
{   # copy under the cache lock, so a concurrent rebuild cannot swap it mid-copy
    flock -s 9
    cp "$IMAGE/vmlinuz" "$IMAGE/initrd.gz" "$IMAGE/kver" "$W/"
} 9> "$IMAGE/../.lock"
KVER=$(cat "$W/kver")
tap ok "guest image: Debian kernel $KVER + busybox initramfs (ready after $(since "$T0") s)"

# ---- the server(s): one per security model, all on one export --------------------
EXPORT=$W/export
mkdir -p "$EXPORT"
chmod 755 "$EXPORT"
case "$SERVER" in
    xen9pd)
        XEN9PD=${XEN9PD:-$BUILD/xen9pd}
        [ -x "$XEN9PD" ] || bail "no xen9pd at $XEN9PD (build it first, or SERVER=diod)"
        ;;
    diod) command -v diod > /dev/null || bail "diod is not installed" ;;
    *) bail "SERVER must be xen9pd or diod" ;;
esac
MODELS=$(for s in $SHARES; do parse_share "$s"; echo "$model"; done | sort -u)
declare -A SOCK FWD PID LOG
# start_server MODEL ADDRESS: the server in the background, its pid in $!
start_server() {
    case "$SERVER" in
        xen9pd)
            "$XEN9PD" --listen "$2" --export "$EXPORT" --security-model "$1" \
                $([ "$1" = passthrough ] && echo --allow-setid) \
                --foreground ${TRACE:+--trace} > "${LOG[$1]}" 2>&1 &
            ;;
        diod)   # diod takes HOST:PORT or a socket path
            diod -f -n -d "$([ -n "${TRACE:-}" ] && echo 1 || echo 0)" -L stderr \
                -l "${2#*:}" -e "$EXPORT" > "${LOG[$1]}" 2>&1 &
            ;;
    esac
}
tcp_listening() { ss -Hltn "sport = :$1" 2> /dev/null | grep -q .; }
for model in $MODELS; do
    LOG[$model]=$ARTIFACTS/$SERVER-server-$model.log
    ready=
    if [ "$LISTEN" = unix ]; then
        SOCK[$model]=$W/9p-$model.sock
        FWD[$model]=unix:${SOCK[$model]}
        start_server "$model" "unix:${SOCK[$model]}"
        PID[$model]=$!
        for i in $(seq 100); do
            [ -S "${SOCK[$model]}" ] && { ready=1; break; }
            kill -0 "${PID[$model]}" 2> /dev/null || break
            sleep 0.1
        done
    else
        # a port that looks free; if another process takes it first, the server fails to bind: next
        for try in 1 2 3 4 5; do
            port=$(( 20000 + (RANDOM % 20000) ))
            tcp_listening "$port" && continue
            FWD[$model]=tcp:127.0.0.1:$port
            start_server "$model" "tcp:127.0.0.1:$port"
            PID[$model]=$!
            for i in $(seq 100); do
                tcp_listening "$port" && { ready=1; break; }
                kill -0 "${PID[$model]}" 2> /dev/null || break
                sleep 0.1
            done
            [ -n "$ready" ] && break
            kill "${PID[$model]}" 2> /dev/null; wait "${PID[$model]}" 2> /dev/null
        done
    fi
    SERVER_PIDS+=("${PID[$model]}")
    if [ -n "$ready" ]; then
        tap ok "$SERVER ($model) listens on ${FWD[$model]%:*}"
    else
        tap fail "$SERVER ($model) listens on a $LISTEN socket" "$(tail -5 "${LOG[$model]}")"
        bail "the server did not start"
    fi
done

# ---- the shares: host files, QEMU forwards, the guest's config -------------------
GUESTFWD=
GUEST_MOUNTS=
ACTIVE=()
tcp_port=5640
for s in $SHARES; do
    parse_share "$s"
    if [ "$SERVER" = diod ] && [ "$version" != 9p2000.L ]; then
        tap skip "$tag: $version share" "diod speaks only 9P2000.L"
        continue
    fi
    WL_TAG=$tag WL_BIG_MB=$big WL_XATTR=$xattr "$WORKLOAD/host-prepare.sh" "$EXPORT" "$tag" \
        > "$W/prepare-$tag.log" 2>&1 || bail "host-prepare.sh $tag failed: $(tail -3 "$W/prepare-$tag.log")"
    # A chardev forward connects once, when QEMU starts: one 9P session per share.
    GUESTFWD="$GUESTFWD,guestfwd=tcp:$SERVER_IP:$tcp_port-${FWD[$model]}"
    GUEST_MOUNTS="$GUEST_MOUNTS $tag:$version:$tcp_port:$xattr:$big:$setid:$opts"
    ACTIVE+=("$s")
    tcp_port=$((tcp_port + 1))
done
[ ${#ACTIVE[@]} -gt 0 ] || bail "no share to test"
echo "# host-prepare.sh done at $(since "$T0") s"
# the guest stages its big file and the parallel ones in its RAM-backed /tmp
max_big=$(for a in "${ACTIVE[@]}"; do parse_share "$a"; echo "$big"; done | sort -n | tail -1)
GUEST_MEM=${GUEST_MEM:-$(( 768 + 2 * (max_big + WL_PARALLEL * WL_PAR_MB) ))}
AOPT=
[ "$SERVER" = diod ] && AOPT=aname=$EXPORT     # diod attaches by export path

OV=$W/overlay
mkdir -p "$OV/guest/workload"
cp "$HERE/guest-run.sh" "$OV/guest/run.sh"
cp "$WORKLOAD/guest-workload.sh" "$WORKLOAD/wl-common.sh" "$OV/guest/workload/"
chmod 755 "$OV/guest/run.sh" "$OV/guest/workload/guest-workload.sh"
cat > "$OV/guest/config" << EOF
MOUNTS="${GUEST_MOUNTS# }"
SERVER_IP=$SERVER_IP
GUEST_IP=10.0.2.15/24
MSIZE=$MSIZE
MOUNT_OPTS="${AOPT}${AOPT:+${MOUNT_OPTS:+,}}${MOUNT_OPTS:-}"
WL_TIMEOUT=$(( (GUEST_TIMEOUT - 60) / ${#ACTIVE[@]} ))
export WL_BIG_MB=$WL_BIG_MB WL_PARALLEL=$WL_PARALLEL WL_PAR_MB=$WL_PAR_MB
EOF
(cd "$OV" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$W/overlay.gz"
# the kernel unpacks concatenated archives in order: the overlay adds /guest
cat "$W/initrd.gz" "$W/overlay.gz" > "$W/initrd-run.gz"

# ---- the boot ---------------------------------------------------------------------
CONSOLE=$ARTIFACTS/$SERVER-console.log
: > "$CONSOLE"
TB=$(usec)
echo "# booting the guest (QEMU TCG, timeout ${GUEST_TIMEOUT}s), console: $CONSOLE"
# The guest powers itself off; -no-reboot turns a panic (panic=-1) into an exit.
mkfifo "$W/console.fifo"
while IFS= read -r line; do    # stamp each line with seconds since QEMU start
    e=$(( $(usec) - TB ))
    printf '%4d.%02d %s\n' $((e / 1000000)) $((e % 1000000 / 10000)) "${line%$'\r'}"
done < "$W/console.fifo" > "$CONSOLE" &
STAMPER=$!
timeout -k 10 "$GUEST_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -smp "$GUEST_SMP" -m "$GUEST_MEM" \
    -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
    -kernel "$W/vmlinuz" -initrd "$W/initrd-run.gz" -append "console=ttyS0 panic=-1 quiet" \
    -netdev "user,id=n0,restrict=on,ipv6=off$GUESTFWD" -device virtio-net-pci,netdev=n0 \
    < /dev/null > "$W/console.fifo" 2>&1 &
QEMU_PID=$!
wait "$QEMU_PID"
QRC=$?
QEMU_PID=
wait "$STAMPER"
QEMU_SECONDS=$(since "$TB")

con() { grep -F -- "$1" "$CONSOLE"; }
if con '@@GUEST up' > /dev/null; then
    tap ok "guest booted ($(con '@@GUEST up' | awk '{ print $1 }') s after QEMU start)"
else
    tap fail "guest booted" "console tail:" "$(tail -20 "$CONSOLE")"
fi

# ---- per share: mount, the host's verification, umount ----------------------------
for s in "${ACTIVE[@]}"; do
    parse_share "$s"
    mounted=$(con "@@GUEST mounted $tag " | head -1)
    if [ -n "$mounted" ]; then
        got_msize=$(echo "${mounted##* }" | tr , '\n' | sed -n 's/^msize=//p')
        tap ok "$tag: guest mounted the share ($version, trans=tcp, msize $got_msize${opts:+, $opts})" \
            "$([ "$got_msize" != "$MSIZE" ] && echo "asked for msize $MSIZE, the session has $got_msize")"
    else
        tap fail "$tag: guest mounted the share ($version, trans=tcp)" \
            "$(con "@@GUEST fail $tag")" "$(con '@@DMESG')"
    fi
    TV=$(usec)
    MODEL=$model WL_TAG=$tag WL_BIG_MB=$big WL_XATTR=$xattr WL_SETID=$setid \
        "$WORKLOAD/host-verify.sh" "$EXPORT" "$tag" > "$W/verify-$tag.tap" 2>&1
    merge_tap < "$W/verify-$tag.tap"
    echo "# host-verify.sh $tag took $(since "$TV") s"
    wl=$(con "@@WL end $tag ")
    [ -n "$wl" ] && echo "# guest workload $tag: ${wl#*@@WL end $tag }"
    cp "$EXPORT/wl-$tag/results.txt" "$ARTIFACTS/$SERVER-results-$tag.txt" 2> /dev/null
    if [ -n "$mounted" ]; then
        if con "@@GUEST umounted $tag" > /dev/null; then tap ok "$tag: umount"
        else tap fail "$tag: umount" "$(con "@@GUEST fail $tag umount")"; fi
    fi
done

if [ "$QRC" = 0 ] && con '@@GUEST poweroff' > /dev/null; then
    tap ok "guest powered off by itself (QEMU ran $QEMU_SECONDS s)"
else
    tap fail "guest powered off by itself" \
        "$([ "$QRC" = 124 ] && echo "QEMU killed after the ${GUEST_TIMEOUT} s timeout" || echo "QEMU exit status $QRC")" \
        "console tail:" "$(tail -15 "$CONSOLE")"
fi

# ---- the servers lived through it and stop on SIGTERM ----------------------------
for model in $MODELS; do
    p=${PID[$model]}
    desc="$SERVER ($model) survived the guest and stops on SIGTERM"
    if ! kill -0 "$p" 2> /dev/null; then
        wait "$p"; rc=$?
        tap fail "$desc" "it exited while the guest ran (status $rc); log tail:" "$(tail -10 "${LOG[$model]}")"
        continue
    fi
    kill -TERM "$p"
    i=0
    while kill -0 "$p" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$p" 2> /dev/null; then
        kill -KILL "$p"; wait "$p" 2> /dev/null
        tap fail "$desc" "still running 10 s after SIGTERM"
    else
        wait "$p"; rc=$?
        tap ok "$desc (exit status $rc)"
    fi
done
SERVER_PIDS=()

echo "# wall time: $(since "$T0") s in all, QEMU $QEMU_SECONDS s; kernel $KVER; artifacts in $ARTIFACTS"
{
    echo "server=$SERVER listen=$LISTEN shares='$SHARES' msize=$MSIZE smp=$GUEST_SMP mem=$GUEST_MEM big_mb=$WL_BIG_MB parallel=$WL_PARALLEL"
    echo "wall=$(since "$T0")s qemu=${QEMU_SECONDS}s qemu_status=$QRC tap_total=$N tap_failed=$FAILED kernel=$KVER"
    grep -E '@@(GUEST|WL) ' "$CONSOLE"
} > "$ARTIFACTS/$SERVER-summary.txt"
echo "1..$N"
[ "$FAILED" = 0 ]
