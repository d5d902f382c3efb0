// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reload without a gap (docs/architecture.md, "Reload").
 *
 * A profile set lives in a BPF object of its own: its step programs and
 * its maps (table, settings, bindings, edges, counters).  The base object
 * holds what every set shares (task storage, hot slots, ring, .bss) and
 * the dispatchers, attached once, that tail-call the set in force through
 * one jump table a hook.  A reload reads and compiles the folders exactly
 * as a fresh start does; anything a start would refuse leaves the set in
 * force alone.  Then it loads the new set's object and swaps:
 *
 *   1. slot 1 of every jump table gets the old set's program, slot 0 the
 *      new one, which hands each event to slot 1 while set_cur is below
 *      its generation: every event still meets the old set, and only it;
 *   2. one store of set_cur puts the new set in force for every hook;
 *   3. slot 1 is emptied, and the old set's counters go to the new set's
 *      pbase, by id.
 *
 * Profile ids are kept by name from set to set, so a running task keeps
 * its binding and state; its first event under the new set copies its
 * profile's settings again and empties its transition cache (the task's
 * flags hold the generation it was last brought to).  The id of a profile
 * the new set lacks is retired: an empty placeholder keeps its name for
 * events and counters, and no later profile takes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "syscalls.h"
#include "syscfi.skel.h"

/* the maps a profile set has of its own; every other map is the base's */
static const char *const set_map_names[] = {
	"trans", "pinfo", "pstats", "pbase", "pnames", "plast", "by_comm",
	"by_exe", "exec_edges", "uring_ops",
};

bool set_map(const struct bpf_map *m)
{
	for (size_t i = 0; i < sizeof(set_map_names) / sizeof(set_map_names[0]); i++)
		if (!strcmp(bpf_map__name(m), set_map_names[i]))
			return true;
	return false;
}

/* an empty profile that keeps a retired id's name */
static struct sc_profile *placeholder(const char *label)
{
	const char *slash = strrchr(label, '/');
	struct sc_profile *p;

	p = sc_profile_new(slash ? slash + 1 : label, SC_ARCH_X86_64, 2);
	if (p && slash && !(p->label = strdup(label))) {
		sc_profile_free(p);
		p = NULL;
	}
	return p;
}

/* the profiles of loaded in id order: labels[i] keeps id i + 1 (a
 * placeholder when loaded lacks it), the others come after, in loaded's
 * order.  loaded's profiles move to ns. */
static int number_by_labels(struct next_set *ns, struct sc_profile_set *loaded,
			    char *const *labels, uint32_t nlabels, char *err,
			    size_t errlen)
{
	size_t total = nlabels, next = nlabels;
	bool *used = calloc(loaded->n + 1, sizeof(*used));
	size_t i, j;

	if (!used)
		goto oom;
	for (j = 0; j < loaded->n; j++) {
		for (i = 0; i < nlabels; i++)
			if (!strcmp(labels[i], sc_profile_label(loaded->v[j])))
				break;
		if (i == nlabels)
			total++;
	}
	if (total > SC_PROFILES_MAX) {
		snprintf(err, errlen, "%zu profile ids: at most %u (ids of profiles a "
			 "reload removed are not reused; start again without the "
			 "pins to number them afresh)", total, SC_PROFILES_MAX);
		free(used);
		return -1;
	}
	ns->set.v = calloc(total ? total : 1, sizeof(*ns->set.v));
	ns->gone = calloc(total + 1, sizeof(*ns->gone));
	if (!ns->set.v || !ns->gone)
		goto oom;
	ns->set.cap = total;
	for (i = 0; i < nlabels; i++) {
		for (j = 0; j < loaded->n; j++)
			if (!used[j] && !strcmp(labels[i], sc_profile_label(loaded->v[j])))
				break;
		if (j < loaded->n) {
			used[j] = true;
			ns->set.v[i] = loaded->v[j];
		} else {
			ns->set.v[i] = placeholder(labels[i]);
			ns->gone[i + 1] = 1;
			if (!ns->set.v[i])
				goto oom;
		}
		ns->set.n = i + 1;
	}
	for (j = 0; j < loaded->n; j++)
		if (!used[j]) {
			ns->set.v[next++] = loaded->v[j];
			used[j] = true;
		}
	ns->set.n = total;
	free(used);
	free(loaded->v);
	memset(loaded, 0, sizeof(*loaded));
	return 0;
oom:
	/* what was not moved yet stays loaded's */
	for (j = 0; used && j < loaded->n; j++)
		if (used[j])
			loaded->v[j] = NULL;
	free(used);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int next_set_load(struct next_set *ns, const struct loader_opts *opts,
		  char *const *labels, uint32_t nlabels, char *err,
		  size_t errlen)
{
	struct sc_profile_set loaded = {0};
	size_t i;

	memset(ns, 0, sizeof(*ns));
	if (sc_profile_set_load(&loaded, opts->paths, opts->npaths, err, errlen))
		return -1;
	if (loaded.n == 0) {
		snprintf(err, errlen, "no profiles found");
		goto fail;
	}
	if (sc_profile_set_require_arch(&loaded, SC_ARCH_X86_64, err, errlen))
		goto fail;
	/* graded kills rest on the score: never without a threshold */
	if (opts->kill && opts->policy == SC_POLICY_GRADED && opts->threshold < 0)
		for (i = 0; i < loaded.n; i++)
			if (!loaded.v[i]->has_threshold) {
				loaded.v[i]->has_threshold = true;
				loaded.v[i]->threshold = SC_GRADED_THRESHOLD_DEFAULT;
			}
	if (number_by_labels(ns, &loaded, labels, nlabels, err, errlen))
		goto fail;
	return 0;
fail:
	/* loaded's NULLs are profiles ns took */
	sc_profile_set_free(&loaded);
	next_set_free(ns);
	return -1;
}

int next_set_read(struct next_set *ns, const struct loader_opts *opts,
		  char *const *labels, uint32_t nlabels, char *err,
		  size_t errlen)
{
	if (next_set_load(ns, opts, labels, nlabels, err, errlen))
		return -1;
	/* sized as a start sizes it, so that the same profiles give the same
	 * table (an adopter compares them) */
	if (sc_table_plan_min(&ns->table, &ns->set, opts->threshold,
			      sc_table_size_bound(&ns->set), err, errlen))
		goto fail;
	ns->exe = resolve_exes(&ns->set, ns->gone, &ns->nexe);
	if (!ns->exe) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	next_set_free(ns);
	return -1;
}

void next_set_free(struct next_set *ns)
{
	sc_profile_set_free(&ns->set);
	sc_table_free(&ns->table);
	free(ns->gone);
	free(ns->exe);
	memset(ns, 0, sizeof(*ns));
}

void enforcer_take_set(struct enforcer *E, struct next_set *ns)
{
	E->set = ns->set;
	E->gone = ns->gone;
	E->table = ns->table;
	E->exe = ns->exe;
	E->nexe = ns->nexe;
	memset(ns, 0, sizeof(*ns));
}

/* the step programs of a set object, with the jump table of each hook */
struct hook {
	struct bpf_map *jt;
	struct bpf_program *step;
};
#define NHOOKS 5

static void hooks_of(const struct enforcer *E, struct syscfi_bpf *skel,
		     struct hook h[NHOOKS])
{
	struct syscfi_bpf *b = E->base;

	h[0] = (struct hook){ b->maps.jt_enter, E->opts->existing ?
			      skel->progs.step_sys_enter_lazy : skel->progs.step_sys_enter };
	h[1] = (struct hook){ b->maps.jt_exec, skel->progs.step_exec };
	h[2] = (struct hook){ b->maps.jt_fork, skel->progs.step_fork };
	h[3] = (struct hook){ b->maps.jt_exit, skel->progs.step_exit };
	h[4] = (struct hook){ b->maps.jt_uring, skel->progs.step_uring };
}

/* slot of every hook's table <- the set's program */
static int jt_put(const struct enforcer *E, struct syscfi_bpf *skel,
		  uint32_t slot)
{
	struct hook h[NHOOKS];
	int fd;

	hooks_of(E, skel, h);
	for (int i = 0; i < NHOOKS; i++) {
		fd = bpf_program__fd(h[i].step);
		if (bpf_map_update_elem(bpf_map__fd(h[i].jt), &slot, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* slot 1 of every table <- what slot 0 holds (the set in force, whichever
 * loader loaded it: an adopted one has no descriptor of it here) */
static int jt_keep_old(const struct enforcer *E)
{
	struct hook h[NHOOKS];
	uint32_t zero = 0, one = 1, id;
	int fd, err;

	hooks_of(E, E->skel, h);
	for (int i = 0; i < NHOOKS; i++) {
		if (bpf_map_lookup_elem(bpf_map__fd(h[i].jt), &zero, &id))
			return -errno;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			return -errno;
		err = bpf_map_update_elem(bpf_map__fd(h[i].jt), &one, &fd, BPF_ANY);
		close(fd);
		if (err)
			return -errno;
	}
	return 0;
}

/* slot 0 <- slot 1 (a swap given up), then slot 1 emptied */
static void jt_drop_old(const struct enforcer *E, bool restore)
{
	struct hook h[NHOOKS];
	uint32_t zero = 0, one = 1, id;
	int fd;

	hooks_of(E, E->skel, h);
	for (int i = 0; i < NHOOKS; i++) {
		int jfd = bpf_map__fd(h[i].jt);

		if (restore && !bpf_map_lookup_elem(jfd, &one, &id) &&
		    (fd = bpf_prog_get_fd_by_id(id)) >= 0) {
			bpf_map_update_elem(jfd, &zero, &fd, BPF_ANY);
			close(fd);
		}
		bpf_map_delete_elem(jfd, &one);
	}
}

int set_jt_install(struct enforcer *E, struct syscfi_bpf *skel)
{
	return jt_put(E, skel, 0);
}

struct syscfi_bpf *set_object_load(struct enforcer *E,
				   const struct sc_profile_set *set,
				   const struct sc_table *shape, size_t nexe,
				   uint32_t gen)
{
	const struct loader_opts *opts = E->opts;
	struct syscfi_bpf *skel = object_open();
	struct bpf_map *m, *bm;
	int e;

	if (!skel)
		return NULL;
	if (configure_set(skel, opts, shape, nexe, set)) {
		fprintf(stderr, "loader: cannot size the BPF maps\n");
		goto fail;
	}
	skel->rodata->domain_walk = E->base->rodata->domain_walk;
	skel->rodata->set_gen = gen;
	/* pinned programs are all the loader holds: no iterator */
	if (opts->pin_dir)
		bpf_program__set_autoload(skel->progs.fold_tasks, false);
	bpf_object__for_each_map(m, skel->obj) {
		if (set_map(m) || m == skel->maps.rodata)
			continue;
		bm = bpf_object__find_map_by_name(E->base->obj, bpf_map__name(m));
		if (!bm || (e = bpf_map__reuse_fd(m, bpf_map__fd(bm)))) {
			fprintf(stderr, "loader: cannot share map %s with the profile set\n",
				bpf_map__name(m));
			goto fail;
		}
	}
	return object_load(skel, opts->verbose);
fail:
	syscfi_bpf__destroy(skel);
	return NULL;
}

int set_object_fill(struct syscfi_bpf *skel, struct next_set *ns)
{
	return fill_maps(skel, &ns->set, ns->gone, &ns->table, ns->exe);
}

/* pbase of the new set <- what the old set counted, by id (its own pbase
 * and pstats); the new set's programs never write pbase */
static void carry_counters(const struct enforcer *E, struct syscfi_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sc_profile_stats *per, sum;

	if (ncpu <= 0 || !(per = calloc((size_t)ncpu, sizeof(*per))))
		return;
	for (uint32_t id = 1; id <= E->set.n; id++)
		if (profile_stats(E->skel, id, per, ncpu, &sum))
			bpf_map_update_elem(bpf_map__fd(skel->maps.pbase), &id, &sum,
					    BPF_ANY);
	free(per);
}

/* a testing aid: SYSCFI_TEST_RELOAD_DELAY_MS holds the swap open (both
 * sets loaded, every event still taken by the old one) that long, so a
 * test can make a violation in the middle of a swap */
static void test_delay(void)
{
	const char *v = getenv("SYSCFI_TEST_RELOAD_DELAY_MS");
	struct timespec ts;
	long ms;

	if (!v || !*v)
		return;
	ms = strtol(v, NULL, 10);
	if (ms <= 0 || ms > 60000)
		return;
	fprintf(stderr, "reload: swap held open %ld ms (SYSCFI_TEST_RELOAD_DELAY_MS, a testing aid)\n",
		ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static size_t live_profiles(const struct sc_profile_set *set, const uint8_t *gone)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += !gone[i + 1];
	return n;
}

int set_swap(struct enforcer *E, struct next_set *ns)
{
	volatile uint32_t *cur = &E->base->data_sets->set_cur;
	struct syscfi_bpf *skel, *old = E->skel;
	uint32_t gen;
	int e;

	gen = E->base->data_sets->set_made;
	if (*cur > gen)
		gen = *cur;
	gen++;
	if (event_ctx_grow(&E->ec, ns->set.n)) {
		fprintf(stderr, "loader: out of memory\n");
		return -1;
	}
	skel = set_object_load(E, &ns->set, &ns->table, ns->nexe, gen);
	if (!skel)
		return -1;
	E->base->data_sets->set_made = gen;
	if ((e = set_object_fill(skel, ns))) {
		fprintf(stderr, "loader: cannot fill the BPF maps: %s\n", strerror(-e));
		goto fail;
	}
	if ((e = jt_keep_old(E)) || (e = jt_put(E, skel, 0))) {
		fprintf(stderr, "loader: cannot swap the profile sets: %s\n", strerror(-e));
		jt_drop_old(E, true);
		goto fail;
	}
	test_delay();
	__atomic_store_n(cur, gen, __ATOMIC_SEQ_CST);
	jt_drop_old(E, false);
	/* an event the old set took just before the store ends within
	 * microseconds: its counts are in by then */
	usleep(20000);
	carry_counters(E, skel);
	if (E->opts->pin_dir && pin_save_set(&E->pin, skel))
		fprintf(stderr, "loader: --pin %s: the new profile set is in force but "
			"not pinned: a loader that adopts the pins reloads again\n",
			E->pin.dir);
	sc_profile_set_free(&E->set);
	sc_table_free(&E->table);
	free(E->gone);
	free(E->exe);
	enforcer_take_set(E, ns);
	E->skel = skel;
	syscfi_bpf__destroy(old);
	E->reloads++;
	return 0;
fail:
	syscfi_bpf__destroy(skel);
	return -1;
}

static void refused(struct enforcer *E)
{
	E->reload_failures++;
	__atomic_fetch_add(&E->base->data_sets->set_refused, 1, __ATOMIC_SEQ_CST);
}

int enforcer_reload(struct enforcer *E)
{
	struct next_set ns;
	char **labels, err[512];
	double t0 = now_s();
	int rc = -1;

	labels = calloc(E->set.n + 1, sizeof(*labels));
	if (!labels) {
		fprintf(stderr, "loader: reload refused: out of memory; the profiles in force stay\n");
		refused(E);
		return -1;
	}
	for (size_t i = 0; i < E->set.n; i++)
		labels[i] = (char *)sc_profile_label(E->set.v[i]);
	if (next_set_read(&ns, E->opts, labels, (uint32_t)E->set.n, err,
			  sizeof(err))) {
		fprintf(stderr, "loader: reload refused: %s; the profiles in force stay\n",
			err);
		refused(E);
	} else if (set_swap(E, &ns)) {
		fprintf(stderr, "loader: reload refused; the profiles in force stay\n");
		next_set_free(&ns);
		refused(E);
	} else {
		fprintf(stderr, "reloaded: %zu profiles, %zu transitions (set %u, %.0f ms)\n",
			live_profiles(&E->set, E->gone), count_transitions(&E->set),
			E->base->data_sets->set_cur, (now_s() - t0) * 1e3);
		rc = 0;
	}
	free(labels);
	return rc;
}

char **set_labels_read(struct syscfi_bpf *skel, uint32_t *n)
{
	uint32_t max = bpf_map__max_entries(skel->maps.pnames), id;
	struct sc_pname name;
	char **labels;

	*n = 0;
	labels = calloc(max ? max : 1, sizeof(*labels));
	if (!labels)
		return NULL;
	for (id = 1; id < max; id++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.pnames), &id, &name))
			break;
		name.label[sizeof(name.label) - 1] = 0;
		if (!name.label[0])
			break;
		labels[id - 1] = strdup(name.label);
		if (!labels[id - 1]) {
			set_labels_free(labels, id - 1);
			return NULL;
		}
		*n = id;
	}
	return labels;
}

void set_labels_free(char **labels, uint32_t n)
{
	for (uint32_t i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
}

/* the value of the pinned array map DIR/map_<name> (one entry) */
static int pinned_value(const char *dir, const char *name, void *v)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/map_%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	rc = bpf_map_lookup_elem(fd, &zero, v);
	close(fd);
	return rc;
}

/* the pinned enforcement's shared words (set_cur, set_refused, loader_pid) */
static int pinned_sets(const char *dir, struct syscfi_bpf__data_sets *v)
{
	return pinned_value(dir, "sets", v);
}

/* the options the pinned enforcement runs with, into opts */
static int pinned_options(const char *dir, struct loader_opts *opts)
{
	struct syscfi_bpf__rodata ro;

	if (pinned_value(dir, "rodata", &ro))
		return -1;
	opts->kill = ro.kill_mode;
	opts->policy = (int)ro.policy;
	opts->existing = ro.existing_mode;
	opts->no_hot = !ro.hot_slots_on;
	opts->rate = ro.rate_per_sec;
	opts->burst = ro.rate_burst;
	memcpy(opts->guarded, (const void *)ro.guarded, sizeof(opts->guarded));
	return 0;
}

/* a loader runs on the pins: it rereads its own profiles on SIGHUP; wait
 * for its verdict in the pinned words */
static int signal_loader(const char *dir, const struct syscfi_bpf__data_sets *was)
{
	struct syscfi_bpf__data_sets now;
	pid_t pid = (pid_t)was->loader_pid;

	if (!pid || kill(pid, SIGHUP)) {
		fprintf(stderr, "loader: --reload %s: the loader running on it (pid %d) "
			"cannot be signalled: %s\n", dir, pid,
			pid ? strerror(errno) : "its pid is not known");
		return EXIT_KERNEL;
	}
	for (int i = 0; i < 600; i++) {
		usleep(50000);
		if (pinned_sets(dir, &now))
			break;
		if (now.set_cur != was->set_cur) {
			fprintf(stderr, "reloaded: %s: the loader (pid %d) swapped in its "
				"profiles (set %u)\n", dir, pid, now.set_cur);
			return EXIT_OK;
		}
		if (now.set_refused != was->set_refused) {
			fprintf(stderr, "loader: --reload %s: the loader (pid %d) refused "
				"its profiles (its log says why); the pinned set stays\n",
				dir, pid);
			return EXIT_USAGE;
		}
	}
	fprintf(stderr, "loader: --reload %s: no answer from the loader (pid %d)\n",
		dir, pid);
	return EXIT_KERNEL;
}

int reload_pinned(struct loader_opts *opts)
{
	struct syscfi_bpf__data_sets was;
	struct next_set ns;
	const char *dir = opts->pin_dir;
	char err[512];
	int fd, busy;

	if (check_kernel())
		return EXIT_KERNEL;
	/* a bad folder is refused before anything is touched */
	if (opts->npaths && next_set_read(&ns, opts, NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "loader: %s; the pinned set stays\n", err);
		return EXIT_USAGE;
	}
	if (opts->npaths)
		next_set_free(&ns);
	if (pinned_sets(dir, &was) || pinned_options(dir, opts)) {
		fprintf(stderr, "loader: --reload: no pinned enforcement at %s\n", dir);
		return EXIT_KERNEL;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	busy = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	if (fd >= 0)
		close(fd);
	if (busy)
		return signal_loader(dir, &was);
	if (!opts->npaths) {
		fprintf(stderr, "loader: --reload %s: no loader runs on it: give the "
			"profiles to put in force\n", dir);
		return EXIT_USAGE;
	}
	/* no loader: adopt the pins with their own options, swap, leave */
	opts->reload_only = true;
	return enforce_run(opts);
}
