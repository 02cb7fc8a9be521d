// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Xen 9pfs data ring over plain memory (docs/xen-transport.md A.3-A.10).
 *
 * One interface page (struct xen_9pfs_data_intf) carries two index pairs; the
 * 2^order data pages behind it hold two byte arrays of XEN_FLEX_RING_SIZE(order)
 * bytes each: "in" (first half, backend -> frontend) and "out" (second half,
 * frontend -> backend). 9P messages travel back to back as an opaque byte stream,
 * framed only by their own 7-byte header (size[4] id[1] tag[2], little endian).
 *
 * One direction is a ring_writer on the producing side and a ring_reader on the
 * consuming side. Each side keeps a private copy of the index it owns, publishes
 * it to the shared page, and reads the peer's index exactly once per operation
 * before validating it: the peer may be a hostile guest that rewrites the shared
 * page at any moment.
 *
 * Threading contract: at most one thread at a time uses a given ring_reader, and
 * at most one thread at a time uses a given ring_writer (the caller serialises
 * if several threads produce replies). A reader and a writer, even on the same
 * interface page, may run concurrently. No call allocates, locks or sleeps;
 * waiting for space or data (the event channel) is the caller's business.
 *
 * Nothing here calls a Xen library: the caller maps the pages (or allocates
 * plain memory for tests and the frontend simulator) and sends notifications.
 */
#ifndef XEN9P_RING_RING_H
#define XEN9P_RING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <xen/io/9pfs.h>

/* Bytes of the 9P header used for framing: size[4] id[1] tag[2]. */
#define RING_MSG_HEADER_BYTES 7u

/* Ring pages are 4 KiB whatever the guest's page size (xen/io/ring.h). */
#define RING_PAGE_BYTES (1u << XEN_PAGE_SHIFT)

/*
 * Largest ring order the protocol allows: ref[] holds 2^order grant refs and
 * must fit in the interface page after the header (A.3: 991 slots -> 512).
 */
#define RING_ORDER_MAX 9u

enum ring_status {
    RING_OK,     /* ring_put/ring_putv: the whole message is published */
    RING_MSG,    /* ring_peek: a whole message is queued */
    RING_EMPTY,  /* ring_peek: not a whole message yet; wait for an event */
    RING_FULL,   /* ring_put/ring_putv: no room now; keep it queued, wait */
    RING_BROKEN, /* the peer broke the protocol (or a caller bug); stop using the ring */
};

/*
 * Why a ring went RING_BROKEN. Every later call on that reader/writer returns
 * RING_BROKEN again with the same reason: a corrupt ring is never used again.
 * why is a static string; value and bound are the offending number and the
 * limit it broke, for the caller's log line (e.g. "size 9000000 > 65536").
 */
struct ring_fault {
    const char *why;
    uint32_t value;
    uint32_t bound;
};

/* Consumer side of one direction: backend on "out", frontend on "in". */
struct ring_reader {
    RING_IDX *shared_prod;       /* peer-owned: read once per call, never trusted */
    RING_IDX *shared_cons;       /* ours: published after each ring_take */
    const unsigned char *data;   /* XEN_FLEX_RING_SIZE(order) bytes */
    RING_IDX size;               /* bytes in data, a power of two */
    RING_IDX cons;               /* private consumer index */
    RING_IDX validated;          /* bytes the last ring_peek proved present */
    unsigned char header[RING_MSG_HEADER_BYTES]; /* private copy of the peeked header */
    struct ring_fault fault;     /* set once broken */
};

/* Producer side of one direction: backend on "in", frontend on "out". */
struct ring_writer {
    RING_IDX *shared_prod;       /* ours: published once per whole message */
    RING_IDX *shared_cons;       /* peer-owned: read once per call, never trusted */
    unsigned char *data;
    RING_IDX size;
    RING_IDX prod;               /* private producer index */
    struct ring_fault fault;
};

/*
 * True if a ring order read from the (guest-written) interface page may be
 * mapped: 1 <= order <= max_order, and max_order itself no larger than
 * RING_ORDER_MAX. Whoever maps the ring checks this on its snapshot of
 * ring_order before mapping 2^order pages.
 */
bool ring_order_valid(uint32_t order, uint32_t max_order);

/* Bytes of one direction for a ring order: XEN_FLEX_RING_SIZE(order). */
size_t ring_direction_bytes(unsigned order);

/* Bytes of the whole data area (both directions, 2^order pages). */
size_t ring_data_bytes(unsigned order);

/*
 * Attach to a ring whose interface page is intf and whose ring_data_bytes(order)
 * bytes of data start at data. order is the caller's validated snapshot
 * (ring_order_valid); intf->ring_order is not read again. The private indices
 * start from the shared ones as they stand, so a backend attaching late finds
 * requests the frontend queued before the connection.
 */
void ring_backend_init(struct xen_9pfs_data_intf *intf, void *data, unsigned order,
                       struct ring_reader *requests, struct ring_writer *replies);

/*
 * The frontend's view (our simulator): writer on "out", reader on "in". Also
 * stores order into intf->ring_order, as a frontend does when it sets the page
 * up; filling ref[] is the caller's (grant) business.
 */
void ring_frontend_init(struct xen_9pfs_data_intf *intf, void *data, unsigned order,
                        struct ring_writer *requests, struct ring_reader *replies);

/*
 * Frame the next 9P message. limit is the largest acceptable size (msize, or the
 * ring size before Tversion); it is clamped to the ring size since a larger
 * message could never be queued whole.
 *   RING_MSG:    a whole message of *size bytes is queued; call ring_take.
 *   RING_EMPTY:  fewer bytes than a header, or than the whole message (its size
 *                is already validated); wait for an event and peek again.
 *   RING_BROKEN: *why (and r->fault) says what: producer index more than the
 *                ring size ahead, our own consumer index changed by the peer,
 *                header size < 7 or > limit.
 * why may be NULL.
 */
enum ring_status ring_peek(struct ring_reader *r, uint32_t limit, uint32_t *size,
                           const char **why);

/*
 * The 9P message type (header byte 4) of the message the last ring_peek
 * announced with RING_MSG, from ring_peek's private copy of the header: the
 * message ring_take then delivers carries the same type, whatever the peer
 * writes into the shared ring meanwhile (decide on the copy, never on a
 * second read of shared memory: docs/xen-transport.md A.10).
 */
uint8_t ring_peek_type(const struct ring_reader *r);

/*
 * Copy the size bytes ring_peek announced into dst (wrapping), then release the
 * space: full barrier, then one store of the new consumer index. The header of
 * the copy is rewritten with ring_peek's private copy (the validated size, the
 * type ring_peek_type reported, the tag), so a guest that rewrites the shared
 * header between peek and take cannot make the copy disagree with what was
 * decided on it.
 * The caller notifies the peer afterwards (a frontend blocked on a full ring
 * waits for it, A.9). size must not exceed what the last ring_peek validated.
 */
void ring_take(struct ring_reader *r, void *dst, uint32_t size);

/*
 * ring_take in two steps, for a message whose tail need not be copied: the
 * first `head` bytes into dst (header rewritten as ring_take does), the other
 * size - head bytes as pieces of the ring in rest[0..*n) (two across the
 * wrap), which stay valid until ring_release(r, size) gives the space back.
 * Those pieces are the peer's memory: nothing may be decided on them.
 */
void ring_take_head(struct ring_reader *r, void *dst, uint32_t head, uint32_t size,
                    struct iovec rest[2], int *n);
void ring_release(struct ring_reader *r, uint32_t size);

/*
 * Publish one whole message: check free space (full barrier after reading the
 * peer's consumer index, which must lie within one ring size behind our producer
 * index), copy (wrapping), write barrier, ONE store of the new producer index.
 *   RING_OK:     published; the caller notifies the peer (once per batch is enough).
 *   RING_FULL:   not enough room now; nothing was written; retry after the peer
 *                consumes and notifies.
 *   RING_BROKEN: consumer index out of range, our producer index changed by the
 *                peer, or size > ring size (a caller bug: cap msize at ring size).
 * A zero-byte message (a cancelled request's empty reply) returns RING_OK and
 * does not touch the index. why may be NULL.
 */
enum ring_status ring_put(struct ring_writer *w, const void *msg, uint32_t size,
                          const char **why);

/*
 * Room to write one message of `size` bytes in place, checked as ring_putv
 * checks: on RING_OK, iov[0..*n) (one piece, or two across the wrap) are the
 * ring's bytes from the producer index.  Nothing is published until
 * ring_commit(w, used) with used <= size; no other message may be put
 * meanwhile.  The peer sees the bytes before then (they are its memory): the
 * writer never reads them back.
 */
enum ring_status ring_space(struct ring_writer *w, uint32_t size, struct iovec iov[2], int *n,
                            const char **why);
/* Publishes the first `size` bytes of the last ring_space: barrier, one index store. */
void ring_commit(struct ring_writer *w, uint32_t size);

/* Same, gathering the message from n pieces (e.g. header + payload). */
enum ring_status ring_putv(struct ring_writer *w, const struct iovec *iov, int n,
                           const char **why);

/*
 * Informational snapshots for stats and tests (one atomic read of the peer's
 * index, no validation, no barrier). pending may exceed the ring size on a
 * corrupt ring; free is 0 then.
 */
uint32_t ring_pending_bytes(const struct ring_reader *r);
uint32_t ring_free_bytes(const struct ring_writer *w);

#endif /* XEN9P_RING_RING_H */
