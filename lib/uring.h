/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* io_uring opcode names (the kernel's IORING_OP_* without the prefix) and
 * the profile field that lists the opcodes a program may submit. */
#ifndef SC_URING_H
#define SC_URING_H

#include <stdint.h>
#include <stdio.h>

/* "READ" for IORING_OP_READ, NULL for an opcode this build does not name */
const char *sc_uring_op_name(unsigned op);
/* opcode of a name, or -1 */
int sc_uring_op_parse(const char *name);
/* the set as a JSON array of names in opcode order: ["READ", "WRITE"] */
int sc_uring_ops_write(FILE *f, uint64_t ops);

#endif
