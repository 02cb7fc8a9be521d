// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen9p-bench: throughput and operation rates of a 9pfs device, measured
 * from the frontend side (as a guest would see them), with several
 * requests in flight, and the same operations done natively on a directory
 * as the ceiling.
 *
 *   xen9p-bench --device device/9pfs/0 [options]   through the 9pfs transport
 *   xen9p-bench --native DIR [options]             the same, with local syscalls
 *   xen9p-bench --socket unix:PATH [options]       a 9P2000.L server on a socket
 *
 * Operations: read and write at each --sizes block size (MB/s and ops/s),
 * getattr, and walk+clunk (ops/s), each with each --depths number of
 * requests in flight; --ops picks some.  Output: one table row per operation
 * and depth, with the median and 99th percentile time a request took.
 * --server-pid PID adds the CPU time (user + system) the server's processes
 * spent per operation (scripts/bench-vs compares servers with it).
 *
 * --hold-fifos N (device only): first N reads are left blocked in the
 * backend, each on a FIFO of the export that nobody writes, for the whole
 * run: a guest that ties up the backend while it measures (docs/performance.md
 * "Fairness").
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "tools/p9front.h"
#include "tools/p9sock.h"

static char *opt_device;
static char *opt_native;
static char *opt_socket;
static char *opt_aname = "";
static int opt_server_pid;
static double opt_seconds = 2.0;
static char *opt_depths = "1,4,16,64";
static char *opt_sizes = "4K,64K,512K";
static int opt_file_mib = 64;
static gboolean opt_csv;
static char *opt_ops = "read,write,getattr,walk";
static int opt_hold_fifos;

static const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &opt_device,
      "9pfs frontend directory in xenstore (e.g. device/9pfs/0)", "PATH" },
    { "native", 'n', 0, G_OPTION_ARG_FILENAME, &opt_native,
      "Measure local syscalls on this directory instead", "DIR" },
    { "socket", 0, 0, G_OPTION_ARG_STRING, &opt_socket,
      "A 9P2000.L server on this socket instead (unix:PATH)", "ADDRESS" },
    { "aname", 0, 0, G_OPTION_ARG_STRING, &opt_aname,
      "Attach name for --socket (diod wants the export's path)", "NAME" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &opt_server_pid,
      "Also report the CPU time this process and its descendants spend per operation", "PID" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds per measurement (default 2)", "S" },
    { "depths", 0, 0, G_OPTION_ARG_STRING, &opt_depths,
      "Requests in flight (default 1,4,16,64)", "LIST" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &opt_sizes, "Block sizes (default 4K,64K,512K)", "LIST" },
    { "file-mib", 0, 0, G_OPTION_ARG_INT, &opt_file_mib, "Size of the test file (default 64)", "MIB" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_csv, "Comma-separated output", NULL },
    { "ops", 0, 0, G_OPTION_ARG_STRING, &opt_ops,
      "Operations (default read,write,getattr,walk)", "LIST" },
    { "hold-fifos", 0, 0, G_OPTION_ARG_INT, &opt_hold_fifos,
      "Keep N reads blocked on FIFOs of the export during the run (--device only)", "N" },
    { NULL }
};

enum op { OP_READ, OP_WRITE, OP_GETATTR, OP_WALK };
static const char *op_names[] = { "read", "write", "getattr", "walk+clunk" };
static const char *op_keys[] = { "read", "write", "getattr", "walk" };

struct result {
    uint64_t ops, bytes;
    double seconds;
    int error;
    GArray *latencies;          /* double, microseconds per request (device only) */
    double server_cpu;          /* seconds of --server-pid's tree, or -1 */
};

/*
 * CPU seconds (user + system) of process `root` and all its descendants,
 * from a scan of /proc.  Each process's children's times (cutime, cstime)
 * are included: a descendant that ends and is reaped between two samples
 * moves its time into its parent's, so the sum stays continuous.
 */
static double tree_cpu(int root)
{
    GHashTable *parent = g_hash_table_new(NULL, NULL);
    GHashTable *ticks = g_hash_table_new(NULL, NULL);
    DIR *proc = opendir("/proc");
    for (struct dirent *e; proc && (e = readdir(proc));) {
        int pid = atoi(e->d_name), ppid;
        if (pid <= 0)
            continue;
        char *path = g_strdup_printf("/proc/%d/stat", pid), *text = NULL;
        unsigned long long ut, st, cut, cst;
        /* after the command name, which may hold anything: fields 3.. */
        const char *rest = g_file_get_contents(path, &text, NULL, NULL) ? strrchr(text, ')')
                                                                         : NULL;
        if (rest && sscanf(rest, ") %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                           &ppid, &ut, &st, &cut, &cst) == 5) {
            g_hash_table_insert(parent, GINT_TO_POINTER(pid), GINT_TO_POINTER(ppid));
            g_hash_table_insert(ticks, GINT_TO_POINTER(pid),
                                GSIZE_TO_POINTER(ut + st + cut + cst));
        }
        g_free(text);
        g_free(path);
    }
    if (proc)
        closedir(proc);
    gsize total = 0;
    GHashTableIter it;
    gpointer pid, t;
    g_hash_table_iter_init(&it, ticks);
    while (g_hash_table_iter_next(&it, &pid, &t)) {
        int p = GPOINTER_TO_INT(pid);
        for (int hops = 0; p > 1 && p != root && hops < 64; hops++)
            p = GPOINTER_TO_INT(g_hash_table_lookup(parent, GINT_TO_POINTER(p)));
        if (p == root)
            total += GPOINTER_TO_SIZE(t);
    }
    g_hash_table_destroy(parent);
    g_hash_table_destroy(ticks);
    return (double)total / (double)sysconf(_SC_CLK_TCK);
}

static int by_value(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of the request times, or -1 when none were kept. */
static double quantile(GArray *latencies, double q)
{
    if (!latencies || latencies->len == 0)
        return -1;
    g_array_sort(latencies, by_value);
    guint i = (guint)(q * (latencies->len - 1) + 0.5);
    return g_array_index(latencies, double, i);
}

static void print_row(const char *where, enum op op, uint32_t block, unsigned depth,
                      const struct result *r)
{
    double mbs = r->bytes / r->seconds / 1e6, ops = r->ops / r->seconds;
    double p50 = quantile(r->latencies, 0.5), p99 = quantile(r->latencies, 0.99);
    char blk[16] = "-", mb[16] = "-", q50[16] = "-", q99[16] = "-", cpu[24] = "";
    if (op == OP_READ || op == OP_WRITE) {
        snprintf(blk, sizeof(blk), "%uK", block / 1024);
        snprintf(mb, sizeof(mb), "%.1f", mbs);
    }
    if (p50 >= 0) {
        snprintf(q50, sizeof(q50), "%.0f", p50);
        snprintf(q99, sizeof(q99), "%.0f", p99);
    }
    if (opt_server_pid && r->server_cpu >= 0 && r->ops)
        snprintf(cpu, sizeof(cpu), opt_csv ? ",%.2f" : " %9.2f",
                 r->server_cpu * 1e6 / (double)r->ops);
    else if (opt_server_pid)
        snprintf(cpu, sizeof(cpu), opt_csv ? ",-" : " %9s", "-");
    if (r->error) {
        printf(opt_csv ? "%s,%s,%s,%u,error: %s\n" : "%-8s %-11s %6s %6u  error: %s\n", where,
               op_names[op], blk, depth, g_strerror(r->error));
        return;
    }
    if (opt_csv)
        printf("%s,%s,%s,%u,%s,%.0f,%s,%s%s\n", where, op_names[op], blk, depth, mb, ops, q50, q99,
               cpu);
    else
        printf("%-8s %-11s %6s %6u %10s %12.0f %9s %9s%s\n", where, op_names[op], blk, depth, mb,
               ops, q50, q99, cpu);
    fflush(stdout);
}

/* ---- through the transport ---- */

#define FILE_NAME "xen9p-bench.dat"
#define ROOT_FID 0

/* Either transport: the Xen rings (fs) or a socket (sock). */
struct front_ctx {
    struct p9front *fs;
    struct p9sock *sock;
    uint64_t file_size;
    uint32_t max_block;         /* the most one Tread or Twrite carries (msize) */
};

static int front_send(struct front_ctx *c, uint8_t id, const union p9_arg *a, uint16_t *tag)
{
    return c->sock ? p9sock_send(c->sock, id, a, tag) : p9front_send(c->fs, id, a, tag);
}

static int front_wait(struct front_ctx *c, uint16_t tag, struct p9front_reply *r)
{
    return c->sock ? p9sock_wait(c->sock, tag, r) : p9front_wait(c->fs, tag, r);
}

static int front_rpc(struct front_ctx *c, uint8_t id, const union p9_arg *a,
                     struct p9front_reply *r)
{
    uint16_t tag;
    int err = front_send(c, id, a, &tag);
    return err ? err : front_wait(c, tag, r);
}

/* Walks fid 0 to FILE_NAME as `fid` and opens it read-write. */
static int open_fid(struct front_ctx *c, uint32_t fid)
{
    union p9_arg a[3];
    struct p9front_reply r;
    struct p9_str name = p9_str_of(FILE_NAME);
    a[0].d = ROOT_FID;
    a[1].d = fid;
    a[2].T.n = 1;
    a[2].T.v = &name;
    int err = front_rpc(c, P9_TWALK, a, &r);
    if (err)
        return err;
    err = r.r.error;
    g_free(r.buf);
    if (err)
        return -err;
    a[0].d = fid;
    a[1].d = P9_DOTL_RDWR;
    err = front_rpc(c, P9_TLOPEN, a, &r);
    if (err)
        return err;
    err = r.r.error;
    g_free(r.buf);
    return -err;
}

static void clunk(struct front_ctx *c, uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    struct p9front_reply r;
    if (front_rpc(c, P9_TCLUNK, a, &r) == 0)
        g_free(r.buf);
}

static int create_file(struct front_ctx *c, uint64_t size, uint32_t block)
{
    union p9_arg a[5];
    struct p9front_reply r;
    struct p9_str none;
    /* clone the root, then Tlcreate the file through the clone */
    a[0].d = ROOT_FID;
    a[1].d = 1;
    a[2].T.n = 0;
    a[2].T.v = &none;
    int err = front_rpc(c, P9_TWALK, a, &r);
    if (err)
        return err;
    g_free(r.buf);
    a[0].d = 1;
    a[1].s = p9_str_of(FILE_NAME);
    a[2].d = P9_DOTL_RDWR | P9_DOTL_TRUNC;
    a[3].d = 0644;
    a[4].d = 0;
    err = front_rpc(c, P9_TLCREATE, a, &r);
    if (err)
        return err;
    int perr = r.r.error;
    g_free(r.buf);
    if (perr == EEXIST) {
        clunk(c, 1);
        if ((err = open_fid(c, 1)))
            return err;
    } else if (perr) {
        return -perr;
    }
    uint8_t *buf = g_malloc(block);
    memset(buf, 0x5a, block);
    for (uint64_t off = 0; off < size; off += block) {
        a[0].d = 1;
        a[1].q = off;
        a[2].D = (struct p9_data){ .count = block, .ptr = buf };
        if ((err = front_rpc(c, P9_TWRITE, a, &r)))
            break;
        perr = r.r.error;
        g_free(r.buf);
        if (perr) {
            err = -perr;
            break;
        }
    }
    g_free(buf);
    clunk(c, 1);
    return err;
}

/* True if the export already holds the test file, at least file_size long
 * (scripts/bench-vs makes it, for servers that cannot create files). */
static bool has_file(struct front_ctx *c)
{
    union p9_arg a[2] = { { .d = 1 }, { .q = P9_GETATTR_BASIC } };
    struct p9front_reply r = { 0 };
    if (open_fid(c, 1))
        return false;
    bool big = front_rpc(c, P9_TGETATTR, a, &r) == 0 && !r.r.error &&
               r.r.body.rgetattr.size.q >= c->file_size;
    g_free(r.buf);
    clunk(c, 1);
    return big;
}

/* ---- a guest that ties the backend up: reads blocked on FIFOs ---- */

#define HOLD_FID 5000

/*
 * Makes FIFO "hold-fifoI" (Tmknod, if missing), opens it read-write (so the
 * open does not wait for a writer and a read finds it empty) as fid
 * HOLD_FID + I, and sends a Tread that stays blocked: its tag in *tag.
 */
static int hold_fifo(struct front_ctx *c, unsigned i, uint16_t *tag)
{
    union p9_arg a[6];
    struct p9front_reply r;
    char *name = g_strdup_printf("hold-fifo%u", i);
    struct p9_str s = p9_str_of(name);
    a[0].d = ROOT_FID; a[1].s = s; a[2].d = S_IFIFO | 0600; a[3].d = 0; a[4].d = 0; a[5].d = 0;
    int err = front_rpc(c, P9_TMKNOD, a, &r);
    if (!err) {
        err = r.r.error == EEXIST ? 0 : -r.r.error;
        g_free(r.buf);
    }
    a[0].d = ROOT_FID; a[1].d = HOLD_FID + i; a[2].T.n = 1; a[2].T.v = &s;
    if (!err && !(err = front_rpc(c, P9_TWALK, a, &r))) {
        err = -r.r.error;
        g_free(r.buf);
    }
    a[0].d = HOLD_FID + i; a[1].d = P9_DOTL_RDWR;
    if (!err && !(err = front_rpc(c, P9_TLOPEN, a, &r))) {
        err = -r.r.error;
        g_free(r.buf);
    }
    a[0].d = HOLD_FID + i; a[1].q = 0; a[2].d = 4096;
    if (!err)
        err = front_send(c, P9_TREAD, a, tag);
    g_free(name);
    return err;
}

/* Flushes the held reads (they must still be blocked) and clunks their fids. */
static int release_fifos(struct front_ctx *c, const uint16_t *tags, unsigned n)
{
    int err = 0;
    for (unsigned i = 0; i < n; i++) {
        if (p9front_ready(c->fs, tags[i]))
            err = -EPROTO;          /* a read that should have blocked came back */
        p9front_flush(c->fs, tags[i]);
        clunk(c, HOLD_FID + i);
    }
    return err;
}

/* One request in flight of run_front's: its slot's fid, what it does next. */
struct slot {
    uint16_t tag;
    gint64 sent;
    bool walked;                /* walk+clunk: the fid is walked, clunk it next */
};

static int send_next(struct front_ctx *c, enum op op, unsigned i, struct slot *sl,
                     uint32_t block, uint64_t offset, const uint8_t *buf)
{
    union p9_arg a[3];
    struct p9_str name = p9_str_of(FILE_NAME);
    uint32_t fid = 100 + i;
    uint8_t id = P9_TREAD;
    sl->sent = g_get_monotonic_time();
    switch (op) {
    case OP_READ:
        a[0].d = fid; a[1].q = offset; a[2].d = block;
        break;
    case OP_WRITE:
        id = P9_TWRITE;
        a[0].d = fid; a[1].q = offset; a[2].D = (struct p9_data){ block, buf };
        break;
    case OP_GETATTR:
        id = P9_TGETATTR;
        a[0].d = fid; a[1].q = P9_GETATTR_BASIC;
        break;
    case OP_WALK:
        /* alternate: walk a fid to the file, then clunk it */
        id = sl->walked ? P9_TCLUNK : P9_TWALK;
        a[0].d = sl->walked ? 1000 + i : ROOT_FID;
        a[1].d = 1000 + i; a[2].T.n = 1; a[2].T.v = &name;
        sl->walked = !sl->walked;
        break;
    }
    return front_send(c, id, a, &sl->tag);
}

/* Keeps `depth` requests in flight for opt_seconds; fids 100.. are used. */
static struct result run_front(struct front_ctx *c, enum op op, uint32_t block, unsigned depth)
{
    struct result res = { .server_cpu = -1 };
    struct slot *slots = g_new0(struct slot, depth);
    res.latencies = g_array_new(FALSE, FALSE, sizeof(double));
    block = MIN(block, c->max_block);
    uint8_t *buf = g_malloc0(block ? block : 1);
    /* One open fid per slot: the file for I/O and getattr. */
    for (unsigned i = 0; i < depth && !res.error; i++)
        res.error = -open_fid(c, 100 + i);
    uint64_t blocks = block ? c->file_size / block : 1;
    double cpu_before = opt_server_pid ? tree_cpu(opt_server_pid) : 0;
    gint64 start = g_get_monotonic_time(), end = start + (gint64)(opt_seconds * 1e6);
    uint64_t next_block = 0;
    unsigned inflight = 0;
    for (unsigned i = 0; i < depth && !res.error; i++, inflight++)
        res.error = -send_next(c, op, i, &slots[i], block, (next_block++ % blocks) * block, buf);
    /* Round robin: wait for slot i, count it, send its next request. */
    for (unsigned i = 0; inflight > 0; i = (i + 1) % depth) {
        struct p9front_reply r = { 0 };
        int err = front_wait(c, slots[i].tag, &r);
        inflight--;
        double took = (double)(g_get_monotonic_time() - slots[i].sent);
        if (err || r.r.error) {
            res.error = err ? -err : r.r.error;
            g_free(r.buf);
            continue;
        }
        uint32_t got = 0;
        if (op == OP_READ)
            got = r.r.body.a[0].D.count;
        else if (op == OP_WRITE)
            got = r.r.body.a[0].d;
        g_free(r.buf);
        res.bytes += got;
        res.ops++;
        g_array_append_val(res.latencies, took);
        if (res.error || g_get_monotonic_time() >= end)
            continue;
        err = send_next(c, op, i, &slots[i], block, (next_block++ % blocks) * block, buf);
        if (err)
            res.error = -err;
        else
            inflight++;
    }
    res.seconds = (g_get_monotonic_time() - start) / 1e6;
    if (opt_server_pid)
        res.server_cpu = tree_cpu(opt_server_pid) - cpu_before;
    for (unsigned i = 0; i < depth; i++) {
        clunk(c, 100 + i);
        if (op == OP_WALK && slots[i].walked)
            clunk(c, 1000 + i);
    }
    if (op == OP_WALK)
        res.ops = res.ops / 2;      /* a walk and its clunk are one operation */
    g_free(buf);
    g_free(slots);
    return res;
}

/* ---- native ceiling: the same pattern with threads and syscalls ---- */

struct native_job {
    int dirfd, fd;
    enum op op;
    uint32_t block;
    uint64_t file_size;
    gint64 end;
    unsigned index, depth;
    struct result res;
};

static void *native_worker(void *arg)
{
    struct native_job *j = arg;
    uint8_t *buf = g_malloc0(j->block ? j->block : 1);
    uint64_t blocks = j->block ? j->file_size / j->block : 1;
    uint64_t n = j->index;
    while (g_get_monotonic_time() < j->end) {
        ssize_t got = 0;
        struct stat st;
        off_t off = (off_t)((n % blocks) * j->block);
        n += j->depth;
        switch (j->op) {
        case OP_READ: got = pread(j->fd, buf, j->block, off); break;
        case OP_WRITE: got = pwrite(j->fd, buf, j->block, off); break;
        case OP_GETATTR: got = fstat(j->fd, &st); break;
        case OP_WALK: {
            int fd = openat(j->dirfd, FILE_NAME, O_PATH | O_NOFOLLOW);
            got = fd < 0 ? -1 : close(fd);
            break;
        }
        }
        if (got < 0) {
            j->res.error = errno;
            break;
        }
        if (j->op <= OP_WRITE)
            j->res.bytes += got;
        j->res.ops++;
    }
    g_free(buf);
    return NULL;
}

static struct result run_native(int dirfd, enum op op, uint32_t block, unsigned depth,
                                uint64_t file_size)
{
    struct result total = { .server_cpu = -1 };
    struct native_job *jobs = g_new0(struct native_job, depth);
    pthread_t *threads = g_new(pthread_t, depth);
    gint64 start = g_get_monotonic_time(), end = start + (gint64)(opt_seconds * 1e6);
    for (unsigned i = 0; i < depth; i++) {
        jobs[i] = (struct native_job){ .dirfd = dirfd, .op = op, .block = block,
                                       .file_size = file_size, .end = end, .index = i,
                                       .depth = depth };
        jobs[i].fd = openat(dirfd, FILE_NAME, O_RDWR);
        pthread_create(&threads[i], NULL, native_worker, &jobs[i]);
    }
    for (unsigned i = 0; i < depth; i++) {
        pthread_join(threads[i], NULL);
        close(jobs[i].fd);
        total.ops += jobs[i].res.ops;
        total.bytes += jobs[i].res.bytes;
        if (jobs[i].res.error)
            total.error = jobs[i].res.error;
    }
    total.seconds = (g_get_monotonic_time() - start) / 1e6;
    g_free(threads);
    g_free(jobs);
    return total;
}

static int native_create(int dirfd, uint64_t size)
{
    int fd = openat(dirfd, FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -errno;
    uint8_t *buf = g_malloc(1 << 20);
    memset(buf, 0x5a, 1 << 20);
    int err = 0;
    for (uint64_t off = 0; off < size && !err; off += 1 << 20) {
        if (pwrite(fd, buf, 1 << 20, off) != 1 << 20)
            err = -errno;
    }
    g_free(buf);
    close(fd);
    return err;
}

/* ---- main ---- */

static GArray *parse_list(const char *text, bool sizes)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    char **items = g_strsplit(text, ",", -1);
    for (char **it = items; *it; it++) {
        char *end;
        unsigned long v = strtoul(*it, &end, 10);
        if (sizes && (*end == 'K' || *end == 'k'))
            v *= 1024;
        else if (sizes && (*end == 'M' || *end == 'm'))
            v *= 1024 * 1024;
        if (v > 0 && v <= (sizes ? 1u << 24 : 1024u)) {
            uint32_t u = v;
            g_array_append_val(out, u);
        }
    }
    g_strfreev(items);
    return out;
}

int main(int argc, char **argv)
{
    /* the administrator's locale: GLib prints UTF-8 messages and --help in it */
    setlocale(LC_ALL, "");
    GError *error = NULL;
    GOptionContext *ctx = g_option_context_new("- 9pfs device benchmark");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("xen9p-bench: %s\n", error->message);
        return 2;
    }
    g_option_context_free(ctx);
    if (!!opt_device + !!opt_native + !!opt_socket != 1) {
        g_printerr("xen9p-bench: give exactly one of --device PATH, --native DIR"
                   " or --socket ADDRESS\n");
        return 2;
    }
    if (opt_hold_fifos < 0 || opt_hold_fifos > 1000 || (opt_hold_fifos && !opt_device)) {
        g_printerr("xen9p-bench: --hold-fifos takes 0..1000, with --device\n");
        return 2;
    }
    GArray *depths = parse_list(opt_depths, false), *sizes = parse_list(opt_sizes, true);
    uint32_t largest = 0;
    for (guint i = 0; i < sizes->len; i++)
        largest = MAX(largest, g_array_index(sizes, uint32_t, i));
    uint64_t file_size = (uint64_t)opt_file_mib << 20;
    struct front_ctx front = { .file_size = file_size };
    int dirfd = -1;
    const char *where = opt_device ? "xen9p" : opt_socket ? "socket" : "native";

    if (opt_device || opt_socket) {
        struct p9front_options o;
        char *why = NULL;
        p9front_linux_options(&o);
        if (opt_device ? p9front_connect(opt_device, &o, &front.fs, &why) < 0
                       : !(front.sock = p9sock_connect(opt_socket, &why))) {
            g_printerr("xen9p-bench: %s\n", why);
            return 1;
        }
        /* Room for the largest block plus the Rread header. */
        int msize = front.sock ? p9sock_mount(front.sock, "9P2000.L", largest + 4096, opt_aname)
                               : p9front_mount(front.fs, "9P2000.L", largest + 4096);
        if (msize < 0) {
            g_printerr("xen9p-bench: mount failed: %s\n", g_strerror(-msize));
            return 1;
        }
        /* A server with a smaller msize gets larger blocks in several
         * requests, as the Linux client sends them. */
        front.max_block = (uint32_t)msize - P9_IOHDR_SIZE;
        if (front.max_block < largest) {
            front.max_block &= ~4095u;
            printf("# msize %d: blocks above %u bytes are read and written %u bytes per request\n",
                   msize, front.max_block, front.max_block);
        }
        uint32_t fill = MIN(MIN(largest, 65536u), front.max_block & ~4095u);
        int err = has_file(&front) ? 0 : create_file(&front, file_size, fill);
        if (err) {
            g_printerr("xen9p-bench: cannot create %s: %s\n", FILE_NAME, g_strerror(-err));
            return 1;
        }
    } else {
        dirfd = open(opt_native, O_RDONLY | O_DIRECTORY);
        if (dirfd < 0 || native_create(dirfd, file_size) < 0) {
            g_printerr("xen9p-bench: cannot use %s: %s\n", opt_native, g_strerror(errno));
            return 1;
        }
    }
    uint16_t *held = g_new0(uint16_t, MAX(opt_hold_fifos, 1));
    for (int i = 0; i < opt_hold_fifos; i++) {
        int err = hold_fifo(&front, (unsigned)i, &held[i]);
        if (err) {
            g_printerr("xen9p-bench: cannot hold a read on a FIFO: %s\n", g_strerror(-err));
            return 1;
        }
    }
    if (opt_hold_fifos)
        printf("# %d reads held blocked on FIFOs during the run\n", opt_hold_fifos);
    if (!opt_csv)
        printf("%-8s %-11s %6s %6s %10s %12s %9s %9s%s\n", "where", "operation", "block", "depth",
               "MB/s", "ops/s", "p50 us", "p99 us", opt_server_pid ? " srv us/op" : "");
    else
        printf("where,operation,block,depth,MB/s,ops/s,p50 us,p99 us%s\n",
               opt_server_pid ? ",server CPU us/op" : "");
    char **wanted = g_strsplit(opt_ops, ",", -1);
    for (enum op op = OP_READ; op <= OP_WALK; op++) {
        if (!g_strv_contains((const char *const *)wanted, op_keys[op]))
            continue;
        guint nsizes = op <= OP_WRITE ? sizes->len : 1;
        for (guint s = 0; s < nsizes; s++) {
            uint32_t block = op <= OP_WRITE ? g_array_index(sizes, uint32_t, s) : 0;
            for (guint d = 0; d < depths->len; d++) {
                unsigned depth = g_array_index(depths, uint32_t, d);
                struct result r = !opt_native ? run_front(&front, op, block, depth)
                                             : run_native(dirfd, op, block, depth, file_size);
                print_row(where, op, block, depth, &r);
                if (r.latencies)
                    g_array_free(r.latencies, TRUE);
            }
        }
    }
    g_strfreev(wanted);
    int rc = 0;
    if (opt_hold_fifos && release_fifos(&front, held, (unsigned)opt_hold_fifos) < 0) {
        g_printerr("xen9p-bench: a held read returned during the run\n");
        rc = 1;
    }
    g_free(held);
    if (front.fs) {
        struct p9front_stats st;
        p9front_get_stats(front.fs, &st);
        if (st.wrong_tag || st.split_replies || st.after_flush)
            g_printerr("xen9p-bench: transport anomalies: wrong tag %" G_GUINT64_FORMAT
                       ", split replies %" G_GUINT64_FORMAT "\n", st.wrong_tag, st.split_replies);
        p9front_close(front.fs);
    } else if (front.sock) {
        p9sock_close(front.sock);
    } else {
        unlinkat(dirfd, FILE_NAME, 0);
        close(dirfd);
    }
    g_array_free(depths, TRUE);
    g_array_free(sizes, TRUE);
    return rc;
}
