// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* loader: the command line of design.md section 5. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "metrics.h"
#include "syscalls.h"
#include "sysset.h"
#include "text.h"

/* long options without a short one */
enum { OPT_PIN = 0x100, OPT_UNPIN, OPT_POLICY, OPT_TRANSPARENT, OPT_GUARDED,
       OPT_CALIBRATE, OPT_MARGIN, OPT_ROOT, OPT_METRICS, OPT_RELOAD };

static void usage(FILE *f)
{
	fprintf(f,
"usage: loader [OPTIONS] PROFILE_DIR|PROFILE.json...\n"
"       loader --reload[=DIR] [PROFILE_DIR|PROFILE.json...]\n"
"       loader --learn (--comm NAME | --pid PID | --cgroup PATH) [-o DIR] [-d SEC]\n"
"\n"
"Enforce syscfi profiles in the kernel: every syscall of a profiled task is\n"
"checked against its profile's transitions; violations are printed on stdout.\n"
"\n"
"  -k, --kill            SIGKILL a task's process on a violation (--policy)\n"
"      --policy P        which violations --kill kills: strict (default: every\n"
"                        one) or graded (all but an unseen transition between\n"
"                        known syscalls, which feeds the score; profiles with\n"
"                        no threshold get %.1f bits)\n"
"      --guarded L       syscalls whose unseen transitions are unseen-guarded\n"
"                        (killed under graded too): default, none, or names\n"
"                        and -names separated by commas (default,-connect)\n"
"  -j, --json            events as one JSON object a line\n"
"  -t, --threshold BITS  anomaly threshold in bits per syscall (all profiles)\n"
"  -d, --duration SEC    stop after SEC seconds (default: until SIGINT/SIGTERM)\n"
"  -e, --existing        also bind tasks already running, by comm (state UNKNOWN)\n"
"  -r, --rate N          events per second per task (default 10, burst 2N; 0: no limit)\n"
"      --calibrate       monitor, and at the end set each profile's threshold\n"
"                        in its file: the highest window score its tasks\n"
"                        reached, plus --margin BITS (default: room for 8\n"
"                        more novelties in a window, 128 bits / window)\n"
"      --pin[=DIR]       pin programs and maps in DIR (default " SC_PIN_DEFAULT "):\n"
"                        enforcement survives the loader; a loader started again\n"
"                        with --pin and the same profiles and options adopts it\n"
"      --unpin[=DIR]     remove the pins of --pin (stops that enforcement)\n"
"      --root DIR        look the profiles' exe and exec paths up in DIR, as\n"
"                        its / (a container: the host's root, /proc/1/root\n"
"                        with the host's PID namespace; default /)\n"
"      --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                        (numeric: 127.0.0.1:9477, [::1]:9477, 0.0.0.0:9477)\n"
"      --reload[=DIR]    put changed profiles in force in the pinned enforcement\n"
"                        of DIR: its loader is sent SIGHUP and rereads its\n"
"                        profiles (any given are checked first); with no loader\n"
"                        running, the profiles given are swapped in directly\n"
"  -v, --verbose         libbpf's messages (twice: debug)\n"
"  -h, --help            this text\n"
"\n"
"Learning (docs/learning.md): count the transitions of the targets and of\n"
"everything they fork and exec; write DIR/<comm>.json, merged into what DIR\n"
"holds, every interval and at the end (SIGINT, SIGTERM, --duration).\n"
"  -l, --learn           learn instead of enforcing\n"
"      --comm NAME       tasks that exec a program of comm NAME\n"
"      --pid PID         process PID (from its next syscall) and its new children\n"
"      --cgroup PATH     every task of a cgroup v2 directory (and below it)\n"
"  -o, --output DIR      profile folder (default: res); it and every folder\n"
"                        above it root's, not writable by others, no symlink\n"
"  -i, --interval SEC    progress line and flush every SEC s (default 10)\n"
"      --max-transitions N  kernel map of counts (default 65536)\n"
"      --max-programs N  programs learned at once (default 1024)\n"
"      --transparent L   transparent set of new profiles: default, none, or\n"
"                        syscall names separated by commas\n"
"\n"
"Prints \"ready: N profiles, M transitions\" on stderr once attached, and a\n"
"summary per profile when it stops.  SIGHUP rereads the profiles and swaps\n"
"them in at once; a bad file is logged and the profiles in force stay.\n"
"Exit: 0 clean stop, 1 not root or the kernel lacks a feature, 2 bad usage\n"
"or bad profiles.\n"
"\n"
"EXAMPLES\n"
"  sudo loader/loader res/                      # monitor every profile in res/\n"
"  sudo loader/loader --kill --json res/app.json\n"
"  sudo loader/loader --calibrate --duration 600 profiles/  # during normal load\n"
"  sudo loader/loader --kill --policy graded --json profiles/   # services\n"
"  sudo loader/loader --threshold 6.5 --duration 60 res/\n"
"  sudo loader/loader --pin --kill res/         # restart it the same way to adopt\n"
"  sudo loader/loader --unpin\n"
"  sudo loader/loader --kill --json --metrics 127.0.0.1:9477 res/\n"
"  sudo loader/loader --learn --comm nginx -o profiles/ --duration 3600\n"
"  sudo loader/loader --learn --cgroup /sys/fs/cgroup/app -o profiles/\n",
		SC_GRADED_THRESHOLD_DEFAULT);
}

static int parse_double(const char *opt, const char *s, double min, double max,
			double *out)
{
	if (sc_parse_double(s, min, max, out)) {
		fprintf(stderr, "loader: %s: invalid value '%s' (%g..%g)\n", opt, s,
			min, max);
		return -1;
	}
	return 0;
}

static int parse_u32(const char *opt, const char *s, unsigned long max,
		     uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "loader: %s: invalid value '%s' (0..%lu)\n", opt, s, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* --learn: exactly one target, no profile arguments */
static int learn_main(struct loader_opts *o, bool learn, int targets, int nargs)
{
	if (!learn || targets != 1) {
		fprintf(stderr, "loader: --learn needs exactly one of --comm, --pid, --cgroup\n");
		return EXIT_USAGE;
	}
	if (nargs) {
		fprintf(stderr, "loader: --learn takes no profile arguments (use -o DIR)\n");
		return EXIT_USAGE;
	}
	if (o->learn == SC_LEARN_COMM && !o->learn_comm[0]) {
		fprintf(stderr, "loader: --comm: empty name\n");
		return EXIT_USAGE;
	}
	if ((o->learn == SC_LEARN_PID && o->learn_pid == 0) ||
	    o->max_transitions == 0 || o->max_programs == 0) {
		fprintf(stderr, "loader: --pid, --max-transitions and --max-programs must be > 0\n");
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return learn_run(o);
}

/*
 * A testing aid, not an option: SYSCFI_TEST_NO_HOT_SLOTS=1 keeps every
 * task's state in its task storage, the path a task takes when another
 * live task holds its hot slot, so that the kernel suites can run all of
 * their tasks down that path (scripts/run-tests runs them both ways).
 */
static int test_no_hot(struct loader_opts *o)
{
	const char *v = getenv("SYSCFI_TEST_NO_HOT_SLOTS");

	if (!v || !*v)
		return 0;
	if (strcmp(v, "1")) {
		fprintf(stderr, "loader: SYSCFI_TEST_NO_HOT_SLOTS=%s: only 1 is "
			"understood\n", v);
		return -1;
	}
	o->no_hot = true;
	fprintf(stderr, "loader: SYSCFI_TEST_NO_HOT_SLOTS=1: every task's "
		"state in its task storage (a testing aid)\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kill", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "existing", no_argument, NULL, 'e' },
		{ "rate", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "learn", no_argument, NULL, 'l' },
		{ "comm", required_argument, NULL, 'C' },
		{ "pid", required_argument, NULL, 'P' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "max-transitions", required_argument, NULL, 'T' },
		{ "max-programs", required_argument, NULL, 'M' },
		{ "pin", optional_argument, NULL, OPT_PIN },
		{ "unpin", optional_argument, NULL, OPT_UNPIN },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "transparent", required_argument, NULL, OPT_TRANSPARENT },
		{ "guarded", required_argument, NULL, OPT_GUARDED },
		{ "calibrate", no_argument, NULL, OPT_CALIBRATE },
		{ "margin", required_argument, NULL, OPT_MARGIN },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "reload", optional_argument, NULL, OPT_RELOAD },
		{ NULL, 0, NULL, 0 },
	};
	struct loader_opts o = { .threshold = -1, .margin = -1, .rate = 10, .out_dir = "res",
				 .interval = 10, .max_transitions = 65536,
				 .max_programs = 1024 };
	const char *unpin = NULL, *reload = NULL;
	char err[256];
	int c, targets = 0;
	bool learn = false;

	sc_transparent_default(SC_ARCH_X86_64, o.transparent);
	sc_guarded_default(SC_ARCH_X86_64, o.guarded);
	while ((c = getopt_long(argc, argv, "kjt:d:er:vhlo:i:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o.kill = true; break;
		case 'j': o.json = true; break;
		case 'e': o.existing = true; break;
		case OPT_CALIBRATE: o.calibrate = true; break;
		case OPT_MARGIN:
			if (parse_double("--margin", optarg, 0, 64, &o.margin))
				return EXIT_USAGE;
			break;
		case OPT_POLICY:
			if (!strcmp(optarg, "strict")) {
				o.policy = SC_POLICY_STRICT;
			} else if (!strcmp(optarg, "graded")) {
				o.policy = SC_POLICY_GRADED;
			} else {
				fprintf(stderr, "loader: --policy must be strict or graded\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_TRANSPARENT:
			if (sc_transparent_parse(SC_ARCH_X86_64, optarg, o.transparent,
						 err, sizeof(err))) {
				fprintf(stderr, "loader: --transparent: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case OPT_GUARDED:
			if (sc_guarded_parse(SC_ARCH_X86_64, optarg, o.guarded,
					     err, sizeof(err))) {
				fprintf(stderr, "loader: --guarded: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'v': o.verbose++; break;
		case 't':
			if (parse_double("--threshold", optarg, 0, 255, &o.threshold))
				return EXIT_USAGE;
			break;
		case 'd':
			if (parse_double("--duration", optarg, 0, 1e9, &o.duration))
				return EXIT_USAGE;
			break;
		case 'r':
			if (parse_u32("--rate", optarg, 1000000, &o.rate))
				return EXIT_USAGE;
			break;
		case 'l': learn = true; break;
		case 'C': o.learn = SC_LEARN_COMM; o.learn_comm = optarg; targets++; break;
		case 'G': o.learn = SC_LEARN_CGROUP; o.learn_cgroup = optarg; targets++; break;
		case 'o': o.out_dir = optarg; break;
		case 'P':
			o.learn = SC_LEARN_PID;
			targets++;
			if (parse_u32("--pid", optarg, INT_MAX, &o.learn_pid))
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_double("--interval", optarg, 0.1, 86400, &o.interval))
				return EXIT_USAGE;
			break;
		case 'T':
			if (parse_u32("--max-transitions", optarg, 1u << 24,
				      &o.max_transitions))
				return EXIT_USAGE;
			break;
		case 'M':
			if (parse_u32("--max-programs", optarg, SC_PROFILES_MAX,
				      &o.max_programs))
				return EXIT_USAGE;
			break;
		case OPT_PIN:
			o.pin_dir = optarg ? optarg : SC_PIN_DEFAULT;
			break;
		case OPT_UNPIN:
			unpin = optarg ? optarg : SC_PIN_DEFAULT;
			break;
		case OPT_ROOT:
			if (root_open(optarg))
				return EXIT_USAGE;
			break;
		case OPT_METRICS: {
			struct sockaddr_storage ss;
			socklen_t len;

			if (metrics_parse(optarg, &ss, &len, err, sizeof(err))) {
				fprintf(stderr, "loader: --metrics %s: %s\n", optarg, err);
				return EXIT_USAGE;
			}
			o.metrics = optarg;
			break;
		}
		case OPT_RELOAD:
			reload = optarg ? optarg : SC_PIN_DEFAULT;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (test_no_hot(&o) < 0)
		return EXIT_USAGE;
	if (unpin) {
		if (optind < argc || o.pin_dir || o.metrics || learn || targets) {
			fprintf(stderr, "loader: --unpin takes no profiles and no other mode\n");
			return EXIT_USAGE;
		}
		if (geteuid() != 0) {
			fprintf(stderr, "loader: must run as root (needs CAP_BPF and CAP_PERFMON)\n");
			return EXIT_KERNEL;
		}
		return pin_remove(unpin);
	}
	/* a reader that goes away must not end enforcement: a write to a
	 * closed pipe is an error that events.c counts, not a signal */
	signal(SIGPIPE, SIG_IGN);
	/* from the start: a shell starts a background job with SIGINT
	 * ignored, and a stop asked for while the loader loads must not be
	 * lost (it ends the loader once it is ready) */
	install_signals();
	if ((learn || targets) && (o.pin_dir || o.metrics)) {
		fprintf(stderr, "loader: --pin and --metrics are for enforcement, not --learn\n");
		return EXIT_USAGE;
	}
	if (learn || targets)
		return learn_main(&o, learn, targets, argc - optind);
	if (reload) {
		if (o.pin_dir || o.calibrate) {
			fprintf(stderr, "loader: --reload takes profiles only (the pinned options stay)\n");
			return EXIT_USAGE;
		}
		o.pin_dir = reload;
		o.paths = argv + optind;
		o.npaths = argc - optind;
		return reload_pinned(&o);
	}
	if (o.calibrate && (o.kill || o.pin_dir || o.threshold >= 0)) {
		fprintf(stderr, "loader: --calibrate monitors: no --kill, --pin or --threshold\n");
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "loader: no profiles given (try -h)\n");
		return EXIT_USAGE;
	}
	o.burst = o.rate > UINT32_MAX / 2 ? UINT32_MAX : o.rate * 2;
	o.paths = argv + optind;
	o.npaths = argc - optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return enforce_run(&o);
}
