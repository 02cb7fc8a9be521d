// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framing and whole-message publishing on the Xen 9pfs byte rings.
 * Barrier placement: docs/xen-transport.md A.6.
 *
 * The interface page declares its indices as plain RING_IDX (we must not
 * redefine the Xen struct), so shared indices are accessed with the GNU
 * __atomic builtins, which are the C11 memory-model operations for objects not
 * declared _Atomic. The spec's barriers map to C11 orderings at least as strong:
 *   xen_rmb after reading prod  -> acquire load of prod,
 *   xen_wmb before storing prod -> release store of prod,
 *   xen_mb                      -> seq_cst fence (the consumer also stores cons
 *                                  with release, the producer loads cons with acquire).
 * Putting the orderings on the index accesses themselves (rather than only
 * standalone fences) also lets ThreadSanitizer check the threaded tests.
 */
#include "config.h"

#include "ring/ring.h"

#include <assert.h>
#include <stdatomic.h>

_Static_assert(offsetof(struct xen_9pfs_data_intf, ref) +
                   (sizeof(grant_ref_t) << RING_ORDER_MAX) <= RING_PAGE_BYTES,
               "RING_ORDER_MAX refs must fit in the interface page");
_Static_assert(offsetof(struct xen_9pfs_data_intf, ref) +
                   (sizeof(grant_ref_t) << (RING_ORDER_MAX + 1)) > RING_PAGE_BYTES,
               "RING_ORDER_MAX is the largest order whose refs fit");

/* Our own index, or a snapshot for stats: no ordering needed. */
static RING_IDX load_index(const RING_IDX *shared)
{
    return __atomic_load_n(shared, __ATOMIC_RELAXED);
}

/* The peer's index: what it published before storing it is visible after. */
static RING_IDX load_peer_index(const RING_IDX *shared)
{
    return __atomic_load_n(shared, __ATOMIC_ACQUIRE);
}

/* Our index: everything we did to the array before is visible with it. */
static void publish_index(RING_IDX *shared, RING_IDX value)
{
    __atomic_store_n(shared, value, __ATOMIC_RELEASE);
}

/*
 * Wrapping copies. Each memcpy is bounded by the array end on its own, so no
 * index value (guest-supplied or buggy) can reach outside the data array: we
 * do not use xen_9pfs_read_packet/write_packet because their choice between
 * one and two memcpy's trusts that len fits between the two indices.
 */
static void copy_from_ring(void *dst, const unsigned char *ring, RING_IDX ring_size,
                           RING_IDX idx, uint32_t len)
{
    RING_IDX offset = xen_9pfs_mask(idx, ring_size);
    uint32_t first = len < ring_size - offset ? len : ring_size - offset;

    assert(len <= ring_size);
    memcpy(dst, ring + offset, first);
    memcpy((unsigned char *)dst + first, ring, len - first);
}

static void copy_to_ring(unsigned char *ring, RING_IDX ring_size, RING_IDX idx,
                         const void *src, uint32_t len)
{
    RING_IDX offset = xen_9pfs_mask(idx, ring_size);
    uint32_t first = len < ring_size - offset ? len : ring_size - offset;

    assert(len <= ring_size);
    memcpy(ring + offset, src, first);
    memcpy(ring, (const unsigned char *)src + first, len - first);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static enum ring_status set_fault(struct ring_fault *fault, const char *why,
                                  uint32_t value, uint32_t bound, const char **why_out)
{
    fault->why = why;
    fault->value = value;
    fault->bound = bound;
    if (why_out)
        *why_out = why;
    return RING_BROKEN;
}

static enum ring_status report_fault(const struct ring_fault *fault, const char **why_out)
{
    if (why_out)
        *why_out = fault->why;
    return RING_BROKEN;
}

bool ring_order_valid(uint32_t order, uint32_t max_order)
{
    return order >= 1 && order <= max_order && order <= RING_ORDER_MAX;
}

size_t ring_direction_bytes(unsigned order)
{
    return XEN_FLEX_RING_SIZE(order);
}

size_t ring_data_bytes(unsigned order)
{
    return 2 * ring_direction_bytes(order);
}

static void reader_attach(struct ring_reader *r, RING_IDX *prod, RING_IDX *cons,
                          const unsigned char *data, RING_IDX size)
{
    *r = (struct ring_reader){
        .shared_prod = prod,
        .shared_cons = cons,
        .data = data,
        .size = size,
        .cons = load_index(cons),
    };
}

static void writer_attach(struct ring_writer *w, RING_IDX *prod, RING_IDX *cons,
                          unsigned char *data, RING_IDX size)
{
    *w = (struct ring_writer){
        .shared_prod = prod,
        .shared_cons = cons,
        .data = data,
        .size = size,
        .prod = load_index(prod),
    };
}

void ring_backend_init(struct xen_9pfs_data_intf *intf, void *data, unsigned order,
                       struct ring_reader *requests, struct ring_writer *replies)
{
    RING_IDX size = (RING_IDX)ring_direction_bytes(order);
    unsigned char *in = data;
    unsigned char *out = in + size;

    assert(ring_order_valid(order, RING_ORDER_MAX));
    reader_attach(requests, &intf->out_prod, &intf->out_cons, out, size);
    writer_attach(replies, &intf->in_prod, &intf->in_cons, in, size);
}

void ring_frontend_init(struct xen_9pfs_data_intf *intf, void *data, unsigned order,
                        struct ring_writer *requests, struct ring_reader *replies)
{
    RING_IDX size = (RING_IDX)ring_direction_bytes(order);
    unsigned char *in = data;
    unsigned char *out = in + size;

    assert(ring_order_valid(order, RING_ORDER_MAX));
    __atomic_store_n(&intf->ring_order, order, __ATOMIC_RELAXED);
    writer_attach(requests, &intf->out_prod, &intf->out_cons, out, size);
    reader_attach(replies, &intf->in_prod, &intf->in_cons, in, size);
}

enum ring_status ring_peek(struct ring_reader *r, uint32_t limit, uint32_t *size,
                           const char **why)
{
    RING_IDX prod, own_cons, queued;
    uint32_t msg_size;

    if (r->fault.why)
        return report_fault(&r->fault, why);

    prod = load_peer_index(r->shared_prod); /* acquire: index before data (rmb) */
    own_cons = load_index(r->shared_cons);

    if (own_cons != r->cons)
        return set_fault(&r->fault, "consumer index changed by the peer", own_cons,
                         r->cons, why);
    queued = prod - r->cons;
    if (queued > r->size)
        return set_fault(&r->fault, "producer index more than the ring size ahead",
                         queued, r->size, why);
    r->validated = queued;
    if (queued < RING_MSG_HEADER_BYTES)
        return RING_EMPTY;

    copy_from_ring(r->header, r->data, r->size, r->cons, sizeof(r->header));
    msg_size = get_le32(r->header);
    if (msg_size < RING_MSG_HEADER_BYTES)
        return set_fault(&r->fault, "message size below the 9P header size", msg_size,
                         RING_MSG_HEADER_BYTES, why);
    if (limit > r->size)
        limit = r->size;
    if (msg_size > limit)
        return set_fault(&r->fault, "message size over the limit", msg_size, limit, why);
    if (queued < msg_size)
        return RING_EMPTY;

    *size = msg_size;
    return RING_MSG;
}

uint8_t ring_peek_type(const struct ring_reader *r)
{
    assert(!r->fault.why && r->validated >= RING_MSG_HEADER_BYTES);
    return r->header[4];
}

void ring_take(struct ring_reader *r, void *dst, uint32_t size)
{
    ring_take_head(r, dst, size, size, NULL, NULL);
    ring_release(r, size);
}

void ring_take_head(struct ring_reader *r, void *dst, uint32_t head, uint32_t size,
                    struct iovec rest[2], int *n)
{
    assert(!r->fault.why);
    assert(size >= RING_MSG_HEADER_BYTES && size <= r->validated);
    assert(head >= RING_MSG_HEADER_BYTES && head <= size);

    copy_from_ring(dst, r->data, r->size, r->cons, head);
    /* ring_peek's header: what was decided on is what is delivered. */
    memcpy(dst, r->header, sizeof(r->header));
    put_le32(dst, size);
    if (!rest)
        return;
    *n = 0;
    if (head == size)
        return;
    RING_IDX offset = xen_9pfs_mask(r->cons + head, r->size);
    uint32_t len = size - head, first = len < r->size - offset ? len : r->size - offset;
    rest[(*n)++] = (struct iovec){ (void *)(r->data + offset), first };
    if (first < len)
        rest[(*n)++] = (struct iovec){ (void *)r->data, len - first };
}

void ring_release(struct ring_reader *r, uint32_t size)
{
    assert(size <= r->validated);
    r->cons += size;
    r->validated -= size;
    /* every read of the array is done before the space goes back (mb) */
    atomic_thread_fence(memory_order_seq_cst);
    publish_index(r->shared_cons, r->cons);
}

enum ring_status ring_space(struct ring_writer *w, uint32_t size, struct iovec iov[2], int *n,
                            const char **why)
{
    RING_IDX cons, own_prod, used;

    *n = 0;
    if (w->fault.why)
        return report_fault(&w->fault, why);
    if (size > w->size)
        return set_fault(&w->fault, "message larger than the ring", size, w->size, why);
    if (size == 0)
        return RING_OK;

    cons = load_peer_index(w->shared_cons);
    own_prod = load_index(w->shared_prod);
    /* the peer's reads of the space we reuse are done before we write it (mb) */
    atomic_thread_fence(memory_order_seq_cst);

    if (own_prod != w->prod)
        return set_fault(&w->fault, "producer index changed by the peer", own_prod,
                         w->prod, why);
    used = w->prod - cons;
    if (used > w->size)
        return set_fault(&w->fault, "consumer index outside the ring", used, w->size,
                         why);
    if (w->size - used < size)
        return RING_FULL;

    RING_IDX offset = xen_9pfs_mask(w->prod, w->size);
    uint32_t first = size < w->size - offset ? size : w->size - offset;
    iov[0] = (struct iovec){ w->data + offset, first };
    *n = 1;
    if (first < size)
        iov[(*n)++] = (struct iovec){ w->data, size - first };
    return RING_OK;
}

void ring_commit(struct ring_writer *w, uint32_t size)
{
    w->prod += size;
    publish_index(w->shared_prod, w->prod); /* release: data before index (wmb) */
}

enum ring_status ring_putv(struct ring_writer *w, const struct iovec *iov, int n,
                           const char **why)
{
    uint64_t total = 0;
    assert(n >= 0);
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    struct iovec space[2];
    int pieces;
    enum ring_status st = ring_space(w, total > UINT32_MAX ? UINT32_MAX : (uint32_t)total,
                                     space, &pieces, why);
    if (st != RING_OK || total == 0)
        return st;

    RING_IDX at = w->prod;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len == 0)
            continue;
        copy_to_ring(w->data, w->size, at, iov[i].iov_base, (uint32_t)iov[i].iov_len);
        at += (RING_IDX)iov[i].iov_len;
    }
    ring_commit(w, (uint32_t)total);
    return RING_OK;
}

enum ring_status ring_put(struct ring_writer *w, const void *msg, uint32_t size,
                          const char **why)
{
    struct iovec one = { .iov_base = (void *)msg, .iov_len = size };

    return ring_putv(w, &one, 1, why);
}

uint32_t ring_pending_bytes(const struct ring_reader *r)
{
    return load_index(r->shared_prod) - r->cons;
}

uint32_t ring_free_bytes(const struct ring_writer *w)
{
    RING_IDX used = w->prod - load_index(w->shared_cons);

    return used > w->size ? 0 : w->size - used;
}
