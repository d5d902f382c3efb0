// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Enforcement: check the kernel, compile the profiles, open/configure/
 * load/attach the BPF skeleton, fill its maps, poll events until stopped,
 * print the summary.  Without --pin nothing is pinned: when the loader
 * exits (even killed) its programs and maps go with it; --pin (pin.c)
 * leaves them attached and lets a restarted loader adopt them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "metrics.h"
#include "score.h"
#include "syscalls.h"
#include "syscfi.skel.h"

volatile sig_atomic_t stopping;
volatile sig_atomic_t reload_pending;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_pending = 1;
	else
		stopping = 1;
}

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose_level || (level == LIBBPF_DEBUG && verbose_level < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* libbpf's messages only with -v (debug with -vv) */
void loader_libbpf_log(int verbose)
{
	verbose_level = verbose;
	libbpf_set_print(libbpf_print);
}

/* one-line reason (exit 1) when this machine cannot run us */
int check_kernel(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "loader: must run as root (needs CAP_BPF and CAP_PERFMON)\n");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr, "loader: kernel has no BTF (/sys/kernel/btf/vmlinux missing): needs CONFIG_DEBUG_INFO_BTF\n");
		return -1;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "loader: kernel lacks BPF ring buffers (Linux >= 5.8)\n");
		return -1;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1) {
		fprintf(stderr, "loader: kernel lacks BPF task storage (Linux >= 5.11)\n");
		return -1;
	}
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_send_signal,
				    NULL) != 1) {
		fprintf(stderr, "loader: kernel lacks the bpf_send_signal helper (Linux >= 5.3)\n");
		return -1;
	}
	return 0;
}

/* the kernel's internal dev_t (MKDEV: major << 20 | minor) of a stat dev */
uint64_t kernel_dev(dev_t d)
{
	return ((uint64_t)major(d) << 20) | minor(d);
}

size_t count_transitions(const struct sc_profile_set *set)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		n += set->v[i]->ntrans;
	return n;
}

/* a program that sets up io_uring rings but lists no opcode has each
 * submission reported (design.md 6b): say so once, at start */
static void warn_uring_unlisted(const struct sc_profile_set *set)
{
	int nr = sc_syscall_nr(SC_ARCH_X86_64, "io_uring_setup");

	for (size_t i = 0; nr >= 0 && i < set->n; i++) {
		const struct sc_profile *p = set->v[i];

		if (!p->uring_ops && p->arch == SC_ARCH_X86_64 &&
		    sc_profile_makes(p, (unsigned)nr))
			fprintf(stderr, "loader: %s: makes io_uring_setup but lists no io_uring opcode: every request it submits is a violation (learn them with --learn, or add \"io_uring\")\n",
				p->path ? p->path : p->comm);
	}
}

/* which programs load, between open and load (bpf/syscfi.bpf.c, "profile
 * sets"): the base object of enforcement has the dispatchers and the
 * programs no set changes (signals); a set object has the steps, which
 * are put in the jump tables, never attached, and the fold_tasks
 * iterator, run by fold_live_tasks; --learn attaches its steps itself.
 * One copy of the sys_enter step: the plain one unless tasks are bound
 * lazily (--existing, --learn --pid/--cgroup) or learned. */
void choose_programs(struct syscfi_bpf *skel, bool lazy, int role)
{
	struct bpf_program *prog;
	bool base = role == PROGS_BASE, set = role == PROGS_SET;
	bool learn = role == PROGS_LEARN;

	/* the kill domain's fallback: kill_domain_configure turns it on */
	bpf_object__for_each_program(prog, skel->obj) {
		bpf_program__set_autoload(prog, false);
		if (set)
			bpf_program__set_autoattach(prog, false);
	}
	bpf_program__set_autoload(skel->progs.handle_sys_enter, base && !lazy);
	bpf_program__set_autoload(skel->progs.handle_sys_enter_lazy, base && lazy);
	bpf_program__set_autoload(skel->progs.handle_sched_process_exec, base);
	bpf_program__set_autoload(skel->progs.handle_sched_process_fork, base);
	bpf_program__set_autoload(skel->progs.handle_sched_process_exit, base);
	bpf_program__set_autoload(skel->progs.handle_uring_submit, base);
	bpf_program__set_autoload(skel->progs.handle_signal_deliver, !set);
	bpf_program__set_autoload(skel->progs.step_sys_enter, set && !lazy);
	bpf_program__set_autoload(skel->progs.step_sys_enter_lazy, set && lazy);
	bpf_program__set_autoload(skel->progs.handle_sys_enter_learn, learn);
	bpf_program__set_autoload(skel->progs.step_exec, !base);
	bpf_program__set_autoload(skel->progs.step_fork, !base);
	bpf_program__set_autoload(skel->progs.step_exit, !base);
	bpf_program__set_autoload(skel->progs.step_uring, !base);
	bpf_program__set_autoload(skel->progs.fold_tasks, set);
	bpf_program__set_autoattach(skel->progs.fold_tasks, false);
}

/* tasks count their syscalls and add them to pstats when they exit or
 * exec; the tasks still alive are added here, once, before the summary */
static int fold_live_tasks(struct syscfi_bpf *skel)
{
	struct bpf_link *link;
	char buf[64];
	ssize_t n;
	int fd;

	link = bpf_program__attach_iter(skel->progs.fold_tasks, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		n = -errno;
	} else {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		n = n < 0 ? -errno : 0;
		close(fd);
	}
	bpf_link__destroy(link);
	return (int)n;
}

/* the options every object of an enforcement has alike */
static void configure_knobs(struct syscfi_bpf *skel,
			    const struct loader_opts *opts)
{
	skel->rodata->kill_mode = opts->kill;
	skel->rodata->policy = (uint32_t)opts->policy;
	memcpy((void *)skel->rodata->guarded, opts->guarded, sizeof(opts->guarded));
	skel->rodata->existing_mode = opts->existing;
	skel->rodata->hot_slots_on = !opts->no_hot;
	skel->rodata->rate_per_sec = opts->rate;
	skel->rodata->rate_burst = opts->burst;
}

/* a set object's options and map sizes, which follow the profile set;
 * must run between open and load */
int configure_set(struct syscfi_bpf *skel, const struct loader_opts *opts,
		  const struct sc_table *t, size_t nexe,
		  const struct sc_profile_set *set)
{
	uint32_t nprof = t->nprofiles + 1;
	int err = 0;

	configure_knobs(skel, opts);
	skel->rodata->table_nslots = t->nslots;
	choose_programs(skel, opts->existing, PROGS_SET);
	err = err ?: bpf_map__set_max_entries(skel->maps.trans, t->nslots);
	err = err ?: bpf_map__set_max_entries(skel->maps.pinfo, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.uring_ops, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.pstats, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.pbase, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.pnames, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.plast, nprof);
	err = err ?: bpf_map__set_max_entries(skel->maps.by_comm, t->nprofiles ?: 1);
	err = err ?: bpf_map__set_max_entries(skel->maps.by_exe, nexe ?: 1);
	err = err ?: bpf_map__set_max_entries(skel->maps.exec_edges,
					      edges_map_size(set));
	return err;
}

/* the slots are written straight into a shared mapping of the new (zeroed)
 * map: no copy of the table, no syscall a slot */
static int fill_table(struct syscfi_bpf *skel, struct sc_table *t)
{
	size_t len = sizeof(uint64_t) * t->nslots;
	void *m;
	int err = 0;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(skel->maps.trans), 0);
	if (m == MAP_FAILED)
		return -errno;
	/* placed already (compared with a pinned table): a copy then */
	if (t->slots && !t->order)
		memcpy(m, t->slots, len);
	else if (sc_table_place(t, m))
		err = -errno;
	munmap(m, len);
	return err;
}

int fill_maps(struct syscfi_bpf *skel, const struct sc_profile_set *set,
	      const uint8_t *gone, struct sc_table *t,
	      const struct sc_exe_key *exe)
{
	int fd_names = bpf_map__fd(skel->maps.pnames);
	int fd_info = bpf_map__fd(skel->maps.pinfo);
	int fd_comm = bpf_map__fd(skel->maps.by_comm);
	int fd_exe = bpf_map__fd(skel->maps.by_exe);
	int fd_uring = bpf_map__fd(skel->maps.uring_ops);
	uint32_t id;
	int err;

	err = fill_table(skel, t);
	err = err ?: edges_fill(bpf_map__fd(skel->maps.exec_edges), set, false);
	if (err)
		return err;
	for (id = 1; id <= t->nprofiles; id++) {
		const struct sc_profile *p = set->v[id - 1];
		char comm[SC_COMM_LEN] = {0};
		struct sc_pname name = {0};

		/* a retired id keeps its name and nothing else: its pinfo
		 * entry, all zero, unbinds the tasks still under it */
		snprintf(name.label, sizeof(name.label), "%s", sc_profile_label(p));
		if (bpf_map_update_elem(fd_names, &id, &name, BPF_ANY))
			return -errno;
		if (gone && gone[id])
			continue;
		if (bpf_map_update_elem(fd_info, &id, &t->info[id], BPF_ANY) ||
		    bpf_map_update_elem(fd_uring, &id, &p->uring_ops, BPF_ANY))
			return -errno;
		/* a scoped profile binds only through its parent's edges */
		if (p->parent)
			continue;
		/* every profile binds by comm too, exe-named ones included:
		 * a copy of the binary elsewhere stays profiled (fail closed);
		 * the first profile of a comm wins */
		memcpy(comm, p->comm, strnlen(p->comm, SC_COMM_LEN - 1));
		if (bpf_map_update_elem(fd_comm, comm, &id, BPF_NOEXIST) &&
		    errno != EEXIST)
			return -errno;
		if (exe[id].ino &&
		    bpf_map_update_elem(fd_exe, &exe[id], &id, BPF_NOEXIST) &&
		    errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* exe paths -> (kernel dev, inode), by profile id; a missing exe is a
 * warning: the profile still binds by comm */
struct sc_exe_key *resolve_exes(const struct sc_profile_set *set,
				const uint8_t *gone, size_t *nexe)
{
	struct sc_exe_key *exe = calloc(set->n + 1, sizeof(*exe));
	struct stat st;
	size_t i;

	*nexe = 0;
	if (!exe)
		return NULL;
	for (i = 0; i < set->n; i++) {
		const struct sc_profile *p = set->v[i];

		if (!p->exe || p->parent || (gone && gone[i + 1]))
			continue;
		if (root_stat(p->exe, &st) != 0) {
			fprintf(stderr, "loader: %s: exe %s: %s (binding by comm only)\n",
				p->path ? p->path : p->comm, p->exe, strerror(errno));
			continue;
		}
		exe[i + 1].dev = kernel_dev(st.st_dev);
		exe[i + 1].ino = st.st_ino;
		(*nexe)++;
	}
	return exe;
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct event_ctx *ec = ctx;

	if (len < sizeof(struct sc_event))
		return 0;
	event_print(ec, data);
	return 0;
}

/* profile id's counters: its own, summed over CPUs, and what the sets a
 * reload replaced had counted under that id (pbase); 0 when neither.
 * Events the loader could not write are the caller's to add
 * (event_unwritten). */
int profile_stats(struct syscfi_bpf *skel, uint32_t id,
		  struct sc_profile_stats *per, int ncpu,
		  struct sc_profile_stats *sum)
{
	int c, found = 0;

	memset(sum, 0, sizeof(*sum));
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.pbase), &id, sum))
		found = 1;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.pstats), &id, per))
		return found;
	for (c = 0; c < ncpu; c++) {
		sum->tasks += per[c].tasks;
		sum->syscalls += per[c].syscalls;
		sum->violations += per[c].violations;
		sum->kills += per[c].kills;
		sum->dropped += per[c].dropped;
		sum->unbound += per[c].unbound;
		for (int k = 0; k < SC_EV_KINDS; k++)
			sum->kinds[k] += per[c].kinds[k];
		if (per[c].max_sum > sum->max_sum)
			sum->max_sum = per[c].max_sum;
	}
	return 1;
}

/* per-profile counters on stderr; a profile a reload removed is listed
 * while it has counts */
static void print_summary(struct enforcer *E)
{
	struct syscfi_bpf *skel = E->skel;
	const struct event_ctx *ec = &E->ec;
	char name[SC_COMM_LEN * 4 + 1];
	int ncpu = libbpf_num_possible_cpus();
	struct sc_profile_stats *per, sum;
	uint32_t id;

	if (ncpu <= 0)
		return;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return;
	fprintf(stderr, "summary: %-16s %8s %12s %10s %6s %8s\n", "profile",
		"tasks", "syscalls", "violations", "kills", "dropped");
	for (id = 1; id <= E->table.nprofiles; id++) {
		const char *label = sc_profile_label(E->set.v[id - 1]);

		if (!profile_stats(skel, id, per, ncpu, &sum))
			continue;
		sum.dropped += event_unwritten(ec, id);
		if (E->gone[id] && !sum.tasks && !sum.violations && !sum.dropped)
			continue;
		sc_text_escape(label, strlen(label), name, sizeof(name));
		fprintf(stderr, "summary: %-16s %8llu %12llu %10llu %6llu %8llu%s\n",
			name, (unsigned long long)sum.tasks,
			(unsigned long long)sum.syscalls,
			(unsigned long long)sum.violations,
			(unsigned long long)sum.kills,
			(unsigned long long)sum.dropped,
			E->gone[id] ? " (removed by a reload)" : "");
	}
	if (skel->bss->ringbuf_full)
		fprintf(stderr, "summary: %llu events lost to a full ring buffer (%u KiB; counted in dropped)\n",
			(unsigned long long)skel->bss->ringbuf_full,
			bpf_map__max_entries(E->base->maps.events) / 1024);
	if (skel->bss->ring_reserved)
		fprintf(stderr, "summary: %llu events of profiles that filled the ring to its reserve not sent (the last quarter is kept for the others; counted in dropped)\n",
			(unsigned long long)skel->bss->ring_reserved);
	event_summary(ec);
	if (skel->bss->hot_taken)
		fprintf(stderr, "summary: %llu bindings found their hot slot taken (state kept in task storage: checked the same, slower)\n",
			(unsigned long long)skel->bss->hot_taken);
	if (skel->bss->bind_failed)
		fprintf(stderr, "summary: %llu profiled tasks ran unchecked: no memory for their task storage%s\n",
			(unsigned long long)skel->bss->bind_failed,
			skel->rodata->kill_mode ? " (execs killed)" : "");
	if (E->reloads || E->reload_failures)
		fprintf(stderr, "summary: %llu reloads, %llu refused (the set in force stayed)\n",
			(unsigned long long)E->reloads,
			(unsigned long long)E->reload_failures);
	free(per);
}

/*
 * --calibrate: each profile's threshold becomes the highest full-window
 * score any of its tasks reached, plus margin bits; the files are
 * rewritten all or none.  A profile no task filled a window of is left
 * as it was (said on stderr).
 */
static int write_calibrated(struct enforcer *E, double margin)
{
	struct sc_profile_set *set = &E->set;
	const struct sc_table *table = &E->table;
	int ncpu = libbpf_num_possible_cpus();
	struct sc_profile_stats *per, sum;
	struct sc_profile **out;
	char **paths, err[512];
	size_t n = 0;
	int rc = 0;

	if (ncpu <= 0)
		return -1;
	per = calloc((size_t)ncpu, sizeof(*per));
	out = calloc(set->n, sizeof(*out));
	paths = calloc(set->n, sizeof(*paths));
	if (!per || !out || !paths) {
		fprintf(stderr, "loader: out of memory\n");
		rc = -1;
		goto done;
	}
	for (uint32_t id = 1; id <= set->n; id++) {
		struct sc_profile *p = set->v[id - 1];
		uint64_t max;
		double bits, add;

		if (E->gone[id] || !profile_stats(E->skel, id, per, ncpu, &sum))
			continue;
		max = sum.max_sum;
		if (sum.kinds[SC_EV_UNSEEN_GUARDED] || sum.kinds[SC_EV_UNSEEN_SYSCALL])
			fprintf(stderr, "calibrate: %s: %llu calls the profile never "
				"saw, or guarded calls in contexts it never saw: each "
				"kills under --kill; windows holding a new guarded "
				"call are left out of the threshold (they cross any); "
				"train with this workload\n", p->comm,
				(unsigned long long)(sum.kinds[SC_EV_UNSEEN_GUARDED] +
						     sum.kinds[SC_EV_UNSEEN_SYSCALL]));
		if (!max || !p->path) {
			fprintf(stderr, "calibrate: %s: no full window seen, threshold "
				"unchanged\n", p->comm);
			continue;
		}
		/* a heavier normal load than the calibration run's meets more
		 * novelties: by default a window may hold 4 more than the
		 * worst window seen, each worth its escape at least */
		add = margin >= 0 ? margin : (double)SC_CALIBRATE_NOVELTIES *
			SC_NOVELTY_BITS / table->info[id].window;
		bits = (double)max / table->info[id].window / SC_COST_ONE + add;
		fprintf(stderr, "calibrate: %s: highest window %.3f bits/syscall, "
			"threshold %.3f\n", p->comm, bits - add, bits);
		p->has_threshold = true;
		p->threshold = bits;
		out[n] = p;
		paths[n++] = p->path;
	}
	if (n && sc_profile_save_all(out, paths, n, err, sizeof(err))) {
		fprintf(stderr, "loader: %s\n", err);
		rc = -1;
	}
done:
	free(per);
	free(out);
	free(paths);
	return rc;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -v: milliseconds since start at the end of each start-up step, to see
 * where the time to "ready:" goes */
static void step_done(const struct loader_opts *opts, double start,
		      const char *what)
{
	if (opts->verbose)
		fprintf(stderr, "loader: %7.1f ms %s\n", (now_s() - start) * 1e3,
			what);
}

/* poll events until a signal or the duration ends; a SIGHUP reloads the
 * profiles between two polls; scrapes of the metrics endpoint (mx, if
 * any) are served while the loop waits */
static int poll_events(struct ring_buffer *rb, double duration,
		       struct enforcer *E, struct metrics *mx)
{
	double end = duration > 0 ? now_s() + duration : 0;
	int err;

	while (!stopping) {
		if (reload_pending) {
			reload_pending = 0;
			enforcer_reload(E);
		}
		err = mx ? metrics_wait(mx, ring_buffer__epoll_fd(rb), 100) : 0;
		err = err ?: ring_buffer__poll(rb, mx ? 0 : 100);
		/* a stop and continue (SIGSTOP, a debugger) interrupts the
		 * poll too: only SIGINT/SIGTERM, which set stopping, end it */
		if (err == -EINTR)
			continue;
		if (err < 0) {
			fprintf(stderr, "loader: polling events: %s\n", strerror(-err));
			return -1;
		}
		if (end && now_s() >= end)
			break;
	}
	/* events already in the ring are printed before the summary */
	ring_buffer__consume(rb);
	return 0;
}

void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns -EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* enforcement only: SIGHUP reloads the profiles (--learn has none) */
static void install_reload_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);
}

/* the table plan, on its own thread while the BPF object loads */
struct plan_thread {
	pthread_t tid;
	int started;
	struct sc_table *table;
	const struct sc_profile_set *set;
	double threshold;
	uint32_t nslots_min;
	int rc;
	char err[512];
};

static void *plan_run(void *arg)
{
	struct plan_thread *pt = arg;

	pt->rc = sc_table_plan_min(pt->table, pt->set, pt->threshold,
				   pt->nslots_min, pt->err, sizeof(pt->err));
	return NULL;
}

/* 0 when the plan is done and good; its error (exit 2) otherwise */
static int plan_join(struct plan_thread *pt)
{
	if (pt->started) {
		pthread_join(pt->tid, NULL);
		pt->started = 0;
		if (pt->rc)
			fprintf(stderr, "loader: %s\n", pt->err);
	}
	return pt->rc;
}

struct syscfi_bpf *object_open(void)
{
	struct syscfi_bpf *skel = syscfi_bpf__open();

	if (!skel)
		fprintf(stderr, "loader: cannot open the BPF object: %s\n", strerror(errno));
	return skel;
}

struct syscfi_bpf *object_load(struct syscfi_bpf *skel, int verbose)
{
	int e = syscfi_bpf__load(skel);

	if (!e)
		return skel;
	fprintf(stderr, "loader: kernel refused the BPF program: %s%s\n",
		strerror(-e), verbose ? "" : " (run with -v for the verifier log)");
	syscfi_bpf__destroy(skel);
	return NULL;
}

/* the base object: the options, the dispatchers and the maps every
 * profile set shares; adopting, those maps are the pinned ones and no
 * program is loaded */
static struct syscfi_bpf *base_load(struct enforcer *E)
{
	const struct loader_opts *opts = E->opts;
	struct syscfi_bpf *b = object_open();
	struct bpf_map *m;
	int e;

	if (!b)
		return NULL;
	configure_knobs(b, opts);
	choose_programs(b, opts->existing, PROGS_BASE);
	kill_domain_configure(b, opts->kill);
	bpf_object__for_each_map(m, b->obj)
		if (set_map(m))
			bpf_map__set_autocreate(m, false);
	if (E->pin.adopt && (e = pin_reuse_maps(&E->pin, b))) {
		fprintf(stderr, "loader: --pin %s: cannot reuse the pinned maps: %s\n",
			E->pin.dir, strerror(-e));
		goto fail;
	}
	return object_load(b, opts->verbose);
fail:
	syscfi_bpf__destroy(b);
	return NULL;
}

/*
 * Adopt the pinned enforcement: its options must be ours; its set is kept
 * when these profiles give the same, else it is reloaded with them (ids
 * kept by name, as a SIGHUP would).  0, or an exit code.
 */
static int adopt(struct enforcer *E, struct next_set *ns, struct plan_thread *pt,
		 bool *reloaded)
{
	const struct loader_opts *opts = E->opts;
	struct syscfi_bpf *pinned;
	char **labels, err[512];
	uint32_t nlabels = 0;
	int same;

	if (pin_check_options(&E->pin, E->base))
		return EXIT_USAGE;
	if (pin_adopt_links(&E->pin, E->base))
		return EXIT_KERNEL;
	pinned = pin_open_set(&E->pin, E->base);
	if (!pinned)
		return EXIT_KERNEL;
	E->skel = pinned;
	if (plan_join(pt))
		return EXIT_USAGE;
	labels = set_labels_read(pinned, &nlabels);
	if (!labels) {
		fprintf(stderr, "loader: out of memory\n");
		return EXIT_KERNEL;
	}
	/* the pinned ids, by name: the set in force until a swap */
	next_set_free(ns);
	if (next_set_read(ns, opts, labels, nlabels, err, sizeof(err))) {
		fprintf(stderr, "loader: %s\n", err);
		set_labels_free(labels, nlabels);
		return EXIT_USAGE;
	}
	E->set.v = calloc(nlabels ? nlabels : 1, sizeof(*E->set.v));
	E->gone = calloc(nlabels + 1, sizeof(*E->gone));
	for (uint32_t i = 0; E->set.v && E->gone && i < nlabels; i++) {
		E->set.v[i] = sc_profile_new("-", SC_ARCH_X86_64, 2);
		if (!E->set.v[i])
			break;
		E->set.n = i + 1;
		E->gone[i + 1] = 1;
		free(E->set.v[i]->label);
		E->set.v[i]->label = labels[i];
		labels[i] = NULL;
	}
	set_labels_free(labels, nlabels);
	if (!E->set.v || !E->gone || E->set.n != nlabels || event_ctx_init(&E->ec, opts, &E->set, &E->table, stdout)) {
		fprintf(stderr, "loader: out of memory\n");
		return EXIT_KERNEL;
	}
	E->table.nprofiles = nlabels;
	if (sc_table_place(&ns->table, NULL)) {
		fprintf(stderr, "loader: out of memory\n");
		return EXIT_KERNEL;
	}
	same = pin_same_set(&E->pin, pinned, &ns->set, ns->gone, &ns->table, ns->exe);
	if (same < 0)
		return EXIT_KERNEL;
	if (same == 0) {
		if (event_ctx_grow(&E->ec, ns->set.n)) {
			fprintf(stderr, "loader: out of memory\n");
			return EXIT_KERNEL;
		}
		sc_profile_set_free(&E->set);
		free(E->gone);
		E->table.nprofiles = 0;
		enforcer_take_set(E, ns);
		return 0;
	}
	if (set_swap(E, ns))
		return EXIT_KERNEL;
	*reloaded = true;
	return 0;
}

int enforce_run(const struct loader_opts *opts)
{
	struct enforcer E = { .opts = opts, .pin = { .lock_fd = -1 } };
	struct next_set ns = {0};
	struct ring_buffer *rb = NULL;
	struct metrics *mx = NULL;
	char err[512];
	int rc = EXIT_USAGE, e;
	bool reloaded = false;
	double start = now_s();
	struct plan_thread pt = { .table = &ns.table, .set = &ns.set,
				  .threshold = opts->threshold };
	struct sc_table shape = {0};	/* map sizes while the plan runs */

	loader_libbpf_log(opts->verbose);
	/* a SIGHUP while starting is a reload once started, not an end */
	install_reload_signal();

	/* profiles first: a bad file is exit 2 whoever runs us */
	if (next_set_load(&ns, opts, NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "loader: %s\n", err);
		goto cleanup;
	}
	step_done(opts, start, "profiles read");
	warn_uring_unlisted(&ns.set);
	/* the table is planned while the BPF object loads, with a map sized
	 * for the most entries the set can give; its slots come later,
	 * written into the map itself (fill_table) */
	shape.nprofiles = (uint32_t)ns.set.n;
	shape.nslots = pt.nslots_min = sc_table_size_bound(&ns.set);
	if (ns.set.n <= SC_PROFILES_MAX &&
	    !pthread_create(&pt.tid, NULL, plan_run, &pt)) {
		pt.started = 1;
	} else if ((pt.rc = sc_table_plan_min(&ns.table, &ns.set, opts->threshold,
					      pt.nslots_min, pt.err,
					      sizeof(pt.err)))) {
		fprintf(stderr, "loader: %s\n", pt.err);
		goto cleanup;
	}
	rc = EXIT_KERNEL;
	if (check_kernel())
		goto cleanup;
	/* the endpoint is bound before anything loads: a taken address
	 * stops the start with nothing attached */
	if (opts->metrics && !(mx = metrics_open(opts->metrics)))
		goto cleanup;
	if (opts->pin_dir && pin_open(&E.pin, opts->pin_dir))
		goto cleanup;
	if (opts->reload_only && !E.pin.adopt) {
		fprintf(stderr, "loader: --reload: nothing pinned at %s\n", E.pin.dir);
		goto cleanup;
	}
	if (!opts->pin_dir)
		pin_note_active();
	ns.exe = resolve_exes(&ns.set, ns.gone, &ns.nexe);
	if (!ns.exe) {
		fprintf(stderr, "loader: out of memory\n");
		goto cleanup;
	}
	E.base = base_load(&E);
	if (!E.base)
		goto cleanup;
	step_done(opts, start, "BPF base object loaded");

	if (E.pin.adopt) {
		if ((rc = adopt(&E, &ns, &pt, &reloaded)))
			goto cleanup;
		rc = EXIT_KERNEL;
	} else {
reload:
		E.skel = set_object_load(&E, &ns.set, &shape, ns.nexe, 1);
		if (!E.skel)
			goto cleanup;
		step_done(opts, start, "BPF object opened, maps created, program loaded (profile set)");
		if (plan_join(&pt)) {
			rc = EXIT_USAGE;
			goto cleanup;
		}
		step_done(opts, start, "table planned");
		if (ns.table.nslots != shape.nslots) {
			/* probing needed a bigger table than the bound: load again */
			shape.nslots = ns.table.nslots;
			syscfi_bpf__destroy(E.skel);
			E.skel = NULL;
			goto reload;
		}
		if ((e = set_object_fill(E.skel, &ns))) {
			fprintf(stderr, "loader: cannot fill the BPF maps: %s\n", strerror(-e));
			goto cleanup;
		}
		step_done(opts, start, "BPF maps filled");
		E.base->data_sets->set_made = 1;
		E.base->data_sets->set_cur = 1;
		if ((e = set_jt_install(&E, E.skel))) {
			fprintf(stderr, "loader: cannot fill the jump tables: %s\n", strerror(-e));
			goto cleanup;
		}
		enforcer_take_set(&E, &ns);
		if (event_ctx_init(&E.ec, opts, &E.set, &E.table, stdout)) {
			fprintf(stderr, "loader: out of memory\n");
			goto cleanup;
		}
	}
	if (mx)
		metrics_source(mx, &E);
	rb = ring_buffer__new(bpf_map__fd(E.base->maps.events), handle_event, &E.ec, NULL);
	if (!rb) {
		fprintf(stderr, "loader: cannot open the ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	if (!E.pin.adopt) {
		if ((e = syscfi_bpf__attach(E.base))) {
			fprintf(stderr, "loader: cannot attach: %s\n", strerror(-e));
			goto cleanup;
		}
		if (opts->pin_dir && pin_save(&E.pin, E.base, E.skel))
			goto cleanup;
	}
	if (opts->pin_dir)
		fprintf(stderr, "pinned: %s (%s)\n", E.pin.dir,
			!E.pin.adopt ? "new" : reloaded ?
			"adopted the running enforcement, reloaded with these profiles" :
			"adopted the running enforcement");
	step_done(opts, start, "attached");
	if (opts->reload_only) {
		/* the events wait in the ring for the service's loader */
		fprintf(stderr, "reloaded: %s: %zu profiles, %zu transitions%s\n",
			E.pin.dir, E.set.n, count_transitions(&E.set),
			reloaded ? "" : " (the pinned set was already these profiles)");
		rc = EXIT_OK;
		goto cleanup;
	}
	if (opts->kill)
		kill_domain_report(E.base);
	/* loader --reload finds whom to signal here (the pin lock says
	 * whether it still runs) */
	E.base->data_sets->loader_pid = (uint32_t)getpid();
	{
		size_t live = 0;

		for (size_t i = 0; i < E.set.n; i++)
			live += !E.gone[i + 1];
		fprintf(stderr, "ready: %zu profiles, %zu transitions\n", live,
			count_transitions(&E.set));
	}
	rc = poll_events(rb, opts->duration, &E, mx) ? EXIT_KERNEL : EXIT_OK;
	/* detach first so the counters stop moving, then report them; pinned
	 * links stay attached (closing our fds does not detach them) */
	if (!opts->pin_dir)
		syscfi_bpf__detach(E.base);
	ring_buffer__consume(rb);
	/* with --pin the tasks still running are counted when they exit */
	if (!opts->pin_dir && (e = fold_live_tasks(E.skel)))
		fprintf(stderr, "loader: syscalls of live tasks left out of the summary: %s\n",
			strerror(-e));
	__atomic_store_n(&E.base->data_sets->loader_pid, 0, __ATOMIC_SEQ_CST);
	print_summary(&E);
	if (opts->calibrate && write_calibrated(&E, opts->margin))
		rc = EXIT_USAGE;
	if (opts->pin_dir)
		fprintf(stderr, "pinned: enforcement continues (loader --unpin=%s stops it)\n",
			E.pin.dir);

cleanup:
	if (plan_join(&pt) && rc != EXIT_USAGE)
		rc = EXIT_USAGE;	/* a bad table is exit 2 whoever runs us */
	metrics_close(mx);
	ring_buffer__free(rb);
	event_ctx_free(&E.ec);
	syscfi_bpf__destroy(E.skel);
	syscfi_bpf__destroy(E.base);
	pin_close(&E.pin);
	next_set_free(&ns);
	free(E.exe);
	free(E.gone);
	sc_table_free(&E.table);
	sc_profile_set_free(&E.set);
	return rc;
}
