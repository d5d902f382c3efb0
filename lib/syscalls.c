// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscall names <-> numbers.  Number -> name is a direct array; name ->
 * number is an open-addressed hash over the name bytes, because the strace
 * parser asks for every line of logs that can be gigabytes long.  Both are
 * built once, on first use, from the tables scripts/gen-syscalls generated.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "syscfi.h"
#include "syscalls.h"
#include "syscall_names.h"

#define NARCH		2
#define HASH_BITS	11		/* 2048 slots for < 512 names: short probes */
#define HASH_SIZE	(1u << HASH_BITS)
#define RAW_PREFIX	"syscall_0x"
#define RAW_PREFIX_LEN	(sizeof(RAW_PREFIX) - 1)

struct arch_names {
	const char *name[SC_NR_MAX];	/* table name, or raw[nr] */
	char raw[SC_NR_MAX][16];	/* "syscall_0x1b6" for unnamed numbers */
	unsigned char len[SC_NR_MAX];
	short slot[HASH_SIZE];		/* nr + 1, 0 = empty */
};

static struct arch_names names[NARCH];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* FNV-1a: cheap, and good enough to spread a few hundred short names */
static unsigned name_hash(const char *s, unsigned len)
{
	unsigned h = 2166136261u;

	for (unsigned i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void fill_arch(struct arch_names *an, const struct sc_syscall_ent *ent,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = ent[i].nr;

		if (nr < 0 || nr >= SC_NR_MAX || an->name[nr])
			continue;
		an->name[nr] = ent[i].name;
	}
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		unsigned len, h;

		if (!an->name[nr]) {
			snprintf(an->raw[nr], sizeof(an->raw[nr]), RAW_PREFIX "%x",
				 nr);
			an->name[nr] = an->raw[nr];
			an->len[nr] = (unsigned char)strlen(an->raw[nr]);
			continue;	/* raw names are parsed, not hashed */
		}
		len = strlen(an->name[nr]);
		an->len[nr] = (unsigned char)len;
		h = name_hash(an->name[nr], len) & (HASH_SIZE - 1);
		while (an->slot[h])
			h = (h + 1) & (HASH_SIZE - 1);
		an->slot[h] = (short)(nr + 1);
	}
}

static void init_names(void)
{
	fill_arch(&names[SC_ARCH_X86_64], sc_syscalls_x86_64,
		  sizeof(sc_syscalls_x86_64) / sizeof(sc_syscalls_x86_64[0]));
	fill_arch(&names[SC_ARCH_I386], sc_syscalls_i386,
		  sizeof(sc_syscalls_i386) / sizeof(sc_syscalls_i386[0]));
}

static const struct arch_names *get_names(int arch)
{
	if (arch < 0 || arch >= NARCH)
		return NULL;
	pthread_once(&names_once, init_names);
	return &names[arch];
}

int sc_arch_parse(const char *name)
{
	if (!strcmp(name, "x86_64"))
		return SC_ARCH_X86_64;
	if (!strcmp(name, "i386"))
		return SC_ARCH_I386;
	return -1;
}

const char *sc_arch_name(int arch)
{
	switch (arch) {
	case SC_ARCH_X86_64: return "x86_64";
	case SC_ARCH_I386: return "i386";
	}
	return NULL;
}

long sc_syscall_raw_nr(const char *name, unsigned len)
{
	long v = 0;

	if (len <= RAW_PREFIX_LEN || len > RAW_PREFIX_LEN + 8 ||
	    memcmp(name, RAW_PREFIX, RAW_PREFIX_LEN))
		return -1;
	for (unsigned i = RAW_PREFIX_LEN; i < len; i++) {
		char c = name[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

int sc_syscall_nr_n(int arch, const char *name, unsigned len)
{
	const struct arch_names *an = get_names(arch);
	unsigned h;
	long raw;

	if (!an || len == 0)
		return -1;
	/* the sentinels and the raw form begin with letters no table name
	 * begins with in upper case, or with "syscall_0x" */
	if (len == 5 && !memcmp(name, "START", 5))
		return SC_START;
	if (len == 7 && !memcmp(name, "UNKNOWN", 7))
		return SC_UNKNOWN;
	if (len == 6 && !memcmp(name, "SIGNAL", 6))
		return SC_SIGNAL;
	h = name_hash(name, len) & (HASH_SIZE - 1);
	while (an->slot[h]) {
		int nr = an->slot[h] - 1;

		if (an->len[nr] == len && !memcmp(an->name[nr], name, len))
			return nr;
		h = (h + 1) & (HASH_SIZE - 1);
	}
	raw = sc_syscall_raw_nr(name, len);
	if (raw >= 0 && raw < SC_NR_MAX)
		return (int)raw;
	return -1;
}

int sc_syscall_nr(int arch, const char *name)
{
	return sc_syscall_nr_n(arch, name, (unsigned)strlen(name));
}

const char *sc_syscall_name(int arch, int nr)
{
	const struct arch_names *an = get_names(arch);

	if (!an)
		return NULL;
	if (nr == SC_START)
		return "START";
	if (nr == SC_UNKNOWN)
		return "UNKNOWN";
	if (nr == SC_SIGNAL)
		return "SIGNAL";
	if (nr < 0 || nr >= SC_NR_MAX)
		return NULL;
	return an->name[nr];
}
