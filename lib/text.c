// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names and paths of traced programs in file names, JSON and text (text.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t sc_utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void sc_utf8_clean(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, len;

	n = strnlen(s, n);
	while (i < n && o + 4 <= outlen) {
		len = sc_utf8_seq(u + i, n - i);
		if (len) {
			memcpy(out + o, u + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = 0;
}

void sc_text_escape(const char *s, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	n = strnlen(s, n);
	for (i = 0; i < n && o + 5 <= outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > ' ' && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '\\': out[o++] = '\\'; break;
		case '\n': out[o++] = 'n'; break;
		case '\t': out[o++] = 't'; break;
		case '\r': out[o++] = 'r'; break;
		default:
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
}

/*
 * Non-ASCII names are taken (a program may be called "café"); bytes that
 * are not UTF-8 cannot be written as JSON text, and control characters
 * would make file names that break the scripts and terminals that list
 * them.  The kernel cuts a comm at 15 bytes, possibly inside a character:
 * such a comm is refused by every route alike.
 */
bool sc_comm_ok(const char *comm)
{
	const unsigned char *u = (const unsigned char *)comm;
	size_t n = strlen(comm), i, len;

	if (!n || n > 15 || !strcmp(comm, ".") || !strcmp(comm, ".."))
		return false;
	for (i = 0; i < n; i += len) {
		if (u[i] == '/' || u[i] < 0x20 || u[i] == 0x7f)
			return false;
		len = sc_utf8_seq(u + i, n - i);
		if (!len)
			return false;
	}
	return true;
}

int sc_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}
