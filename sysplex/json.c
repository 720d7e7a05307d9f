/*
 * json.c - a small strict JSON parser (RFC 8259) and writer for the launcher:
 * `sysplex run` turns every stack's JSON answer into a Lua table with it, and
 * the launcher's own displays (D MIP6,BINDINGS) merge the client agents'
 * answers with it.
 *
 * Strict means: exactly one value, surrounded only by JSON whitespace; no
 * comments, no trailing commas, no single quotes, no leading zeros, no
 * "+1", ".5" or "1."; control characters inside strings are errors; escapes
 * are the nine of the RFC, and \uXXXX must form valid UTF-16 (surrogate
 * pairs joined, lone surrogates rejected); raw bytes must be valid UTF-8;
 * nesting is limited to PLEX_JSON_DEPTH.  Errors name the byte offset:
 * "offset 17: expected ',' or '}' in an object".
 *
 * Numbers keep both forms: `num` (double) and, when the text is an integer
 * that fits, `i` with is_int = 1, so counters above 2^53 survive.
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t errlen;
};

static void jerr(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
jerr(struct jp *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen || p->err[0])
		return;
	n = snprintf(p->err, p->errlen, "offset %zu: ", p->pos);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
skip_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static struct plex_json *
jnew(enum plex_json_type t)
{
	struct plex_json *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

void
plex_json_free(struct plex_json **vp)
{
	struct plex_json *v = vp ? *vp : NULL;
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		plex_json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
	*vp = NULL;
}

/* Appends one item (and key, for objects) to a container; -1 on ENOMEM. */
static int
jpush(struct plex_json *c, char *key, struct plex_json *item)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 8;
		struct plex_json **ni = realloc(c->items, nc * sizeof(*ni));

		if (!ni)
			return -1;
		c->items = ni;
		if (c->type == PLEX_JSON_OBJECT) {
			char **nk = realloc(c->keys, nc * sizeof(*nk));

			if (!nk)
				return -1;
			c->keys = nk;
		}
		c->cap = nc;
	}
	if (c->type == PLEX_JSON_OBJECT)
		c->keys[c->n] = key;
	c->items[c->n++] = item;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (p->pos + 4 > p->len) {
		jerr(p, "truncated \\u escape");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		int h = hexval(p->s[p->pos + (size_t)i]);

		if (h < 0) {
			jerr(p, "bad \\u escape: expected 4 hex digits");
			return -1;
		}
		v = v * 16 + (unsigned)h;
	}
	p->pos += 4;
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned cp;
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
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static void
put_utf8(struct lib_sbuf *b, unsigned cp)
{
	if (cp < 0x80)
		lib_sbuf_printf(b, "%c", (int)cp);
	else if (cp < 0x800)
		lib_sbuf_printf(b, "%c%c", (int)(0xc0 | (cp >> 6)), (int)(0x80 | (cp & 0x3f)));
	else if (cp < 0x10000)
		lib_sbuf_printf(b, "%c%c%c", (int)(0xe0 | (cp >> 12)),
				(int)(0x80 | ((cp >> 6) & 0x3f)), (int)(0x80 | (cp & 0x3f)));
	else
		lib_sbuf_printf(b, "%c%c%c%c", (int)(0xf0 | (cp >> 18)),
				(int)(0x80 | ((cp >> 12) & 0x3f)), (int)(0x80 | ((cp >> 6) & 0x3f)),
				(int)(0x80 | (cp & 0x3f)));
}

/* Parses a string at p->pos (the opening quote); returns a malloc'd
 * NUL-terminated copy (embedded NULs from \u0000 kept, length in *lenp). */
static char *
parse_string(struct jp *p, size_t *lenp)
{
	struct lib_sbuf b = { 0 };

	p->pos++;	/* the quote */
	lib_sbuf_printf(&b, "%s", "");
	for (;;) {
		const unsigned char *c = (const unsigned char *)p->s + p->pos;
		size_t start = p->pos, l;

		if (p->pos >= p->len) {
			jerr(p, "unterminated string");
			goto bad;
		}
		if (*c == '"') {
			p->pos++;
			break;
		}
		if (*c < 0x20) {
			jerr(p, "control character 0x%02x inside a string", *c);
			goto bad;
		}
		if (*c == '\\') {
			char e;
			unsigned cp, lo;

			if (p->pos + 1 >= p->len) {
				jerr(p, "unterminated string");
				goto bad;
			}
			e = p->s[p->pos + 1];
			p->pos += 2;
			switch (e) {
			case '"': lib_sbuf_printf(&b, "\""); break;
			case '\\': lib_sbuf_printf(&b, "\\"); break;
			case '/': lib_sbuf_printf(&b, "/"); break;
			case 'b': lib_sbuf_printf(&b, "\b"); break;
			case 'f': lib_sbuf_printf(&b, "\f"); break;
			case 'n': lib_sbuf_printf(&b, "\n"); break;
			case 'r': lib_sbuf_printf(&b, "\r"); break;
			case 't': lib_sbuf_printf(&b, "\t"); break;
			case 'u':
				if (hex4(p, &cp) < 0)
					goto bad;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					jerr(p, "lone low surrogate \\u%04x", cp);
					goto bad;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->pos + 2 > p->len || p->s[p->pos] != '\\' ||
					    p->s[p->pos + 1] != 'u') {
						jerr(p, "high surrogate \\u%04x without a low one", cp);
						goto bad;
					}
					p->pos += 2;
					if (hex4(p, &lo) < 0)
						goto bad;
					if (lo < 0xdc00 || lo > 0xdfff) {
						jerr(p, "high surrogate followed by \\u%04x", lo);
						goto bad;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0) {
					/* Keep a real NUL byte: sbuf printf cannot. */
					lib_sbuf_printf(&b, "%c", 1);
					if (b.s)
						b.s[b.len - 1] = '\0';
				} else {
					put_utf8(&b, cp);
				}
				break;
			default:
				p->pos--;
				jerr(p, "bad escape '\\%c'", e);
				goto bad;
			}
			continue;
		}
		l = utf8_len(c, p->len - p->pos);
		if (!l) {
			jerr(p, "invalid UTF-8 inside a string");
			goto bad;
		}
		/* Copy the run of plain characters in one go. */
		p->pos += l;
		while (p->pos < p->len) {
			const unsigned char *d = (const unsigned char *)p->s + p->pos;

			if (*d == '"' || *d == '\\' || *d < 0x20)
				break;
			l = utf8_len(d, p->len - p->pos);
			if (!l)
				break;
			p->pos += l;
		}
		lib_sbuf_printf(&b, "%.*s", (int)(p->pos - start), p->s + start);
	}
	if (b.oom) {
		jerr(p, "out of memory");
		goto bad;
	}
	*lenp = b.len;
	return b.s;
bad:
	lib_sbuf_free(&b);
	return NULL;
}

static struct plex_json *parse_value(struct jp *p);

static struct plex_json *
parse_number(struct jp *p)
{
	size_t start = p->pos;
	const char *s = p->s;
	struct plex_json *v;
	char buf[64], *end;
	int frac = 0;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
		jerr(p, "bad number: expected a digit");
		return NULL;
	}
	if (s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9') {
			jerr(p, "bad number: leading zero");
			return NULL;
		}
	} else {
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && s[p->pos] == '.') {
		frac = 1;
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
			jerr(p, "bad number: expected a digit after '.'");
			return NULL;
		}
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		frac = 1;
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
			jerr(p, "bad number: expected a digit in the exponent");
			return NULL;
		}
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf)) {
		jerr(p, "number too long");
		return NULL;
	}
	memcpy(buf, s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	v = jnew(PLEX_JSON_NUMBER);
	if (!v) {
		jerr(p, "out of memory");
		return NULL;
	}
	v->num = strtod(buf, NULL);
	if (!frac) {
		errno = 0;
		v->i = strtoll(buf, &end, 10);
		v->is_int = errno == 0 && *end == '\0';
	}
	return v;
}

static int
literal(struct jp *p, const char *word)
{
	size_t l = strlen(word);

	if (p->len - p->pos >= l && memcmp(p->s + p->pos, word, l) == 0) {
		p->pos += l;
		return 1;
	}
	return 0;
}

static struct plex_json *
parse_container(struct jp *p, int object)
{
	struct plex_json *c = jnew(object ? PLEX_JSON_OBJECT : PLEX_JSON_ARRAY), *item;
	char close = object ? '}' : ']';

	if (!c) {
		jerr(p, "out of memory");
		return NULL;
	}
	if (++p->depth > PLEX_JSON_DEPTH) {
		jerr(p, "nested deeper than %d", PLEX_JSON_DEPTH);
		goto bad;
	}
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return c;
	}
	for (;;) {
		char *key = NULL;
		size_t klen;

		skip_ws(p);
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				jerr(p, "expected a string key in an object");
				goto bad;
			}
			key = parse_string(p, &klen);
			if (!key)
				goto bad;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				jerr(p, "expected ':' after an object key");
				goto bad;
			}
			p->pos++;
			skip_ws(p);
		}
		item = parse_value(p);
		if (!item || jpush(c, key, item) < 0) {
			if (item)
				jerr(p, "out of memory");
			free(key);
			plex_json_free(&item);
			goto bad;
		}
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == close) {
				jerr(p, "trailing ',' before '%c'", close);
				goto bad;
			}
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		jerr(p, "expected ',' or '%c' in %s", close, object ? "an object" : "an array");
		goto bad;
	}
	p->depth--;
	return c;
bad:
	plex_json_free(&c);
	return NULL;
}

static struct plex_json *
parse_value(struct jp *p)
{
	struct plex_json *v;
	char c;

	skip_ws(p);
	if (p->pos >= p->len) {
		jerr(p, "unexpected end of input: expected a value");
		return NULL;
	}
	c = p->s[p->pos];
	if (c == '{' || c == '[')
		return parse_container(p, c == '{');
	if (c == '"') {
		v = jnew(PLEX_JSON_STRING);
		if (!v) {
			jerr(p, "out of memory");
			return NULL;
		}
		v->str = parse_string(p, &v->len);
		if (!v->str)
			plex_json_free(&v);
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p);
	if (literal(p, "true"))
		return jnew(PLEX_JSON_TRUE);
	if (literal(p, "false"))
		return jnew(PLEX_JSON_FALSE);
	if (literal(p, "null"))
		return jnew(PLEX_JSON_NULL);
	jerr(p, "unexpected character '%c': expected a JSON value", c);
	return NULL;
}

struct plex_json *
plex_json_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct jp p = { .s = s, .len = len, .err = err, .errlen = errlen };
	struct plex_json *v;

	if (err && errlen)
		err[0] = '\0';
	v = parse_value(&p);
	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		jerr(&p, "unexpected data after the JSON value");
		plex_json_free(&v);
		return NULL;
	}
	return v;
}

const struct plex_json *
plex_json_get(const struct plex_json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != PLEX_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *
plex_json_str(const struct plex_json *obj, const char *key, const char *dflt)
{
	const struct plex_json *v = plex_json_get(obj, key);

	return v && v->type == PLEX_JSON_STRING ? v->str : dflt;
}

long long
plex_json_int(const struct plex_json *obj, const char *key, long long dflt)
{
	const struct plex_json *v = plex_json_get(obj, key);

	if (!v || v->type != PLEX_JSON_NUMBER)
		return dflt;
	return v->is_int ? v->i : (long long)v->num;
}

void
plex_json_write(const struct plex_json *v, struct lib_sbuf *b)
{
	size_t i;

	if (!v) {
		lib_sbuf_printf(b, "null");
		return;
	}
	switch (v->type) {
	case PLEX_JSON_NULL: lib_sbuf_printf(b, "null"); break;
	case PLEX_JSON_TRUE: lib_sbuf_printf(b, "true"); break;
	case PLEX_JSON_FALSE: lib_sbuf_printf(b, "false"); break;
	case PLEX_JSON_NUMBER:
		if (v->is_int)
			lib_sbuf_printf(b, "%lld", v->i);
		else if (isfinite(v->num))
			lib_sbuf_printf(b, "%.17g", v->num);
		else
			lib_sbuf_printf(b, "null");
		break;
	case PLEX_JSON_STRING: lib_sbuf_json_strn(b, v->str, v->len); break;
	case PLEX_JSON_ARRAY:
	case PLEX_JSON_OBJECT:
		lib_sbuf_printf(b, v->type == PLEX_JSON_ARRAY ? "[" : "{");
		for (i = 0; i < v->n; i++) {
			if (i)
				lib_sbuf_printf(b, ",");
			if (v->type == PLEX_JSON_OBJECT) {
				lib_sbuf_json_strn(b, v->keys[i], strlen(v->keys[i]));
				lib_sbuf_printf(b, ":");
			}
			plex_json_write(v->items[i], b);
		}
		lib_sbuf_printf(b, v->type == PLEX_JSON_ARRAY ? "]" : "}");
		break;
	}
}
