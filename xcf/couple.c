/*
 * couple.c - the couple config: parsing the file that lists the systems of
 * the sysplex, their SFM weights and the couple data set (syntax in xcf.h),
 * and deriving each member's endpoints.
 *
 * Contract: xcf_couple_parse_buf() fills *c completely or returns -EINVAL
 * with one line "FILE:LINE: what" in err; nothing here touches ZeroMQ.
 * Keywords are case-insensitive; names (sysplex, group, system, TCP) are
 * 1-8 characters of A-Z a-z 0-9 @ # $ as on z/OS.  Duplicate systems, member
 * names, endpoints or keys, unknown statements and extra words are errors.
 * A KEY is checked to be a CURVE public key in Z85 (decoded here, without
 * ZeroMQ, so the parser stays pure and can be fuzzed on its own).
 */
#include "xcf/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define COUPLE_MAX_FILE (1 << 20)
#define COUPLE_MAX_LINE 512
#define COUPLE_MAX_WORDS 12
#define XCF_DEFAULT_GROUP "EZBTCPCS"
#define XCF_DEFAULT_HB_MS 50
#define XCF_DEFAULT_FAIL_MS 250
#define XCF_DEFAULT_LEASE_MS 400

static int
couple_err(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
couple_err(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen > 0) {
		n = snprintf(err, errlen, "%s:%d: ", name, line);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* A z/OS style name: 1-8 characters of A-Z a-z 0-9 @ # $. */
static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 8)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '@' || ch == '#' || ch == '$'))
			return 0;
	}
	return 1;
}

/* Parses a decimal number in [min, max]; 0 or -EINVAL. */
static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int
xcf_endpoints(const char *base, char *rtr, size_t rlen, char *pub, size_t plen)
{
	const char *hostport, *colon;
	unsigned port;
	int n;

	if (strncmp(base, "ipc://", 6) == 0) {
		if (base[6] == '\0')
			return -EINVAL;
		n = snprintf(rtr, rlen, "%s.rtr", base);
		if (n < 0 || (size_t)n >= rlen)
			return -ENAMETOOLONG;
		n = snprintf(pub, plen, "%s.pub", base);
		if (n < 0 || (size_t)n >= plen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (strncmp(base, "tcp://", 6) == 0) {
		hostport = base + 6;
		colon = strrchr(hostport, ':');
		if (!colon || colon == hostport)
			return -EINVAL;
		/* An IPv6 literal must be bracketed: tcp://[fd00::1]:7000. */
		if (memchr(hostport, ':', (size_t)(colon - hostport)) &&
		    (hostport[0] != '[' || colon[-1] != ']'))
			return -EINVAL;
		if (parse_uint(colon + 1, 1, 65534, &port) < 0)
			return -EINVAL;
		n = snprintf(rtr, rlen, "%s", base);
		if (n < 0 || (size_t)n >= rlen)
			return -ENAMETOOLONG;
		n = snprintf(pub, plen, "tcp://%.*s:%u", (int)(colon - hostport), hostport,
			     port + 1);
		if (n < 0 || (size_t)n >= plen)
			return -ENAMETOOLONG;
		return 0;
	}
	return -EINVAL;
}

/* Splits line (modified in place) into at most max words; -1 on too many. */
static int
split_words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Z85 (ZeroMQ RFC 32): 5 characters per 4 bytes, big-endian base 85. */
static const char z85_chars[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int
xcf_key_decode(const char *z85, uint8_t out[32])
{
	size_t i, k;

	if (strnlen(z85, XCF_KEY_LEN + 1) != XCF_KEY_LEN)
		return -EINVAL;
	for (i = 0; i < XCF_KEY_LEN; i += 5) {
		uint64_t v = 0;

		for (k = 0; k < 5; k++) {
			const char *c = z85[i + k] ? strchr(z85_chars, z85[i + k]) : NULL;

			if (!c)
				return -EINVAL;
			v = v * 85 + (uint64_t)(c - z85_chars);
		}
		if (v > 0xffffffffu)
			return -EINVAL;
		out[i / 5 * 4] = (uint8_t)(v >> 24);
		out[i / 5 * 4 + 1] = (uint8_t)(v >> 16);
		out[i / 5 * 4 + 2] = (uint8_t)(v >> 8);
		out[i / 5 * 4 + 3] = (uint8_t)v;
	}
	return 0;
}

static int
parse_member(struct xcf_couple *c, char **w, int nw, const char *name, int lineno, char *err,
	      size_t errlen)
{
	struct xcf_couple_member *m;
	char rtr[XCF_EP_LEN + 8], pub[XCF_EP_LEN + 8];
	uint8_t raw[32];
	int i, rc;

	if (nw < 4 || nw % 2 != 0)
		return couple_err(err, errlen, name, lineno,
				  "MEMBER: expected MEMBER SYSNAME TCPNAME ENDPOINT [WEIGHT n] "
				  "[CAPACITY n] [LOAD pct] [KEY k]");
	if (!valid_name(w[1]))
		return couple_err(err, errlen, name, lineno,
				  "MEMBER: system name '%s' is not 1-8 of A-Z 0-9 @#$", w[1]);
	if (!valid_name(w[2]))
		return couple_err(err, errlen, name, lineno,
				  "MEMBER: TCP name '%s' is not 1-8 of A-Z 0-9 @#$", w[2]);
	if (strlen(w[3]) >= XCF_EP_LEN)
		return couple_err(err, errlen, name, lineno, "MEMBER: endpoint too long");
	rc = xcf_endpoints(w[3], rtr, sizeof(rtr), pub, sizeof(pub));
	if (rc < 0)
		return couple_err(err, errlen, name, lineno,
				  "MEMBER: endpoint '%s' is not ipc://PATH or tcp://HOST:PORT "
				  "(PORT 1-65534)", w[3]);
	if (c->n == XCF_MAX_MEMBERS)
		return couple_err(err, errlen, name, lineno, "MEMBER: more than %d members",
				  XCF_MAX_MEMBERS);
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->m[i].sysname, w[1]) == 0)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: system %s listed twice", w[1]);
		if (strcmp(c->m[i].endpoint, w[3]) == 0)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: endpoint %s used twice", w[3]);
	}
	m = &c->m[c->n];
	memset(m, 0, sizeof(*m));
	m->weight = 1;
	m->capacity = XCF_CAPACITY_DEFAULT;
	for (i = 4; i < nw; i += 2) {
		static const struct { const char *kw; unsigned lo, hi; size_t off; } kws[] = {
			{ "WEIGHT", 1, XCF_WEIGHT_MAX, offsetof(struct xcf_couple_member, weight) },
			{ "CAPACITY", 0, XCF_CAPACITY_MAX, offsetof(struct xcf_couple_member, capacity) },
			{ "LOAD", 0, 100, offsetof(struct xcf_couple_member, load) },
		};
		const size_t nkw = sizeof(kws) / sizeof(kws[0]);
		unsigned v = 0;
		size_t k;

		if (strcasecmp(w[i], "KEY") == 0) {
			if (m->seen & (1u << nkw))
				return couple_err(err, errlen, name, lineno, "MEMBER: KEY given twice");
			m->seen |= 1u << nkw;
			if (xcf_key_decode(w[i + 1], raw) < 0)
				return couple_err(err, errlen, name, lineno,
						  "MEMBER: KEY '%.60s' is not a CURVE public key "
						  "(%d Z85 characters)", w[i + 1], XCF_KEY_LEN);
			lib_strlcpy(m->key, w[i + 1], sizeof(m->key));
			continue;
		}
		for (k = 0; k < nkw; k++)
			if (strcasecmp(w[i], kws[k].kw) == 0)
				break;
		if (k == nkw)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: unknown keyword '%s': expected WEIGHT n, CAPACITY n, "
					  "LOAD pct or KEY k",
					  w[i]);
		if (m->seen & (1u << k))
			return couple_err(err, errlen, name, lineno, "MEMBER: %s given twice",
					  kws[k].kw);
		m->seen |= 1u << k;
		if (parse_uint(w[i + 1], kws[k].lo, kws[k].hi, &v) < 0)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: %s '%s' is not a number %u-%u", kws[k].kw, w[i + 1],
					  kws[k].lo, kws[k].hi);
		*(unsigned *)((char *)m + kws[k].off) = v;
	}
	lib_strlcpy(m->sysname, w[1], sizeof(m->sysname));
	lib_strlcpy(m->tcpname, w[2], sizeof(m->tcpname));
	snprintf(m->member, sizeof(m->member), "%s%s", w[1], w[2]);
	lib_strlcpy(m->endpoint, w[3], sizeof(m->endpoint));
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->m[i].member, m->member) == 0)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: member name %s listed twice", m->member);
		if (m->key[0] && strcmp(c->m[i].key, m->key) == 0)
			return couple_err(err, errlen, name, lineno,
					  "MEMBER: KEY of %s is the KEY of %s: one key pair per member",
					  m->sysname, c->m[i].sysname);
	}
	c->n++;
	return 0;
}

/* What has been seen so far, for duplicate and end-of-file checks. */
struct couple_seen {
	int sysplex, group, cds;
	int interval;		/* 1 = INTERVAL, 2 = FAILURE */
	int interval_line;	/* last line giving either */
};

static int
parse_line(struct xcf_couple *c, char *line, const char *name, int lineno,
	   struct couple_seen *seen, char *err, size_t errlen)
{
	char *w[COUPLE_MAX_WORDS];
	char *semi;
	int nw, i;

	if ((semi = strchr(line, ';')) != NULL)
		*semi = '\0';
	nw = split_words(line, w, COUPLE_MAX_WORDS);
	if (nw < 0)
		return couple_err(err, errlen, name, lineno, "too many words");
	if (nw == 0)
		return 0;
	if (strcasecmp(w[0], "SYSPLEX") == 0) {
		if (nw != 2)
			return couple_err(err, errlen, name, lineno, "SYSPLEX: expected SYSPLEX NAME");
		if (seen->sysplex)
			return couple_err(err, errlen, name, lineno, "SYSPLEX given twice");
		if (!valid_name(w[1]))
			return couple_err(err, errlen, name, lineno,
					  "SYSPLEX: name '%s' is not 1-8 of A-Z 0-9 @#$", w[1]);
		lib_strlcpy(c->sysplex, w[1], sizeof(c->sysplex));
		seen->sysplex = lineno;
		return 0;
	}
	if (strcasecmp(w[0], "GROUP") == 0) {
		if (nw != 2)
			return couple_err(err, errlen, name, lineno, "GROUP: expected GROUP NAME");
		if (seen->group)
			return couple_err(err, errlen, name, lineno, "GROUP given twice");
		if (!valid_name(w[1]))
			return couple_err(err, errlen, name, lineno,
					  "GROUP: name '%s' is not 1-8 of A-Z 0-9 @#$", w[1]);
		lib_strlcpy(c->group, w[1], sizeof(c->group));
		seen->group = 1;
		return 0;
	}
	if (strcasecmp(w[0], "INTERVAL") == 0 || strcasecmp(w[0], "FAILURE") == 0) {
		/* INTERVAL N [FAILURE M] or FAILURE M [INTERVAL N], at most once each. */
		if (nw != 2 && nw != 4)
			return couple_err(err, errlen, name, lineno,
					  "expected INTERVAL MS FAILURE MS");
		for (i = 0; i < nw; i += 2) {
			unsigned v;
			int is_hb = strcasecmp(w[i], "INTERVAL") == 0;

			if (!is_hb && strcasecmp(w[i], "FAILURE") != 0)
				return couple_err(err, errlen, name, lineno,
						  "expected INTERVAL MS FAILURE MS, not '%s'", w[i]);
			if (parse_uint(w[i + 1], 1, 3600000, &v) < 0)
				return couple_err(err, errlen, name, lineno,
						  "%s: '%s' is not a number of ms (1-3600000)",
						  is_hb ? "INTERVAL" : "FAILURE", w[i + 1]);
			if (seen->interval & (is_hb ? 1 : 2))
				return couple_err(err, errlen, name, lineno, "%s given twice",
						  is_hb ? "INTERVAL" : "FAILURE");
			seen->interval |= is_hb ? 1 : 2;
			if (is_hb)
				c->hb_ms = v;
			else
				c->fail_ms = v;
		}
		seen->interval_line = lineno;
		return 0;
	}
	if (strcasecmp(w[0], "CDS") == 0) {
		int lease = 0, key = 0;

		if (nw < 2 || nw % 2 != 0)
			return couple_err(err, errlen, name, lineno,
					  "CDS: expected CDS PATH [LEASE ms] or CDS tcp://ADDR:PORT "
					  "KEY k [LEASE ms]");
		for (i = 2; i < nw; i += 2) {
			if (strcasecmp(w[i], "LEASE") == 0 && !lease) {
				lease = i + 1;
			} else if (strcasecmp(w[i], "KEY") == 0 && !key) {
				key = i + 1;
			} else {
				return couple_err(err, errlen, name, lineno,
						  "CDS: '%s': expected LEASE ms or KEY k, once each",
						  w[i]);
			}
		}
		if (seen->cds)
			return couple_err(err, errlen, name, lineno, "CDS given twice");
		if (xcf_cds_is_remote(w[1])) {
			struct sockaddr_storage ss;
			socklen_t sl;

			if (strlen(w[1]) >= sizeof(c->cds) || xcf_cds_addr(w[1], &ss, &sl) < 0)
				return couple_err(err, errlen, name, lineno,
						  "CDS: '%s' is not tcp://ADDR:PORT (numeric, "
						  "an IPv6 address in brackets)", w[1]);
		} else if (w[1][0] != '/' || strlen(w[1]) >= sizeof(c->cds))
			return couple_err(err, errlen, name, lineno,
					  "CDS: '%s' is neither an absolute path shorter than %zu "
					  "bytes nor tcp://ADDR:PORT", w[1], sizeof(c->cds));
		if (lease && parse_uint(w[lease], 1, 600000, &c->lease_ms) < 0)
			return couple_err(err, errlen, name, lineno,
					  "CDS: LEASE '%s' is not a number of ms (1-600000)", w[lease]);
		if (key && !xcf_cds_is_remote(w[1]))
			return couple_err(err, errlen, name, lineno,
					  "CDS: KEY is the key of a CDS server (tcp://ADDR:PORT), "
					  "not of a file");
		if (key) {
			uint8_t raw[32];

			if (xcf_key_decode(w[key], raw) < 0)
				return couple_err(err, errlen, name, lineno,
						  "CDS: KEY '%.60s' is not a CURVE public key (%d Z85 "
						  "characters)", w[key], XCF_KEY_LEN);
			lib_strlcpy(c->cds_key, w[key], sizeof(c->cds_key));
		}
		lib_strlcpy(c->cds, w[1], sizeof(c->cds));
		seen->cds = lineno;
		return 0;
	}
	if (strcasecmp(w[0], "MEMBER") == 0)
		return parse_member(c, w, nw, name, lineno, err, errlen);
	return couple_err(err, errlen, name, lineno, "unknown statement '%s'", w[0]);
}

int
xcf_couple_parse_buf(struct xcf_couple *c, const char *name, const char *buf, size_t len,
		     char *err, size_t errlen)
{
	char line[COUPLE_MAX_LINE];
	size_t off = 0, n;
	struct couple_seen seen;
	int lineno = 0, rc;

	memset(c, 0, sizeof(*c));
	memset(&seen, 0, sizeof(seen));
	lib_strlcpy(c->group, XCF_DEFAULT_GROUP, sizeof(c->group));
	c->hb_ms = XCF_DEFAULT_HB_MS;
	c->fail_ms = XCF_DEFAULT_FAIL_MS;
	c->lease_ms = XCF_DEFAULT_LEASE_MS;
	if (err && errlen)
		err[0] = '\0';
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);

		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		lineno++;
		if (n >= sizeof(line))
			return couple_err(err, errlen, name, lineno, "line longer than %d bytes",
					  COUPLE_MAX_LINE - 1);
		memcpy(line, buf + off, n);
		line[n] = '\0';
		off += n + (nl ? 1 : 0);
		if (strlen(line) != n)
			return couple_err(err, errlen, name, lineno, "NUL byte in line");
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		for (size_t i = 0; line[i]; i++)
			if (line[i] == '\r' || line[i] == '\v' || line[i] == '\f')
				line[i] = ' ';
		rc = parse_line(c, line, name, lineno, &seen, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (c->fail_ms <= c->hb_ms)
		return couple_err(err, errlen, name, seen.interval_line,
				  "FAILURE (%u ms) must be longer than INTERVAL (%u ms)", c->fail_ms,
				  c->hb_ms);
	if (seen.cds && c->lease_ms < 4 * c->hb_ms)
		return couple_err(err, errlen, name, seen.cds,
				  "CDS: LEASE (%u ms) must be at least 4 x INTERVAL (%u ms)",
				  c->lease_ms, 4 * c->hb_ms);
	if (!seen.sysplex)
		return couple_err(err, errlen, name, lineno, "no SYSPLEX statement");
	if (c->n == 0)
		return couple_err(err, errlen, name, lineno, "no MEMBER statement");
	return 0;
}

int
xcf_couple_parse(struct xcf_couple *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return couple_err(err, errlen, path, 0, "%s", strerror(errno));
	buf = malloc(COUPLE_MAX_FILE);
	if (!buf) {
		close(fd);
		return couple_err(err, errlen, path, 0, "out of memory");
	}
	while (len < COUPLE_MAX_FILE) {
		r = read(fd, buf + len, COUPLE_MAX_FILE - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = couple_err(err, errlen, path, 0, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == COUPLE_MAX_FILE) {
		rc = couple_err(err, errlen, path, 0, "larger than %d bytes", COUPLE_MAX_FILE - 1);
		goto out;
	}
	rc = xcf_couple_parse_buf(c, path, buf, len, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- the address of a CDS server (CDS tcp://ADDR:PORT; also --cds-server, cdsnet.c) ---- */

int
xcf_cds_is_remote(const char *cds)
{
	return strncmp(cds, "tcp://", 6) == 0;
}

/* "tcp://ADDR:PORT", "ADDR:PORT" or "[IPV6]:PORT", numeric only. */
int
xcf_cds_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port, *h = s;
	struct addrinfo hints, *ai = NULL;
	size_t hl;
	char *end;
	long pn;

	if (strncmp(h, "tcp://", 6) == 0)
		h += 6;
	if (*h == '[') {
		const char *close = strchr(h, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - h - 1);
		h++;
		port = close + 2;
	} else {
		const char *colon = strrchr(h, ':');

		if (!colon || memchr(h, ':', (size_t)(colon - h)))
			return -EINVAL;		/* IPv6 needs brackets */
		hl = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	pn = strtol(port, &end, 10);
	if (!*port || *end || errno || pn < 1 || pn > 65535)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}
