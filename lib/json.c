/*
 * json.c - JSON through jansson for every program: the result objects of the
 * operator displays (built once, written as JSON or rendered as text), and a
 * strict reader of JSON answers.
 *
 * Integers are jansson's json_int_t (64 bits), so counters above 2^53 keep
 * every digit both ways.  Strings that come from outside (interface names,
 * names heard on the coupling bus, file paths) may hold bytes that are not
 * UTF-8; lib_json_str replaces those bytes so that a display never fails
 * because of one odd name.
 */
#include "lib/lib.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (1..4), 0 when it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned c = s[0];
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *
lib_json_str(const char *s)
{
	size_t len, i, n;
	char *copy;
	json_t *v;

	if (!s)
		s = "";
	len = strlen(s);
	v = json_stringn(s, len);
	if (v)
		return v;
	/* Not UTF-8: every byte of a bad sequence becomes '?'. */
	if (!(copy = malloc(len + 1)))
		return NULL;
	for (i = 0; i < len; i += n) {
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n == 0) {
			copy[i] = '?';
			n = 1;
		} else {
			memcpy(copy + i, s + i, n);
		}
	}
	copy[len] = '\0';
	v = json_stringn(copy, len);
	free(copy);
	return v;
}

json_t *
lib_json_str_or_null(const char *s)
{
	return s && s[0] ? lib_json_str(s) : json_null();
}

const char *
lib_json_gets(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

long long
lib_json_geti(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return dflt;
}

int
lib_json_getb(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

int
lib_json_dump(struct lib_sbuf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s) {
		b->oom = 1;
		return -1;
	}
	lib_sbuf_printf(b, "%s\n", s);
	free(s);
	return b->oom ? -1 : 0;
}

/* The offset where nesting goes deeper than LIB_JSON_DEPTH, or -1 (strings
 * are skipped, so brackets inside them do not count). */
static long
too_deep(const char *s, size_t len)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > LIB_JSON_DEPTH)
				return (long)i;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return -1;
}

json_t *
lib_json_parse(const char *s, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	long deep = too_deep(s, len);
	json_t *v;

	if (deep >= 0) {
		if (err && errlen)
			snprintf(err, errlen, "offset %ld: nesting deeper than %d", deep,
				 LIB_JSON_DEPTH);
		return NULL;
	}
	v = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!v && err && errlen) {
		char *p;

		snprintf(err, errlen, "offset %d: %s", je.position, je.text);
		/* jansson quotes the text near the error, control characters
		 * and all: the message stays one printable line. */
		for (p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return v;
}
