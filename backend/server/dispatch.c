// SPDX-License-Identifier: GPL-2.0-or-later
/* Which operation answers which request (the protocol's table, p9_table.h,
 * says what the messages are; this says who serves them). */
#include "config.h"

#include "backend/server/ops.h"

static const p9_handler handlers[256] = {
    [P9_TVERSION] = op_version,
    [P9_TAUTH] = op_auth,
    [P9_TATTACH] = op_attach,
    [P9_TWALK] = op_walk,
    [P9_TREAD] = op_read,
    [P9_TWRITE] = op_write,
    [P9_TCLUNK] = op_clunk,
    [P9_TREMOVE] = op_remove,
    [P9_TOPEN] = op_open,
    [P9_TCREATE] = op_create,
    [P9_TSTAT] = op_stat,
    [P9_TWSTAT] = op_wstat,
    [P9_TSTATFS] = op_statfs,
    [P9_TLOPEN] = op_lopen,
    [P9_TLCREATE] = op_lcreate,
    [P9_TSYMLINK] = op_symlink,
    [P9_TMKNOD] = op_mknod,
    [P9_TRENAME] = op_rename,
    [P9_TREADLINK] = op_readlink,
    [P9_TGETATTR] = op_getattr,
    [P9_TSETATTR] = op_setattr,
    [P9_TXATTRWALK] = op_xattrwalk,
    [P9_TXATTRCREATE] = op_xattrcreate,
    [P9_TREADDIR] = op_readdir,
    [P9_TFSYNC] = op_fsync,
    [P9_TLOCK] = op_lock,
    [P9_TGETLOCK] = op_getlock,
    [P9_TLINK] = op_link,
    [P9_TMKDIR] = op_mkdir,
    [P9_TRENAMEAT] = op_renameat,
    [P9_TUNLINKAT] = op_unlinkat,
};

p9_handler p9_handler_of(uint8_t id)
{
    return handlers[id];
}
