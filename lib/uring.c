// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "uring.h"
#include "syscfi.h"

/* enum io_uring_op of include/uapi/linux/io_uring.h, in its order */
static const char *const op_names[] = {
	"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED",
	"POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG",
	"TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL", "LINK_TIMEOUT",
	"CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX",
	"READ", "WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2",
	"EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE",
	"SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
	"MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET",
	"URING_CMD", "SEND_ZC", "SENDMSG_ZC", "READ_MULTISHOT", "WAITID",
	"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL",
	"FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
	"WRITEV_FIXED", "PIPE",
};

_Static_assert(sizeof(op_names) / sizeof(op_names[0]) <= SC_URING_OPS,
	       "a profile's opcode set is one 64-bit mask");

const char *sc_uring_op_name(unsigned op)
{
	return op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : NULL;
}

int sc_uring_op_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(name, op_names[i]))
			return (int)i;
	return -1;
}

int sc_uring_ops_write(FILE *f, uint64_t ops)
{
	int first = 1;

	fputc('[', f);
	for (unsigned i = 0; i < SC_URING_OPS; i++) {
		const char *n = sc_uring_op_name(i);

		if (!(ops >> i & 1) || !n)
			continue;
		fprintf(f, first ? "\"%s\"" : ", \"%s\"", n);
		first = 0;
	}
	fputc(']', f);
	return ferror(f) ? -1 : 0;
}
