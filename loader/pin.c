// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --pin DIR / --unpin DIR: enforcement that outlives the loader.
 *
 * Without --pin every program and map belongs to the loader's file
 * descriptors and goes when it exits, even by SIGKILL.  With --pin the
 * links and maps are pinned in DIR (a BPF filesystem): the programs stay
 * attached after the loader exits, whatever killed it, and events wait in
 * the pinned ring buffer.  A loader started again with --pin DIR and the
 * same profiles and options adopts the pinned state instead of loading its
 * own: it reuses every map (the task storage too, so running tasks keep
 * their binding and state), holds the pinned links, reads the ring buffer
 * from where the last reader stopped, and reports the pinned counters.
 * Different profiles or options are refused: the pinned maps were sized
 * for the old ones.  --unpin DIR removes the pins, which detaches.
 *
 * DIR holds map_<name> and link_<program> files and nothing else; one
 * loader at a time holds an flock on it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "syscfi.skel.h"

#define BPF_FS_MAGIC	0xcafe4a11
#define BPF_FS_ROOT	"/sys/fs/bpf"

/* DIR/map_<name> ("map_bss" for "<obj>.bss": the BPF filesystem refuses
 * dots in names) or DIR/link_<program> */
static int pin_path(char *buf, size_t len, const char *dir, const char *kind,
		    const char *name)
{
	const char *dot = strrchr(name, '.');
	int n;

	n = snprintf(buf, len, "%s/%s_%s", dir, kind, dot ? dot + 1 : name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int is_bpffs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == BPF_FS_MAGIC;
}

/* parent folder of dir must be a BPF filesystem; /sys/fs/bpf is mounted
 * when nothing is (as bpftool does) */
static int ensure_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		snprintf(parent, sizeof(parent), "/");
	else
		*slash = 0;
	if (is_bpffs(parent))
		return 0;
	if (!strcmp(parent, BPF_FS_ROOT) &&
	    mount("bpf", BPF_FS_ROOT, "bpf", 0, "mode=0700") == 0 && is_bpffs(parent))
		return 0;
	fprintf(stderr, "loader: --pin %s: %s is not a BPF filesystem (mount -t bpf bpf %s)\n",
		dir, parent, parent);
	return -1;
}

/* 1 if dir holds pins of ours, 0 if empty, -1 on error */
static int has_pins(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "map_", 4) || !strncmp(de->d_name, "link_", 5) ||
		    !strncmp(de->d_name, "new_", 4))
			found = 1;
	closedir(d);
	return found;
}

int pin_open(struct pin_state *ps, const char *dir)
{
	int found;

	memset(ps, 0, sizeof(*ps));
	ps->lock_fd = -1;
	ps->dir = dir;
	if (ensure_bpffs(dir))
		return -1;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "loader: --pin %s: %s\n", dir, strerror(errno));
		return -1;
	}
	ps->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ps->lock_fd < 0 || flock(ps->lock_fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "loader: --pin %s: %s\n", dir,
			errno == EWOULDBLOCK ? "in use by another loader" : strerror(errno));
		return -1;
	}
	found = has_pins(dir);
	if (found < 0) {
		fprintf(stderr, "loader: --pin %s: %s\n", dir, strerror(errno));
		return -1;
	}
	ps->adopt = found;
	return 0;
}

void pin_close(struct pin_state *ps)
{
	if (ps->lock_fd >= 0)
		close(ps->lock_fd);
	ps->lock_fd = -1;
	free(ps->rodata);
	ps->rodata = NULL;
}

/* the map's shape as configured, to compare with the pinned one */
struct shape {
	__u32 type, key, value, entries, flags;
};

static void shape_of(const struct bpf_map *m, struct shape *s)
{
	s->type = bpf_map__type(m);
	s->key = bpf_map__key_size(m);
	s->value = bpf_map__value_size(m);
	s->entries = bpf_map__max_entries(m);
	s->flags = bpf_map__map_flags(m);
}

int pin_reuse_maps(struct pin_state *ps, struct syscfi_bpf *skel)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	struct shape want, got;
	char path[PATH_MAX];
	int fd, err;

	/* the pinned programs keep running; ours are not even loaded */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	ps->rodata = malloc(bpf_map__value_size(skel->maps.rodata));
	if (!ps->rodata)
		return -ENOMEM;
	ps->rodata_len = bpf_map__value_size(skel->maps.rodata);
	memcpy(ps->rodata, skel->rodata, ps->rodata_len);
	bpf_object__for_each_map(m, skel->obj) {
		if (!bpf_map__autocreate(m))
			continue;	/* a profile set's: pin_open_set */
		if (pin_path(path, sizeof(path), ps->dir, "map", bpf_map__name(m)))
			return -ENAMETOOLONG;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			fprintf(stderr, "loader: --pin %s: %s: %s (incomplete: --unpin it)\n",
				ps->dir, path, strerror(errno));
			return -ENOENT;
		}
		shape_of(m, &want);
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err)
			return err;
		shape_of(m, &got);
		/* a map sized for another profile set or another build */
		if (memcmp(&want, &got, sizeof(want))) {
			ps->mismatch = bpf_map__name(m);
			return 0;
		}
	}
	return 0;
}

int pin_check_options(struct pin_state *ps, struct syscfi_bpf *base)
{
	if (!ps->mismatch && memcmp(ps->rodata, base->rodata, ps->rodata_len))
		ps->mismatch = "options (--kill, --policy, --existing, --rate)";
	if (ps->mismatch) {
		fprintf(stderr, "loader: --pin %s: the pinned enforcement has other %s; "
			"stop it with --unpin=%s first\n", ps->dir, ps->mismatch, ps->dir);
		return -1;
	}
	return 0;
}

struct syscfi_bpf *pin_open_set(struct pin_state *ps, struct syscfi_bpf *base)
{
	struct syscfi_bpf *skel = object_open();
	struct bpf_program *prog;
	char path[PATH_MAX];
	struct bpf_map *m, *bm;
	int fd, err;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	bpf_object__for_each_map(m, skel->obj) {
		if (m == skel->maps.rodata)
			continue;
		if (!set_map(m)) {
			bm = bpf_object__find_map_by_name(base->obj, bpf_map__name(m));
			fd = bm ? dup(bpf_map__fd(bm)) : -1;
		} else if (pin_path(path, sizeof(path), ps->dir, "map", bpf_map__name(m))) {
			fd = -1;
		} else if ((fd = bpf_obj_get(path)) < 0) {
			fprintf(stderr, "loader: --pin %s: %s: %s (incomplete: --unpin it)\n",
				ps->dir, path, strerror(errno));
			goto fail;
		}
		err = fd < 0 ? -EBADF : bpf_map__reuse_fd(m, fd);
		if (fd >= 0)
			close(fd);
		if (err) {
			fprintf(stderr, "loader: --pin %s: map %s: %s\n", ps->dir,
				bpf_map__name(m), strerror(-err));
			goto fail;
		}
	}
	err = syscfi_bpf__load(skel);
	if (err) {
		fprintf(stderr, "loader: --pin %s: cannot open the pinned profile set: %s\n",
			ps->dir, strerror(-err));
		goto fail;
	}
	return skel;
fail:
	syscfi_bpf__destroy(skel);
	return NULL;
}

/* 0 when every pinned map of the set holds what fresh maps would have been
 * filled with, 1 when something differs */
int pin_same_set(struct pin_state *ps, struct syscfi_bpf *skel,
		 const struct sc_profile_set *set, const uint8_t *gone,
		 const struct sc_table *t, const struct sc_exe_key *exe)
{
	size_t len = sizeof(uint64_t) * t->nslots;
	struct sc_profile_info info;
	uint64_t ops;
	uint32_t id, got;
	void *m;
	int same;

	(void)ps;
	if (bpf_map__max_entries(skel->maps.trans) != t->nslots ||
	    bpf_map__max_entries(skel->maps.pinfo) != t->nprofiles + 1)
		return 1;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.trans), 0);
	if (m == MAP_FAILED)
		return -1;
	same = !memcmp(m, t->slots, len);
	munmap(m, len);
	if (!same)
		return 1;
	for (id = 1; id <= t->nprofiles; id++) {
		char comm[SC_COMM_LEN] = {0};
		const char *c = set->v[id - 1]->comm;
		struct sc_profile_info want = {0};

		if (!gone[id])
			want = t->info[id];
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.pinfo), &id, &info) ||
		    memcmp(&info, &want, sizeof(info)))
			return 1;
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.uring_ops), &id, &ops) ||
		    ops != (gone[id] ? 0 : set->v[id - 1]->uring_ops))
			return 1;
		if (gone[id] || set->v[id - 1]->parent)
			continue;	/* scoped: bound through edges only */
		memcpy(comm, c, strnlen(c, SC_COMM_LEN - 1));
		/* a comm two profiles share is bound to the first one */
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.by_comm), comm, &got) ||
		    got > id)
			return 1;
		if (exe[id].ino &&
		    (bpf_map_lookup_elem(bpf_map__fd(skel->maps.by_exe), &exe[id], &got) ||
		     got > id))
			return 1;
	}
	if (edges_fill(bpf_map__fd(skel->maps.exec_edges), set, true))
		return 1;
	return 0;
}

int pin_adopt_links(struct pin_state *ps, struct syscfi_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	char path[PATH_MAX];
	int i;

	for (i = 0; i < s->prog_cnt; i++) {
		if (pin_path(path, sizeof(path), ps->dir, "link", s->progs[i].name))
			return -ENAMETOOLONG;
		if (access(path, F_OK))
			continue;	/* a program this mode never attached */
		*s->progs[i].link = bpf_link__open(path);
		if (!*s->progs[i].link) {
			fprintf(stderr, "loader: --pin %s: %s: %s\n", ps->dir, path,
				strerror(errno));
			return -errno;
		}
	}
	/* a loader killed between pinning maps and links leaves no program:
	 * adopting that would enforce nothing */
	if ((!skel->links.handle_sys_enter && !skel->links.handle_sys_enter_lazy) ||
	    !skel->links.handle_sched_process_exec ||
	    !skel->links.handle_sched_process_fork) {
		fprintf(stderr, "loader: --pin %s: links missing (incomplete: --unpin it)\n",
			ps->dir);
		return -ENOENT;
	}
	return 0;
}

/* unlink our pins in dir, then dir; -1 (errno) at the first failure */
static int remove_pins(const char *dir, int *nlink, int *nmap)
{
	char path[PATH_MAX];
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int islink = !strncmp(de->d_name, "link_", 5);

		if (!islink && strncmp(de->d_name, "map_", 4) &&
		    strncmp(de->d_name, "new_", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path)) {
			rc = -1;
			break;
		}
		if (islink && nlink)
			(*nlink)++;
		else if (!islink && nmap)
			(*nmap)++;
	}
	closedir(d);
	if (!rc && rmdir(dir))
		rc = -1;
	return rc;
}

/* the set's maps, each pinned as new_<name> then renamed over its
 * map_<name>: a loader killed half way leaves every name pinned, the
 * names (pnames) last, so an adopter never finds an id without its
 * counters */
int pin_save_set(struct pin_state *ps, struct syscfi_bpf *skel)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct bpf_map *m;
	int pass, err;

	for (pass = 0; pass < 2; pass++) {
		bpf_object__for_each_map(m, skel->obj) {
			if (!set_map(m) || (pass == 0) == (m == skel->maps.pnames))
				continue;
			if (pin_path(path, sizeof(path), ps->dir, "map", bpf_map__name(m)) ||
			    pin_path(tmp, sizeof(tmp), ps->dir, "new", bpf_map__name(m)))
				return -ENAMETOOLONG;
			unlink(tmp);
			err = bpf_obj_pin(bpf_map__fd(m), tmp);
			if (err || rename(tmp, path)) {
				err = -errno;
				fprintf(stderr, "loader: --pin %s: cannot pin %s: %s\n",
					ps->dir, path, strerror(errno));
				unlink(tmp);
				return err;
			}
		}
	}
	return 0;
}

int pin_save(struct pin_state *ps, struct syscfi_bpf *base,
	     struct syscfi_bpf *skel)
{
	const struct bpf_object_skeleton *s = base->skeleton;
	char path[PATH_MAX];
	struct bpf_map *m;
	int i, err;

	/* maps first: a loader killed half way leaves no link without them */
	bpf_object__for_each_map(m, base->obj) {
		if (!bpf_map__autocreate(m))
			continue;
		if (pin_path(path, sizeof(path), ps->dir, "map", bpf_map__name(m)))
			return -ENAMETOOLONG;
		err = bpf_map__pin(m, path);
		if (err)
			goto fail;
	}
	err = pin_save_set(ps, skel);
	if (err) {
		remove_pins(ps->dir, NULL, NULL);
		return err;
	}
	for (i = 0; i < s->prog_cnt; i++) {
		if (!*s->progs[i].link)
			continue;
		if (pin_path(path, sizeof(path), ps->dir, "link", s->progs[i].name))
			return -ENAMETOOLONG;
		err = bpf_link__pin(*s->progs[i].link, path);
		if (err)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "loader: --pin %s: cannot pin %s: %s\n", ps->dir, path,
		strerror(-err));
	/* no half-pinned folder: our links go when we exit */
	remove_pins(ps->dir, NULL, NULL);
	return err;
}

int pin_remove(const char *dir)
{
	int nlink = 0, nmap = 0, fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fprintf(stderr, "unpinned: nothing pinned at %s\n", dir);
		return EXIT_OK;
	}
	/* a loader adopting the pins holds the lock: it keeps its links until
	 * it exits, but nothing stays behind after that */
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB))
		fprintf(stderr, "loader: --unpin %s: a loader still runs on it; "
			"enforcement stops when it exits\n", dir);
	if (fd < 0 || remove_pins(dir, &nlink, &nmap)) {
		fprintf(stderr, "loader: --unpin %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_KERNEL;
	}
	close(fd);
	fprintf(stderr, "unpinned: %s: %d links, %d maps\n", dir, nlink, nmap);
	return EXIT_OK;
}

void pin_note_active(void)
{
	if (has_pins(SC_PIN_DEFAULT) > 0)
		fprintf(stderr, "loader: note: pinned enforcement in %s is still active "
			"(loader --unpin stops it)\n", SC_PIN_DEFAULT);
}
