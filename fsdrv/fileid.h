/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File identity remap: (device, inode) -> one 64-bit id per export. */
#ifndef XEN9P_FSDRV_FILEID_H
#define XEN9P_FSDRV_FILEID_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The first devices seen get a small index (bits 48..62) and their inodes
 * below 2^48 map to index<<48 | inode without any lock.  Everything else
 * (more devices, huge inodes) gets a counter from a map, marked by bit 63.
 */
#define FSDRV_ID_DEV_SLOTS 64
#define FSDRV_ID_INO_BITS 48
#define FSDRV_ID_MAPPED (UINT64_C(1) << 63)

struct fsdrv_ids {
    atomic_uint ndevs;                  /* published slots of devs[] */
    dev_t devs[FSDRV_ID_DEV_SLOTS];
    GMutex lock;                        /* appends to devs[], the map */
    GHashTable *map;                    /* struct fsdrv_id_entry, key = value */
    uint64_t next_mapped;
};

/* A set of inodes: keys are struct fsdrv_inode_key, freed with the set. */
struct fsdrv_inode_key {
    dev_t dev;
    ino_t ino;
};
GHashTable *fsdrv_inode_set_new(void);
struct fsdrv_inode_key *fsdrv_inode_key_new(dev_t dev, ino_t ino);
/* Adds (dev, ino); false when it was there already. */
bool fsdrv_inode_set_add(GHashTable *set, dev_t dev, ino_t ino);
bool fsdrv_inode_set_contains(GHashTable *set, dev_t dev, ino_t ino);

void fsdrv_ids_init(struct fsdrv_ids *ids, dev_t first_dev);
void fsdrv_ids_fini(struct fsdrv_ids *ids);
uint64_t fsdrv_ids_lookup(struct fsdrv_ids *ids, dev_t dev, ino_t ino);

#endif
