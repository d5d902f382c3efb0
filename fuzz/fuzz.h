/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers shared by the libFuzzer targets: the readers under test take
 * paths, so every input becomes an in-memory file (memfd) first.
 */
#ifndef SC_FUZZ_H
#define SC_FUZZ_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fz_file {
	int fd;
	char path[32];		/* /proc/self/fd/N */
};

/* data as a file that open() by path reads back; aborts on failure (a
 * broken harness must not look like a clean run) */
static inline void fz_file_open(struct fz_file *f, const uint8_t *data,
				size_t len)
{
	size_t off = 0;

	f->fd = memfd_create("fz", MFD_CLOEXEC);
	if (f->fd < 0)
		abort();
	while (off < len) {
		ssize_t n = write(f->fd, data + off, len - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

static inline void fz_file_close(struct fz_file *f)
{
	close(f->fd);
	f->fd = -1;
}

/* a property the target checks does not hold: a crash for libFuzzer */
#define FZ_ASSERT(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/* a private folder on tmpfs (or /tmp) for files that need a real path;
 * removed with its contents at exit */
static char fz_dir[64];

static inline void fz_dir_clean(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(fz_dir);
}

static inline const char *fz_dir_make(void)
{
	snprintf(fz_dir, sizeof(fz_dir), "%s/syscfi-fuzz.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(fz_dir))
		abort();
	atexit(fz_dir_clean);
	return fz_dir;
}

#endif
