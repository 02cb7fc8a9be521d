// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wl-stress: parallel file I/O that checks every byte, run inside a guest on
 * a 9P mount (built static: the lab's busybox guests have no libc of ours).
 *
 *   wl-stress prepare DIR FILES MIB BLOCK
 *       one process per file writes DIR/stress-N (MIB MiB, BLOCK-byte
 *       write()s, then fsync), all at once.
 *   wl-stress mixed DIR FILES MIB BLOCK READERS WRITERS ROUNDS [READ_MIB]
 *       READERS processes read the prepared files (reader i starts with file
 *       i % FILES and takes the next one each round) with BLOCK-byte read()s
 *       and compare every byte (only the first READ_MIB MiB of each if given);
 *       meanwhile WRITERS processes each write a scratch file DIR/scratch-N of
 *       MIB MiB and read it back, ROUNDS times.
 *
 * File contents are a pure function of (seed, offset), so nothing has to be
 * kept to check them and a byte that arrives at the wrong place or from the
 * wrong reply is caught.  Each process prints one "@@ST ..." line; the
 * summary line is "@@ST total ok|fail bytes_read=.. bytes_written=..
 * seconds=.. MiBps=.. errors=..".  Exit status 0 iff every byte matched and
 * no call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct counters {
    uint64_t bytes_read, bytes_written, errors;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: the word at byte offset `off` of a file with seed `seed`. */
static uint64_t word_at(uint64_t seed, uint64_t off)
{
    uint64_t z = seed + (off / 8 + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The bytes [off, off + len) of the file: any offset, any length. */
static void fill(uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
    size_t i = 0;
    while (i < len) {
        uint64_t at = off + i, w = word_at(seed, at & ~(uint64_t)7);
        size_t skip = at & 7, n = 8 - skip < len - i ? 8 - skip : len - i;
        memcpy(buf + i, (const uint8_t *)&w + skip, n);
        i += n;
    }
}

static uint64_t seed_of(const char *kind, unsigned n, unsigned round)
{
    return (uint64_t)(kind[0]) << 56 | (uint64_t)n << 32 | round;
}

/* Reports the first difference in a block; returns true if it matched. */
static bool check(const char *path, const uint8_t *got, uint8_t *want, size_t len,
                  uint64_t seed, uint64_t off)
{
    fill(want, len, seed, off);
    if (memcmp(got, want, len) == 0)
        return true;
    size_t i = 0;
    while (got[i] == want[i])
        i++;
    printf("@@ST mismatch %s offset=%" PRIu64 " got=%02x want=%02x\n", path, off + i, got[i],
           want[i]);
    return false;
}

static bool write_file(const char *path, uint64_t size, size_t block, uint64_t seed,
                       bool sync, struct counters *c)
{
    uint8_t *buf = malloc(block);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = buf && fd >= 0;
    if (fd < 0)
        printf("@@ST error open %s: %s\n", path, strerror(errno));
    for (uint64_t off = 0; ok && off < size;) {
        size_t len = size - off < block ? size - off : block;
        fill(buf, len, seed, off);
        ssize_t n = write(fd, buf, len);
        if (n <= 0) {
            printf("@@ST error write %s at %" PRIu64 ": %s\n", path, off,
                   n < 0 ? strerror(errno) : "wrote nothing");
            ok = false;
            break;
        }
        /* A short write goes on from where it stopped: pattern by offset. */
        off += n;
        c->bytes_written += n;
    }
    if (ok && sync && fsync(fd) < 0) {
        printf("@@ST error fsync %s: %s\n", path, strerror(errno));
        ok = false;
    }
    if (fd >= 0 && close(fd) < 0 && ok) {
        printf("@@ST error close %s: %s\n", path, strerror(errno));
        ok = false;
    }
    free(buf);
    if (!ok)
        c->errors++;
    return ok;
}

/* Reads and checks the first `limit` bytes of a file of `size` bytes. */
static bool read_file(const char *path, uint64_t size, uint64_t limit, size_t block,
                      uint64_t seed, struct counters *c)
{
    uint8_t *got = malloc(block), *want = malloc(block);
    int fd = open(path, O_RDONLY);
    bool ok = got && want && fd >= 0;
    if (fd < 0)
        printf("@@ST error open %s: %s\n", path, strerror(errno));
    uint64_t off = 0;
    while (ok && off < limit) {
        size_t want_len = limit - off < block ? limit - off : block;
        ssize_t n = read(fd, got, want_len);
        if (n < 0) {
            printf("@@ST error read %s at %" PRIu64 ": %s\n", path, off, strerror(errno));
            ok = false;
        } else if (n == 0) {
            break;
        } else if (off + n > size) {
            printf("@@ST error %s is longer than %" PRIu64 "\n", path, size);
            ok = false;
        } else {
            if (!check(path, got, want, n, seed, off))
                ok = false;
            off += n;
            c->bytes_read += n;
        }
    }
    if (ok && off != limit) {
        printf("@@ST error %s ended at %" PRIu64 " of %" PRIu64 "\n", path, off, limit);
        ok = false;
    }
    if (fd >= 0)
        close(fd);
    free(got);
    free(want);
    if (!ok)
        c->errors++;
    return ok;
}

static unsigned long number(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || !*s || v == 0) {
        fprintf(stderr, "wl-stress: %s must be a positive number, not \"%s\"\n", what, s);
        exit(2);
    }
    return v;
}

static char *path_of(const char *dir, const char *kind, unsigned n)
{
    char *p;
    if (asprintf(&p, "%s/%s-%u", dir, kind, n) < 0)
        exit(1);
    return p;
}

/* Runs fn(i, c) in `n` child processes and adds up their counters. */
static bool run_children(unsigned n, void (*fn)(unsigned i, struct counters *c, void *ctx),
                         void *ctx, struct counters *sum)
{
    struct counters *shared = mmap(NULL, n * sizeof(*shared), PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("wl-stress: mmap");
        return false;
    }
    memset(shared, 0, n * sizeof(*shared));
    bool ok = true;
    fflush(stdout);
    for (unsigned i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("wl-stress: fork");
            ok = false;
            break;
        }
        if (pid == 0) {
            setvbuf(stdout, NULL, _IOLBF, 0);
            fn(i, &shared[i], ctx);
            fflush(stdout);
            _exit(shared[i].errors ? 1 : 0);
        }
    }
    int status;
    while (wait(&status) > 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ok = false;
    }
    for (unsigned i = 0; i < n; i++) {
        sum->bytes_read += shared[i].bytes_read;
        sum->bytes_written += shared[i].bytes_written;
        sum->errors += shared[i].errors;
    }
    munmap(shared, n * sizeof(*shared));
    return ok && sum->errors == 0;
}

struct job {
    const char *dir;
    unsigned files, readers, rounds;
    uint64_t size, read_limit;
    size_t block;
};

static void prepare_one(unsigned i, struct counters *c, void *ctx)
{
    struct job *j = ctx;
    char *p = path_of(j->dir, "stress", i);
    double t = now();
    if (write_file(p, j->size, j->block, seed_of("stress", i, 0), true, c))
        printf("@@ST wrote %s %.2f s\n", p, now() - t);
    free(p);
}

static void mixed_one(unsigned i, struct counters *c, void *ctx)
{
    struct job *j = ctx;
    double t = now();
    if (i < j->readers) {
        for (unsigned r = 0; r < j->rounds && !c->errors; r++) {
            unsigned f = (i + r) % j->files;
            char *p = path_of(j->dir, "stress", f);
            read_file(p, j->size, j->read_limit, j->block, seed_of("stress", f, 0), c);
            free(p);
        }
        printf("@@ST reader %u %s read=%" PRIu64 " %.2f s\n", i, c->errors ? "fail" : "ok",
               c->bytes_read, now() - t);
    } else {
        unsigned w = i - j->readers;
        char *p = path_of(j->dir, "scratch", w);
        for (unsigned r = 0; r < j->rounds && !c->errors; r++) {
            uint64_t seed = seed_of("scratch", w, r + 1);
            if (write_file(p, j->size, j->block, seed, false, c))
                read_file(p, j->size, j->size, j->block, seed, c);
        }
        unlink(p);
        free(p);
        printf("@@ST writer %u %s written=%" PRIu64 " read=%" PRIu64 " %.2f s\n", w,
               c->errors ? "fail" : "ok", c->bytes_written, c->bytes_read, now() - t);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: wl-stress prepare DIR FILES MIB BLOCK\n"
                    "       wl-stress mixed DIR FILES MIB BLOCK READERS WRITERS ROUNDS "
                    "[READ_MIB]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 6)
        return usage();
    struct job j = {
        .dir = argv[2],
        .files = number(argv[3], "FILES"),
        .size = (uint64_t)number(argv[4], "MIB") << 20,
        .block = number(argv[5], "BLOCK"),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct counters sum = { 0 };
    double t = now();
    bool ok;
    if (strcmp(argv[1], "prepare") == 0 && argc == 6) {
        ok = run_children(j.files, prepare_one, &j, &sum);
    } else if (strcmp(argv[1], "mixed") == 0 && (argc == 9 || argc == 10)) {
        j.readers = number(argv[6], "READERS");
        j.read_limit = argc == 10 ? (uint64_t)number(argv[9], "READ_MIB") << 20 : j.size;
        if (j.read_limit > j.size)
            j.read_limit = j.size;
        unsigned writers = strtoul(argv[7], NULL, 10);
        j.rounds = number(argv[8], "ROUNDS");
        ok = run_children(j.readers + writers, mixed_one, &j, &sum);
    } else {
        return usage();
    }
    double secs = now() - t;
    printf("@@ST total %s bytes_read=%" PRIu64 " bytes_written=%" PRIu64
           " seconds=%.2f MiBps=%.1f errors=%" PRIu64 "\n",
           ok ? "ok" : "fail", sum.bytes_read, sum.bytes_written, secs,
           (sum.bytes_read + sum.bytes_written) / 1048576.0 / (secs > 0 ? secs : 1), sum.errors);
    return ok ? 0 : 1;
}
