// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profile store (store.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "syscalls.h"
#include "text.h"

/* one folder on the way to a root-only dir, opened (fd) and checked:
 * root's, and writable by nobody else unless sticky, or for the last one
 * writable by nobody else at all; NULL or the reason */
static const char *dir_unsafe(int fd, bool last)
{
	struct stat st;

	if (fstat(fd, &st))
		return strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "not a directory";
	if (st.st_uid != 0)
		return "not owned by root";
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    (last || !(st.st_mode & S_ISVTX)))
		return "writable by group or others";
	return NULL;
}

/*
 * Every folder from / to dir is opened with O_NOFOLLOW relative to the
 * one before and checked through that descriptor: nobody but root can
 * then change what the path names.  The last one is made if missing.
 */
static int ensure_dir_root_only(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *name, *save = NULL, *next;
	const char *why = NULL, *at = "/";
	int fd, nfd;
	size_t n = 0;

	if (dir[0] != '/') {
		if (!getcwd(path, sizeof(path)))
			goto fail_errno;
		n = strlen(path);
	}
	if (n + 1 + strlen(dir) + 1 > sizeof(path)) {
		errno = ENAMETOOLONG;
		goto fail_errno;
	}
	snprintf(path + n, sizeof(path) - n, "/%s", dir);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto fail_errno;
	name = strtok_r(path, "/", &save);
	why = name ? dir_unsafe(fd, false) : "not a folder below /";
	while (!why && name) {
		next = strtok_r(NULL, "/", &save);
		at = name;
		if (!strcmp(name, ".")) {
			name = next;
			continue;
		}
		if (!strcmp(name, "..")) {
			why = "has a \"..\" in it";
			break;
		}
		if (!next && mkdirat(fd, name, 0755) && errno != EEXIST) {
			why = strerror(errno);
			break;
		}
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;

			why = strerror(errno);
			if (!fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode))
				why = "a symbolic link";
			break;
		}
		close(fd);
		fd = nfd;
		why = dir_unsafe(fd, !next);
		name = next;
	}
	close(fd);
	if (!why)
		return 0;
	snprintf(err, errlen, "%s: %s: %s (the learner writes as root: every folder from / "
		 "to it must be root's, none writable by others, none a symbolic "
		 "link)", dir, at, why);
	return -1;
fail_errno:
	snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return -1;
}

static int ensure_dir(const struct sc_store *st, const char *dir, char *err,
		      size_t errlen)
{
	struct stat sb;
	int rc;

	if (st->root_only)
		return ensure_dir_root_only(dir, err, errlen);
	if (stat(dir, &sb))
		rc = mkdir(dir, 0755);
	else if ((rc = S_ISDIR(sb.st_mode) ? 0 : -1))
		errno = ENOTDIR;
	if (rc)
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return rc;
}

int sc_store_open(struct sc_store *st, const char *dir, bool root_only,
		  char *err, size_t errlen)
{
	st->dir = dir;
	st->root_only = root_only;
	return ensure_dir(st, dir, err, errlen);
}

const char *sc_store_refused(const struct sc_profile *p)
{
	int depth = 0;

	for (const struct sc_profile *q = p; q; q = q->parent, depth++)
		if (!sc_comm_ok(q->comm))
			return "cannot name a profile file";
	return depth - 1 > SC_SCOPE_DEPTH_MAX ?
	       "is exec'd deeper than the scope folders go" : NULL;
}

/* the folders DIR/a.d/b.d/... that hold p's file */
static int ensure_scope(const struct sc_store *st, const struct sc_profile *p,
			char *err, size_t errlen)
{
	char *sub;
	int rc;

	if (!p->parent)
		return 0;
	if (ensure_scope(st, p->parent, err, errlen))
		return -1;
	sub = sc_profile_scope_dir(st->dir, p->parent);
	if (!sub) {
		snprintf(err, errlen, "%s: out of memory", st->dir);
		return -1;
	}
	rc = ensure_dir(st, sub, err, errlen);
	free(sub);
	return rc;
}

char *sc_store_path(const struct sc_store *st, const struct sc_profile *p,
		    char *err, size_t errlen)
{
	char *path;

	if (ensure_scope(st, p, err, errlen))
		return NULL;
	path = sc_profile_file(st->dir, p);
	if (!path)
		snprintf(err, errlen, "%s: out of memory", st->dir);
	return path;
}

int sc_store_merge(struct sc_profile *dst, const struct sc_profile *src,
		   const struct sc_profile *stored, char *err, size_t errlen)
{
	const struct sc_profile *fresh = stored == dst ? src : dst;
	const char *path = stored->path ? stored->path : stored->comm;

	if (dst->arch != src->arch || dst->depth != src->depth ||
	    dst->version != src->version ||
	    memcmp(dst->transparent, src->transparent, sizeof(dst->transparent))) {
		snprintf(err, errlen, "%s: cannot merge: arch %s depth %d version %d "
			 "there, arch %s depth %d version %d here (a merge needs "
			 "the same arch, depth, version and transparent set)",
			 path, sc_arch_name(stored->arch), stored->depth,
			 stored->version, sc_arch_name(fresh->arch), fresh->depth,
			 fresh->version);
		return -1;
	}
	if (sc_profile_merge(dst, src)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}
