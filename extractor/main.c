// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * extractor: strace logs -> per-program profiles, and the offline replay
 * of traces against profiles (the same table and step as the kernel).
 * This file is the command line and writes what was built or validated;
 * the reading, sequencing and replay are run.c's.  The command line is
 * design.md section 5; usage() shows examples.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "profile.h"
#include "run.h"
#include "score.h"
#include "seccomp-set.h"
#include "store.h"
#include "syscalls.h"
#include "sysset.h"
#include "syscfi.h"
#include "table.h"
#include "text.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: extractor [-o DIR] [--depth 1|2] TRACE...\n"
"       extractor --validate [-o DIR] [--target-fpr F | --margin BITS] TRACE...\n"
"       extractor --check DIR [--json] TRACE...\n"
"       extractor --score DIR TRACE...\n"
"       extractor --seccomp [--kill] [-o FILE] PROFILE...\n"
"       extractor --diff [--counts] OLD NEW\n"
"\n"
"Build per-program syscall profiles (DIR/<comm>.json) from strace logs, or\n"
"replay traces against them with the kernel's own table and step.\n"
"\n"
"  -o, --output DIR     profile folder to build or merge into (default: res)\n"
"  -d, --depth 1|2      transition depth of new profiles (default: 2)\n"
"  -T, --transparent L  transparent set of new profiles: default, none, or\n"
"                       syscall names separated by commas (docs/design.md)\n"
"  -c, --check DIR      report every violation (exit 0 clean, 1 violations)\n"
"  -j, --json           --check: one JSON object per violation\n"
"      --guarded L      --check/--score/--validate: the loader's --guarded\n"
"                       (default, none, or names and -names, comma-separated;\n"
"                       numbers without --arch: none)\n"
"  -s, --score DIR      TRACE<TAB>PROFILE<TAB>SCORE<TAB>UNSEEN per trace and\n"
"                       profile; SCORE = highest mean over a full window of\n"
"                       the profile's W syscalls (bits/syscall), or of all\n"
"                       of a task's costs when it ended before W\n"
"  -V, --validate       set each profile's threshold from normal traces: the\n"
"                       highest SCORE seen plus --margin (default 0.5 bits),\n"
"      --target-fpr F   or the level only a fraction F of the validation\n"
"                       windows exceed, plus --margin (default 0 here)\n"
"      --margin BITS\n"
"  -S, --seccomp        write an OCI/Docker seccomp profile (to -o FILE, or\n"
"                       stdout) allowing the union of the profiles' syscalls;\n"
"                       any other fails with EPERM before it runs\n"
"  -K, --kill           --seccomp: kill the process instead\n"
"      --diff           what NEW (profile file or folder) adds and removes\n"
"                       against OLD, sorted; exit 1 when it adds something,\n"
"                       0 when not; --counts also lists changed counts\n"
"  -f, --format FMT     strace (default) | numbers | pid-numbers\n"
"      --comm NAME      profile name of numeric traces\n"
"  -a, --arch ARCH      x86_64 (default) | i386\n"
"  -q, --quiet          no per-line error messages, only the summary\n"
"      --steps FILE     --score: write every scored step to FILE, one line\n"
"                       TRACE PROFILE TID A B X COST (tab-separated; PROFILE:\n"
"                       a scoped profile's label, e.g. tar/sh/gzip)\n"
"  -h, --help\n"
"      --dump-signals   debugging aid: build nothing, print every signal line\n"
"                       of a task bound at an exec as the untraced kernel\n"
"                       would see it: TID COMM SIGNO DELIVERED HANDLER RESTART\n"
"                       (the interrupted call, or -), tab-separated\n"
"\n"
"strace traces: plain, -f, -ff (app.syscall.PID files given together are\n"
"one trace), -t/-tt/-ttt/-r, -T, -i, -y/-yy, -k, -s, -v, -X.  Numeric\n"
"traces start each task in (START, START).\n"
"\n"
"Examples:\n"
"  strace -f -o app.syscall ./app && extractor -o res app.syscall\n"
"  strace -ff -o run/app.syscall ./app && extractor run/app.syscall.*\n"
"  extractor --check res second-run.syscall\n"
"  extractor --validate -o res validation/*.syscall\n"
"  extractor --score res --format numbers --comm app trace.nr\n"
"  extractor --seccomp -o app-seccomp.json res/app.json res/helper.json\n");
}

/* ---- the modes' endings ------------------------------------------------------ */

/* build: merge into DIR/<comm>.json, and the profiles of programs they
 * exec into DIR/<comm>.d/; load everything before writing any */
static int write_built(struct ctx *c, const char *dir)
{
	struct sc_profile **out = calloc(c->set.n + 1, sizeof(*out));
	char **paths = calloc(c->set.n + 1, sizeof(*paths));
	char err[512], name[16 * 4 + 1];
	struct sc_store st;
	const char *why;
	int rc = 0;
	size_t nout = 0;

	if (!out || !paths)
		die_oom();
	if (sc_store_open(&st, dir, false, err, sizeof(err))) {
		fprintf(stderr, "extractor: %s\n", err);
		rc = 2;
		goto out;
	}
	for (size_t i = 0; i < c->set.n; i++) {
		struct sc_profile *p = c->set.v[i];
		struct sc_profile *old;

		if ((why = sc_store_refused(p))) {
			sc_text_escape(p->comm, sizeof(p->comm), name, sizeof(name));
			fprintf(stderr, "extractor: comm \"%s\" %s, skipped\n",
				name, why);
			continue;
		}
		paths[nout] = sc_store_path(&st, p, err, sizeof(err));
		if (!paths[nout]) {
			fprintf(stderr, "extractor: %s\n", err);
			rc = 2;
			goto out;
		}
		if (access(paths[nout], F_OK)) {
			out[nout++] = p;
			continue;
		}
		old = sc_profile_load(paths[nout], err, sizeof(err));
		if (!old || sc_store_merge(old, p, old, err, sizeof(err))) {
			fprintf(stderr, "extractor: %s\n", err);
			sc_profile_free(old);
			free(paths[nout]);
			paths[nout] = NULL;
			rc = 2;
			goto out;
		}
		/* keep the merged copy in the set so it is freed with it; the
		 * profiles scoped under p are under it now */
		old->parent = p->parent;
		for (size_t k = 0; k < c->set.n; k++)
			if (c->set.v[k]->parent == p)
				c->set.v[k]->parent = old;
		sc_profile_free(p);
		c->set.v[i] = old;
		out[nout++] = old;
	}
	if (sc_profile_save_all(out, paths, nout, err, sizeof(err))) {
		fprintf(stderr, "extractor: %s\n", err);
		rc = 2;
		goto out;
	}
	if (!c->quiet)
		fprintf(stderr, "extractor: %zu profiles in %s\n", nout, dir);
	if (c->exec_unkeyed)
		fprintf(stderr, "extractor: %lu execs by a relative path, a file "
			"descriptor or a path strace cut: not learned, "
			"no exec edge can name them\n", c->exec_unkeyed);
	if (c->exec_deep)
		fprintf(stderr, "extractor: %lu execs more than %d programs deep: "
			"not learned\n", c->exec_deep, SC_SCOPE_DEPTH_MAX);
out:
	for (size_t i = 0; i < c->set.n + 1; i++)
		free(paths[i]);
	free(paths);
	free(out);
	return rc;
}

/* the threshold level only target_fpr of the windows exceed (cost units) */
static uint32_t fpr_level(const struct pstat *ps, double fpr)
{
	double allowed = fpr * (double)ps->nwin;
	uint64_t above = 0;

	for (long m = SC_COST_CAP; m >= 0; m--) {
		if ((double)(above + ps->hist[m]) > allowed)
			return (uint32_t)m + 1;
		above += ps->hist[m];
	}
	return 1;
}

static int write_validated(struct ctx *c)
{
	struct sc_profile **out = calloc(c->table.nprofiles + 1, sizeof(*out));
	char **paths = calloc(c->table.nprofiles + 1, sizeof(*paths));
	char err[512];
	size_t n = 0;
	int rc = 0;

	if (!out || !paths)
		die_oom();

	for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
		struct sc_profile *p = c->set.v[i - 1];
		struct pstat *ps = &c->ps[i];
		double bits;
		uint32_t cost;

		if (!ps->vseen)
			continue;
		if (ps->nfilled && !c->quiet)
			fprintf(stderr, "extractor: %s: %llu windows held a new "
				"guarded call (they cross any threshold): left out "
				"of the threshold\n", p->path,
				(unsigned long long)ps->nfilled);
		/* --margin defaults to 0.5 bits over the highest score, to 0
		 * over a --target-fpr quantile (which already sets the rate) */
		if (c->target_fpr >= 0 && ps->nwin)
			cost = fpr_level(ps, c->target_fpr) + (c->margin > 0 ?
			       (uint32_t)ceil(c->margin * SC_COST_ONE) : 0);
		else
			cost = (uint32_t)ceil((ps->vmax + (c->margin >= 0 ?
			       c->margin : 0.5)) * SC_COST_ONE);
		bits = sc_cost_to_bits(cost ? cost : 1);
		p->has_threshold = true;
		p->threshold = bits;
		out[n] = p;
		paths[n++] = p->path;
		if (!c->quiet)
			fprintf(stderr, "extractor: %s: threshold %.4f bits/syscall "
				"(highest trace score %.4f)\n", p->path, bits,
				ps->vmax);
	}
	if (!n)
		fprintf(stderr, "extractor: no profile ran in the validation "
			"traces; nothing written\n");
	else if (sc_profile_save_all(out, paths, n, err, sizeof(err))) {
		fprintf(stderr, "extractor: %s\n", err);
		rc = 2;
	}
	free(out);
	free(paths);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "depth", required_argument, NULL, 'd' },
		{ "transparent", required_argument, NULL, 'T' },
		{ "check", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "score", required_argument, NULL, 's' },
		{ "validate", no_argument, NULL, 'V' },
		{ "seccomp", no_argument, NULL, 'S' },
		{ "kill", no_argument, NULL, 'K' },
		{ "target-fpr", required_argument, NULL, 'F' },
		{ "margin", required_argument, NULL, 'M' },
		{ "format", required_argument, NULL, 'f' },
		{ "comm", required_argument, NULL, 'C' },
		{ "arch", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "steps", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "dump-signals", no_argument, NULL, 'D' },
		{ "diff", no_argument, NULL, 'R' },
		{ "counts", no_argument, NULL, 'N' },
		{ "guarded", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c;
	const char *outdir = "res", *profdir = NULL, *transparent = "default";
	const char *guarded = NULL;
	bool arch_given = false;
	const char *ofile = NULL, *steps_path = NULL;
	struct trace *tv;
	size_t ntr;
	char err[512];
	int opt, rc = 0, nmodes = 0, seccomp = 0, kill = 0, diff = 0;
	unsigned diff_flags = 0;

	memset(&c, 0, sizeof(c));
	c.mode = M_BUILD;
	c.depth = 2;
	c.arch = SC_ARCH_X86_64;
	c.target_fpr = -1;
	c.margin = -1;		/* unset: depends on the mode, see write_validated */
	while ((opt = getopt_long(argc, argv, "o:d:T:c:js:VSKf:a:qh", longopts,
				  NULL)) != -1) {
		double v;

		switch (opt) {
		case 'o': outdir = ofile = optarg; break;
		case 'T': transparent = optarg; break;
		case 'G': guarded = optarg; break;
		case 'd':
			if (strcmp(optarg, "1") && strcmp(optarg, "2")) {
				fprintf(stderr, "extractor: --depth must be 1 or 2\n");
				return 2;
			}
			c.depth = optarg[0] - '0';
			break;
		case 'c': c.mode = M_CHECK; profdir = optarg; nmodes++; break;
		case 's': c.mode = M_SCORE; profdir = optarg; nmodes++; break;
		case 'V': c.mode = M_VALIDATE; nmodes++; break;
		case 'D': c.mode = M_DUMP_SIGNALS; nmodes++; break;
		case 'S': seccomp = 1; nmodes++; break;
		case 'K': kill = 1; break;
		case 'R': diff = 1; nmodes++; break;
		case 'N': diff_flags |= SC_DIFF_COUNTS; break;
		case 'j': c.json = 1; break;
		case 'F':
			if (sc_parse_double(optarg, 0, 1, &v)) {
				fprintf(stderr, "extractor: --target-fpr: a fraction "
					"0..1\n");
				return 2;
			}
			c.target_fpr = v;
			break;
		case 'M':
			if (sc_parse_double(optarg, 0, 64, &v)) {
				fprintf(stderr, "extractor: --margin: bits 0..64\n");
				return 2;
			}
			c.margin = v;
			break;
		case 'f':
			if (!strcmp(optarg, "strace")) c.format = F_STRACE;
			else if (!strcmp(optarg, "numbers")) c.format = F_NUMBERS;
			else if (!strcmp(optarg, "pid-numbers")) c.format = F_PID_NUMBERS;
			else {
				fprintf(stderr, "extractor: unknown --format %s\n",
					optarg);
				return 2;
			}
			break;
		case 'C':
			if (!optarg[0] || strlen(optarg) > 15 || strchr(optarg, '/')) {
				fprintf(stderr, "extractor: --comm: 1..15 bytes, "
					"no '/'\n");
				return 2;
			}
			c.comm = optarg;
			break;
		case 'a':
			c.arch = sc_arch_parse(optarg);
			if (c.arch < 0) {
				fprintf(stderr, "extractor: unknown --arch %s\n",
					optarg);
				return 2;
			}
			arch_given = true;
			break;
		case 'q': c.quiet = 1; break;
		case 'P': steps_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nmodes > 1) {
		fprintf(stderr, "extractor: --check, --score, --validate, "
			"--seccomp, --diff and --dump-signals exclude each other\n");
		return 2;
	}
	if (steps_path && c.mode != M_SCORE) {
		fprintf(stderr, "extractor: --steps goes with --score\n");
		return 2;
	}
	if (optind >= argc || (kill && !seccomp) || (diff_flags && !diff)) {
		usage(stderr);
		return 2;
	}
	if (diff) {
		if (argc - optind != 2) {
			usage(stderr);
			return 2;
		}
		rc = sc_diff_paths(argv[optind], argv[optind + 1], diff_flags,
				   stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "extractor: %s\n", err);
		return rc < 0 ? 2 : rc;
	}
	if (seccomp) {
		rc = sc_seccomp_oci_file(argv + optind, argc - optind, kill,
					 ofile, err, sizeof(err)) ? 2 : 0;
		if (err[0])
			fprintf(stderr, "extractor: %s\n", err);
		return rc;
	}
	if (c.format != F_STRACE && !c.comm) {
		fprintf(stderr, "extractor: numeric traces need --comm NAME\n");
		return 2;
	}
	if (sc_transparent_parse(c.arch, transparent, c.transparent, err,
				 sizeof(err))) {
		fprintf(stderr, "extractor: --transparent: %s\n", err);
		return 2;
	}
	if (c.mode == M_BUILD)
		c.outdir = outdir;
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) || access(argv[i], R_OK)) {
			fprintf(stderr, "extractor: %s: %s\n", argv[i],
				strerror(errno ? errno : EACCES));
			return 2;
		}
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "extractor: %s: is a directory\n", argv[i]);
			return 2;
		}
	}
	if (c.mode == M_VALIDATE)
		profdir = outdir;
	if (c.mode != M_BUILD && c.mode != M_DUMP_SIGNALS) {
		char *dirs[1] = { (char *)profdir };

		if (sc_profile_set_load(&c.set, dirs, 1, err, sizeof(err)) < 0) {
			fprintf(stderr, "extractor: %s\n", err);
			return 2;
		}
		if (c.set.n && c.set.v[0]->arch != c.arch)
			c.arch = c.set.v[0]->arch;
		if (sc_table_build(&c.table, &c.set, -1, err, sizeof(err)) < 0) {
			fprintf(stderr, "extractor: %s\n", err);
			sc_profile_set_free(&c.set);
			return 2;
		}
		/* bare numbers name no syscall: without --arch, which calls
		 * are guarded is not known, and none is */
		if (!guarded)
			guarded = c.format != F_STRACE && !arch_given ?
				  "none" : "default";
		if (sc_guarded_parse(c.arch, guarded, c.table.guarded, err,
				     sizeof(err))) {
			fprintf(stderr, "extractor: --guarded: %s\n", err);
			return 2;
		}
		c.ps = calloc(c.table.nprofiles + 1, sizeof(*c.ps));
		if (!c.ps)
			die_oom();
		if (c.mode == M_VALIDATE && c.target_fpr >= 0)
			for (uint32_t i = 1; i <= c.table.nprofiles; i++) {
				c.ps[i].hist = calloc(SC_COST_CAP + 1, sizeof(uint64_t));
				if (!c.ps[i].hist)
					die_oom();
			}
	}
	if (steps_path) {
		c.steps = fopen(steps_path, "w");
		if (!c.steps) {
			fprintf(stderr, "extractor: %s: %s\n", steps_path,
				strerror(errno));
			sc_table_free(&c.table);
			sc_profile_set_free(&c.set);
			free(c.ps);
			return 2;
		}
	}
	if (c.format != F_STRACE) {
		ntr = (size_t)(argc - optind);
		tv = calloc(ntr, sizeof(*tv));
		if (!tv)
			die_oom();
		for (size_t i = 0; i < ntr; i++) {
			tv[i].name = argv[optind + (int)i];
			tv[i].files = calloc(1, sizeof(*tv[i].files));
			tv[i].pids = calloc(1, sizeof(*tv[i].pids));
			if (!tv[i].files || !tv[i].pids)
				die_oom();
			tv[i].files[0] = tv[i].name;
			tv[i].pids[0] = -1;
			tv[i].n = 1;
		}
	} else {
		tv = group_traces(argv + optind, argc - optind, &ntr);
	}
	for (size_t i = 0; i < ntr && !rc; i++)
		if (run_trace(&c, &tv[i]) < 0)
			rc = 2;
	fflush(stdout);
	if (c.malformed || c.cut)
		fprintf(stderr, "extractor: %lu malformed lines skipped, %lu lines "
			"cut short\n", c.malformed, c.cut);
	if (!rc) {
		switch (c.mode) {
		case M_BUILD: rc = write_built(&c, outdir); break;
		case M_VALIDATE: rc = write_validated(&c); break;
		case M_CHECK: rc = c.violations ? 1 : 0; break;
		case M_SCORE: case M_DUMP_SIGNALS: break;
		}
	}
	if (c.mode != M_BUILD && c.mode != M_DUMP_SIGNALS) {
		for (uint32_t i = 0; c.ps && i <= c.table.nprofiles; i++)
			free(c.ps[i].hist);
		sc_table_free(&c.table);
	}
	if (c.steps && fclose(c.steps) && !rc) {
		fprintf(stderr, "extractor: --steps: %s\n", strerror(errno));
		rc = 2;
	}
	free(c.ps);
	free(c.last_trace);
	sc_profile_set_free(&c.set);
	free_traces(tv, ntr);
	return rc;
}
