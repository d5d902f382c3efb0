// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Violations as JSON and text lines (event-fmt.h). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-fmt.h"
#include "replay.h"
#include "syscalls.h"
#include "syscfi.h"
#include "text.h"

/* longest comm or argument an event carries (syscfi.h), plus room for
 * a formatted socket address */
#define NAME_MAX_LEN	(SC_ARG_LEN + 32)

static size_t clen(const char *s, size_t n)
{
	return s ? strnlen(s, n) : 0;
}

static int set_str(json_t *o, const char *key, const char *s, size_t n)
{
	char *clean;
	int rc;

	n = clen(s, n);
	if (!n)
		return json_object_set_new(o, key, json_null());
	clean = malloc(3 * n + 1);
	if (!clean)
		return -1;
	sc_utf8_clean(s, n, clean, 3 * n + 1);
	rc = json_object_set_new(o, key, json_string(clean));
	free(clean);
	return rc;
}

static int set_int(json_t *o, const char *key, long long v)
{
	return json_object_set_new(o, key, json_integer((json_int_t)v));
}

char *sc_event_json(const struct sc_event_view *v)
{
	json_t *o = json_object(), *tr = NULL;
	char *s = NULL;
	int err = !o;

	if (!err && v->file)
		err |= set_str(o, "file", v->file, strlen(v->file)) |
		       set_int(o, "line", (long long)v->line);
	if (!err && v->time)
		err |= json_object_set_new(o, "time", json_string(v->time));
	if (!err)
		err |= json_object_set_new(o, "event", json_string("violation")) |
		       json_object_set_new(o, "kind",
					   json_string(sc_event_kind_name(v->kind)));
	if (!err && !v->file)
		err |= json_object_set_new(o, "action",
					   json_string(v->killed ? "killed" : "alert"));
	if (!err)
		err |= set_int(o, "pid", v->pid);
	if (!err && !v->file)
		err |= set_int(o, "tid", v->tid) | set_int(o, "ppid", v->ppid) |
		       set_int(o, "uid", v->uid);
	if (!err) {
		/* a comm is never empty; one that is shows as "" */
		err |= v->comm_len && clen(v->comm, v->comm_len) ?
		       set_str(o, "comm", v->comm, v->comm_len) :
		       json_object_set_new(o, "comm", json_string(""));
		err |= v->profile && v->profile[0] ?
		       set_str(o, "profile", v->profile, strlen(v->profile)) :
		       json_object_set_new(o, "profile", json_string(""));
	}
	if (!err && v->ntrans) {
		tr = json_array();
		err |= !tr;
		for (int i = 0; !err && i < v->ntrans; i++)
			err |= json_array_append_new(tr, json_string(v->trans[i]));
		err |= json_object_set_new(o, "transition", tr);
	}
	if (!err && v->has_score)
		err |= json_object_set_new(o, "score", json_real(v->score)) |
		       json_object_set_new(o, "threshold", v->threshold < 0 ?
					   json_null() : json_real(v->threshold));
	if (!err)
		err |= set_str(o, "arg", v->arg, v->arg_len);
	if (!err && v->has_score)
		err |= set_int(o, "score_sum", (long long)v->score_sum);
	if (!err && !v->file)
		err |= set_int(o, "cgroup", (long long)v->cgroup) |
		       set_int(o, "dropped", v->dropped) |
		       set_int(o, "nsyscalls", (long long)v->nsyscalls);
	/* ASCII only: no byte of a name reaches a terminal that reads the log */
	if (!err)
		s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT |
			       JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

/* appends to buf at *n, within len; stops writing once the line is full */
static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	*n += w > 0 ? (size_t)w : 0;
}

void sc_event_text(const struct sc_event_view *v, char *buf, size_t len)
{
	char comm[SC_COMM_LEN * 4 + 1], prof[SC_COMM_LEN * 4 * 2 + 1];
	char arg[NAME_MAX_LEN * 4 + 1];
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	sc_text_escape(v->comm ? v->comm : "", v->comm_len, comm, sizeof(comm));
	sc_text_escape(v->arg ? v->arg : "", v->arg_len, arg, sizeof(arg));
	sc_text_escape(v->profile ? v->profile : "", (size_t)-1, prof, sizeof(prof));
	/* where: the time of the kernel's event, the replay's trace line */
	if (v->file)
		add(buf, len, &n, "%s:%lu:", v->file, v->line);
	else
		add(buf, len, &n, "%s", v->time ? v->time : "-");
	add(buf, len, &n, " violation %s", sc_event_kind_name(v->kind));
	if (!v->file)
		add(buf, len, &n, " %s", v->killed ? "killed" : "alert");
	add(buf, len, &n, " pid=%lld", v->pid);
	if (!v->file)
		add(buf, len, &n, " tid=%lld ppid=%lld uid=%lld", v->tid, v->ppid,
		    v->uid);
	add(buf, len, &n, " comm=%s profile=%s", comm, prof);
	for (int i = 0; i < v->ntrans; i++)
		add(buf, len, &n, "%s%s", i ? "," : " transition=", v->trans[i]);
	if (v->has_score) {
		add(buf, len, &n, " score=%.3f", v->score);
		if (v->threshold >= 0)
			add(buf, len, &n, " threshold=%.3f", v->threshold);
	}
	if (arg[0])
		add(buf, len, &n, " arg=%s", arg);
	if (v->dropped)
		add(buf, len, &n, " dropped=%u", v->dropped);
}

const char *sc_event_sym(int arch, unsigned nr, char *buf, size_t len)
{
	const char *s = nr == SC_ANY ? "*" : sc_syscall_name(arch, (int)nr);

	if (s)
		return s;
	snprintf(buf, len, "syscall_0x%x", nr);
	return buf;
}

double sc_event_threshold(const struct sc_table *t, uint32_t id)
{
	const struct sc_profile_info *pi;

	if (id < 1 || id > t->nprofiles)
		return -1;
	pi = &t->info[id];
	if (!pi->thr_sum || !pi->window)
		return -1;
	return (double)pi->thr_sum / SC_COST_ONE / pi->window;
}
