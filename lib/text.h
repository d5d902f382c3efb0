/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names and paths that come from a traced program (a comm, an exec'd
 * path) are any bytes: the rules for putting them in a file name, a JSON
 * string or a text line (docs/design.md section 6, "Names, paths and
 * delivery"); and numbers given on a command line.
 */
#ifndef SC_TEXT_H
#define SC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* the length of the valid UTF-8 sequence at s (at most n bytes), 0 if the
 * byte at s does not start one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) */
size_t sc_utf8_seq(const unsigned char *s, size_t n);
/* s (n bytes, or up to a NUL) with each byte that is not part of a valid
 * sequence replaced by U+FFFD; out holds 3n + 1 */
void sc_utf8_clean(const char *s, size_t n, char *out, size_t outlen);
/* s (n bytes, or up to a NUL) with every byte outside printable ASCII,
 * space and backslash included, escaped: \\, \n, \t, \r, else \xHH; out
 * holds 4n + 1 */
void sc_text_escape(const char *s, size_t n, char *out, size_t outlen);

/* the one rule for a comm that names a profile file (DIR/<comm>.json) and
 * a JSON string: 1 to 15 bytes, not "." or "..", no '/', no control
 * character, valid UTF-8 */
bool sc_comm_ok(const char *comm);

/* s as a number in lo..hi, the whole string (strtod's syntax), for a
 * command-line option; -1 when it is not one */
int sc_parse_double(const char *s, double lo, double hi, double *out);

#endif
