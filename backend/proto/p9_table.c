// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9P message table (see p9_table.h), made from the message list
 * (p9_messages.h). */
#include "config.h"

#include "backend/proto/p9_table.h"
#include "backend/proto/p9_messages.h"

#include <stddef.h>


/* The table's field names: "fid offset data " (trace.c splits them at blanks). */
#define FIELD_NAME(name) #name " "
#define ROW(name, id, dialects, flags, trace, tfmt, tfields, rfmt, rfields) \
    { id, dialects, flags, "T" #name, tfmt, "" tfields, "R" #name, rfmt, "" rfields, trace },

static const struct p9_op ops[] = { P9_MESSAGES(ROW, FIELD_NAME) };

const struct p9_op *p9_op_find(uint8_t id, unsigned dialect)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (ops[i].id == id)
            return (dialect == P9_DIALECT_NONE || (ops[i].dialects & dialect)) ? &ops[i] : NULL;
    }
    return NULL;
}

const struct p9_op *p9_op_for_reply(uint8_t reply_id, unsigned dialect)
{
    return reply_id & 1 ? p9_op_find(reply_id - 1, dialect) : NULL;
}

const struct p9_op *p9_op_at(unsigned index)
{
    return index < sizeof(ops) / sizeof(ops[0]) ? &ops[index] : NULL;
}
