// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Profile folders: DIR/<comm>.json with the scope folders DIR/<comm>.d/
 * of the programs it execs.  Listing and loading a set (all or nothing),
 * and writing files atomically (a temporary renamed into place).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parallel.h"
#include "profile-int.h"
#include "syscfi.h"

/* ---- writing ------------------------------------------------------------------ */

/*
 * Write p to a hidden temporary next to path (so the later rename() is
 * atomic) and return its name (malloc'd), or NULL with err filled.
 */
static char *stage_profile(const struct sc_profile *p, const char *path,
			   char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	int fd;
	FILE *f;

	if (sc_profile_check_savable(p, path, err, errlen))
		return NULL;
	tmp = malloc(dirlen + strlen(path + dirlen) + 16);
	if (!tmp) {
		sc_ferr(err, errlen, path, "out of memory");
		return NULL;
	}
	sprintf(tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	fd = mkstemp(tmp);
	if (fd < 0) {
		sc_ferr(err, errlen, path, "cannot create %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		sc_ferr(err, errlen, path, "%s", strerror(errno));
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (sc_profile_write(f, p) || fflush(f) || fsync(fileno(f))) {
		sc_ferr(err, errlen, path, "write %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto fail;
	}
	if (fclose(f)) {
		sc_ferr(err, errlen, path, "close %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	return tmp;
fail:
	free(tmp);
	return NULL;
}

/* fsync the folder holding path, so renames into it are durable; a
 * failure here loses nothing */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int sc_profile_save_all(struct sc_profile *const *v, char *const *paths,
			size_t n, char *err, size_t errlen)
{
	char **tmp = calloc(n ? n : 1, sizeof(*tmp));
	size_t i;
	int rc = -1;

	if (!tmp) {
		sc_ferr(err, errlen, n ? paths[0] : "-", "out of memory");
		return -1;
	}
	/* every file is written before any is renamed into place */
	for (i = 0; i < n; i++)
		if (!(tmp[i] = stage_profile(v[i], paths[i], err, errlen)))
			goto out;
	for (i = 0; i < n; i++) {
		if (rename(tmp[i], paths[i])) {
			sc_ferr(err, errlen, paths[i], "rename from %s: %s", tmp[i],
			     strerror(errno));
			goto out;
		}
		free(tmp[i]);
		tmp[i] = NULL;
	}
	for (i = 0; i < n; i++)
		sync_dir_of(paths[i]);
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	return rc;
}

int sc_profile_save(const struct sc_profile *p, const char *path, char *err,
		    size_t errlen)
{
	struct sc_profile *v = (struct sc_profile *)p;
	char *pathv = (char *)path;

	return sc_profile_save_all(&v, &pathv, 1, err, errlen);
}

/* ---- listing and loading a set --------------------------------------------- */

/* the files of a set, in load order */
struct file_list {
	char **v;
	long *parent;	/* index of the file whose scope folder holds v[i], or -1 */
	size_t n, cap;
	long scope;	/* parent of the files being added */
};

static int list_add(struct file_list *l, char *path)
{
	if (!path)
		return -1;
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, c * sizeof(*v));
		long *par;

		if (!v) {
			free(path);
			return -1;
		}
		l->v = v;
		par = realloc(l->parent, c * sizeof(*par));
		if (!par) {
			free(path);
			return -1;
		}
		l->parent = par;
		l->cap = c;
	}
	l->parent[l->n] = l->scope;
	l->v[l->n++] = path;
	return 0;
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->parent);
}

static int cmp_str(const void *l, const void *r)
{
	return strcmp(*(char *const *)l, *(char *const *)r);
}

/* append the *.json of dir, sorted by name */
static int list_dir(struct file_list *l, const char *dir, char *err,
		    size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = l->n;
	char *path;

	if (!d) {
		sc_ferr(err, errlen, dir, "%s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* *.json, not hidden (our own temporaries start with '.') */
		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".json"))
			continue;
		if (asprintf(&path, "%s%s%s", dir,
			     dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name) < 0)
			path = NULL;
		if (list_add(l, path)) {
			closedir(d);
			sc_ferr(err, errlen, dir, "out of memory");
			return -1;
		}
	}
	closedir(d);
	if (l->n > first)
		qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_str);
	return 0;
}

/* the scope folders of files first..n-1: the profiles of X.d/ are scoped
 * under X.json, recursively (design.md section 2) */
static int list_scopes(struct file_list *l, size_t first, int depth,
		       char *err, size_t errlen)
{
	size_t end = l->n, len, sub;
	struct stat st;
	char *dir;
	int rc;

	for (size_t i = first; i < end; i++) {
		len = strlen(l->v[i]);
		if (len <= 5 || strcmp(l->v[i] + len - 5, ".json"))
			continue;
		if (asprintf(&dir, "%.*s.d", (int)(len - 5), l->v[i]) < 0) {
			sc_ferr(err, errlen, l->v[i], "out of memory");
			return -1;
		}
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
			free(dir);
			continue;
		}
		if (depth >= SC_SCOPE_DEPTH_MAX) {
			sc_ferr(err, errlen, dir, "scope folders nested deeper than %d",
			     SC_SCOPE_DEPTH_MAX);
			free(dir);
			return -1;
		}
		l->scope = (long)i;
		sub = l->n;
		rc = list_dir(l, dir, err, errlen);
		l->scope = -1;
		free(dir);
		if (rc || list_scopes(l, sub, depth + 1, err, errlen))
			return -1;
	}
	return 0;
}

struct load_job {
	char **paths;
	struct sc_profile **got;	/* by file */
	char **errs;			/* message of a file that failed */
};

static int load_one(void *ctx, size_t i)
{
	struct load_job *j = ctx;
	char err[512];

	j->got[i] = sc_profile_load(j->paths[i], err, sizeof(err));
	if (j->got[i])
		return 0;
	j->errs[i] = strdup(err);
	return -1;
}

/* read every file (on a few threads), then add them in order: the error
 * is the first file's in that order, whichever thread met it first */
static int load_files(struct sc_profile_set *set, const struct file_list *l,
		      char *err, size_t errlen)
{
	struct load_job j = { .paths = l->v };
	size_t failed, i, base = set->n;
	int rc = 0;

	j.got = calloc(l->n + 1, sizeof(*j.got));
	j.errs = calloc(l->n + 1, sizeof(*j.errs));
	if (!j.got || !j.errs) {
		free(j.got);
		free(j.errs);
		sc_ferr(err, errlen, l->v[0], "out of memory");
		return -1;
	}
	json_object_seed(0);	/* jansson's hash seed, set before threads */
	failed = sc_parallel_for(l->n, load_one, NULL, &j);
	for (i = 0; i < l->n && !rc; i++) {
		struct sc_profile *p = j.got[i], *other;

		/* a scope folder's files come after their parent's */
		if (p && l->parent[i] >= 0)
			p->parent = set->v[base + (size_t)l->parent[i]];
		if (i == failed) {
			snprintf(err, errlen, "%s",
				 j.errs[i] ? j.errs[i] : "out of memory");
			rc = -1;
		} else if ((other = sc_profile_set_find_in(set, p->parent, p->comm))) {
			sc_ferr(err, errlen, l->v[i], "comm \"%s\" is also the comm of %s",
			     p->comm, other->path ? other->path : "another profile");
			rc = -1;
		} else if (sc_profile_set_add(set, p)) {
			sc_ferr(err, errlen, l->v[i], "out of memory");
			rc = -1;
		} else {
			j.got[i] = NULL;	/* the set owns it */
		}
	}
	for (i = 0; i < l->n; i++) {
		sc_profile_free(j.got[i]);
		free(j.errs[i]);
	}
	free(j.got);
	free(j.errs);
	return rc;
}

int sc_profile_set_load(struct sc_profile_set *set, char *const *paths,
			int npaths, char *err, size_t errlen)
{
	struct file_list l = { .scope = -1 };
	char listerr[512] = "";
	int rc = 0;

	/* the files, in order, up to the first argument that fails */
	for (int i = 0; i < npaths && !rc; i++) {
		size_t first = l.n;
		struct stat st;

		if (stat(paths[i], &st)) {
			sc_ferr(listerr, sizeof(listerr), paths[i], "%s", strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = list_dir(&l, paths[i], listerr, sizeof(listerr));
		} else if (list_add(&l, strdup(paths[i]))) {
			sc_ferr(listerr, sizeof(listerr), paths[i], "out of memory");
			rc = -1;
		}
		if (!rc)
			rc = list_scopes(&l, first, 0, listerr, sizeof(listerr));
	}
	/* a bad file before the failing argument is the error, as when the
	 * files were read one argument after another */
	if (l.n && load_files(set, &l, err, errlen))
		rc = -2;
	else if (rc)
		snprintf(err, errlen, "%s", listerr);
	else if (sc_profile_set_link(set, err, errlen))
		rc = -1;
	list_free(&l);
	if (rc) {
		sc_profile_set_free(set);	/* all or nothing */
		return -1;
	}
	return 0;
}
