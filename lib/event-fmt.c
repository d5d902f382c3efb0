// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Violations as JSON and text lines (event-fmt.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-fmt.h"
#include "replay.h"
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

void sc_event_text(const struct sc_event_view *v, char *buf, size_t len)
{
	char comm[SC_COMM_LEN * 4 + 1], prof[SC_COMM_LEN * 4 * 2 + 1];
	char arg[NAME_MAX_LEN * 4 + 1];
	const char *kind = sc_event_kind_name(v->kind);
	const char *a = v->ntrans ? v->trans[0] : "", *b = v->ntrans ? v->trans[1] : "";
	const char *x = v->ntrans > 2 ? v->trans[2] : "";
	size_t n;

	sc_text_escape(v->comm ? v->comm : "", v->comm_len, comm, sizeof(comm));
	sc_text_escape(v->arg ? v->arg : "", v->arg_len, arg, sizeof(arg));
	if (v->file) {
		n = (size_t)snprintf(buf, len, "%s:%lu: pid %lld comm %s: %s",
				     v->file, v->line, v->pid, comm, kind);
		if (n < len && v->ntrans && v->kind == SC_EV_ANOMALY_SCORE)
			n += (size_t)snprintf(buf + n, len - n,
					      " %.3f bits/syscall at %s %s -> %s",
					      v->score, a, b, x);
		else if (n < len && v->ntrans)
			n += (size_t)snprintf(buf + n, len - n, " %s %s -> %s",
					      a, b, x);
		if (n < len && arg[0])
			snprintf(buf + n, len - n, " %s", arg);
		return;
	}
	sc_text_escape(v->profile ? v->profile : "", (size_t)-1, prof, sizeof(prof));
	n = (size_t)snprintf(buf, len,
		"%s violation %s %s pid=%lld tid=%lld ppid=%lld uid=%lld comm=%s "
		"profile=%s transition=%s,%s%s%s score=%.3f",
		v->time ? v->time : "-", kind, v->killed ? "killed" : "alert",
		v->pid, v->tid, v->ppid, v->uid, comm, prof, a, b,
		v->ntrans > 2 ? "," : "", x, v->score);
	if (n < len && v->threshold >= 0)
		n += (size_t)snprintf(buf + n, len - n, " threshold=%.3f",
				      v->threshold);
	if (n < len && arg[0])
		n += (size_t)snprintf(buf + n, len - n, " arg=%s", arg);
	if (n < len && v->dropped)
		snprintf(buf + n, len - n, " dropped=%u", v->dropped);
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
