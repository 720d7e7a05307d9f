/*
 * util.c - strings, IPv6 text forms, a growable text buffer for
 * command output, and a write-all helper.
 */
#include "lib/lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
lib_sched_realtime(void)
{
	struct sched_param sp;

	memset(&sp, 0, sizeof(sp));
	sp.sched_priority = sched_get_priority_min(SCHED_RR);
	if (sp.sched_priority < 0 || sched_setscheduler(0, SCHED_RR, &sp) < 0)
		return -errno;
	return 0;
}

size_t
lib_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
lib_ip6_parse(const char *s, uint8_t out[16])
{
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -EINVAL;
}

const char *
lib_ip6_str(const uint8_t a[16], char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len))
		lib_strlcpy(buf, "?", len);
	return buf;
}

static void
sbuf_grow(struct lib_sbuf *b, size_t need)
{
	size_t cap;
	char *n;

	if (b->oom || b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	n = realloc(b->s, cap);
	if (!n) {
		b->oom = 1;
		return;
	}
	b->s = n;
	b->cap = cap;
}

void
lib_sbuf_printf(struct lib_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
lib_sbuf_add(struct lib_sbuf *b, const void *data, size_t len)
{
	sbuf_grow(b, len);
	if (b->oom)
		return;
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
lib_sbuf_free(struct lib_sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

int
lib_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Levenshtein distance of two short words (99 when one is over 30 chars). */
static int
edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;
	int d[32][32];

	if (la > 30 || lb > 30)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

const char *
lib_closest_word(const char *w, const char *const *words, size_t n)
{
	const char *best = NULL;
	int bd = 3;
	size_t i;

	for (i = 0; i < n; i++) {
		int dd = edit_distance(w, words[i]);
		if (dd < bd) {
			bd = dd;
			best = words[i];
		}
	}
	return best;
}

const char *
lib_word_list(char *buf, size_t len, const char *const *words, size_t n)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		strncat(buf, words[i], len - strlen(buf) - 1);
		if (i + 1 < n)
			strncat(buf, i + 2 == n ? " or " : ", ", len - strlen(buf) - 1);
	}
	return buf;
}
