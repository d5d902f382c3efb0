// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Big buffers faulted in at once: see bigmem.h. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bigmem.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

#define PREFAULT_MIN	(64u << 10)	/* below: malloc's own pages, often warm */
#define HUGE_SIZE	(2u << 20)

void sc_prefault(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (len < PREFAULT_MIN || end <= start)
		return;
	/* an older kernel says EINVAL: the pages then come one fault each */
	madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

void *sc_big_alloc(size_t len)
{
	void *p;

	if (len < HUGE_SIZE) {
		p = malloc(len ? len : 1);
	} else {
		if (posix_memalign(&p, HUGE_SIZE, len))
			return NULL;
		madvise(p, len, MADV_HUGEPAGE);	/* a hint: fine if refused */
	}
	if (p)
		sc_prefault(p, len);
	return p;
}
