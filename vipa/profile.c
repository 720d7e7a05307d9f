/*
 * profile.c - the z/OS TCP/IP PROFILE parser and printer.
 *
 * The emulator acts on IPCONFIG6 DYNAMICXCF and on the VIPADYNAMIC block
 * (VIPADEFINE, VIPABACKUP, VIPADISTRIBUTE); the other common PROFILE
 * statements are accepted and skipped so that a real profile can be pasted
 * in.  The grammar, as z/OS reads it:
 *
 *  - The input is a stream of blank-separated tokens.  `;` starts a comment
 *    that runs to the end of the line.  Keywords are case-insensitive and may
 *    be abbreviated as the z/OS syntax diagrams allow (VIPADEFine, MOVEable,
 *    IMMEDiate, DISTMethod, TIMEDAFFinity, WEIGHTEDActive...): a token matches
 *    a keyword when it is a prefix of it at least as long as its upper-case
 *    part in the tables below.
 *  - A statement runs from its keyword up to the next statement keyword, so a
 *    statement may continue over several lines.
 *  - VIPADEFINE [MOVEABLE IMMEDIATE|MOVEABLE WHENIDLE] intfname ipv6addr
 *    VIPABACKUP [rank] [MOVEABLE IMMEDIATE|MOVEABLE WHENIDLE] intfname ipv6addr
 *    VIPADISTRIBUTE [DEFINE] [DISTMETHOD ROUNDROBIN|WEIGHTEDACTIVE]
 *        [TIMEDAFFINITY secs] [MOBILEIPV6|NOMOBILEIPV6] intfname|ipv6addr
 *        PORT p... DESTIP ALL | DESTIP xcfaddr [WEIGHT n]...
 *    (the bracketed VIPADISTRIBUTE keywords in any order), only between
 *    VIPADYNAMIC and ENDVIPADYNAMIC.
 *  - IPCONFIG6 [DYNAMICXCF ipv6addr [INTFID x:x:x:x]] [MOBILEIPV6|NOMOBILEIPV6]
 *    [MIP6BINDLIFETIME secs] [other options, skipped].  NOMOBILEIPV6 (ours):
 *    this stack, as a target, does not take part in the Mobile IPv6 bypass.
 *    MIP6BINDLIFETIME (ours): the binding lifetime this stack asks for in its
 *    Binding Updates as a routing stack, 4..420 in steps of 4 (default 420).
 *  - MOBILEIPV6 is our extension: it enables the Mobile IPv6 route
 *    optimization (the bypass) for the DVIPA.  NOMOBILEIPV6 is the default.
 *
 * Where the emulator differs from z/OS: the default DISTMETHOD is ROUNDROBIN
 * (z/OS: BASEWLM, which we do not emulate), IPv4 is rejected, a DVIPA has at
 * most one VIPADISTRIBUTE, a VIPADISTRIBUTE must follow the VIPADEFINE or
 * VIPABACKUP of its DVIPA, and a VIPADYNAMIC block needs IPCONFIG6 DYNAMICXCF.
 *
 * Contract: no allocation; the first error stops parsing and is reported as
 * one line "FILE:LINE: STATEMENT: what is wrong", STATEMENT being the full
 * upper-case keyword of the statement being parsed (an unknown keyword is
 * named as written, upper-cased; "PROFILE" before the first statement and
 * when the file cannot be opened, with line 0).  The line is the offending
 * token's, or for something missing the line where the statement stopped.
 * A word at the start of a line after a complete statement is reported as
 * an unknown statement.  After an error the contents of the profile are
 * unspecified.  vipa_profile_print() writes a
 * profile that parses back into the same structure (apart from `path` and
 * the `line` fields).
 */
#include "vipa/vipa.h"

#include "lib/lib.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

/* The longest token we accept, plus its terminating NUL. */
#define TOK_MAX 64

enum stmt_kind {
	ST_VIPADYNAMIC,		/* opens the block */
	ST_ENDVIPADYNAMIC,	/* closes it */
	ST_VIPADEFINE,
	ST_VIPABACKUP,
	ST_VIPADISTRIBUTE,
	ST_BLOCK_UNSUPPORTED,	/* a real VIPADYNAMIC statement we do not emulate */
	ST_IPCONFIG6,
	ST_IGNORED,		/* accepted and skipped up to the next statement */
	ST_BEGINROUTES,		/* skipped up to ENDROUTES */
	ST_ENDROUTES,
	ST_UNSUPPORTED,		/* a real statement we refuse */
};

/*
 * Statement keywords.  The upper-case part of each is the shortest accepted
 * abbreviation.  Every token matching one of these ends the statement before
 * it, so none of them can be used as an interface name.
 */
static const struct stmt_def {
	const char *kw;
	enum stmt_kind kind;
} stmt_defs[] = {
	{ "VIPADynamic", ST_VIPADYNAMIC },
	{ "ENDVIPADynamic", ST_ENDVIPADYNAMIC },
	{ "VIPADEFine", ST_VIPADEFINE },
	{ "VIPABackup", ST_VIPABACKUP },
	{ "VIPADISTribute", ST_VIPADISTRIBUTE },
	{ "VIPADELete", ST_BLOCK_UNSUPPORTED },
	{ "VIPARange", ST_BLOCK_UNSUPPORTED },
	{ "VIPASMparms", ST_BLOCK_UNSUPPORTED },
	{ "VIPAROUTE", ST_BLOCK_UNSUPPORTED },
	{ "IPCONFIG6", ST_IPCONFIG6 },
	{ "TCPCONFIG", ST_IGNORED },
	{ "UDPCONFIG", ST_IGNORED },
	{ "IPCONFIG", ST_IGNORED },
	{ "PORT", ST_IGNORED },
	{ "PORTRANGE", ST_IGNORED },
	{ "AUTOLOG", ST_IGNORED },
	{ "SACONFIG", ST_IGNORED },
	{ "GLOBALCONFIG", ST_IGNORED },
	{ "INTERFACE", ST_IGNORED },
	{ "HOME", ST_IGNORED },
	{ "START", ST_IGNORED },
	{ "ITRACE", ST_IGNORED },
	{ "SOMAXCONN", ST_IGNORED },
	{ "DEVICE", ST_IGNORED },
	{ "LINK", ST_IGNORED },
	{ "BEGINROUTES", ST_BEGINROUTES },
	{ "ENDROUTES", ST_ENDROUTES },
	{ "INCLUDE", ST_UNSUPPORTED },
};

/*
 * Real z/OS options of VIPADEFINE, VIPABACKUP and VIPADISTRIBUTE that the
 * emulator does not implement; naming them gives a clearer error than
 * "unexpected".
 */
static const char *const unsupported_opts[] = {
	"TIER1", "TIER2", "CPCSCOPE", "SERVICEMGR", "SYSPLEXPORTS", "OPTLOCAL",
	"NOOPTLOCAL", "PROCTYPE", "PROCXCOST", "ILWEIGHTING", "ENCAP", "CONTROLPORT",
	"GRE", "DESTIPV6",
};

/* Parser state: the input, the one-token lookahead and where we are. */
struct parser {
	struct vipa_profile *p;
	const char *name;		/* file name used in messages */
	FILE *f;			/* input when reading a file, else NULL */
	const char *buf;		/* input when parsing a buffer */
	size_t len, pos;
	int line;			/* line of the next character to read */
	char tok[TOK_MAX];		/* current token, "" at the end of input */
	int tokline;			/* line of the current token */
	int prevline;			/* line of the token before it */
	char stmt[TOK_MAX];		/* upper-case keyword of the current statement */
	int in_block;			/* between VIPADYNAMIC and ENDVIPADYNAMIC */
	int block_line;			/* line of the open VIPADYNAMIC */
	int first_block_line;		/* line of the first VIPADYNAMIC, 0 if none */
	int dynxcf_line;		/* line of DYNAMICXCF, 0 if none */
	char *err;
	size_t errlen;
};

/* Formats the error line into ps->err and returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
perr(struct parser *ps, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "%s:%d: %s: %s", ps->name, line, ps->stmt, msg);
	return -EINVAL;
}

static void
upcase(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	if (size)
		dst[i] = '\0';
}

/*
 * True when tok is keyword kw or one of its accepted abbreviations: a prefix
 * of kw at least as long as kw's leading run of non-lower-case characters.
 */
static int
kw(const char *tok, const char *keyword)
{
	size_t tl = strlen(tok), kl = strlen(keyword), min = 0;

	while (min < kl && !islower((unsigned char)keyword[min]))
		min++;
	return tl >= min && tl <= kl && strncasecmp(tok, keyword, tl) == 0;
}

static const struct stmt_def *
stmt_lookup(const char *tok)
{
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(stmt_defs); i++)
		if (kw(tok, stmt_defs[i].kw))
			return &stmt_defs[i];
	return NULL;
}

static int
is_unsupported_opt(const char *tok)
{
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(unsupported_opts); i++)
		if (strcasecmp(tok, unsupported_opts[i]) == 0)
			return 1;
	return 0;
}

/* ---- lexer ------------------------------------------------------------------ */

static int
src_getc(struct parser *ps)
{
	if (ps->f)
		return getc(ps->f);
	if (ps->pos >= ps->len)
		return EOF;
	return (unsigned char)ps->buf[ps->pos++];
}

/* Reads the next token into ps->tok ("" at the end of the input). */
static int
next(struct parser *ps)
{
	size_t n = 0;
	int c;

	if (ps->tok[0])
		ps->prevline = ps->tokline;
	for (;;) {
		c = src_getc(ps);
		if (c == EOF)
			break;
		if (c == ';') {
			while ((c = src_getc(ps)) != EOF && c != '\n')
				;
			if (c == '\n')
				ps->line++;
			if (n)
				break;
			continue;
		}
		if (c == '\n') {
			ps->line++;
			if (n)
				break;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			if (n)
				break;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return perr(ps, ps->line, "invalid character 0x%02x", (unsigned)c);
		if (n == 0)
			ps->tokline = ps->line;
		if (n + 1 >= TOK_MAX)
			return perr(ps, ps->line, "token longer than %d characters", TOK_MAX - 1);
		ps->tok[n++] = (char)c;
	}
	if (c == EOF && ps->f && ferror(ps->f))
		return perr(ps, ps->line, "read error");
	ps->tok[n] = '\0';
	if (n == 0)
		ps->tokline = ps->line;
	return 0;
}

/* True when the current statement has no more tokens. */
static int
at_end(const struct parser *ps)
{
	return ps->tok[0] == '\0' || stmt_lookup(ps->tok) != NULL;
}

/* The line to blame for something missing: the current token's when it
 * belongs to the statement, else the line where the statement ended. */
static int
here(const struct parser *ps)
{
	return at_end(ps) ? ps->prevline : ps->tokline;
}

/* Checks that the current statement is complete. */
static int
stmt_end(struct parser *ps)
{
	char up[TOK_MAX];

	if (at_end(ps))
		return 0;
	upcase(up, ps->tok, sizeof(up));
	/* A word that starts a line after a complete statement is most likely a
	 * misspelt statement keyword. */
	if (ps->tokline > ps->prevline && isalpha((unsigned char)ps->tok[0]) &&
	    !is_unsupported_opt(ps->tok)) {
		lib_strlcpy(ps->stmt, up, sizeof(ps->stmt));
		return perr(ps, ps->tokline, "unknown statement");
	}
	if (is_unsupported_opt(ps->tok))
		return perr(ps, ps->tokline, "%s is not supported by this emulator", up);
	return perr(ps, ps->tokline, "unexpected '%s'", ps->tok);
}

/* ---- values ------------------------------------------------------------------- */

/* Parses a decimal number; values above 999999999 saturate.  -1 if not one. */
static long
number(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v < 1000000000L)
			v = v * 10 + (*s - '0');
	}
	return v;
}

static int
looks_ipv4(const char *tok)
{
	char a[TOK_MAX];
	struct in_addr in;

	lib_strlcpy(a, tok, sizeof(a));
	a[strcspn(a, "/")] = '\0';
	return inet_pton(AF_INET, a, &in) == 1;
}

/*
 * Parses the current token as a unicast IPv6 address that can serve as a
 * DVIPA, a DESTIP or a DYNAMICXCF address.
 */
static int
parse_ip6(struct parser *ps, uint8_t out[16], int dvipa)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[16];
	const char *t = ps->tok;

	if (looks_ipv4(t)) {
		if (dvipa)
			return perr(ps, ps->tokline, "IPv4 DVIPAs are not supported by this emulator");
		return perr(ps, ps->tokline, "IPv4 addresses are not supported by this emulator (%s)",
			    t);
	}
	if (strchr(t, '/'))
		return perr(ps, ps->tokline, "%s: prefix lengths are not supported by this emulator",
			    t);
	if (lib_ip6_parse(t, out) < 0)
		return perr(ps, ps->tokline, "'%s' is not a valid IPv6 address", t);
	if (memcmp(out, zero, 15) == 0 || out[0] == 0xff || (out[0] == 0xfe && (out[1] & 0xc0) == 0x80) ||
	    memcmp(out, v4mapped, 12) == 0)
		return perr(ps, ps->tokline, "%s is not a global or unique-local unicast address", t);
	return 0;
}

/* z/OS interface names: 1..16 characters, letters, digits and @ # $ _, not
 * starting with a digit or _. */
static int
check_ifname(struct parser *ps)
{
	const char *t = ps->tok;
	size_t i, l = strlen(t);

	if (l > VIPA_IFNAME_LEN)
		return perr(ps, ps->tokline, "interface name '%s' is longer than %d characters", t,
			    VIPA_IFNAME_LEN);
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)t[i];
		if (!(isalpha(c) || c == '@' || c == '#' || c == '$' ||
		      (i > 0 && (isdigit(c) || c == '_'))))
			return perr(ps, ps->tokline, "'%s' is not a valid interface name", t);
	}
	return 0;
}

/* INTFID x:x:x:x, four groups of one to four hex digits. */
static int
parse_intfid(const char *s, uint8_t out[8])
{
	int g, n;
	unsigned v;

	for (g = 0; g < 4; g++) {
		v = 0;
		for (n = 0; isxdigit((unsigned char)*s); n++, s++) {
			if (n == 4)
				return -1;
			v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ? *s - '0' :
						 tolower((unsigned char)*s) - 'a' + 10);
		}
		if (n == 0 || *s != (g < 3 ? ':' : '\0'))
			return -1;
		if (g < 3)
			s++;
		out[2 * g] = (uint8_t)(v >> 8);
		out[2 * g + 1] = (uint8_t)v;
	}
	return 0;
}

static const struct vipa_define *
find_define_addr(const struct vipa_profile *p, const uint8_t a[16])
{
	int i;

	for (i = 0; i < p->ndefine; i++)
		if (memcmp(p->define[i].addr, a, 16) == 0)
			return &p->define[i];
	return NULL;
}

static const struct vipa_define *
find_define_name(const struct vipa_profile *p, const char *ifname)
{
	int i;

	for (i = 0; i < p->ndefine; i++)
		if (strcmp(p->define[i].ifname, ifname) == 0)
			return &p->define[i];
	return NULL;
}

/* ---- statements ----------------------------------------------------------------- */

/* VIPADEFINE and VIPABACKUP; the keyword has been consumed. */
static int
parse_define(struct parser *ps, int backup, int line)
{
	struct vipa_profile *p = ps->p;
	const struct vipa_define *o;
	struct vipa_define *d;
	char up[TOK_MAX], a[INET6_ADDRSTRLEN];
	int rc, seen_move = 0, addrline;
	long v;

	if (p->ndefine >= VIPA_MAX_DVIPA)
		return perr(ps, line, "more than %d DVIPAs", VIPA_MAX_DVIPA);
	d = &p->define[p->ndefine];
	d->backup = backup;
	d->moveable = VIPA_MOVE_IMMEDIATE;
	d->line = line;
	if (backup) {
		/* The rank is optional (default 1), as in z/OS. */
		d->rank = 1;
		if (!at_end(ps) && isdigit((unsigned char)ps->tok[0])) {
			v = number(ps->tok);
			if (v < 0)
				return perr(ps, ps->tokline, "'%s' is not a valid rank", ps->tok);
			if (v < VIPA_MIN_RANK || v > VIPA_MAX_RANK)
				return perr(ps, ps->tokline, "rank %s out of range %d..%d", ps->tok,
					    VIPA_MIN_RANK, VIPA_MAX_RANK);
			d->rank = (uint8_t)v;
			if ((rc = next(ps)) < 0)
				return rc;
		}
	}
	for (;;) {
		if (at_end(ps))
			return perr(ps, here(ps), "interface name and IPv6 address expected");
		upcase(up, ps->tok, sizeof(up));
		if (kw(ps->tok, "MOVEable")) {
			if (seen_move)
				return perr(ps, ps->tokline, "MOVEABLE given twice");
			seen_move = 1;
			if ((rc = next(ps)) < 0)
				return rc;
			if (!at_end(ps) && kw(ps->tok, "IMMEDiate"))
				d->moveable = VIPA_MOVE_IMMEDIATE;
			else if (!at_end(ps) && kw(ps->tok, "WHENIDLE"))
				d->moveable = VIPA_MOVE_WHENIDLE;
			else
				return perr(ps, here(ps),
					    "MOVEABLE must be followed by IMMEDIATE or WHENIDLE");
		} else if (kw(ps->tok, "IMMEDiate") || kw(ps->tok, "WHENIDLE")) {
			return perr(ps, ps->tokline, "%s must follow MOVEABLE", up);
		} else if (is_unsupported_opt(ps->tok)) {
			return perr(ps, ps->tokline, "%s is not supported by this emulator", up);
		} else {
			break;
		}
		if ((rc = next(ps)) < 0)
			return rc;
	}

	/* The interface name. */
	if (looks_ipv4(ps->tok))
		return perr(ps, ps->tokline, "IPv4 DVIPAs are not supported by this emulator");
	if (strchr(ps->tok, ':'))
		return perr(ps, ps->tokline, "interface name expected before %s", ps->tok);
	if ((rc = check_ifname(ps)) < 0)
		return rc;
	upcase(d->ifname, ps->tok, sizeof(d->ifname));
	if ((rc = next(ps)) < 0)
		return rc;

	/* The address. */
	if (at_end(ps))
		return perr(ps, here(ps), "IPv6 address expected after %s", d->ifname);
	if ((rc = parse_ip6(ps, d->addr, 1)) < 0)
		return rc;
	addrline = ps->tokline;
	lib_ip6_str(d->addr, a, sizeof(a));
	if ((o = find_define_addr(p, d->addr)) != NULL) {
		if (o->backup != backup)
			return perr(ps, addrline,
				    "%s is defined by both VIPADEFINE and VIPABACKUP (line %d) in this profile",
				    a, o->line);
		return perr(ps, addrline, "DVIPA %s already defined at line %d", a, o->line);
	}
	if ((o = find_define_name(p, d->ifname)) != NULL)
		return perr(ps, addrline, "interface name %s already used for %s at line %d",
			    d->ifname, lib_ip6_str(o->addr, a, sizeof(a)), o->line);
	if ((rc = next(ps)) < 0)
		return rc;
	p->ndefine++;
	return stmt_end(ps);
}

/* The DESTIP list after DESTIP (consumed): ALL, or addresses with optional
 * weights. */
static int
parse_destip(struct parser *ps, struct vipa_distribute *d)
{
	char a[INET6_ADDRSTRLEN];
	struct vipa_dest *e;
	uint8_t x[16];
	int rc, i;
	long v;

	if (!at_end(ps) && kw(ps->tok, "ALL")) {
		d->destall = 1;
		return next(ps);
	}
	while (!at_end(ps)) {
		if (kw(ps->tok, "WEIGHT"))
			return perr(ps, ps->tokline, "WEIGHT must follow a DESTIP address");
		if ((rc = parse_ip6(ps, x, 0)) < 0)
			return rc;
		for (i = 0; i < d->ndest; i++)
			if (memcmp(d->dest[i].xcf, x, 16) == 0)
				return perr(ps, ps->tokline, "DESTIP %s listed twice",
					    lib_ip6_str(x, a, sizeof(a)));
		if (d->ndest >= VIPA_MAX_DEST)
			return perr(ps, ps->tokline, "more than %d DESTIP addresses", VIPA_MAX_DEST);
		e = &d->dest[d->ndest++];
		memcpy(e->xcf, x, 16);
		e->weight = 1;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps) || !kw(ps->tok, "WEIGHT"))
			continue;
		if (d->method != VIPA_DIST_WEIGHTEDACTIVE)
			return perr(ps, ps->tokline,
				    "WEIGHT is only valid with DISTMETHOD WEIGHTEDACTIVE");
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "WEIGHT needs a value 1..99");
		v = number(ps->tok);
		if (v < 0)
			return perr(ps, ps->tokline, "'%s' is not a valid WEIGHT", ps->tok);
		if (v < 1 || v > 99)
			return perr(ps, ps->tokline, "WEIGHT %s out of range 1..99", ps->tok);
		e->weight = (uint16_t)v;
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if (d->ndest == 0)
		return perr(ps, here(ps), "DESTIP needs ALL or at least one DYNAMICXCF address");
	return 0;
}

/* VIPADISTRIBUTE; the keyword has been consumed. */
static int
parse_distribute(struct parser *ps, int line)
{
	struct vipa_profile *p = ps->p;
	const struct vipa_define *def;
	struct vipa_distribute *d;
	char up[TOK_MAX], a[INET6_ADDRSTRLEN];
	int rc, i, refline;
	int seen_define = 0, seen_method = 0, seen_aff = 0, seen_mip = 0;
	long v;

	if (p->ndist >= VIPA_MAX_DVIPA)
		return perr(ps, line, "more than %d VIPADISTRIBUTE statements", VIPA_MAX_DVIPA);
	d = &p->dist[p->ndist];
	d->method = VIPA_DIST_ROUNDROBIN;
	d->line = line;

	/* Keywords before the DVIPA, in any order. */
	for (;;) {
		if (at_end(ps))
			return perr(ps, here(ps), "DVIPA interface name or address expected");
		upcase(up, ps->tok, sizeof(up));
		if (kw(ps->tok, "DEFINE")) {
			if (seen_define++)
				return perr(ps, ps->tokline, "DEFINE given twice");
		} else if (kw(ps->tok, "DELEte")) {
			return perr(ps, ps->tokline,
				    "VIPADISTRIBUTE DELETE is only valid as an operator change (not in an initial profile)");
		} else if (kw(ps->tok, "DISTMethod")) {
			if (seen_method++)
				return perr(ps, ps->tokline, "DISTMETHOD given twice");
			if ((rc = next(ps)) < 0)
				return rc;
			upcase(up, ps->tok, sizeof(up));
			if (at_end(ps))
				return perr(ps, here(ps),
					    "DISTMETHOD needs ROUNDROBIN or WEIGHTEDACTIVE");
			else if (kw(ps->tok, "ROUNDROBIN"))
				d->method = VIPA_DIST_ROUNDROBIN;
			else if (kw(ps->tok, "WEIGHTEDActive"))
				d->method = VIPA_DIST_WEIGHTEDACTIVE;
			else if (kw(ps->tok, "BASEWLM") || kw(ps->tok, "SERVERWLM") ||
				 kw(ps->tok, "HOTSTANDBY"))
				return perr(ps, ps->tokline,
					    "DISTMETHOD %s is not supported by this emulator; use ROUNDROBIN or WEIGHTEDACTIVE",
					    up);
			else
				return perr(ps, ps->tokline,
					    "unknown DISTMETHOD '%s'; use ROUNDROBIN or WEIGHTEDACTIVE",
					    ps->tok);
		} else if (kw(ps->tok, "TIMEDAFFinity")) {
			if (seen_aff++)
				return perr(ps, ps->tokline, "TIMEDAFFINITY given twice");
			if ((rc = next(ps)) < 0)
				return rc;
			if (at_end(ps))
				return perr(ps, here(ps), "TIMEDAFFINITY needs a number of seconds");
			v = number(ps->tok);
			if (v < 0)
				return perr(ps, ps->tokline, "'%s' is not a valid TIMEDAFFINITY",
					    ps->tok);
			if (v > 65535)
				return perr(ps, ps->tokline, "TIMEDAFFINITY %s out of range 0..65535",
					    ps->tok);
			d->timedaff = (uint16_t)v;
		} else if (kw(ps->tok, "MOBILEIPV6") || kw(ps->tok, "NOMOBILEIPV6")) {
			if (seen_mip++)
				return perr(ps, ps->tokline,
					    "MOBILEIPV6 or NOMOBILEIPV6 given twice");
			d->mip6 = kw(ps->tok, "MOBILEIPV6");
		} else if (is_unsupported_opt(ps->tok)) {
			return perr(ps, ps->tokline, "%s is not supported by this emulator", up);
		} else {
			break;
		}
		if ((rc = next(ps)) < 0)
			return rc;
	}

	/* The DVIPA, by interface name or address. */
	refline = ps->tokline;
	upcase(up, ps->tok, sizeof(up));
	if (kw(ps->tok, "DESTIP") || kw(ps->tok, "WEIGHT"))
		return perr(ps, refline, "DVIPA interface name or address expected before %s", up);
	if (looks_ipv4(ps->tok))
		return perr(ps, refline, "IPv4 DVIPAs are not supported by this emulator");
	if (strchr(ps->tok, ':')) {
		uint8_t x[16];
		if ((rc = parse_ip6(ps, x, 1)) < 0)
			return rc;
		def = find_define_addr(p, x);
		lib_ip6_str(x, up, sizeof(up));
	} else {
		def = find_define_name(p, up);
	}
	if (!def)
		return perr(ps, refline,
			    "%s is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile",
			    up);
	lib_strlcpy(d->ifname, def->ifname, sizeof(d->ifname));
	memcpy(d->dvipa, def->addr, 16);
	for (i = 0; i < p->ndist; i++)
		if (memcmp(p->dist[i].dvipa, d->dvipa, 16) == 0)
			return perr(ps, refline, "%s (%s) already has a VIPADISTRIBUTE at line %d",
				    d->ifname, lib_ip6_str(d->dvipa, a, sizeof(a)), p->dist[i].line);
	if ((rc = next(ps)) < 0)
		return rc;

	/* PORT p... */
	if (!ps->tok[0] || !kw(ps->tok, "PORT"))
		return perr(ps, here(ps), "PORT expected after %s", d->ifname);
	if ((rc = next(ps)) < 0)
		return rc;
	while (!at_end(ps) && isdigit((unsigned char)ps->tok[0])) {
		v = number(ps->tok);
		if (v < 0)
			return perr(ps, ps->tokline, "'%s' is not a valid port number", ps->tok);
		if (v < 1 || v > 65535)
			return perr(ps, ps->tokline, "port %s out of range 1..65535", ps->tok);
		for (i = 0; i < d->nports; i++)
			if (d->ports[i] == v)
				return perr(ps, ps->tokline, "port %ld listed twice", v);
		if (d->nports >= VIPA_MAX_PORTS)
			return perr(ps, ps->tokline, "more than %d ports", VIPA_MAX_PORTS);
		d->ports[d->nports++] = (uint16_t)v;
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if (d->nports == 0)
		return perr(ps, ps->prevline, "port number expected after PORT");

	/* DESTIP ... */
	if (at_end(ps))
		return perr(ps, here(ps), "DESTIP expected after the port list");
	if (!kw(ps->tok, "DESTIP"))
		return perr(ps, ps->tokline, "'%s' is not a valid port number", ps->tok);
	if ((rc = next(ps)) < 0)
		return rc;
	if ((rc = parse_destip(ps, d)) < 0)
		return rc;
	p->ndist++;
	return stmt_end(ps);
}

/* IPCONFIG6; the keyword has been consumed.  Options other than DYNAMICXCF
 * and its INTFID, and our MOBILEIPV6 / NOMOBILEIPV6, are skipped. */
static int
parse_ipconfig6(struct parser *ps)
{
	struct vipa_profile *p = ps->p;
	static const uint8_t zero[8];
	int rc;

	while (!at_end(ps)) {
		if (kw(ps->tok, "INTFID"))
			return perr(ps, ps->tokline, "INTFID must follow DYNAMICXCF ipv6addr");
		if (kw(ps->tok, "NOMOBILEIPV6") || kw(ps->tok, "MOBILEIPV6")) {
			p->nomip6 = kw(ps->tok, "NOMOBILEIPV6");
			if ((rc = next(ps)) < 0)
				return rc;
			continue;
		}
		if (kw(ps->tok, "MIP6BINDLIFETIME")) {
			long v;

			if (p->bindlife)
				return perr(ps, ps->tokline, "MIP6BINDLIFETIME given twice");
			if ((rc = next(ps)) < 0)
				return rc;
			if (at_end(ps))
				return perr(ps, here(ps), "MIP6BINDLIFETIME needs a number of seconds");
			v = number(ps->tok);
			if (v < VIPA_BINDLIFE_UNIT || v > VIPA_BINDLIFE_MAX || v % VIPA_BINDLIFE_UNIT)
				return perr(ps, ps->tokline,
					    "MIP6BINDLIFETIME %s must be a multiple of %d from %d to %d "
					    "(Binding Update lifetimes count 4-second units, at most "
					    "MAX_RR_BINDING_LIFETIME)", ps->tok, VIPA_BINDLIFE_UNIT,
					    VIPA_BINDLIFE_UNIT, VIPA_BINDLIFE_MAX);
			p->bindlife = (uint16_t)v;
			if ((rc = next(ps)) < 0)
				return rc;
			continue;
		}
		if (!kw(ps->tok, "DYNAMICXCF")) {
			if ((rc = next(ps)) < 0)
				return rc;
			continue;
		}
		if (p->has_dynxcf)
			return perr(ps, ps->tokline, "DYNAMICXCF given twice (first at line %d)",
				    ps->dynxcf_line);
		ps->dynxcf_line = ps->tokline;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "DYNAMICXCF needs an IPv6 address");
		if ((rc = parse_ip6(ps, p->dynxcf, 0)) < 0)
			return rc;
		p->has_dynxcf = 1;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps) || !kw(ps->tok, "INTFID"))
			continue;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "INTFID needs an interface ID x:x:x:x");
		if (parse_intfid(ps->tok, p->intfid) < 0)
			return perr(ps, ps->tokline, "'%s' is not a valid INTFID (x:x:x:x)", ps->tok);
		if (memcmp(p->intfid, zero, 8) == 0)
			return perr(ps, ps->tokline, "INTFID %s is not allowed", ps->tok);
		p->has_intfid = 1;
		if ((rc = next(ps)) < 0)
			return rc;
	}
	return 0;
}

/* Skips the operands of a statement we accept but do not act on. */
static int
skip_statement(struct parser *ps)
{
	int rc;

	while (!at_end(ps))
		if ((rc = next(ps)) < 0)
			return rc;
	return 0;
}

/* One statement: the current token is its keyword. */
static int
parse_statement(struct parser *ps)
{
	const struct stmt_def *sd = stmt_lookup(ps->tok);
	int rc, line = ps->tokline;

	if (!sd) {
		upcase(ps->stmt, ps->tok, sizeof(ps->stmt));
		return perr(ps, line, "unknown statement");
	}
	upcase(ps->stmt, sd->kw, sizeof(ps->stmt));
	if ((rc = next(ps)) < 0)
		return rc;

	switch (sd->kind) {
	case ST_VIPADEFINE:
	case ST_VIPABACKUP:
	case ST_VIPADISTRIBUTE:
	case ST_ENDVIPADYNAMIC:
	case ST_BLOCK_UNSUPPORTED:
		break;
	default:
		if (ps->in_block)
			return perr(ps, line,
				    "not valid inside VIPADYNAMIC ... ENDVIPADYNAMIC (missing ENDVIPADYNAMIC?)");
	}

	switch (sd->kind) {
	case ST_VIPADYNAMIC:
		ps->in_block = 1;
		ps->block_line = line;
		if (!ps->first_block_line)
			ps->first_block_line = line;
		return stmt_end(ps);
	case ST_ENDVIPADYNAMIC:
		if (!ps->in_block)
			return perr(ps, line, "ENDVIPADYNAMIC without VIPADYNAMIC");
		ps->in_block = 0;
		return stmt_end(ps);
	case ST_VIPADEFINE:
	case ST_VIPABACKUP:
	case ST_VIPADISTRIBUTE:
		if (!ps->in_block)
			return perr(ps, line, "only valid between VIPADYNAMIC and ENDVIPADYNAMIC");
		if (sd->kind == ST_VIPADISTRIBUTE)
			return parse_distribute(ps, line);
		return parse_define(ps, sd->kind == ST_VIPABACKUP, line);
	case ST_BLOCK_UNSUPPORTED:
	case ST_UNSUPPORTED:
		return perr(ps, line, "statement is not supported by this emulator");
	case ST_IPCONFIG6:
		return parse_ipconfig6(ps);
	case ST_IGNORED:
		return skip_statement(ps);
	case ST_BEGINROUTES:
		while (ps->tok[0] && !kw(ps->tok, "ENDROUTES"))
			if ((rc = next(ps)) < 0)
				return rc;
		if (!ps->tok[0])
			return perr(ps, line, "missing ENDROUTES");
		if ((rc = next(ps)) < 0)
			return rc;
		return 0;
	case ST_ENDROUTES:
		return perr(ps, line, "ENDROUTES without BEGINROUTES");
	}
	return perr(ps, line, "internal error");
}

static int
parse(struct parser *ps, struct vipa_profile *p, const char *name, char *err, size_t errlen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	lib_strlcpy(p->path, name, sizeof(p->path));
	ps->p = p;
	ps->name = name;
	ps->line = 1;
	ps->tokline = ps->prevline = 1;
	ps->err = err;
	ps->errlen = errlen;
	lib_strlcpy(ps->stmt, "PROFILE", sizeof(ps->stmt));
	if (err && errlen)
		err[0] = '\0';

	if ((rc = next(ps)) < 0)
		return rc;
	while (ps->tok[0])
		if ((rc = parse_statement(ps)) < 0)
			return rc;
	lib_strlcpy(ps->stmt, "VIPADYNAMIC", sizeof(ps->stmt));
	if (ps->in_block)
		return perr(ps, ps->block_line, "missing ENDVIPADYNAMIC");
	if (ps->first_block_line && !p->has_dynxcf)
		return perr(ps, ps->first_block_line, "VIPADYNAMIC requires IPCONFIG6 DYNAMICXCF");
	return 0;
}

int
vipa_profile_parse_buf(struct vipa_profile *p, const char *name, const char *buf, size_t len,
		       char *err, size_t errlen)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.buf = buf ? buf : "";
	ps.len = buf ? len : 0;
	return parse(&ps, p, name ? name : "(buffer)", err, errlen);
}

int
vipa_profile_parse_file(struct vipa_profile *p, const char *path, char *err, size_t errlen)
{
	struct parser ps;
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.f = fopen(path, "r");
	if (!ps.f) {
		int e = errno;
		memset(p, 0, sizeof(*p));
		if (err && errlen)
			snprintf(err, errlen, "%s:0: PROFILE: cannot open: %s", path, strerror(e));
		return -EINVAL;
	}
	rc = parse(&ps, p, path, err, errlen);
	fclose(ps.f);
	return rc;
}

/* ---- output ------------------------------------------------------------------------ */

const char *
vipa_distmethod_name(enum vipa_distmethod m)
{
	switch (m) {
	case VIPA_DIST_ROUNDROBIN:
		return "ROUNDROBIN";
	case VIPA_DIST_WEIGHTEDACTIVE:
		return "WEIGHTEDACTIVE";
	}
	return "?";
}

static const char *
moveable_name(enum vipa_moveable m)
{
	return m == VIPA_MOVE_WHENIDLE ? "WHENIDLE" : "IMMEDIATE";
}

void
vipa_profile_print(const struct vipa_profile *p, FILE *out)
{
	char a[INET6_ADDRSTRLEN];
	int i, j;

	if (p->has_dynxcf || p->nomip6 || p->bindlife) {
		fputs("IPCONFIG6", out);
		if (p->has_dynxcf)
			fprintf(out, " DYNAMICXCF %s", lib_ip6_str(p->dynxcf, a, sizeof(a)));
		if (p->has_dynxcf && p->has_intfid)
			fprintf(out, " INTFID %x:%x:%x:%x", (p->intfid[0] << 8) | p->intfid[1],
				(p->intfid[2] << 8) | p->intfid[3], (p->intfid[4] << 8) | p->intfid[5],
				(p->intfid[6] << 8) | p->intfid[7]);
		if (p->nomip6)
			fputs(" NOMOBILEIPV6", out);
		if (p->bindlife)
			fprintf(out, " MIP6BINDLIFETIME %u", p->bindlife);
		fputc('\n', out);
	}
	if (p->ndefine == 0 && p->ndist == 0)
		return;
	fputs("VIPADYNAMIC\n", out);
	for (i = 0; i < p->ndefine; i++) {
		const struct vipa_define *d = &p->define[i];

		if (d->backup)
			fprintf(out, "  VIPABACKUP %u", d->rank);
		else
			fputs("  VIPADEFINE", out);
		fprintf(out, " MOVEABLE %s %s %s\n", moveable_name(d->moveable), d->ifname,
			lib_ip6_str(d->addr, a, sizeof(a)));
	}
	for (i = 0; i < p->ndist; i++) {
		const struct vipa_distribute *d = &p->dist[i];

		fprintf(out, "  VIPADISTRIBUTE DEFINE DISTMETHOD %s", vipa_distmethod_name(d->method));
		if (d->timedaff)
			fprintf(out, " TIMEDAFFINITY %u", d->timedaff);
		fprintf(out, " %s %s PORT", d->mip6 ? "MOBILEIPV6" : "NOMOBILEIPV6",
			d->ifname[0] ? d->ifname : lib_ip6_str(d->dvipa, a, sizeof(a)));
		for (j = 0; j < d->nports; j++)
			fprintf(out, " %u", d->ports[j]);
		fputs(" DESTIP", out);
		if (d->destall)
			fputs(" ALL", out);
		for (j = 0; !d->destall && j < d->ndest; j++) {
			fprintf(out, " %s", lib_ip6_str(d->dest[j].xcf, a, sizeof(a)));
			if (d->method == VIPA_DIST_WEIGHTEDACTIVE)
				fprintf(out, " WEIGHT %u", d->dest[j].weight);
		}
		fputc('\n', out);
	}
	fputs("ENDVIPADYNAMIC\n", out);
}

const struct vipa_distribute *
vipa_profile_dist(const struct vipa_profile *p, const uint8_t dvipa[16])
{
	int i;

	for (i = 0; i < p->ndist; i++)
		if (memcmp(p->dist[i].dvipa, dvipa, 16) == 0)
			return &p->dist[i];
	return NULL;
}
