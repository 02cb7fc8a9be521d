// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vector-check: does this (virtual) CPU keep a thread's vector registers across
 * context switches?  The Xen lab runs it in dom0 before trusting any result: an
 * emulated CPU that loses AVX state makes glibc's memcpy write wrong bytes, which
 * turns into corrupt 9P replies and hung guests that no backend can prevent
 * (tests/xenlab/README.md "Vector state").
 *
 *   vector-check [SECONDS] [THREADS]        (default 5 s, 4 threads)
 *
 * Each thread loads its own pattern into ymm0..ymm15 (or xmm0..xmm15 where the CPU
 * has no AVX), yields the CPU a few hundred times from inside the same asm block (so
 * no library code touches the registers), stores them back and compares, over and
 * over.  Prints "vector-check ok ..." or "vector-check CORRUPT ..." with the first
 * difference; exit status 0, 1 (state lost) or 2 (usage).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#define YIELDS 200

static atomic_bool stop;
static bool have_avx;

struct worker {
    pthread_t thread;
    unsigned id;
    uint64_t rounds, bad_rounds;
    char first[160];
};

/* AVX usable: CPUID says so and the OS enabled the YMM state in XCR0. */
static bool avx_usable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AVX) || !(c & bit_OSXSAVE))
        return false;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

/* One register to or from the buffer; the assembler computes WIDTH*i. */
#define MOVE_IN(mov, reg, width, i) mov " " #width "*" #i "(%[in]), %%" reg #i "\n\t"
#define MOVE_OUT(mov, reg, width, i) mov " %%" reg #i ", " #width "*" #i "(%[out])\n\t"
#define ALL16(m, mov, reg, width)                                                              \
    m(mov, reg, width, 0) m(mov, reg, width, 1) m(mov, reg, width, 2) m(mov, reg, width, 3)    \
    m(mov, reg, width, 4) m(mov, reg, width, 5) m(mov, reg, width, 6) m(mov, reg, width, 7)    \
    m(mov, reg, width, 8) m(mov, reg, width, 9) m(mov, reg, width, 10) m(mov, reg, width, 11)  \
    m(mov, reg, width, 12) m(mov, reg, width, 13) m(mov, reg, width, 14) m(mov, reg, width, 15)

/* Loads 16 registers, yields `n` times with raw syscalls, stores them back. */
#define HOLD(name, mov, reg, width, tail)                                                      \
    static void name(const uint8_t *in, uint8_t *out, long n)                                  \
    {                                                                                          \
        __asm__ volatile(ALL16(MOVE_IN, mov, reg, width)                                       \
                         "mov %[n], %%r12\n\t"                                                 \
                         "1: mov %[nr], %%eax\n\t"                                             \
                         "syscall\n\t"                                                         \
                         "dec %%r12\n\t"                                                       \
                         "jnz 1b\n\t" ALL16(MOVE_OUT, mov, reg, width) tail                     \
                         :                                                                     \
                         : [in] "r"(in), [out] "r"(out), [n] "r"(n), [nr] "i"(SYS_sched_yield) \
                         : "rax", "rcx", "r11", "r12", "memory", "xmm0", "xmm1", "xmm2",         \
                           "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",       \
                           "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");                       \
    }

HOLD(hold_ymm, "vmovdqu", "ymm", 32, "vzeroupper\n\t")
HOLD(hold_xmm, "movdqu", "xmm", 16, "")

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned width = have_avx ? 32 : 16;
    uint8_t in[512], out[512];
    while (!atomic_load(&stop)) {
        for (unsigned i = 0; i < sizeof(in); i++)
            in[i] = (uint8_t)(w->id * 61 + w->rounds * 7 + i * 13 + 1);
        memset(out, 0, sizeof(out));
        if (have_avx)
            hold_ymm(in, out, YIELDS);
        else
            hold_xmm(in, out, YIELDS);
        size_t len = 16 * width;
        if (memcmp(in, out, len) != 0) {
            size_t i = 0;
            while (in[i] == out[i])
                i++;
            if (!w->bad_rounds)
                snprintf(w->first, sizeof(w->first),
                         "thread %u: %cmm%zu byte %zu (%s half) held %02x, read back %02x",
                         w->id, have_avx ? 'y' : 'x', i / width, i % width,
                         i % width < 16 ? "low" : "upper", in[i], out[i]);
            w->bad_rounds++;
        }
        w->rounds++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
    if (seconds <= 0 || threads == 0 || threads > 64) {
        fprintf(stderr, "usage: vector-check [SECONDS] [THREADS]\n");
        return 2;
    }
    have_avx = avx_usable();
    struct worker *w = calloc(threads, sizeof(*w));
    for (unsigned i = 0; i < threads; i++) {
        w[i].id = i;
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            perror("vector-check: pthread_create");
            return 2;
        }
    }
    struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    uint64_t rounds = 0, bad = 0;
    const char *first = NULL;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        rounds += w[i].rounds;
        bad += w[i].bad_rounds;
        if (!first && w[i].bad_rounds)
            first = w[i].first;
    }
    printf("vector-check %s: %s registers, %u threads, %llu rounds of %d yields, %llu lost state%s%s\n",
           bad ? "CORRUPT" : "ok", have_avx ? "ymm (AVX)" : "xmm (SSE)", threads,
           (unsigned long long)rounds, YIELDS, (unsigned long long)bad, first ? "; first: " : "",
           first ? first : "");
    free(w);
    return bad ? 1 : 0;
}
