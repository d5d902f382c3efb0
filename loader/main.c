// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* loader: the command line of design.md section 5. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: loader [OPTIONS] PROFILE_DIR|PROFILE.json...\n"
"\n"
"Enforce syscfi profiles in the kernel: every syscall of a profiled task is\n"
"checked against its profile's transitions; violations are printed on stdout.\n"
"\n"
"  -k, --kill            SIGKILL a task's process on any violation\n"
"  -j, --json            events as one JSON object a line\n"
"  -t, --threshold BITS  anomaly threshold in bits per syscall (all profiles)\n"
"  -d, --duration SEC    stop after SEC seconds (default: until SIGINT/SIGTERM)\n"
"  -e, --existing        also bind tasks already running, by comm (state UNKNOWN)\n"
"  -r, --rate N          events per second per task (default 10, burst 2N; 0: no limit)\n"
"  -v, --verbose         libbpf's messages (twice: debug)\n"
"  -h, --help            this text\n"
"\n"
"Prints \"ready: N profiles, M transitions\" on stderr once attached, and a\n"
"summary per profile when it stops.  Exit: 0 clean stop, 1 not root or the\n"
"kernel lacks a feature, 2 bad usage or bad profiles.\n"
"\n"
"EXAMPLES\n"
"  sudo loader/loader res/                      # monitor every profile in res/\n"
"  sudo loader/loader --kill --json res/app.json\n"
"  sudo loader/loader --threshold 6.5 --duration 60 res/\n");
}

/* strtod with a full-string and range check */
static int parse_double(const char *opt, const char *s, double min, double max,
			double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "loader: %s: invalid value '%s' (%g..%g)\n", opt, s,
			min, max);
		return -1;
	}
	*out = v;
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
		{ NULL, 0, NULL, 0 },
	};
	struct loader_opts o = { .threshold = -1, .rate = 10 };
	int c;

	while ((c = getopt_long(argc, argv, "kjt:d:er:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o.kill = true; break;
		case 'j': o.json = true; break;
		case 'e': o.existing = true; break;
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
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
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
