/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Big start-up buffers (profile hashes, table entries, the table): fresh
 * pages cost a page fault each on first touch, and on a VM a fault costs
 * more than filling the page.  These ask the kernel for all the pages at
 * once, or for huge pages.  free() releases them as usual.
 */
#ifndef SC_BIGMEM_H
#define SC_BIGMEM_H

#include <stddef.h>

/* malloc(len), with every page faulted in by one madvise when len is
 * large; huge pages asked for from 2 MiB */
void *sc_big_alloc(size_t len);
/* fault in the whole pages of [p, p + len) now (a hint: may do nothing) */
void sc_prefault(void *p, size_t len);

#endif
