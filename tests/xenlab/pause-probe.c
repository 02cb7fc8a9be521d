// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pause-probe: how long does a guest wait for its share while dom0 replaces the
 * share's worker (`xen9p upgrade`) or restarts xen9pd?  The Xen lab's live-upgrade
 * phase runs it in domU a next to a loop of md5-checked files (run/domu-lib.sh
 * lu_start).
 *
 *   pause-probe FILE STOPFILE [INTERVAL_MS [MAX_SECONDS]]   (default 5 ms, 900 s)
 *
 * Makes FILE (1 MiB, 256 blocks of 4 KiB with a known pattern) and keeps it open
 * (one fid for the whole run, carried across every hand-over), then until STOPFILE
 * exists (or SIGTERM, or MAX_SECONDS): one request every INTERVAL_MS, three of four
 * a pread of a block of the first half checked against its pattern, every fourth a
 * pwrite of a block of the second half with a new sequence number, read back and
 * checked.  A 9p mount without a cache sends each call to the backend.  It times the
 * gaps between two completed requests (a failed one is no progress) and prints
 *   @@LU probe ops=N writes=W errors=E longest_gap_ms=G longest_request_ms=R
 *       interval_ms=I seconds=S
 *   @@LU probe gap G ms ending at uptime T      (the 5 longest)
 *   @@LU probe error ...                        (the first 10)
 * Exit status 0 when every request succeeded and matched, 1 otherwise, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define BLOCKS 256
#define FIXED (BLOCKS / 2)      /* blocks 0..FIXED-1 never change */
#define TOP 5
#define MAX_ERRORS_SHOWN 10

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Block `b`'s contents at sequence number `seq` (0: as made). */
static void pattern(uint64_t *buf, unsigned b, uint64_t seq)
{
    for (unsigned i = 0; i < BLOCK / 8; i++)
        buf[i] = mix(((uint64_t)b << 40) ^ (seq << 12) ^ i);
}

static unsigned long errors;

static void error_at(unsigned long op, const char *what, unsigned b, int err)
{
    errors++;
    if (errors <= MAX_ERRORS_SHOWN)
        printf("@@LU probe error op %lu: %s of block %u at uptime %.2f: %s\n", op, what, b,
               now_ms(CLOCK_BOOTTIME) / 1000.0, err ? strerror(err) : "wrong bytes");
}

static int full_pread(int fd, void *buf, off_t off)
{
    ssize_t n = pread(fd, buf, BLOCK, off);
    if (n == BLOCK)
        return 0;
    return n < 0 ? errno : EIO;
}

static int full_pwrite(int fd, const void *buf, off_t off)
{
    ssize_t n = pwrite(fd, buf, BLOCK, off);
    if (n == BLOCK)
        return 0;
    return n < 0 ? errno : EIO;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: pause-probe FILE STOPFILE [INTERVAL_MS [MAX_SECONDS]]\n");
        return 2;
    }
    const char *path = argv[1], *stopfile = argv[2];
    long interval = argc > 3 ? atol(argv[3]) : 5;
    long max_s = argc > 4 ? atol(argv[4]) : 900;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    static uint64_t buf[BLOCK / 8], want[BLOCK / 8];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("@@LU probe cannot make %s: %s\n", path, strerror(errno));
        return 1;
    }
    for (unsigned b = 0; b < BLOCKS; b++) {
        pattern(buf, b, 0);
        int err = full_pwrite(fd, buf, (off_t)b * BLOCK);
        if (err) {
            printf("@@LU probe cannot write %s: %s\n", path, strerror(err));
            return 1;
        }
    }
    fsync(fd);

    struct timespec pause = { interval / 1000, (interval % 1000) * 1000000L };
    double start = now_ms(CLOCK_MONOTONIC), last = start, longest_req = 0;
    double gap[TOP] = { 0 }, gap_end[TOP] = { 0 };
    unsigned long ops = 0, writes = 0;
    uint64_t seq = 0;
    while (!stop && access(stopfile, F_OK) != 0 && now_ms(CLOCK_MONOTONIC) - start < max_s * 1000.0) {
        unsigned long op = ops++;
        double t0 = now_ms(CLOCK_MONOTONIC);
        bool ok = true;
        if (op % 4 == 3) {
            unsigned b = FIXED + (unsigned)(seq % (BLOCKS - FIXED));
            seq++;
            writes++;
            pattern(want, b, seq);
            int err = full_pwrite(fd, want, (off_t)b * BLOCK);
            if (err) {
                error_at(op, "pwrite", b, err);
                ok = false;
            } else if ((err = full_pread(fd, buf, (off_t)b * BLOCK)) != 0 ||
                       memcmp(buf, want, BLOCK) != 0) {
                error_at(op, "pread after pwrite", b, err);
                ok = false;
            }
        } else {
            unsigned b = (unsigned)(op % FIXED);
            pattern(want, b, 0);
            int err = full_pread(fd, buf, (off_t)b * BLOCK);
            if (err || memcmp(buf, want, BLOCK) != 0) {
                error_at(op, "pread", b, err);
                ok = false;
            }
        }
        double t1 = now_ms(CLOCK_MONOTONIC);
        if (t1 - t0 > longest_req)
            longest_req = t1 - t0;
        if (ok) {
            /* Insert the gap into the sorted top list. */
            double g = t1 - last, e = now_ms(CLOCK_BOOTTIME) / 1000.0;
            for (int i = 0; i < TOP; i++) {
                if (g > gap[i]) {
                    double tg = gap[i], te = gap_end[i];
                    gap[i] = g;
                    gap_end[i] = e;
                    g = tg;
                    e = te;
                }
            }
            last = t1;
        }
        nanosleep(&pause, NULL);
    }
    close(fd);
    printf("@@LU probe ops=%lu writes=%lu errors=%lu longest_gap_ms=%.0f longest_request_ms=%.0f "
           "interval_ms=%ld seconds=%.1f\n", ops, writes, errors, gap[0], longest_req, interval,
           (now_ms(CLOCK_MONOTONIC) - start) / 1000.0);
    for (int i = 0; i < TOP && gap[i] > 0; i++)
        printf("@@LU probe gap %.0f ms ending at uptime %.2f\n", gap[i], gap_end[i]);
    return errors ? 1 : 0;
}
