/*
 * profile.c - the z/OS TCP/IP PROFILE parser and printer, and the OBEYFILE
 * delta (a change to a running profile).
 *
 * The emulator acts on IPCONFIG DYNAMICXCF, IPCONFIG6 DYNAMICXCF and the
 * VIPADYNAMIC block (VIPADEFINE, VIPABACKUP, VIPADELETE, VIPADISTRIBUTE,
 * VIPARANGE, VIPAROUTE); the other common PROFILE statements are accepted
 * and skipped with a warning so that a real profile can be pasted in.  The
 * grammar, as z/OS reads it:
 *
 *  - The input is a stream of blank-separated tokens.  `;` starts a comment
 *    that runs to the end of the line.  Keywords are case-insensitive and may
 *    be abbreviated as the z/OS syntax diagrams allow (VIPADEFine, MOVEable,
 *    IMMEDiate, DISTMethod, TIMEDAFFinity, WEIGHTEDActive...): a token matches
 *    a keyword when it is a prefix of it at least as long as its upper-case
 *    part in the tables and calls below.
 *  - A statement runs from its keyword up to the next statement keyword, so a
 *    statement may continue over several lines.
 *  - Addresses: IPv4 (dotted quad) and IPv6.  An IPv4 DVIPA is written
 *    `address_mask ipv4_addr...` (one mask, one or more addresses), an IPv6
 *    one `intfname ipv6_addr`.  IPv4 addresses are kept IPv4-mapped
 *    (::ffff:a.b.c.d) with a `v4` flag and printed as dotted quads.
 *  - VIPADEFINE [MOVEABLE IMMEDIATE|WHENIDLE] mask ipv4addr... | intf ipv6addr
 *    VIPABACKUP [rank] [MOVEABLE IMMEDIATE|WHENIDLE] mask ipv4addr... | intf ipv6addr
 *    VIPADELETE ipv4addr... | intf
 *    VIPADISTRIBUTE [DEFINE|DELETE] [DISTMETHOD BASEWLM [PROCTYPE CP n ZAAP n ZIIP n]
 *        | ROUNDROBIN | WEIGHTEDACTIVE | SERVERWLM [PROCXCOST ZAAP n ZIIP n]
 *        [ILWEIGHTING n] | HOTSTANDBY [AUTOSWITCHBACK|NOAUTOSWITCHBACK]
 *        [HEALTHSWITCH|NOHEALTHSWITCH]] [OPTLOCAL [n]|NOOPTLOCAL] [SYSPLEXPORTS]
 *        [TIMEDAFFINITY secs] [MOBILEIPV6|NOMOBILEIPV6] ipv4addr|intf|ipv6addr
 *        PORT p|p-q... DESTIP ALL | DESTIP xcfaddr [WEIGHT n | PREFERRED |
 *        BACKUP rank]...
 *    VIPARANGE [DEFINE|DELETE] [MOVEABLE NONDISRUPTIVE|DISRUPTIVE]
 *        mask ipv4addr | intf ipv6addr/prefixlen [SAF resname]
 *    VIPAROUTE [DEFINE|DELETE] xcfaddr targetaddr
 *    (the bracketed VIPADISTRIBUTE options in any order), only between
 *    VIPADYNAMIC and ENDVIPADYNAMIC.  The block's statements take effect in
 *    order: a VIPADELETE removes an earlier VIPADEFINE/VIPABACKUP (and its
 *    VIPADISTRIBUTEs), a VIPADISTRIBUTE DELETE removes the named ports and
 *    destinations of earlier VIPADISTRIBUTEs.  Several VIPADISTRIBUTEs may
 *    name one DVIPA as long as their ports do not overlap.
 *  - IPCONFIG [DYNAMICXCF ipv4addr mask|/bits cost] [other options, skipped].
 *  - IPCONFIG6 [DYNAMICXCF ipv6addr [INTFID x:x:x:x]] [MOBILEIPV6|NOMOBILEIPV6]
 *    [MIP6BINDLIFETIME secs] [other options, skipped].  NOMOBILEIPV6 (ours):
 *    this stack, as a target, does not take part in the Mobile IPv6 bypass.
 *    MIP6BINDLIFETIME (ours): the binding lifetime this stack asks for in its
 *    Binding Updates as a routing stack, 4..420 in steps of 4 (default 420).
 *  - DATAPATH BPF|TUN (ours, z/OS has no such statement): how this stack's
 *    data path runs: BPF, the kernel fast path (the default where it loads;
 *    else TUN, logged once), or TUN, every packet through the daemon.
 *  - MOBILEIPV6 is our extension: it enables the Mobile IPv6 route
 *    optimization (the bypass) for an IPv6 DVIPA.  NOMOBILEIPV6 is the default.
 *
 * Where the emulator differs from z/OS: a VIPADISTRIBUTE must follow the
 * VIPADEFINE or VIPABACKUP of its DVIPA; IPv6 DVIPAs need IPCONFIG6
 * DYNAMICXCF and IPv4 ones IPCONFIG DYNAMICXCF; the first error stops
 * parsing (z/OS skips the statement and goes on); INCLUDE is refused.
 *
 * Contract: no allocation; the first error stops parsing and is reported as
 * one line "FILE:LINE: STATEMENT: what is wrong", STATEMENT being the full
 * upper-case keyword of the statement being parsed (an unknown keyword is
 * named as written, upper-cased; "PROFILE" before the first statement and
 * when the file cannot be opened, with line 0).  The line is the offending
 * token's, or for something missing the line where the statement stopped.
 * A word at the start of a line after a complete statement is reported as
 * an unknown statement.  After an error the contents of the profile are
 * unspecified.  vipa_profile_print() writes a profile that parses back into
 * the same structure (apart from `path`, `src`, the `line` fields and the
 * warnings).
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
	ST_VIPADELETE,
	ST_VIPADISTRIBUTE,
	ST_VIPARANGE,
	ST_VIPAROUTE,
	ST_BLOCK_SKIPPED,	/* a real VIPADYNAMIC statement we skip (warning) */
	ST_IPCONFIG,
	ST_IPCONFIG6,
	ST_DATAPATH,		/* ours: DATAPATH BPF|TUN */
	ST_IGNORED,		/* skipped up to the next statement (warning) */
	ST_SKIP_BLOCK,		/* skipped up to its END keyword (warning) */
	ST_END_BLOCK,		/* an END keyword without its statement */
	ST_UNSUPPORTED,		/* a real statement we refuse */
};

/*
 * Statement keywords.  The upper-case part of each is the shortest accepted
 * abbreviation.  Every token matching one of these ends the statement before
 * it, so none of them can be used as an interface name.  `end` names the
 * keyword closing a statement skipped as a block.
 */
static const struct stmt_def {
	const char *kw;
	enum stmt_kind kind;
	const char *end;
} stmt_defs[] = {
	{ "VIPADynamic", ST_VIPADYNAMIC, NULL },
	{ "ENDVIPADynamic", ST_ENDVIPADYNAMIC, NULL },
	{ "VIPADEFine", ST_VIPADEFINE, NULL },
	{ "VIPABackup", ST_VIPABACKUP, NULL },
	{ "VIPADISTribute", ST_VIPADISTRIBUTE, NULL },
	{ "VIPADELete", ST_VIPADELETE, NULL },
	{ "VIPAROUTE", ST_VIPAROUTE, NULL },
	{ "VIPARange", ST_VIPARANGE, NULL },
	{ "VIPASMparms", ST_BLOCK_SKIPPED, NULL },
	{ "IPCONFIG6", ST_IPCONFIG6, NULL },
	{ "IPCONFIG", ST_IPCONFIG, NULL },
	{ "DATAPATH", ST_DATAPATH, NULL },
	{ "TCPCONFIG", ST_IGNORED, NULL },
	{ "UDPCONFIG", ST_IGNORED, NULL },
	{ "PORT", ST_IGNORED, NULL },
	{ "PORTRANGE", ST_IGNORED, NULL },
	{ "SACONFIG", ST_IGNORED, NULL },
	{ "GLOBALCONFIG", ST_IGNORED, NULL },
	{ "INTERFACE", ST_IGNORED, NULL },
	{ "HOME", ST_IGNORED, NULL },
	{ "START", ST_IGNORED, NULL },
	{ "STOP", ST_IGNORED, NULL },
	{ "ITRACE", ST_IGNORED, NULL },
	{ "PKTTRACE", ST_IGNORED, NULL },
	{ "SOMAXCONN", ST_IGNORED, NULL },
	{ "DEVICE", ST_IGNORED, NULL },
	{ "LINK", ST_IGNORED, NULL },
	{ "GATEWAY", ST_IGNORED, NULL },
	{ "PRIMARYINTERFACE", ST_IGNORED, NULL },
	{ "ARPAGE", ST_IGNORED, NULL },
	{ "SMFCONFIG", ST_IGNORED, NULL },
	{ "SMFPARMS", ST_IGNORED, NULL },
	{ "NETMONITOR", ST_IGNORED, NULL },
	{ "TRANSLATE", ST_IGNORED, NULL },
	{ "DEFAULTNET", ST_IGNORED, NULL },
	{ "AUTOLOG", ST_SKIP_BLOCK, "ENDAUTOLOG" },
	{ "BEGINROUTES", ST_SKIP_BLOCK, "ENDROUTES" },
	{ "SRCIP", ST_SKIP_BLOCK, "ENDSRCIP" },
	{ "NETACCESS", ST_SKIP_BLOCK, "ENDNETACCESS" },
	{ "IPSEC", ST_SKIP_BLOCK, "ENDIPSEC" },
	{ "DEFADDRTABLE", ST_SKIP_BLOCK, "ENDDEFADDRTABLE" },
	{ "BSDROUTINGPARMS", ST_SKIP_BLOCK, "ENDBSDROUTINGPARMS" },
	{ "ENDAUTOLOG", ST_END_BLOCK, NULL },
	{ "ENDROUTES", ST_END_BLOCK, NULL },
	{ "ENDSRCIP", ST_END_BLOCK, NULL },
	{ "ENDNETACCESS", ST_END_BLOCK, NULL },
	{ "ENDIPSEC", ST_END_BLOCK, NULL },
	{ "ENDDEFADDRTABLE", ST_END_BLOCK, NULL },
	{ "ENDBSDROUTINGPARMS", ST_END_BLOCK, NULL },
	{ "INCLUDE", ST_UNSUPPORTED, NULL },
};

/*
 * Real z/OS options of VIPADEFINE, VIPABACKUP and VIPADISTRIBUTE that the
 * emulator does not implement (multi-tier distribution, Cisco MNLB, non-z/OS
 * targets); naming them gives a clearer error than "unexpected".
 */
static const char *const unsupported_opts[] = {
	"TIER1", "TIER2", "CPCSCOPE", "SERVICEMGR", "ENCAP", "CONTROLPORT", "GRE",
	"DESTIPV6",
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
	int dynxcf_line;		/* line of IPCONFIG6 DYNAMICXCF in this file, 0 if none */
	int dynxcf4_line;		/* line of IPCONFIG DYNAMICXCF in this file, 0 if none */
	int bindlife_line;		/* line of MIP6BINDLIFETIME in this file, 0 if none */
	int datapath_line;		/* line of DATAPATH in this file, 0 if none */
	int obey;			/* reading an OBEYFILE over a running profile */
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

/* Records a warning for the current statement (kept up to VIPA_MAX_WARN). */
static void __attribute__((format(printf, 3, 4)))
pwarn(struct parser *ps, int line, const char *fmt, ...)
{
	struct vipa_profile *p = ps->p;
	char msg[128];
	va_list ap;

	if (p->nwarn < VIPA_MAX_WARN) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		/* A long file name truncates the line; that is fine for a warning. */
		if (snprintf(p->warn[p->nwarn], sizeof(p->warn[0]), "%s:%d: %s: %s", ps->name, line,
			     ps->stmt, msg) < 0)
			p->warn[p->nwarn][0] = '\0';
	}
	p->nwarn++;
}

/* "line N", or "line N of the running configuration" for an entry an
 * OBEYFILE did not add. */
static const char *
where(const struct parser *ps, int src, int line, char *buf, size_t len)
{
	if (ps->obey && src == 0)
		snprintf(buf, len, "line %d of the running configuration", line);
	else
		snprintf(buf, len, "line %d", line);
	return buf;
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
	size_t i;
	int opt = 0;	/* the keyword's optional (lower case) part reached */

	/* One pass: tok is a prefix of keyword (case ignored) at least as long
	 * as the keyword's upper-case part. */
	for (i = 0; tok[i]; i++) {
		if (!keyword[i] || toupper((unsigned char)tok[i]) != toupper((unsigned char)keyword[i]))
			return 0;
		opt |= islower((unsigned char)keyword[i]) != 0;
	}
	return opt || !keyword[i] || islower((unsigned char)keyword[i]);
}

static const struct stmt_def *
stmt_lookup(const char *tok)
{
	int c = toupper((unsigned char)tok[0]);
	size_t i;

	/* Every token is looked up (at_end), most of them operands: only the
	 * keywords starting with the token's letter (each keyword starts with
	 * an upper-case one) are compared further. */
	for (i = 0; i < LIB_ARRAY_LEN(stmt_defs); i++)
		if (stmt_defs[i].kw[0] == c && kw(tok, stmt_defs[i].kw))
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

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
vipa_addr_is_v4(const uint8_t a[16])
{
	return memcmp(a, v4mapped, 12) == 0;
}

const char *
vipa_addr_str(const uint8_t a[16], char *buf, size_t len)
{
	if (vipa_addr_is_v4(a)) {
		if (!inet_ntop(AF_INET, a + 12, buf, (socklen_t)len))
			lib_strlcpy(buf, "?", len);
		return buf;
	}
	return lib_ip6_str(a, buf, len);
}

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

/* Reads the current token as a number lo..hi; `what` names it in errors. */
static int
num_arg(struct parser *ps, const char *what, long lo, long hi, long *out)
{
	long v;

	if (at_end(ps))
		return perr(ps, here(ps), "%s needs a value %ld..%ld", what, lo, hi);
	v = number(ps->tok);
	if (v < 0)
		return perr(ps, ps->tokline, "'%s' is not a valid %s", ps->tok, what);
	if (v < lo || v > hi)
		return perr(ps, ps->tokline, "%s %s out of range %ld..%ld", what, ps->tok, lo, hi);
	*out = v;
	return next(ps);
}

/* True when tok is a dotted-quad IPv4 address (a /bits suffix allowed). */
static int
looks_ipv4(const char *tok)
{
	char a[TOK_MAX];
	struct in_addr in;

	lib_strlcpy(a, tok, sizeof(a));
	a[strcspn(a, "/")] = '\0';
	return inet_pton(AF_INET, a, &in) == 1;
}

/* Parses a dotted quad into the IPv4-mapped form; -1 if it is not one. */
static int
ip4_parse(const char *s, uint8_t out[16])
{
	memcpy(out, v4mapped, 12);
	return inet_pton(AF_INET, s, out + 12) == 1 ? 0 : -1;
}

/* A contiguous IPv4 mask as a prefix length 1..32, or -1. */
static int
mask_plen(const char *s)
{
	uint8_t a[16];
	uint32_t m;
	int n;

	if (ip4_parse(s, a) < 0)
		return -1;
	m = ((uint32_t)a[12] << 24) | ((uint32_t)a[13] << 16) | ((uint32_t)a[14] << 8) | a[15];
	for (n = 0; n < 32 && (m & (0x80000000u >> n)); n++)
		;
	if (n == 0 || (n < 32 && (m << n) != 0))
		return -1;
	return n;
}

static const char *
mask_str(int plen, char *buf, size_t len)
{
	uint32_t m = plen >= 32 ? 0xffffffffu : plen <= 0 ? 0 : ~(0xffffffffu >> plen);

	snprintf(buf, len, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
	return buf;
}

enum fam { FAM_ANY, FAM_V4, FAM_V6 };

/*
 * Parses the current token as a unicast address that can serve as a DVIPA, a
 * DESTIP, a DYNAMICXCF or a VIPAROUTE address: IPv6 global or unique-local,
 * or IPv4 not 0/8, 127/8, multicast, reserved or broadcast.  `fam` restricts
 * the family; *v4 says which it was.
 */
static int
parse_addr(struct parser *ps, uint8_t out[16], enum fam fam, int *v4)
{
	static const uint8_t zero[16];
	const char *t = ps->tok;

	if (strchr(t, '/'))
		return perr(ps, ps->tokline, "%s: a prefix length is not valid here", t);
	if (looks_ipv4(t)) {
		if (fam == FAM_V6)
			return perr(ps, ps->tokline, "%s: an IPv6 address is expected here", t);
		ip4_parse(t, out);
		if (out[12] == 0 || out[12] == 127 || out[12] >= 224)
			return perr(ps, ps->tokline, "%s is not a unicast IPv4 address", t);
		if (v4)
			*v4 = 1;
		return 0;
	}
	if (lib_ip6_parse(t, out) < 0)
		return perr(ps, ps->tokline, "'%s' is not a valid IP%s address", t,
			    fam == FAM_V4 ? "v4" : fam == FAM_V6 ? "v6" : "");
	if (fam == FAM_V4)
		return perr(ps, ps->tokline, "%s: an IPv4 address is expected here", t);
	if (memcmp(out, zero, 15) == 0 || out[0] == 0xff || (out[0] == 0xfe && (out[1] & 0xc0) == 0x80) ||
	    vipa_addr_is_v4(out))
		return perr(ps, ps->tokline, "%s is not a global or unique-local unicast address", t);
	if (v4)
		*v4 = 0;
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

/* True when a and b agree on their first plen bits. */
static int
prefix_eq(const uint8_t a[16], const uint8_t b[16], int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (0xff << (8 - bits)) & 0xff) == 0;
}

static int
find_define_addr(const struct vipa_profile *p, const uint8_t a[16])
{
	int i;

	for (i = 0; i < p->ndefine; i++)
		if (memcmp(p->define[i].addr, a, 16) == 0)
			return i;
	return -1;
}

static int
find_define_name(const struct vipa_profile *p, const char *ifname)
{
	int i;

	for (i = 0; i < p->ndefine; i++)
		if (!p->define[i].v4 && strcmp(p->define[i].ifname, ifname) == 0)
			return i;
	return -1;
}

/* Removes entry i of an array of n elements of size sz. */
static void
remove_at(void *arr, int *n, int i, size_t sz)
{
	uint8_t *a = arr;

	memmove(a + (size_t)i * sz, a + (size_t)(i + 1) * sz, (size_t)(*n - i - 1) * sz);
	(*n)--;
	memset(a + (size_t)*n * sz, 0, sz);
}

/* ---- statements ----------------------------------------------------------------- */

/* [MOVEABLE IMMEDIATE|WHENIDLE] or, for VIPARANGE, [MOVEABLE
 * NONDISRUPTIVE|DISRUPTIVE]; stops at the first other token. */
static int
parse_moveable(struct parser *ps, int range, enum vipa_moveable *m)
{
	char up[TOK_MAX];
	int rc, seen = 0;

	while (!at_end(ps)) {
		upcase(up, ps->tok, sizeof(up));
		if (kw(ps->tok, "MOVEable")) {
			if (seen++)
				return perr(ps, ps->tokline, "MOVEABLE given twice");
			if ((rc = next(ps)) < 0)
				return rc;
			if (!range && !at_end(ps) && kw(ps->tok, "IMMEDiate"))
				*m = VIPA_MOVE_IMMEDIATE;
			else if (!range && !at_end(ps) && kw(ps->tok, "WHENIDLE"))
				*m = VIPA_MOVE_WHENIDLE;
			else if (range && !at_end(ps) && kw(ps->tok, "NONDISRUPTive"))
				*m = VIPA_MOVE_NONDISRUPTIVE;
			else if (range && !at_end(ps) && kw(ps->tok, "DISRUPTive"))
				*m = VIPA_MOVE_DISRUPTIVE;
			else
				return perr(ps, here(ps), "MOVEABLE must be followed by %s",
					    range ? "NONDISRUPTIVE or DISRUPTIVE" : "IMMEDIATE or WHENIDLE");
		} else if (kw(ps->tok, "IMMEDiate") || kw(ps->tok, "WHENIDLE") ||
			   kw(ps->tok, "NONDISRUPTive") || kw(ps->tok, "DISRUPTive")) {
			return perr(ps, ps->tokline, "%s must follow MOVEABLE", up);
		} else if (is_unsupported_opt(ps->tok)) {
			return perr(ps, ps->tokline, "%s is not supported by this emulator", up);
		} else {
			return 0;
		}
		if ((rc = next(ps)) < 0)
			return rc;
	}
	return 0;
}

/* Checks that a new DVIPA (entry d, not yet counted) does not clash. */
static int
define_check(struct parser *ps, const struct vipa_define *d, int line)
{
	const struct vipa_profile *p = ps->p;
	char a[VIPA_ADDRSTRLEN], w[64];
	const struct vipa_define *o;
	int i;

	vipa_addr_str(d->addr, a, sizeof(a));
	if ((i = find_define_addr(p, d->addr)) >= 0) {
		o = &p->define[i];
		if (o->backup != d->backup)
			return perr(ps, line,
				    "%s is defined by both VIPADEFINE and VIPABACKUP (%s) in this profile",
				    a, where(ps, o->src, o->line, w, sizeof(w)));
		return perr(ps, line, "DVIPA %s already defined at %s", a,
			    where(ps, o->src, o->line, w, sizeof(w)));
	}
	if (!d->v4 && (i = find_define_name(p, d->ifname)) >= 0) {
		o = &p->define[i];
		return perr(ps, line, "interface name %s already used for %s at %s", d->ifname,
			    vipa_addr_str(o->addr, a, sizeof(a)), where(ps, o->src, o->line, w, sizeof(w)));
	}
	return 0;
}

/* VIPADEFINE and VIPABACKUP; the keyword has been consumed. */
static int
parse_define(struct parser *ps, int backup, int line)
{
	struct vipa_profile *p = ps->p;
	struct vipa_define proto, *d;
	char up[TOK_MAX];
	int rc, plen, n = 0;
	long v;

	memset(&proto, 0, sizeof(proto));
	proto.backup = backup;
	proto.moveable = VIPA_MOVE_IMMEDIATE;
	proto.line = line;
	proto.src = (uint8_t)ps->obey;
	if (backup) {
		/* The rank is optional (default 1), as in z/OS. */
		proto.rank = 1;
		if (!at_end(ps) && isdigit((unsigned char)ps->tok[0]) && !looks_ipv4(ps->tok)) {
			v = number(ps->tok);
			if (v < 0)
				return perr(ps, ps->tokline, "'%s' is not a valid rank", ps->tok);
			if (v < VIPA_MIN_RANK || v > VIPA_MAX_RANK)
				return perr(ps, ps->tokline, "rank %s out of range %d..%d", ps->tok,
					    VIPA_MIN_RANK, VIPA_MAX_RANK);
			proto.rank = (uint8_t)v;
			if ((rc = next(ps)) < 0)
				return rc;
		}
	}
	if ((rc = parse_moveable(ps, 0, &proto.moveable)) < 0)
		return rc;
	if (at_end(ps))
		return perr(ps, here(ps),
			    "address mask and IPv4 address, or interface name and IPv6 address expected");

	if (looks_ipv4(ps->tok)) {
		/* IPv4: address_mask ipv4_addr... */
		plen = mask_plen(ps->tok);
		if (plen < 0)
			return perr(ps, ps->tokline, "%s is not a valid address mask", ps->tok);
		proto.v4 = 1;
		proto.plen = (uint8_t)plen;
		if ((rc = next(ps)) < 0)
			return rc;
		while (!at_end(ps) && (n == 0 || looks_ipv4(ps->tok))) {
			if (p->ndefine >= VIPA_MAX_DVIPA)
				return perr(ps, ps->tokline, "more than %d DVIPAs", VIPA_MAX_DVIPA);
			d = &p->define[p->ndefine];
			*d = proto;
			if ((rc = parse_addr(ps, d->addr, FAM_V4, NULL)) < 0)
				return rc;
			if ((rc = define_check(ps, d, ps->tokline)) < 0)
				return rc;
			p->ndefine++;
			n++;
			if ((rc = next(ps)) < 0)
				return rc;
		}
		if (n == 0)
			return perr(ps, here(ps), "IPv4 address expected after the address mask");
		return stmt_end(ps);
	}

	/* IPv6: intfname ipv6_addr. */
	if (p->ndefine >= VIPA_MAX_DVIPA)
		return perr(ps, line, "more than %d DVIPAs", VIPA_MAX_DVIPA);
	d = &p->define[p->ndefine];
	*d = proto;
	if (strchr(ps->tok, ':'))
		return perr(ps, ps->tokline, "interface name expected before %s", ps->tok);
	if ((rc = check_ifname(ps)) < 0)
		return rc;
	upcase(d->ifname, ps->tok, sizeof(d->ifname));
	if ((rc = next(ps)) < 0)
		return rc;
	if (at_end(ps))
		return perr(ps, here(ps), "IPv6 address expected after %s", d->ifname);
	if (looks_ipv4(ps->tok)) {
		upcase(up, ps->tok, sizeof(up));
		return perr(ps, ps->tokline,
			    "%s: an IPv4 DVIPA is written address_mask ipv4_addr (not after an interface name)",
			    up);
	}
	if ((rc = parse_addr(ps, d->addr, FAM_V6, NULL)) < 0)
		return rc;
	if ((rc = define_check(ps, d, ps->tokline)) < 0)
		return rc;
	if ((rc = next(ps)) < 0)
		return rc;
	p->ndefine++;
	return stmt_end(ps);
}

/* Removes DVIPA i and every VIPADISTRIBUTE of it. */
static void
delete_dvipa(struct vipa_profile *p, int i)
{
	uint8_t a[16];
	int j;

	memcpy(a, p->define[i].addr, 16);
	remove_at(p->define, &p->ndefine, i, sizeof(p->define[0]));
	for (j = p->ndist - 1; j >= 0; j--)
		if (memcmp(p->dist[j].dvipa, a, 16) == 0)
			remove_at(p->dist, &p->ndist, j, sizeof(p->dist[0]));
}

/* VIPADELETE ipv4_addr... | ipv6_intfname; the keyword has been consumed. */
static int
parse_vipadelete(struct parser *ps, int line)
{
	struct vipa_profile *p = ps->p;
	char up[TOK_MAX];
	uint8_t a[16];
	int rc, i;

	if (at_end(ps))
		return perr(ps, here(ps), "IPv4 address or IPv6 interface name expected");
	if (!looks_ipv4(ps->tok)) {
		if (strchr(ps->tok, ':'))
			return perr(ps, ps->tokline,
				    "name an IPv6 DVIPA by its interface name, not %s", ps->tok);
		if ((rc = check_ifname(ps)) < 0)
			return rc;
		upcase(up, ps->tok, sizeof(up));
		i = find_define_name(p, up);
		if (i < 0)
			return perr(ps, ps->tokline, "%s is not defined by a VIPADEFINE or VIPABACKUP",
				    up);
		delete_dvipa(p, i);
		if ((rc = next(ps)) < 0)
			return rc;
		return stmt_end(ps);
	}
	while (!at_end(ps) && looks_ipv4(ps->tok)) {
		if ((rc = parse_addr(ps, a, FAM_V4, NULL)) < 0)
			return rc;
		i = find_define_addr(p, a);
		if (i < 0)
			return perr(ps, ps->tokline, "%s is not defined by a VIPADEFINE or VIPABACKUP",
				    ps->tok);
		delete_dvipa(p, i);
		if ((rc = next(ps)) < 0)
			return rc;
	}
	(void)line;
	return stmt_end(ps);
}

/* The DESTIP list after DESTIP (consumed): ALL, or addresses each with the
 * option of its DISTMETHOD (WEIGHT n; PREFERRED or BACKUP rank). */
static int
parse_destip(struct parser *ps, struct vipa_distribute *d)
{
	char a[VIPA_ADDRSTRLEN];
	struct vipa_dest *e;
	uint8_t x[16];
	int rc, i;
	long v;

	if (!at_end(ps) && kw(ps->tok, "ALL")) {
		d->destall = 1;
		return next(ps);
	}
	while (!at_end(ps)) {
		if (kw(ps->tok, "WEIGHT") || kw(ps->tok, "PREFerred") || kw(ps->tok, "BACKup"))
			return perr(ps, ps->tokline, "%s must follow a DESTIP address", ps->tok);
		if ((rc = parse_addr(ps, x, d->v4 ? FAM_V4 : FAM_V6, NULL)) < 0) {
			if (looks_ipv4(ps->tok) != d->v4)
				return perr(ps, ps->tokline,
					    "DESTIP %s is not of the DVIPA's address family (%s)",
					    ps->tok, d->v4 ? "IPv4" : "IPv6");
			return rc;
		}
		for (i = 0; i < d->ndest; i++)
			if (memcmp(d->dest[i].xcf, x, 16) == 0)
				return perr(ps, ps->tokline, "DESTIP %s listed twice",
					    vipa_addr_str(x, a, sizeof(a)));
		if (d->ndest >= VIPA_MAX_DEST)
			return perr(ps, ps->tokline, "more than %d DESTIP addresses", VIPA_MAX_DEST);
		e = &d->dest[d->ndest++];
		memcpy(e->xcf, x, 16);
		e->weight = 1;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			continue;
		if (kw(ps->tok, "WEIGHT")) {
			if (d->method != VIPA_DIST_WEIGHTEDACTIVE)
				return perr(ps, ps->tokline,
					    "WEIGHT is only valid with DISTMETHOD WEIGHTEDACTIVE");
			if ((rc = next(ps)) < 0)
				return rc;
			if ((rc = num_arg(ps, "WEIGHT", 1, 99, &v)) < 0)
				return rc;
			e->weight = (uint16_t)v;
		} else if (kw(ps->tok, "PREFerred") || kw(ps->tok, "BACKup")) {
			int pref = kw(ps->tok, "PREFerred");

			if (d->method != VIPA_DIST_HOTSTANDBY)
				return perr(ps, ps->tokline,
					    "%s is only valid with DISTMETHOD HOTSTANDBY",
					    pref ? "PREFERRED" : "BACKUP");
			if ((rc = next(ps)) < 0)
				return rc;
			if (pref) {
				e->srvtype = VIPA_SRV_PREFERRED;
				continue;
			}
			e->srvtype = VIPA_SRV_BACKUP;
			if (at_end(ps) || !isdigit((unsigned char)ps->tok[0]) || looks_ipv4(ps->tok))
				return perr(ps, here(ps), "BACKUP needs a rank %d..%d", VIPA_MIN_RANK,
					    VIPA_MAX_RANK);
			if ((rc = num_arg(ps, "BACKUP rank", VIPA_MIN_RANK, VIPA_MAX_RANK, &v)) < 0)
				return rc;
			e->rank = (uint8_t)v;
		}
	}
	if (d->ndest == 0)
		return perr(ps, here(ps), "DESTIP needs ALL or at least one DYNAMICXCF address");
	return 0;
}

/* PORT p|p-q...; PORT has been consumed. */
static int
parse_ports(struct parser *ps, struct vipa_distribute *d)
{
	char t[TOK_MAX], *dash;
	long lo, hi, v;
	int rc, i;

	while (!at_end(ps) && isdigit((unsigned char)ps->tok[0])) {
		lib_strlcpy(t, ps->tok, sizeof(t));
		dash = strchr(t, '-');
		if (dash)
			*dash++ = '\0';
		lo = number(t);
		hi = dash ? number(dash) : lo;
		if (lo < 0 || hi < 0)
			return perr(ps, ps->tokline, "'%s' is not a valid port number", ps->tok);
		if (lo < 1 || lo > 65535)
			return perr(ps, ps->tokline, "port %s out of range 1..65535", t);
		if (hi < 1 || hi > 65535)
			return perr(ps, ps->tokline, "port %s out of range 1..65535", dash);
		if (hi < lo)
			return perr(ps, ps->tokline, "port range %s ends before it starts", ps->tok);
		for (v = lo; v <= hi; v++) {
			for (i = 0; i < d->nports; i++)
				if (d->ports[i] == v)
					return perr(ps, ps->tokline, "port %ld listed twice", v);
			if (d->nports >= VIPA_MAX_PORTS)
				return perr(ps, ps->tokline, "more than %d ports", VIPA_MAX_PORTS);
			d->ports[d->nports++] = (uint16_t)v;
		}
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if (d->nports == 0)
		return perr(ps, ps->prevline, "port number expected after PORT");
	return 0;
}

static int
dist_has_port(const struct vipa_distribute *d, uint16_t port)
{
	int i;

	for (i = 0; i < d->nports; i++)
		if (d->ports[i] == port)
			return 1;
	return 0;
}

static int
dist_dest_index(const struct vipa_distribute *d, const uint8_t x[16])
{
	int i;

	for (i = 0; i < d->ndest; i++)
		if (memcmp(d->dest[i].xcf, x, 16) == 0)
			return i;
	return -1;
}

/* The method-specific options seen on a VIPADISTRIBUTE, checked once the
 * DISTMETHOD is known. */
struct dist_opts {
	int proctype, procxcost, ilweighting, switchback, health;
	int line_proctype, line_procxcost, line_ilw, line_switchback, line_health;
};

/* VIPADISTRIBUTE DELETE: removes the named ports and destinations from the
 * VIPADISTRIBUTEs of the DVIPA, splitting a statement when only some of its
 * destinations go. */
static int
apply_dist_delete(struct parser *ps, const struct vipa_distribute *del, int line)
{
	struct vipa_profile *p = ps->p;
	char a[VIPA_ADDRSTRLEN], w[64];
	uint8_t matched[VIPA_MAX_PORTS];
	int j, k, i, n0 = p->ndist;

	memset(matched, 0, sizeof(matched));
	for (j = n0 - 1; j >= 0; j--) {
		struct vipa_distribute *d = &p->dist[j], rest;
		uint16_t common[VIPA_MAX_PORTS];
		int nc = 0;

		if (memcmp(d->dvipa, del->dvipa, 16) != 0)
			continue;
		for (k = 0; k < del->nports; k++)
			if (dist_has_port(d, del->ports[k])) {
				common[nc++] = del->ports[k];
				matched[k] = 1;
			}
		if (nc == 0)
			continue;
		rest = *d;
		rest.ndest = 0;
		if (del->destall != d->destall)
			return perr(ps, line,
				    "DESTIP %s does not match the VIPADISTRIBUTE at %s (DESTIP %s)",
				    del->destall ? "ALL" : "list", where(ps, d->src, d->line, w, sizeof(w)),
				    d->destall ? "ALL" : "list");
		if (!d->destall) {
			for (k = 0; k < del->ndest; k++)
				if (dist_dest_index(d, del->dest[k].xcf) < 0)
					return perr(ps, line,
						    "DESTIP %s is not a destination of the VIPADISTRIBUTE at %s",
						    vipa_addr_str(del->dest[k].xcf, a, sizeof(a)),
						    where(ps, d->src, d->line, w, sizeof(w)));
			for (k = 0; k < d->ndest; k++)
				if (dist_dest_index(del, d->dest[k].xcf) < 0)
					rest.dest[rest.ndest++] = d->dest[k];
		}
		/* The common ports leave d; those with destinations left come
		 * back as a statement of their own. */
		for (k = 0, i = 0; k < d->nports; k++) {
			int c, gone = 0;

			for (c = 0; c < nc; c++)
				if (common[c] == d->ports[k])
					gone = 1;
			if (!gone)
				d->ports[i++] = d->ports[k];
		}
		d->nports = i;
		if (rest.ndest > 0) {
			if (p->ndist >= VIPA_MAX_DIST)
				return perr(ps, line, "more than %d VIPADISTRIBUTE statements",
					    VIPA_MAX_DIST);
			rest.nports = nc;
			memcpy(rest.ports, common, sizeof(common[0]) * (size_t)nc);
			p->dist[p->ndist++] = rest;
		}
		if (d->nports == 0)
			remove_at(p->dist, &p->ndist, j, sizeof(p->dist[0]));
	}
	for (k = 0; k < del->nports; k++)
		if (!matched[k])
			return perr(ps, line, "port %u of %s is not distributed", del->ports[k],
				    vipa_addr_str(del->dvipa, a, sizeof(a)));
	return 0;
}

/* Checks a VIPADISTRIBUTE DEFINE once parsed. */
static int
dist_check(struct parser *ps, const struct vipa_distribute *d, const struct dist_opts *o,
	   int line)
{
	const struct vipa_profile *p = ps->p;
	char a[VIPA_ADDRSTRLEN], w[64];
	int i, k, npref = 0, nback = 0;

	if (o->proctype && d->method != VIPA_DIST_BASEWLM)
		return perr(ps, o->line_proctype, "PROCTYPE is only valid with DISTMETHOD BASEWLM");
	if (o->procxcost && d->method != VIPA_DIST_SERVERWLM)
		return perr(ps, o->line_procxcost, "PROCXCOST is only valid with DISTMETHOD SERVERWLM");
	if (o->ilweighting && d->method != VIPA_DIST_SERVERWLM)
		return perr(ps, o->line_ilw, "ILWEIGHTING is only valid with DISTMETHOD SERVERWLM");
	if (o->switchback && d->method != VIPA_DIST_HOTSTANDBY)
		return perr(ps, o->line_switchback,
			    "AUTOSWITCHBACK and NOAUTOSWITCHBACK are only valid with DISTMETHOD HOTSTANDBY");
	if (o->health && d->method != VIPA_DIST_HOTSTANDBY)
		return perr(ps, o->line_health,
			    "HEALTHSWITCH and NOHEALTHSWITCH are only valid with DISTMETHOD HOTSTANDBY");
	if (d->mip6 && d->v4)
		return perr(ps, line, "MOBILEIPV6 is only valid for an IPv6 DVIPA");
	if (d->method == VIPA_DIST_HOTSTANDBY) {
		if (d->destall)
			return perr(ps, line, "DESTIP ALL is not valid with DISTMETHOD HOTSTANDBY");
		for (i = 0; i < d->ndest; i++) {
			if (d->dest[i].srvtype == VIPA_SRV_PREFERRED)
				npref++;
			else if (d->dest[i].srvtype == VIPA_SRV_BACKUP)
				nback++;
			else
				return perr(ps, line,
					    "DESTIP %s needs PREFERRED or BACKUP rank with DISTMETHOD HOTSTANDBY",
					    vipa_addr_str(d->dest[i].xcf, a, sizeof(a)));
		}
		if (npref != 1 || nback < 1)
			return perr(ps, line,
				    "DISTMETHOD HOTSTANDBY needs exactly one PREFERRED and at least one BACKUP DESTIP");
		if (nback > VIPA_HS_MAX_BACKUP)
			return perr(ps, line, "more than %d BACKUP DESTIP addresses",
				    VIPA_HS_MAX_BACKUP);
	}
	/* Several VIPADISTRIBUTEs may name one DVIPA, for different ports. */
	for (i = 0; i < p->ndist; i++) {
		const struct vipa_distribute *o2 = &p->dist[i];

		if (memcmp(o2->dvipa, d->dvipa, 16) != 0)
			continue;
		for (k = 0; k < d->nports; k++)
			if (dist_has_port(o2, d->ports[k]))
				return perr(ps, line,
					    "port %u of %s is already distributed by the VIPADISTRIBUTE at %s",
					    d->ports[k], vipa_addr_str(d->dvipa, a, sizeof(a)),
					    where(ps, o2->src, o2->line, w, sizeof(w)));
	}
	if (p->ndist >= VIPA_MAX_DIST)
		return perr(ps, line, "more than %d VIPADISTRIBUTE statements", VIPA_MAX_DIST);
	return 0;
}

/* The DISTMETHOD value and the options that go with it. */
static int
parse_distmethod(struct parser *ps, struct vipa_distribute *d)
{
	char up[TOK_MAX];

	upcase(up, ps->tok, sizeof(up));
	if (at_end(ps))
		return perr(ps, here(ps),
			    "DISTMETHOD needs BASEWLM, ROUNDROBIN, SERVERWLM, WEIGHTEDACTIVE or HOTSTANDBY");
	if (kw(ps->tok, "ROUNDROBIN"))
		d->method = VIPA_DIST_ROUNDROBIN;
	else if (kw(ps->tok, "WEIGHTEDActive"))
		d->method = VIPA_DIST_WEIGHTEDACTIVE;
	else if (kw(ps->tok, "BASEWLM"))
		d->method = VIPA_DIST_BASEWLM;
	else if (kw(ps->tok, "SERVERWLM"))
		d->method = VIPA_DIST_SERVERWLM;
	else if (kw(ps->tok, "HOTSTANDBY"))
		d->method = VIPA_DIST_HOTSTANDBY;
	else if (kw(ps->tok, "TARGCONTROLLED") || kw(ps->tok, "TARGETCONTROLLED"))
		return perr(ps, ps->tokline,
			    "DISTMETHOD %s (multi-tier) is not supported by this emulator", up);
	else
		return perr(ps, ps->tokline,
			    "unknown DISTMETHOD '%s'; use BASEWLM, ROUNDROBIN, SERVERWLM, WEIGHTEDACTIVE or HOTSTANDBY",
			    ps->tok);
	return next(ps);
}

/* PROCTYPE [CP n] [ZAAP n] [ZIIP n] (percentages adding up to 100). */
static int
parse_proctype(struct parser *ps, struct vipa_distribute *d)
{
	int rc, seen = 0, line = ps->tokline;
	long v;

	d->proc_cp = d->proc_zaap = d->proc_ziip = 0;
	while (!at_end(ps) && (kw(ps->tok, "CP") || kw(ps->tok, "ZAAP") || kw(ps->tok, "ZIIP"))) {
		uint8_t *f = kw(ps->tok, "CP") ? &d->proc_cp : kw(ps->tok, "ZAAP") ? &d->proc_zaap :
			     &d->proc_ziip;
		char what[16];

		upcase(what, ps->tok, sizeof(what));
		if ((rc = next(ps)) < 0)
			return rc;
		if ((rc = num_arg(ps, what, 0, 100, &v)) < 0)
			return rc;
		*f = (uint8_t)v;
		seen++;
	}
	if (!seen)
		return perr(ps, here(ps), "PROCTYPE needs CP, ZAAP and ZIIP percentages");
	if (d->proc_cp + d->proc_zaap + d->proc_ziip != 100)
		return perr(ps, line, "PROCTYPE percentages add up to %d, not 100",
			    d->proc_cp + d->proc_zaap + d->proc_ziip);
	d->has_proctype = 1;
	return 0;
}

/* PROCXCOST [ZAAP n] [ZIIP n] (crossover costs 1..100). */
static int
parse_procxcost(struct parser *ps, struct vipa_distribute *d)
{
	int rc, seen = 0;
	long v;

	while (!at_end(ps) && (kw(ps->tok, "ZAAP") || kw(ps->tok, "ZIIP"))) {
		uint8_t *f = kw(ps->tok, "ZAAP") ? &d->xcost_zaap : &d->xcost_ziip;
		char what[16];

		upcase(what, ps->tok, sizeof(what));
		if ((rc = next(ps)) < 0)
			return rc;
		if ((rc = num_arg(ps, what, 1, 100, &v)) < 0)
			return rc;
		*f = (uint8_t)v;
		seen++;
	}
	if (!seen)
		return perr(ps, here(ps), "PROCXCOST needs ZAAP or ZIIP crossover costs");
	return 0;
}

/* VIPADISTRIBUTE; the keyword has been consumed. */
static int
parse_distribute(struct parser *ps, int line)
{
	struct vipa_profile *p = ps->p;
	struct vipa_distribute d;
	struct dist_opts o;
	char up[TOK_MAX];
	int rc, i, refline, del = 0;
	int seen_define = 0, seen_method = 0, seen_aff = 0, seen_mip = 0, seen_opt = 0,
	    seen_sp = 0;
	long v;

	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	d.method = VIPA_DIST_DEFAULT;
	d.autoswitchback = 1;
	d.healthswitch = 1;
	d.xcost_zaap = d.xcost_ziip = 1;
	d.line = line;
	d.src = (uint8_t)ps->obey;

	/* Options before the DVIPA, in any order. */
	for (;;) {
		if (at_end(ps))
			return perr(ps, here(ps), "DVIPA interface name or address expected");
		upcase(up, ps->tok, sizeof(up));
		if (kw(ps->tok, "DEFINE") || kw(ps->tok, "DELEte")) {
			if (seen_define++)
				return perr(ps, ps->tokline, "DEFINE or DELETE given twice");
			del = kw(ps->tok, "DELEte");
		} else if (kw(ps->tok, "DISTMethod")) {
			if (seen_method++)
				return perr(ps, ps->tokline, "DISTMETHOD given twice");
			if ((rc = next(ps)) < 0)
				return rc;
			if ((rc = parse_distmethod(ps, &d)) < 0)
				return rc;
			continue;
		} else if (kw(ps->tok, "PROCTYPE")) {
			if (o.proctype++)
				return perr(ps, ps->tokline, "PROCTYPE given twice");
			o.line_proctype = ps->tokline;
			if ((rc = next(ps)) < 0)
				return rc;
			if ((rc = parse_proctype(ps, &d)) < 0)
				return rc;
			continue;
		} else if (kw(ps->tok, "PROCXCOST")) {
			if (o.procxcost++)
				return perr(ps, ps->tokline, "PROCXCOST given twice");
			o.line_procxcost = ps->tokline;
			if ((rc = next(ps)) < 0)
				return rc;
			if ((rc = parse_procxcost(ps, &d)) < 0)
				return rc;
			continue;
		} else if (kw(ps->tok, "ILWEIGHTING")) {
			if (o.ilweighting++)
				return perr(ps, ps->tokline, "ILWEIGHTING given twice");
			o.line_ilw = ps->tokline;
			if ((rc = next(ps)) < 0)
				return rc;
			if ((rc = num_arg(ps, "ILWEIGHTING", 0, 3, &v)) < 0)
				return rc;
			d.ilweighting = (uint8_t)v;
			continue;
		} else if (kw(ps->tok, "AUTOSWITCHBACK") || kw(ps->tok, "NOAUTOSWITCHBACK")) {
			if (o.switchback++)
				return perr(ps, ps->tokline,
					    "AUTOSWITCHBACK or NOAUTOSWITCHBACK given twice");
			o.line_switchback = ps->tokline;
			d.autoswitchback = kw(ps->tok, "AUTOSWITCHBACK");
		} else if (kw(ps->tok, "HEALTHSWITCH") || kw(ps->tok, "NOHEALTHSWITCH")) {
			if (o.health++)
				return perr(ps, ps->tokline, "HEALTHSWITCH or NOHEALTHSWITCH given twice");
			o.line_health = ps->tokline;
			d.healthswitch = kw(ps->tok, "HEALTHSWITCH");
		} else if (kw(ps->tok, "OPTLOCAL") || kw(ps->tok, "NOOPTLOCAL")) {
			if (seen_opt++)
				return perr(ps, ps->tokline, "OPTLOCAL or NOOPTLOCAL given twice");
			if (kw(ps->tok, "NOOPTLOCAL")) {
				d.has_optlocal = 0;
			} else {
				d.has_optlocal = 1;
				d.optlocal = 1;
				if ((rc = next(ps)) < 0)
					return rc;
				if (!at_end(ps) && isdigit((unsigned char)ps->tok[0]) &&
				    !looks_ipv4(ps->tok)) {
					if ((rc = num_arg(ps, "OPTLOCAL", 0, VIPA_OPTLOCAL_MAX, &v)) < 0)
						return rc;
					d.optlocal = (uint8_t)v;
				}
				continue;
			}
		} else if (kw(ps->tok, "SYSPLEXPorts")) {
			if (seen_sp++)
				return perr(ps, ps->tokline, "SYSPLEXPORTS given twice");
			d.sysplexports = 1;
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
			d.timedaff = (uint16_t)v;
		} else if (kw(ps->tok, "MOBILEIPV6") || kw(ps->tok, "NOMOBILEIPV6")) {
			if (seen_mip++)
				return perr(ps, ps->tokline,
					    "MOBILEIPV6 or NOMOBILEIPV6 given twice");
			d.mip6 = kw(ps->tok, "MOBILEIPV6");
		} else if (is_unsupported_opt(ps->tok)) {
			return perr(ps, ps->tokline, "%s is not supported by this emulator", up);
		} else {
			break;
		}
		if ((rc = next(ps)) < 0)
			return rc;
	}

	/* The DVIPA: IPv4 address, IPv6 interface name or IPv6 address. */
	refline = ps->tokline;
	upcase(up, ps->tok, sizeof(up));
	if (kw(ps->tok, "DESTIP") || kw(ps->tok, "WEIGHT"))
		return perr(ps, refline, "DVIPA interface name or address expected before %s", up);
	if (looks_ipv4(ps->tok) || strchr(ps->tok, ':')) {
		uint8_t x[16];
		if ((rc = parse_addr(ps, x, FAM_ANY, NULL)) < 0)
			return rc;
		i = find_define_addr(p, x);
		vipa_addr_str(x, up, sizeof(up));
	} else {
		i = find_define_name(p, up);
	}
	if (i < 0)
		return perr(ps, refline,
			    "%s is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile",
			    up);
	lib_strlcpy(d.ifname, p->define[i].ifname, sizeof(d.ifname));
	memcpy(d.dvipa, p->define[i].addr, 16);
	d.v4 = p->define[i].v4;
	if ((rc = next(ps)) < 0)
		return rc;

	/* PORT p... */
	if (!ps->tok[0] || !kw(ps->tok, "PORT"))
		return perr(ps, here(ps), "PORT expected after %s", up);
	if ((rc = next(ps)) < 0)
		return rc;
	if ((rc = parse_ports(ps, &d)) < 0)
		return rc;

	/* DESTIP ... */
	if (at_end(ps))
		return perr(ps, here(ps), "DESTIP expected after the port list");
	if (!kw(ps->tok, "DESTIP"))
		return perr(ps, ps->tokline, "'%s' is not a valid port number", ps->tok);
	if ((rc = next(ps)) < 0)
		return rc;
	if ((rc = parse_destip(ps, &d)) < 0)
		return rc;
	if ((rc = stmt_end(ps)) < 0)
		return rc;
	if (del)
		return apply_dist_delete(ps, &d, line);
	if ((rc = dist_check(ps, &d, &o, line)) < 0)
		return rc;
	p->dist[p->ndist++] = d;
	return 0;
}

/* VIPARANGE [DEFINE|DELETE] [MOVEABLE NONDISRUPTIVE|DISRUPTIVE]
 * mask ipv4addr | intf ipv6addr/plen [SAF resname]; the keyword has been
 * consumed. */
static int
parse_viparange(struct parser *ps, int line)
{
	struct vipa_profile *p = ps->p;
	struct vipa_range r;
	char a[VIPA_ADDRSTRLEN], w[64], t[TOK_MAX], *slash;
	int rc, i, del = 0, seen = 0, addrline;
	long v;

	memset(&r, 0, sizeof(r));
	r.moveable = VIPA_MOVE_NONDISRUPTIVE;
	r.line = line;
	r.src = (uint8_t)ps->obey;
	while (!at_end(ps) && (kw(ps->tok, "DEFINE") || kw(ps->tok, "DELEte"))) {
		if (seen++)
			return perr(ps, ps->tokline, "DEFINE or DELETE given twice");
		del = kw(ps->tok, "DELEte");
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if ((rc = parse_moveable(ps, 1, &r.moveable)) < 0)
		return rc;
	if (at_end(ps))
		return perr(ps, here(ps),
			    "address mask and IPv4 address, or interface name and IPv6 prefix expected");
	if (looks_ipv4(ps->tok)) {
		int plen = mask_plen(ps->tok);

		if (plen < 0)
			return perr(ps, ps->tokline, "%s is not a valid address mask", ps->tok);
		r.v4 = 1;
		r.plen = (uint8_t)plen;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "IPv4 address expected after the address mask");
		if ((rc = parse_addr(ps, r.addr, FAM_V4, NULL)) < 0)
			return rc;
	} else {
		if (strchr(ps->tok, ':'))
			return perr(ps, ps->tokline, "interface name expected before %s", ps->tok);
		if ((rc = check_ifname(ps)) < 0)
			return rc;
		upcase(r.ifname, ps->tok, sizeof(r.ifname));
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "IPv6 prefix (address/length) expected after %s",
				    r.ifname);
		lib_strlcpy(t, ps->tok, sizeof(t));
		slash = strchr(t, '/');
		if (!slash)
			return perr(ps, ps->tokline,
				    "an IPv6 VIPARANGE needs a prefix length (address/length), not %s",
				    ps->tok);
		*slash++ = '\0';
		v = number(slash);
		if (v < 1 || v > 128)
			return perr(ps, ps->tokline, "prefix length '%s' out of range 1..128", slash);
		lib_strlcpy(ps->tok, t, sizeof(ps->tok));
		if ((rc = parse_addr(ps, r.addr, FAM_V6, NULL)) < 0)
			return rc;
		r.plen = (uint8_t)v;
		if (r.moveable == VIPA_MOVE_DISRUPTIVE)
			return perr(ps, line, "an IPv6 VIPARANGE is always MOVEABLE NONDISRUPTIVE");
	}
	addrline = ps->tokline;
	if ((rc = next(ps)) < 0)
		return rc;
	if (!at_end(ps) && kw(ps->tok, "SAF")) {
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "SAF needs a resource name");
		if (strlen(ps->tok) > VIPA_SAF_LEN || !isalpha((unsigned char)ps->tok[0]))
			return perr(ps, ps->tokline, "'%s' is not a valid SAF resource name (1-%d characters)",
				    ps->tok, VIPA_SAF_LEN);
		upcase(r.saf, ps->tok, sizeof(r.saf));
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if ((rc = stmt_end(ps)) < 0)
		return rc;

	vipa_addr_str(r.addr, a, sizeof(a));
	for (i = 0; i < p->nrange; i++) {
		const struct vipa_range *o = &p->range[i];

		if (o->v4 == r.v4 && o->plen == r.plen &&
		    prefix_eq(o->addr, r.addr, r.plen + (r.v4 ? 96 : 0)))
			break;
	}
	if (del) {
		if (i == p->nrange)
			return perr(ps, addrline, "no VIPARANGE %s/%u to delete", a, r.plen);
		remove_at(p->range, &p->nrange, i, sizeof(p->range[0]));
		return 0;
	}
	if (i < p->nrange)
		return perr(ps, addrline, "VIPARANGE %s/%u already defined at %s", a, r.plen,
			    where(ps, p->range[i].src, p->range[i].line, w, sizeof(w)));
	if (p->nrange >= VIPA_MAX_RANGE)
		return perr(ps, line, "more than %d VIPARANGE statements", VIPA_MAX_RANGE);
	p->range[p->nrange++] = r;
	return 0;
}

/* VIPAROUTE [DEFINE|DELETE] xcfaddr targetaddr; the keyword has been consumed. */
static int
parse_viparoute(struct parser *ps, int line)
{
	struct vipa_profile *p = ps->p;
	struct vipa_vroute r;
	char a[VIPA_ADDRSTRLEN], w[64];
	int rc, i, del = 0, seen = 0, v4 = 0, v4b = 0, xline;

	memset(&r, 0, sizeof(r));
	r.line = line;
	r.src = (uint8_t)ps->obey;
	while (!at_end(ps) && (kw(ps->tok, "DEFINE") || kw(ps->tok, "DELEte"))) {
		if (seen++)
			return perr(ps, ps->tokline, "DEFINE or DELETE given twice");
		del = kw(ps->tok, "DELEte");
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if (at_end(ps))
		return perr(ps, here(ps), "DYNAMICXCF address of the target expected");
	if ((rc = parse_addr(ps, r.xcf, FAM_ANY, &v4)) < 0)
		return rc;
	xline = ps->tokline;
	if ((rc = next(ps)) < 0)
		return rc;
	if (at_end(ps))
		return perr(ps, here(ps), "target IP address expected after the DYNAMICXCF address");
	if ((rc = parse_addr(ps, r.target, v4 ? FAM_V4 : FAM_V6, &v4b)) < 0)
		return rc;
	r.v4 = (uint8_t)v4;
	if ((rc = next(ps)) < 0)
		return rc;
	if ((rc = stmt_end(ps)) < 0)
		return rc;
	vipa_addr_str(r.xcf, a, sizeof(a));
	for (i = 0; i < p->nvroute; i++)
		if (memcmp(p->vroute[i].xcf, r.xcf, 16) == 0)
			break;
	if (del) {
		if (i == p->nvroute || memcmp(p->vroute[i].target, r.target, 16) != 0)
			return perr(ps, xline, "no VIPAROUTE for %s to that target to delete", a);
		remove_at(p->vroute, &p->nvroute, i, sizeof(p->vroute[0]));
		return 0;
	}
	if (i < p->nvroute)
		return perr(ps, xline, "VIPAROUTE for %s already defined at %s", a,
			    where(ps, p->vroute[i].src, p->vroute[i].line, w, sizeof(w)));
	if (p->nvroute >= VIPA_MAX_VROUTE)
		return perr(ps, line, "more than %d VIPAROUTE statements", VIPA_MAX_VROUTE);
	p->vroute[p->nvroute++] = r;
	return 0;
}

/* IPCONFIG; the keyword has been consumed.  DYNAMICXCF ipv4addr mask cost
 * (or ipv4addr/bits cost) is read; every other option is skipped. */
static int
parse_ipconfig(struct parser *ps)
{
	struct vipa_profile *p = ps->p;
	char t[TOK_MAX], *slash, a[VIPA_ADDRSTRLEN];
	uint8_t addr[16];
	int rc, plen, line;
	long v;

	while (!at_end(ps)) {
		if (!kw(ps->tok, "DYNAMICXCF")) {
			if ((rc = next(ps)) < 0)
				return rc;
			continue;
		}
		if (ps->dynxcf4_line)
			return perr(ps, ps->tokline, "DYNAMICXCF given twice (first at line %d)",
				    ps->dynxcf4_line);
		ps->dynxcf4_line = line = ps->tokline;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "DYNAMICXCF needs an IPv4 address, a subnet mask and a cost metric");
		lib_strlcpy(t, ps->tok, sizeof(t));
		slash = strchr(t, '/');
		if (slash)
			*slash++ = '\0';
		lib_strlcpy(ps->tok, t, sizeof(ps->tok));
		if ((rc = parse_addr(ps, addr, FAM_V4, NULL)) < 0)
			return rc;
		if (slash) {
			v = number(slash);
			if (v < 1 || v > 32)
				return perr(ps, ps->tokline, "mask bits '%s' out of range 1..32", slash);
			plen = (int)v;
			if ((rc = next(ps)) < 0)
				return rc;
		} else {
			if ((rc = next(ps)) < 0)
				return rc;
			if (at_end(ps))
				return perr(ps, here(ps), "DYNAMICXCF needs a subnet mask after the address");
			plen = mask_plen(ps->tok);
			if (plen < 0)
				return perr(ps, ps->tokline, "%s is not a valid subnet mask", ps->tok);
			if ((rc = next(ps)) < 0)
				return rc;
		}
		if (at_end(ps) || !isdigit((unsigned char)ps->tok[0]))
			return perr(ps, here(ps), "DYNAMICXCF needs a cost metric 0..255");
		if ((rc = num_arg(ps, "cost metric", 0, 255, &v)) < 0)
			return rc;
		if (ps->obey && p->has_dynxcf4 &&
		    (memcmp(p->dynxcf4, addr, 16) != 0 || p->dynxcf4_plen != plen))
			return perr(ps, line, "DYNAMICXCF cannot be changed by OBEYFILE (it is %s/%u)",
				    vipa_addr_str(p->dynxcf4, a, sizeof(a)), p->dynxcf4_plen);
		memcpy(p->dynxcf4, addr, 16);
		p->dynxcf4_plen = (uint8_t)plen;
		p->dynxcf4_cost = (uint8_t)v;
		p->has_dynxcf4 = 1;
	}
	return 0;
}

/* DATAPATH BPF|TUN (ours); the keyword has been consumed. */
static int
parse_datapath(struct parser *ps, int line)
{
	int rc;

	if (ps->datapath_line)
		return perr(ps, line, "DATAPATH given twice (first on line %d)", ps->datapath_line);
	ps->datapath_line = line;
	if (at_end(ps))
		return perr(ps, here(ps), "DATAPATH needs BPF or TUN");
	if (kw(ps->tok, "BPF"))
		ps->p->datapath = VIPA_DATAPATH_BPF;
	else if (kw(ps->tok, "TUN"))
		ps->p->datapath = VIPA_DATAPATH_TUN;
	else
		return perr(ps, ps->tokline, "DATAPATH %s: expected BPF or TUN", ps->tok);
	if ((rc = next(ps)) < 0)
		return rc;
	if (!at_end(ps))
		return perr(ps, ps->tokline, "DATAPATH takes one operand, not %s", ps->tok);
	return stmt_end(ps);
}

/* IPCONFIG6; the keyword has been consumed.  Options other than DYNAMICXCF
 * and its INTFID, and our MOBILEIPV6 / NOMOBILEIPV6 / MIP6BINDLIFETIME, are
 * skipped. */
static int
parse_ipconfig6(struct parser *ps)
{
	struct vipa_profile *p = ps->p;
	static const uint8_t zero[8];
	char a[VIPA_ADDRSTRLEN];
	uint8_t addr[16];
	int rc, line;

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

			if (ps->bindlife_line)
				return perr(ps, ps->tokline, "MIP6BINDLIFETIME given twice");
			ps->bindlife_line = ps->tokline;
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
		if (ps->dynxcf_line)
			return perr(ps, ps->tokline, "DYNAMICXCF given twice (first at line %d)",
				    ps->dynxcf_line);
		ps->dynxcf_line = line = ps->tokline;
		if ((rc = next(ps)) < 0)
			return rc;
		if (at_end(ps))
			return perr(ps, here(ps), "DYNAMICXCF needs an IPv6 address");
		if ((rc = parse_addr(ps, addr, FAM_V6, NULL)) < 0)
			return rc;
		if (ps->obey && p->has_dynxcf && memcmp(p->dynxcf, addr, 16) != 0)
			return perr(ps, line, "DYNAMICXCF cannot be changed by OBEYFILE (it is %s)",
				    vipa_addr_str(p->dynxcf, a, sizeof(a)));
		memcpy(p->dynxcf, addr, 16);
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
	case ST_VIPADELETE:
	case ST_VIPADISTRIBUTE:
	case ST_VIPARANGE:
	case ST_VIPAROUTE:
	case ST_ENDVIPADYNAMIC:
	case ST_BLOCK_SKIPPED:
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
	case ST_VIPADELETE:
	case ST_VIPADISTRIBUTE:
	case ST_VIPARANGE:
	case ST_VIPAROUTE:
	case ST_BLOCK_SKIPPED:
		if (!ps->in_block)
			return perr(ps, line, "only valid between VIPADYNAMIC and ENDVIPADYNAMIC");
		switch (sd->kind) {
		case ST_VIPADISTRIBUTE:
			return parse_distribute(ps, line);
		case ST_VIPADELETE:
			return parse_vipadelete(ps, line);
		case ST_VIPARANGE:
			return parse_viparange(ps, line);
		case ST_VIPAROUTE:
			return parse_viparoute(ps, line);
		case ST_BLOCK_SKIPPED:
			pwarn(ps, line, "skipped: not emulated");
			return skip_statement(ps);
		default:
			return parse_define(ps, sd->kind == ST_VIPABACKUP, line);
		}
	case ST_UNSUPPORTED:
		return perr(ps, line, "statement is not supported by this emulator");
	case ST_IPCONFIG:
		return parse_ipconfig(ps);
	case ST_IPCONFIG6:
		return parse_ipconfig6(ps);
	case ST_DATAPATH:
		return parse_datapath(ps, line);
	case ST_IGNORED:
		pwarn(ps, line, "skipped: not emulated");
		return skip_statement(ps);
	case ST_SKIP_BLOCK:
		while (ps->tok[0] && !kw(ps->tok, sd->end))
			if ((rc = next(ps)) < 0)
				return rc;
		if (!ps->tok[0])
			return perr(ps, line, "missing %s", sd->end);
		pwarn(ps, line, "skipped up to %s: not emulated", sd->end);
		if ((rc = next(ps)) < 0)
			return rc;
		return 0;
	case ST_END_BLOCK: {
		size_t i;

		for (i = 0; i < LIB_ARRAY_LEN(stmt_defs); i++)
			if (stmt_defs[i].end && strcmp(stmt_defs[i].end, sd->kw) == 0)
				return perr(ps, line, "%s without %s", sd->kw, stmt_defs[i].kw);
		return perr(ps, line, "%s without its opening statement", sd->kw);
	}
	}
	return perr(ps, line, "internal error");
}

/* The checks that need the whole profile. */
static int
profile_check(struct parser *ps)
{
	const struct vipa_profile *p = ps->p;
	int i, v6 = 0, v4line = 0;

	for (i = 0; i < p->ndefine; i++) {
		if (!p->define[i].v4)
			v6 = 1;
		else if (!v4line)
			v4line = p->define[i].line;
	}
	for (i = 0; i < p->nrange; i++) {
		if (!p->range[i].v4)
			v6 = 1;
		else if (!v4line)
			v4line = p->range[i].line;
	}
	for (i = 0; i < p->nvroute; i++) {
		if (!p->vroute[i].v4)
			v6 = 1;
		else if (!v4line)
			v4line = p->vroute[i].line;
	}
	lib_strlcpy(ps->stmt, "VIPADYNAMIC", sizeof(ps->stmt));
	if (ps->in_block)
		return perr(ps, ps->block_line, "missing ENDVIPADYNAMIC");
	/* An IPv6 DVIPA (or an empty block) needs IPCONFIG6 DYNAMICXCF, an
	 * IPv4 one IPCONFIG DYNAMICXCF. */
	if (ps->first_block_line && !p->has_dynxcf && (v6 || !v4line))
		return perr(ps, ps->first_block_line, "VIPADYNAMIC requires IPCONFIG6 DYNAMICXCF");
	if (v4line && !p->has_dynxcf4)
		return perr(ps, v4line, "IPv4 DVIPAs require IPCONFIG DYNAMICXCF");
	return 0;
}

static int
parse(struct parser *ps, struct vipa_profile *p, const char *name, char *err, size_t errlen)
{
	int rc;

	if (!ps->obey) {
		memset(p, 0, sizeof(*p));
		lib_strlcpy(p->path, name, sizeof(p->path));
	}
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
	return profile_check(ps);
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
	case VIPA_DIST_BASEWLM:
		return "BASEWLM";
	case VIPA_DIST_SERVERWLM:
		return "SERVERWLM";
	case VIPA_DIST_HOTSTANDBY:
		return "HOTSTANDBY";
	}
	return "?";
}

static const char *
moveable_name(enum vipa_moveable m)
{
	switch (m) {
	case VIPA_MOVE_WHENIDLE:
		return "WHENIDLE";
	case VIPA_MOVE_NONDISRUPTIVE:
		return "NONDISRUPTIVE";
	case VIPA_MOVE_DISRUPTIVE:
		return "DISRUPTIVE";
	default:
		return "IMMEDIATE";
	}
}

static void
print_dist(const struct vipa_distribute *d, FILE *out)
{
	char a[VIPA_ADDRSTRLEN];
	int j;

	fprintf(out, "  VIPADISTRIBUTE DEFINE DISTMETHOD %s", vipa_distmethod_name(d->method));
	if (d->method == VIPA_DIST_BASEWLM && d->has_proctype)
		fprintf(out, " PROCTYPE CP %u ZAAP %u ZIIP %u", d->proc_cp, d->proc_zaap,
			d->proc_ziip);
	if (d->method == VIPA_DIST_SERVERWLM)
		fprintf(out, " PROCXCOST ZAAP %u ZIIP %u ILWEIGHTING %u", d->xcost_zaap,
			d->xcost_ziip, d->ilweighting);
	if (d->method == VIPA_DIST_HOTSTANDBY)
		fprintf(out, " %s %s", d->autoswitchback ? "AUTOSWITCHBACK" : "NOAUTOSWITCHBACK",
			d->healthswitch ? "HEALTHSWITCH" : "NOHEALTHSWITCH");
	if (d->timedaff)
		fprintf(out, " TIMEDAFFINITY %u", d->timedaff);
	if (d->has_optlocal)
		fprintf(out, " OPTLOCAL %u", d->optlocal);
	if (d->sysplexports)
		fputs(" SYSPLEXPORTS", out);
	if (!d->v4)
		fprintf(out, " %s", d->mip6 ? "MOBILEIPV6" : "NOMOBILEIPV6");
	fprintf(out, " %s PORT", d->ifname[0] ? d->ifname : vipa_addr_str(d->dvipa, a, sizeof(a)));
	for (j = 0; j < d->nports; j++)
		fprintf(out, " %u", d->ports[j]);
	fputs(" DESTIP", out);
	if (d->destall)
		fputs(" ALL", out);
	for (j = 0; !d->destall && j < d->ndest; j++) {
		const struct vipa_dest *e = &d->dest[j];

		fprintf(out, " %s", vipa_addr_str(e->xcf, a, sizeof(a)));
		if (d->method == VIPA_DIST_WEIGHTEDACTIVE)
			fprintf(out, " WEIGHT %u", e->weight);
		else if (d->method == VIPA_DIST_HOTSTANDBY && e->srvtype == VIPA_SRV_PREFERRED)
			fputs(" PREFERRED", out);
		else if (d->method == VIPA_DIST_HOTSTANDBY)
			fprintf(out, " BACKUP %u", e->rank);
	}
	fputc('\n', out);
}

void
vipa_profile_print(const struct vipa_profile *p, FILE *out)
{
	char a[VIPA_ADDRSTRLEN], m[VIPA_ADDRSTRLEN];
	int i;

	if (p->has_dynxcf4)
		fprintf(out, "IPCONFIG DYNAMICXCF %s %s %u\n", vipa_addr_str(p->dynxcf4, a, sizeof(a)),
			mask_str(p->dynxcf4_plen, m, sizeof(m)), p->dynxcf4_cost);
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
	if (p->datapath)
		fprintf(out, "DATAPATH %s\n", p->datapath == VIPA_DATAPATH_TUN ? "TUN" : "BPF");
	if (p->ndefine == 0 && p->ndist == 0 && p->nrange == 0 && p->nvroute == 0)
		return;
	fputs("VIPADYNAMIC\n", out);
	for (i = 0; i < p->ndefine; i++) {
		const struct vipa_define *d = &p->define[i];

		if (d->backup)
			fprintf(out, "  VIPABACKUP %u", d->rank);
		else
			fputs("  VIPADEFINE", out);
		fprintf(out, " MOVEABLE %s", moveable_name(d->moveable));
		if (d->v4)
			fprintf(out, " %s %s\n", mask_str(d->plen, m, sizeof(m)),
				vipa_addr_str(d->addr, a, sizeof(a)));
		else
			fprintf(out, " %s %s\n", d->ifname, lib_ip6_str(d->addr, a, sizeof(a)));
	}
	for (i = 0; i < p->nrange; i++) {
		const struct vipa_range *r = &p->range[i];

		fprintf(out, "  VIPARANGE DEFINE MOVEABLE %s", moveable_name(r->moveable));
		if (r->v4)
			fprintf(out, " %s %s", mask_str(r->plen, m, sizeof(m)),
				vipa_addr_str(r->addr, a, sizeof(a)));
		else
			fprintf(out, " %s %s/%u", r->ifname, lib_ip6_str(r->addr, a, sizeof(a)), r->plen);
		if (r->saf[0])
			fprintf(out, " SAF %s", r->saf);
		fputc('\n', out);
	}
	for (i = 0; i < p->ndist; i++)
		print_dist(&p->dist[i], out);
	for (i = 0; i < p->nvroute; i++)
		fprintf(out, "  VIPAROUTE DEFINE %s %s\n", vipa_addr_str(p->vroute[i].xcf, a, sizeof(a)),
			vipa_addr_str(p->vroute[i].target, m, sizeof(m)));
	fputs("ENDVIPADYNAMIC\n", out);
}

void
vipa_profile_print_warnings(const struct vipa_profile *p, FILE *out)
{
	int i;

	for (i = 0; i < p->nwarn && i < VIPA_MAX_WARN; i++)
		fprintf(out, "%s\n", p->warn[i]);
	if (p->nwarn > VIPA_MAX_WARN)
		fprintf(out, "... and %d more skipped statements\n", p->nwarn - VIPA_MAX_WARN);
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

const struct vipa_distribute *
vipa_profile_dist_port(const struct vipa_profile *p, const uint8_t dvipa[16], uint16_t port)
{
	int i;

	for (i = 0; i < p->ndist; i++)
		if (memcmp(p->dist[i].dvipa, dvipa, 16) == 0 && dist_has_port(&p->dist[i], port))
			return &p->dist[i];
	return NULL;
}

const struct vipa_range *
vipa_profile_range_match(const struct vipa_profile *p, const uint8_t addr[16])
{
	const struct vipa_range *best = NULL;
	int i, v4 = vipa_addr_is_v4(addr);

	for (i = 0; i < p->nrange; i++) {
		const struct vipa_range *r = &p->range[i];

		if (r->v4 != v4 || !prefix_eq(r->addr, addr, r->plen + (v4 ? 96 : 0)))
			continue;
		if (!best || r->plen > best->plen)
			best = r;
	}
	return best;
}

const struct vipa_vroute *
vipa_profile_vroute(const struct vipa_profile *p, const uint8_t xcf[16])
{
	int i;

	for (i = 0; i < p->nvroute; i++)
		if (memcmp(p->vroute[i].xcf, xcf, 16) == 0)
			return &p->vroute[i];
	return NULL;
}

/* ---- OBEYFILE ----------------------------------------------------------------------- */

const char *
vipa_change_name(enum vipa_change_kind k)
{
	switch (k) {
	case VIPA_CHG_DIST_DEL:
		return "VIPADISTRIBUTE DELETE";
	case VIPA_CHG_DVIPA_DEL:
		return "VIPADELETE";
	case VIPA_CHG_RANGE_DEL:
		return "VIPARANGE DELETE";
	case VIPA_CHG_VROUTE_DEL:
		return "VIPAROUTE DELETE";
	case VIPA_CHG_DVIPA_ADD:
		return "VIPADEFINE";
	case VIPA_CHG_RANGE_ADD:
		return "VIPARANGE DEFINE";
	case VIPA_CHG_VROUTE_ADD:
		return "VIPAROUTE DEFINE";
	case VIPA_CHG_DIST_ADD:
		return "VIPADISTRIBUTE DEFINE";
	}
	return "?";
}

/* Same distribution options (everything but ports and destinations). */
static int
dist_same_opts(const struct vipa_distribute *a, const struct vipa_distribute *b)
{
	return a->method == b->method && a->timedaff == b->timedaff && a->mip6 == b->mip6 &&
	       a->has_optlocal == b->has_optlocal && a->optlocal == b->optlocal &&
	       a->sysplexports == b->sysplexports && a->autoswitchback == b->autoswitchback &&
	       a->healthswitch == b->healthswitch && a->has_proctype == b->has_proctype &&
	       a->proc_cp == b->proc_cp && a->proc_zaap == b->proc_zaap &&
	       a->proc_ziip == b->proc_ziip && a->xcost_zaap == b->xcost_zaap &&
	       a->xcost_ziip == b->xcost_ziip && a->ilweighting == b->ilweighting;
}

/* Is (dvipa of d, port, destination k of d or ALL) distributed the same way
 * in profile q? */
static int
dist_triple_in(const struct vipa_profile *q, const struct vipa_distribute *d, uint16_t port,
	       int k)
{
	int i, j;

	for (i = 0; i < q->ndist; i++) {
		const struct vipa_distribute *e = &q->dist[i];

		if (memcmp(e->dvipa, d->dvipa, 16) != 0 || !dist_has_port(e, port))
			continue;
		if (e->destall != d->destall || !dist_same_opts(d, e))
			return 0;
		if (d->destall)
			return 1;
		j = dist_dest_index(e, d->dest[k].xcf);
		return j >= 0 && e->dest[j].weight == d->dest[k].weight &&
		       e->dest[j].srvtype == d->dest[k].srvtype && e->dest[j].rank == d->dest[k].rank;
	}
	return 0;
}

static int
define_in(const struct vipa_profile *q, const struct vipa_define *d)
{
	int i;

	for (i = 0; i < q->ndefine; i++) {
		const struct vipa_define *e = &q->define[i];

		if (memcmp(e->addr, d->addr, 16) == 0 && e->backup == d->backup &&
		    e->rank == d->rank && e->moveable == d->moveable && e->plen == d->plen &&
		    strcmp(e->ifname, d->ifname) == 0)
			return 1;
	}
	return 0;
}

static int
range_in(const struct vipa_profile *q, const struct vipa_range *r)
{
	int i;

	for (i = 0; i < q->nrange; i++) {
		const struct vipa_range *e = &q->range[i];

		if (memcmp(e->addr, r->addr, 16) == 0 && e->plen == r->plen &&
		    e->moveable == r->moveable && strcmp(e->saf, r->saf) == 0 &&
		    strcmp(e->ifname, r->ifname) == 0)
			return 1;
	}
	return 0;
}

static int
vroute_in(const struct vipa_profile *q, const struct vipa_vroute *r)
{
	int i;

	for (i = 0; i < q->nvroute; i++)
		if (memcmp(q->vroute[i].xcf, r->xcf, 16) == 0 &&
		    memcmp(q->vroute[i].target, r->target, 16) == 0)
			return 1;
	return 0;
}

struct chglist {
	struct vipa_change *c;
	int cap, n, full;
};

static void
chg_add(struct chglist *l, enum vipa_change_kind k, int index, const uint8_t addr[16])
{
	struct vipa_change *c;

	if (l->n >= l->cap) {
		l->full = 1;
		return;
	}
	c = &l->c[l->n++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->index = index;
	memcpy(c->addr, addr, 16);
}

/* The distribution triples of profile a missing from profile b. */
static void
dist_diff(struct chglist *l, enum vipa_change_kind k, const struct vipa_profile *a,
	  const struct vipa_profile *b)
{
	int i, j, m;

	for (i = 0; i < a->ndist; i++) {
		const struct vipa_distribute *d = &a->dist[i];

		for (j = 0; j < d->nports; j++)
			for (m = 0; m < (d->destall ? 1 : d->ndest); m++) {
				if (dist_triple_in(b, d, d->ports[j], m))
					continue;
				chg_add(l, k, i, d->dvipa);
				if (l->full)
					return;
				l->c[l->n - 1].port = d->ports[j];
				l->c[l->n - 1].destall = d->destall;
				if (!d->destall)
					memcpy(l->c[l->n - 1].dest, d->dest[m].xcf, 16);
			}
	}
}

static void
profile_diff(struct chglist *l, const struct vipa_profile *a, const struct vipa_profile *b)
{
	int i;

	dist_diff(l, VIPA_CHG_DIST_DEL, a, b);
	for (i = 0; i < a->ndefine; i++)
		if (!define_in(b, &a->define[i]))
			chg_add(l, VIPA_CHG_DVIPA_DEL, i, a->define[i].addr);
	for (i = 0; i < a->nrange; i++)
		if (!range_in(b, &a->range[i]))
			chg_add(l, VIPA_CHG_RANGE_DEL, i, a->range[i].addr);
	for (i = 0; i < a->nvroute; i++)
		if (!vroute_in(b, &a->vroute[i]))
			chg_add(l, VIPA_CHG_VROUTE_DEL, i, a->vroute[i].xcf);
	for (i = 0; i < b->ndefine; i++)
		if (!define_in(a, &b->define[i]))
			chg_add(l, VIPA_CHG_DVIPA_ADD, i, b->define[i].addr);
	for (i = 0; i < b->nrange; i++)
		if (!range_in(a, &b->range[i]))
			chg_add(l, VIPA_CHG_RANGE_ADD, i, b->range[i].addr);
	for (i = 0; i < b->nvroute; i++)
		if (!vroute_in(a, &b->vroute[i]))
			chg_add(l, VIPA_CHG_VROUTE_ADD, i, b->vroute[i].xcf);
	dist_diff(l, VIPA_CHG_DIST_ADD, b, a);
}

static int
obey(struct parser *ps, const struct vipa_profile *cur, struct vipa_profile *next,
     const char *name, struct vipa_change *chg, int cap, int *nchg, char *err, size_t errlen)
{
	struct chglist l = { chg, cap, 0, 0 };
	int i, rc;

	*nchg = 0;
	if (cur == next) {
		if (err && errlen)
			snprintf(err, errlen, "%s:0: OBEYFILE: the running and the new profile must differ",
				 name);
		return -EINVAL;
	}
	memcpy(next, cur, sizeof(*next));
	next->nwarn = 0;
	memset(next->warn, 0, sizeof(next->warn));
	for (i = 0; i < next->ndefine; i++)
		next->define[i].src = 0;
	for (i = 0; i < next->ndist; i++)
		next->dist[i].src = 0;
	for (i = 0; i < next->nrange; i++)
		next->range[i].src = 0;
	for (i = 0; i < next->nvroute; i++)
		next->vroute[i].src = 0;
	ps->obey = 1;
	rc = parse(ps, next, name, err, errlen);
	if (rc < 0)
		return rc;
	profile_diff(&l, cur, next);
	if (l.full) {
		if (err && errlen)
			snprintf(err, errlen, "%s:0: OBEYFILE: more than %d changes", name, cap);
		return -ENOSPC;
	}
	*nchg = l.n;
	return 0;
}

int
vipa_profile_obey_buf(const struct vipa_profile *cur, struct vipa_profile *next, const char *name,
		      const char *buf, size_t len, struct vipa_change *chg, int cap, int *nchg,
		      char *err, size_t errlen)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.buf = buf ? buf : "";
	ps.len = buf ? len : 0;
	return obey(&ps, cur, next, name ? name : "(buffer)", chg, cap, nchg, err, errlen);
}

int
vipa_profile_obey_file(const struct vipa_profile *cur, struct vipa_profile *next, const char *path,
		       struct vipa_change *chg, int cap, int *nchg, char *err, size_t errlen)
{
	struct parser ps;
	int rc;

	*nchg = 0;
	memset(&ps, 0, sizeof(ps));
	ps.f = fopen(path, "r");
	if (!ps.f) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen, "%s:0: OBEYFILE: cannot open: %s", path, strerror(e));
		return -EINVAL;
	}
	rc = obey(&ps, cur, next, path, chg, cap, nchg, err, errlen);
	fclose(ps.f);
	return rc;
}
