/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The loader's parts: main.c (command line), enforce.c (BPF lifecycle:
 * checks, open/configure/load/attach, map contents, poll, summary),
 * events.c (event output).  Modes other than enforcement (--learn,
 * --pin) plug into the same lifecycle.
 */
#ifndef SC_LOADER_H
#define SC_LOADER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include "profile.h"
#include "table.h"
#include "text.h"
#include "syscfi.h"

/* exit codes, design.md section 5 */
#define EXIT_OK		0
#define EXIT_KERNEL	1	/* not root, or the kernel lacks a feature */
#define EXIT_USAGE	2	/* bad usage or bad profiles */

struct loader_opts {
	bool kill;		/* SIGKILL on violations ... */
	int policy;		/* ... which ones: SC_POLICY_* */
	uint64_t guarded[SC_NR_MAX / 64];	/* --guarded (sysset.h) */
	bool json;		/* events as JSON lines */
	bool existing;		/* bind tasks that predate the loader */
	bool no_hot;		/* state in task storage only (a testing aid,
				 * SYSCFI_TEST_NO_HOT_SLOTS=1) */
	bool calibrate;		/* --calibrate: write thresholds at the end */
	double margin;		/* --calibrate: bits added to the highest score */
	int verbose;		/* libbpf's messages */
	double threshold;	/* bits per syscall, < 0: from the profiles */
	double duration;	/* seconds, <= 0: until a signal */
	uint32_t rate;		/* events per second per task, 0: unlimited */
	uint32_t burst;		/* rate limiter depth */
	const char *pin_dir;	/* --pin: pin links and maps here, or adopt them */
	const char *metrics;	/* --metrics ADDR:PORT: Prometheus endpoint */
	bool reload_only;	/* --reload: swap the pinned set, then exit */
	char **paths;		/* PROFILE_DIR|PROFILE.json... */
	int npaths;
	/* --learn (learn.c) */
	int learn;		/* SC_LEARN_*: what is learned, 0: enforce */
	const char *learn_comm;	/* --comm NAME */
	uint32_t learn_pid;	/* --pid PID */
	const char *learn_cgroup;	/* --cgroup PATH */
	const char *out_dir;	/* -o DIR */
	double interval;	/* seconds between progress lines and flushes */
	uint32_t max_transitions;	/* size of the kernel's count map */
	uint32_t max_programs;	/* program ids */
	uint64_t transparent[SC_NR_MAX / 64];	/* --transparent: of new profiles */
};

/* --kill --policy graded: the threshold of a profile that has none, in
 * bits per syscall (docs/design.md, "Policies") */
#define SC_GRADED_THRESHOLD_DEFAULT 8.0
/* --calibrate without --margin: room for this many more novelties in a
 * window than the worst calibration window held.  The rules that stop an
 * attack outright are the syscall set, the guarded set, the exec edges
 * and the signal frames; the score's kill is the backstop for a burst of
 * many new transitions, and no calibration run holds a service's worst
 * burst of a long day (a redis under deep pipelining crossed a margin of
 * 4 one run in four) */
#define SC_CALIBRATE_NOVELTIES 8

/* what events.c needs to name things */
struct event_ctx {
	const struct loader_opts *opts;
	const struct sc_profile_set *set;	/* profile id i+1 = set->v[i] */
	const struct sc_table *table;
	int64_t boot_to_real_ns;		/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	FILE *out;
	uint64_t *unwritten;	/* by profile id: events the loader could not write */
	uint64_t *delivered;	/* by profile id: events written */
	uint64_t write_errors;	/* all profiles */
	int first_errno;	/* of the first write error */
};

/* pin.c: --pin / --unpin (enforcement that outlives the loader) */
#define SC_PIN_DEFAULT	"/sys/fs/bpf/syscfi"
struct syscfi_bpf;
struct bpf_map;
struct pin_state {
	const char *dir;
	int lock_fd;		/* flock: one loader per folder */
	bool adopt;		/* the folder holds pins: reuse them */
	const char *mismatch;	/* what differs from the pinned state */
	void *rodata;		/* the knobs asked for, to compare */
	size_t rodata_len;
};
/* mount check, create and lock dir, find out whether it holds pins */
int pin_open(struct pin_state *ps, const char *dir);
void pin_close(struct pin_state *ps);
/* adopt, between configure and load of the base object: reuse its
 * pinned maps */
int pin_reuse_maps(struct pin_state *ps, struct syscfi_bpf *base);
/* adopt, after the base loaded: the pinned options are ours (else the
 * message, -1) */
int pin_check_options(struct pin_state *ps, struct syscfi_bpf *base);
/* adopt: a set object holding the pinned set's maps, no program */
struct syscfi_bpf *pin_open_set(struct pin_state *ps, struct syscfi_bpf *base);
/* adopt: 0 when the pinned set is what these profiles would give */
int pin_same_set(struct pin_state *ps, struct syscfi_bpf *skel,
		 const struct sc_profile_set *set, const uint8_t *gone,
		 const struct sc_table *t, const struct sc_exe_key *exe);
/* adopt, instead of attaching: hold the pinned links */
int pin_adopt_links(struct pin_state *ps, struct syscfi_bpf *base);
/* fresh, after attaching: pin the base's maps and links, and the set's */
int pin_save(struct pin_state *ps, struct syscfi_bpf *base,
	     struct syscfi_bpf *skel);
/* after a swap: pin the new set's maps over the old set's */
int pin_save_set(struct pin_state *ps, struct syscfi_bpf *skel);
/* is m one of a profile set's own maps (not shared by every set)? */
bool set_map(const struct bpf_map *m);
/* --unpin: remove the pins (detaches); an exit code */
int pin_remove(const char *dir);
/* without --pin: say so when SC_PIN_DEFAULT still enforces */
void pin_note_active(void);

/* enforce.c: run until stopped; returns an exit code */
int enforce_run(const struct loader_opts *opts);
/* between open and load: which programs load (the sys_enter copy) for an
 * object of each role */
enum { PROGS_LEARN, PROGS_BASE, PROGS_SET };
void choose_programs(struct syscfi_bpf *skel, bool lazy, int role);
/* SIGHUP seen: reload the profiles at the next turn of the poll loop */
extern volatile sig_atomic_t reload_pending;

/*
 * The enforcement in force: the base object (the dispatchers attached,
 * the maps every profile set shares) and the object of the profile set in
 * force.  Profile id i + 1 is set.v[i]; ids are kept by name from set to
 * set, so a profile a reload removed leaves a retired id (gone[id], an
 * empty placeholder profile) that no later profile takes.
 */
struct enforcer {
	const struct loader_opts *opts;
	struct syscfi_bpf *base;
	struct syscfi_bpf *skel;	/* the set in force */
	struct sc_profile_set set;
	uint8_t *gone;			/* by id: retired */
	struct sc_table table;
	struct sc_exe_key *exe;		/* by id */
	size_t nexe;
	struct event_ctx ec;
	struct pin_state pin;
	uint64_t reloads;		/* profile sets swapped in since start */
	uint64_t reload_failures;	/* reloads refused: the set in force stayed */
};

/* reload.c: a new profile set, read and compiled, not yet in force */
struct next_set {
	struct sc_profile_set set;
	uint8_t *gone;
	struct sc_table table;
	struct sc_exe_key *exe;
	size_t nexe;
};
/* read opts->paths and check them as a fresh start would; the profile
 * named labels[i] keeps id i + 1 (a placeholder if it is gone), the
 * others get the next ids; -1 with err */
int next_set_load(struct next_set *ns, const struct loader_opts *opts,
		  char *const *labels, uint32_t nlabels, char *err,
		  size_t errlen);
/* next_set_load, then compile the table and resolve the exes */
int next_set_read(struct next_set *ns, const struct loader_opts *opts,
		  char *const *labels, uint32_t nlabels, char *err,
		  size_t errlen);
void next_set_free(struct next_set *ns);
/* put ns in force in E (swap the sets, carry the counters); -1 (said on
 * stderr) leaves the set in force as it was */
int set_swap(struct enforcer *E, struct next_set *ns);
/* SIGHUP: read the folders again and swap; a refusal is logged and
 * counted, and the set in force stays.  -1 on refusal */
int enforcer_reload(struct enforcer *E);
/* the labels the pinned set's pnames map holds, by id - 1 */
char **set_labels_read(struct syscfi_bpf *skel, uint32_t *n);
void set_labels_free(char **labels, uint32_t n);
/* open, configure, share the base's maps and load a set object sized for
 * shape (generation gen); NULL (said) on failure */
struct syscfi_bpf *set_object_load(struct enforcer *E,
				   const struct sc_profile_set *set,
				   const struct sc_table *shape, size_t nexe,
				   uint32_t gen);
/* ns becomes the set in force of E (moved; E's old one freed before) */
void enforcer_take_set(struct enforcer *E, struct next_set *ns);
/* enforce.c: open the object; NULL (said) if it cannot be */
struct syscfi_bpf *object_open(void);
/* enforce.c: load an opened object; NULL (said, destroyed) if refused */
struct syscfi_bpf *object_load(struct syscfi_bpf *skel, int verbose);
/* fill a loaded set object's maps from ns */
int set_object_fill(struct syscfi_bpf *skel, struct next_set *ns);
/* a first set: its programs in slot 0 of the jump tables */
int set_jt_install(struct enforcer *E, struct syscfi_bpf *skel);
/* enforce.c: profile id's counters, pstats over CPUs plus pbase; 0 when
 * the set has no such id */
int profile_stats(struct syscfi_bpf *skel, uint32_t id,
		  struct sc_profile_stats *per, int ncpu,
		  struct sc_profile_stats *sum);
/* --reload: drive or signal the reload of the pinned instance */
int reload_pinned(struct loader_opts *opts);
/* enforce.c, shared with learn.c and reload.c: the lifecycle's pieces */
int configure_set(struct syscfi_bpf *skel, const struct loader_opts *opts,
		  const struct sc_table *t, size_t nexe,
		  const struct sc_profile_set *set);
int fill_maps(struct syscfi_bpf *skel, const struct sc_profile_set *set,
	      const uint8_t *gone, struct sc_table *t,
	      const struct sc_exe_key *exe);
struct sc_exe_key *resolve_exes(const struct sc_profile_set *set,
				const uint8_t *gone, size_t *nexe);
size_t count_transitions(const struct sc_profile_set *set);
extern volatile sig_atomic_t stopping;	/* SIGINT/SIGTERM seen */
void install_signals(void);
void loader_libbpf_log(int verbose);
int check_kernel(void);		/* -1 (reason printed): exit 1 */
double now_s(void);		/* CLOCK_MONOTONIC seconds */

/* killdom.c: the kill domain's mode, between open and load, and its
 * line on stderr */
void kill_domain_configure(struct syscfi_bpf *skel, bool kill);
void kill_domain_report(const struct syscfi_bpf *skel);
/* enforce.c: the kernel's internal dev_t of a stat dev */
uint64_t kernel_dev(dev_t d);
/* root.c: --root DIR, the root the profiles' paths are looked up in;
 * root_stat is stat() there (the loader's own root without --root) */
int root_open(const char *dir);
int root_stat(const char *path, struct stat *st);
/* edges.c: the exec_edges map; fill it, or (compare) 1 if it differs */
uint32_t edges_map_size(const struct sc_profile_set *set);
int edges_fill(int fd, const struct sc_profile_set *set, bool compare);

/* learn.c: --learn until stopped; returns an exit code */
int learn_run(const struct loader_opts *opts);

/* events.c; -1: out of memory */
int event_ctx_init(struct event_ctx *ec, const struct loader_opts *opts,
		   const struct sc_profile_set *set, const struct sc_table *table,
		   FILE *out);
/* the set grew to n profiles (a reload): -1 out of memory */
int event_ctx_grow(struct event_ctx *ec, size_t n);
void event_ctx_free(struct event_ctx *ec);
/* one event, one line; -1 when it was not written (counted) */
int event_print(struct event_ctx *ec, const struct sc_event *ev);
/* events of profile id that were not written: part of its dropped */
uint64_t event_unwritten(const struct event_ctx *ec, uint32_t id);
/* events of profile id that were written */
uint64_t event_delivered(const struct event_ctx *ec, uint32_t id);
/* the summary's line on write errors, if any */
void event_summary(const struct event_ctx *ec);
/* "ip:port", "[ip6]:port", "unix:path"... of raw sockaddr bytes */
void format_sockaddr(const unsigned char *raw, size_t len, char *buf,
		     size_t buflen);

#endif
