/*
 * ctl.c - the stack's control socket (STATEDIR/ctl.sock, mode 0600) and the
 * operator displays it answers, in z/OS form or as JSON.
 *
 * Protocol (docs/RUNTIME.md): one request line "[JSON ]COMMAND\n"; the answer
 * is "RC=0\n" or "RC=8\n" and a body, then the server closes.  A bad command
 * gets one line naming what was expected; it never affects the daemon.
 */
#include "tcpip-stack/stack.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTL_LINE_MAX 1024

struct ctl_client {
	uv_pipe_t pipe;
	struct stack *s;
	char line[CTL_LINE_MAX + 1];
	size_t len;
	int done;
	uv_write_t wr;
	struct lib_sbuf out;
};

static unsigned report_seq;

/* ---- helpers --------------------------------------------------------------- */

static const char *
ip6(const uint8_t a[16], char *buf)
{
	return lib_ip6_str(a, buf, 64);
}

static void
header(struct stack *s, struct lib_sbuf *o)
{
	lib_sbuf_printf(o, "EZD0101I NETSTAT CS V2R5 %s %u\n", s->tcpname, ++report_seq);
}

static const char *
state_name(uint8_t st)
{
	return st == VIPA_CONN_EST ? "ESTABLISHED" : "SYN-RECEIVED";
}

static const char *
bypass_name(uint8_t b)
{
	switch (b) {
	case VIPA_BYPASS_TESTING: return "TESTING";
	case VIPA_BYPASS_BOUND: return "BOUND";
	default: return "NONE";
	}
}

/* Is the stack the routing stack of any DVIPA? */
static int
is_distributor(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].owned && s->dv[i].has_dist)
			return 1;
	return 0;
}

/* ---- VDPT ------------------------------------------------------------------------ */

static int
cmp_vdpt(const void *a, const void *b)
{
	const struct vipa_vdpt_entry *x = *(const struct vipa_vdpt_entry *const *)a;
	const struct vipa_vdpt_entry *y = *(const struct vipa_vdpt_entry *const *)b;
	int c = memcmp(x->dvipa, y->dvipa, 16);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->dest_xcf, y->dest_xcf, 16);
}

static void
show_vdpt(struct stack *s, int detail, int json, struct lib_sbuf *o)
{
	const struct vipa_vdpt_entry *rows[VIPA_VDPT_MAX];
	char a[64], b[64];
	int i, n = 0;

	for (i = 0; i < s->vdpt->n; i++)
		if (s->vdpt->e[i].used)
			rows[n++] = &s->vdpt->e[i];
	qsort(rows, (size_t)n, sizeof(rows[0]), cmp_vdpt);
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"vdpt\":[", s->sysname,
				s->tcpname);
		for (i = 0; i < n; i++) {
			const struct vipa_vdpt_entry *e = rows[i];
			lib_sbuf_printf(o, "%s{\"dest\":\"%s\",\"port\":%u,\"destxcf\":\"%s\","
					"\"destname\":", i ? "," : "", ip6(e->dvipa, a), e->port,
					ip6(e->dest_xcf, b));
			lib_sbuf_json_str(o, e->dest_name);
			lib_sbuf_printf(o, ",\"rdy\":%u,\"totalconn\":%u,\"actconn\":%u,\"weight\":%u,"
					"\"quiesced\":%s}", e->rdy, e->totalconn, e->active, e->weight,
					(e->flags & VIPA_VDPT_F_QUIESCED) ? "true" : "false");
		}
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:\n");
	for (i = 0; i < n; i++) {
		const struct vipa_vdpt_entry *e = rows[i];
		lib_sbuf_printf(o, "DEST:         %s..%u\n", ip6(e->dvipa, a), e->port);
		lib_sbuf_printf(o, "  DESTXCF:    %s\n", ip6(e->dest_xcf, b));
		lib_sbuf_printf(o, "  TOTALCONN:  %010u  RDY: %03u  WLM: %02u  TSR: 100\n",
				e->totalconn, e->rdy, e->weight > 99 ? 99 : e->weight);
		lib_sbuf_printf(o, "  FLG: %s\n", (e->flags & VIPA_VDPT_F_QUIESCED) ? "QUIESCED" : "");
		if (detail) {
			lib_sbuf_printf(o, "  DESTNAME:   %s\n", e->dest_name[0] ? e->dest_name : "-");
			lib_sbuf_printf(o, "  ACTCONN:    %010u\n", e->active);
		}
	}
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", n, n);
}

/* ---- VCRT ------------------------------------------------------------------------ */

struct vcrt_ctx {
	struct lib_sbuf *o;
	int detail, json, n, owner;
};

static int
vcrt_row(struct vipa_conn *c, void *arg)
{
	struct vcrt_ctx *v = arg;
	char a[64], b[64], d[64], e[64];

	if (v->json) {
		lib_sbuf_printf(v->o, "%s{\"dest\":\"%s\",\"dport\":%u,\"source\":\"%s\",\"sport\":%u,"
				"\"destxcf\":\"%s\",\"state\":\"%s\",\"bypass\":\"%s\",\"careof\":%s%s%s,"
				"\"fwdpkts\":%llu,\"fwdbytes\":%llu}",
				v->n ? "," : "", ip6(c->key.dvipa, a), c->key.dport,
				ip6(c->key.client, b), c->key.cport, ip6(c->dest_xcf, d),
				state_name(c->state), bypass_name(c->bypass),
				c->bypass == VIPA_BYPASS_BOUND ? "\"" : "",
				c->bypass == VIPA_BYPASS_BOUND ? ip6(c->coa, e) : "null",
				c->bypass == VIPA_BYPASS_BOUND ? "\"" : "",
				(unsigned long long)c->pkts_fwd, (unsigned long long)c->bytes_fwd);
	} else {
		lib_sbuf_printf(v->o, "DEST:         %s..%u\n", ip6(c->key.dvipa, a), c->key.dport);
		lib_sbuf_printf(v->o, "  SOURCE:     %s..%u\n", ip6(c->key.client, b), c->key.cport);
		lib_sbuf_printf(v->o, "  DESTXCF:    %s\n", ip6(c->dest_xcf, d));
		if (v->detail) {
			lib_sbuf_printf(v->o, "  STATE:      %s\n", state_name(c->state));
			lib_sbuf_printf(v->o, "  BYPASS:     %s", bypass_name(c->bypass));
			if (c->bypass == VIPA_BYPASS_BOUND)
				lib_sbuf_printf(v->o, "  CAREOF: %s", ip6(c->coa, e));
			lib_sbuf_printf(v->o, "\n");
			if (v->owner)
				lib_sbuf_printf(v->o, "  FWDPKTS:    %010llu  FWDBYTES: %llu\n",
						(unsigned long long)c->pkts_fwd,
						(unsigned long long)c->bytes_fwd);
		}
	}
	v->n++;
	return 0;
}

static void
show_vcrt(struct stack *s, int detail, int json, struct lib_sbuf *o)
{
	struct vcrt_ctx v = { o, detail, json, 0, 0 };
	struct vipa_vcrt *t;

	/* The distributor shows every routed connection, a target those it
	 * terminates. */
	v.owner = is_distributor(s);
	t = v.owner ? s->vcrt : s->tconn;
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"role\":\"%s\",\"vcrt\":[",
				s->sysname, s->tcpname, v.owner ? "distributor" : "target");
		vipa_vcrt_foreach(t, vcrt_row, &v);
		lib_sbuf_printf(o, "],\"records\":%d}\n", v.n);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "DYNAMIC VIPA CONNECTION ROUTING TABLE:\n");
	vipa_vcrt_foreach(t, vcrt_row, &v);
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", v.n, v.n);
}

/* ---- VIPADYN / VIPADCFG -------------------------------------------------------------- */

static const char *
origin_name(const struct stack_dvipa *d)
{
	if (d->defined)
		return "VIPADEFINE";
	if (d->backup)
		return "VIPABACKUP";
	return "VIPADISTRIBUTE";
}

static void
show_vipadyn(struct stack *s, int json, struct lib_sbuf *o)
{
	char a[64], t[32];
	int i, n = 0;

	if (json)
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"vipadyn\":[", s->sysname,
				s->tcpname);
	else {
		header(s, o);
		lib_sbuf_printf(o, "DYNAMIC VIPA:\n");
	}
	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		if (!d->defined && !d->backup && !d->target && !d->owned)
			continue;
		if (json) {
			lib_sbuf_printf(o, "%s{\"ipaddr\":\"%s\",\"intfname\":", n ? "," : "",
					ip6(d->addr, a));
			lib_sbuf_json_str(o, d->ifname);
			lib_sbuf_printf(o, ",\"status\":\"%s\",\"origin\":\"%s\",\"diststat\":\"%s\","
					"\"rank\":%u,\"owner\":", stack_dvipa_status(d), origin_name(d),
					stack_dvipa_diststat(d), d->rank);
			lib_sbuf_json_str(o, d->owner);
			lib_sbuf_printf(o, "}");
		} else {
			time_t tt = (time_t)(d->activated_wall_ms / 1000);
			struct tm tm;

			lib_sbuf_printf(o, "  INTFNAME: %s\n", d->ifname[0] ? d->ifname : "-");
			lib_sbuf_printf(o, "    IPADDR: %s\n", ip6(d->addr, a));
			lib_sbuf_printf(o, "    STATUS: %-10s ORIGIN: %-14s DISTSTAT: %s\n",
					stack_dvipa_status(d), origin_name(d), stack_dvipa_diststat(d));
			if (d->owned) {
				gmtime_r(&tt, &tm);
				strftime(t, sizeof(t), "%m/%d/%Y %H:%M:%S", &tm);
				lib_sbuf_printf(o, "    ACTTIME: %s\n", t);
			}
		}
		n++;
	}
	if (json)
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
	else
		lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", n, n);
}

static void
show_vipadcfg(struct stack *s, int json, struct lib_sbuf *o)
{
	if (json) {
		/* The normalized profile is the configuration; JSON mirrors VIPADYN. */
		show_vipadyn(s, 1, o);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "DYNAMIC VIPA INFORMATION:\n");
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f) {
			vipa_profile_print(&s->prof, f);
			fclose(f);
			lib_sbuf_printf(o, "%s", buf ? buf : "");
			free(buf);
		}
	}
	lib_sbuf_printf(o, "END OF THE REPORT\n");
}

/* ---- private queries for the launcher, tests and benchmarks ---------------------------- */

static void
show_role(struct stack *s, struct lib_sbuf *o)
{
	char a[64];
	int i;

	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		const char *ds = stack_dvipa_diststat(d);
		if (!d->defined && !d->backup && !d->target && !d->owned)
			continue;
		lib_sbuf_printf(o, "%s %s %s\n", ip6(d->addr, a), stack_dvipa_status(d),
				ds[0] ? ds : "-");
	}
}

static void
show_stats(struct stack *s, struct lib_sbuf *o)
{
	struct vipa_store_stats st;
	const struct lib_verdicts *vs[3];
	int i, j;

	memset(&st, 0, sizeof(st));
	if (s->store)
		vipa_store_stats(s->store, &st);
	lib_sbuf_printf(o, "{\"system\":\"%s\",\"rx_pkts\":%llu,\"rx_bytes\":%llu,\"fwd_pkts\":%llu,"
			"\"fwd_bytes\":%llu,\"local_pkts\":%llu,\"strip_pkts\":%llu,\"new_conns\":%llu,"
			"\"no_target\":%llu,\"no_entry\":%llu,\"tun_write_err\":%llu,"
			"\"vcrt\":%zu,\"store\":{\"queued\":%llu,\"written\":%llu,\"flushes\":%llu,"
			"\"errors\":%llu,\"dropped\":%llu,\"reopened\":%llu",
			s->sysname,
			(unsigned long long)s->cnt.rx_pkts, (unsigned long long)s->cnt.rx_bytes,
			(unsigned long long)s->cnt.fwd_pkts, (unsigned long long)s->cnt.fwd_bytes,
			(unsigned long long)s->cnt.local_pkts, (unsigned long long)s->cnt.strip_pkts,
			(unsigned long long)s->cnt.new_conns, (unsigned long long)s->cnt.no_target,
			(unsigned long long)s->cnt.no_entry, (unsigned long long)s->cnt.tun_write_err,
			vipa_vcrt_count(s->vcrt), (unsigned long long)st.queued,
			(unsigned long long)st.written, (unsigned long long)st.flushes,
			(unsigned long long)st.errors, (unsigned long long)st.dropped,
			(unsigned long long)st.reopened);
	lib_sbuf_printf(o, "},\"mip6\":{\"started\":%llu,\"bound\":%llu,\"deletes\":%llu,"
			"\"target_lost\":%llu,\"gave_up\":%llu,\"copies\":%llu,\"bind_info\":%llu,"
			"\"ba_errors\":%llu,\"syn_to_bu_ms_sum\":%llu,\"tx\":[",
			(unsigned long long)s->mip6.started, (unsigned long long)s->mip6.bound,
			(unsigned long long)s->mip6.deletes, (unsigned long long)s->mip6.target_lost,
			(unsigned long long)s->mip6.gave_up, (unsigned long long)s->mip6.copies,
			(unsigned long long)s->mip6.bind_info, (unsigned long long)s->mip6.ba_errors,
			(unsigned long long)s->mip6.syn_to_bu_ms_sum);
	for (i = 0; i < 8; i++)
		lib_sbuf_printf(o, "%s%llu", i ? "," : "", (unsigned long long)s->mip6.tx[i]);
	lib_sbuf_printf(o, "],\"rx\":[");
	for (i = 0; i < 8; i++)
		lib_sbuf_printf(o, "%s%llu", i ? "," : "", (unsigned long long)s->mip6.rx[i]);
	lib_sbuf_printf(o, "]");
	vs[0] = &s->tun_verdicts;
	vs[1] = &s->bus_verdicts;
	vs[2] = xcf_verdicts(s->xcf);
	lib_sbuf_printf(o, "},\"drops\":{");
	for (i = 0; i < 3; i++) {
		lib_sbuf_printf(o, "%s\"%s\":{", i ? "," : "", i == 0 ? "tun" : i == 1 ? "stack" : "xcf");
		for (j = 0; vs[i] && j < vs[i]->n; j++) {
			lib_sbuf_printf(o, "%s", j ? "," : "");
			lib_sbuf_json_str(o, vs[i]->v[j].reason);
			lib_sbuf_printf(o, ":%llu", (unsigned long long)vs[i]->v[j].count);
		}
		lib_sbuf_printf(o, "}");
	}
	lib_sbuf_printf(o, "}}\n");
}

/* ---- command parsing ------------------------------------------------------------------- */

static const char *const reports[] = { "VDPT", "VCRT", "VIPADYN", "VIPADCFG" };

/* Levenshtein distance, for "did you mean". */
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

static const char *
closest(const char *w, const char *const *words, size_t n)
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

static int
fail(struct lib_sbuf *o, int json, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	if (json) {
		lib_sbuf_printf(o, "{\"error\":");
		lib_sbuf_json_str(o, msg);
		lib_sbuf_printf(o, "}\n");
	} else
		lib_sbuf_printf(o, "%s\n", msg);
	return -1;
}

int
stack_ctl_exec(struct stack *s, const char *line, int json, struct lib_sbuf *o)
{
	char buf[CTL_LINE_MAX + 1], *tok[16], *p, *save = NULL;
	int ntok = 0, detail = 0, i;
	size_t k;

	lib_strlcpy(buf, line, sizeof(buf));
	for (k = 0; buf[k]; k++)
		buf[k] = (char)toupper((unsigned char)buf[k]);
	if (strcmp(buf, "SYSPLEX$ROLE") == 0) {
		show_role(s, o);
		return 0;
	}
	if (strcmp(buf, "SYSPLEX$STATS") == 0) {
		show_stats(s, o);
		return 0;
	}
	/* "D TCPIP,tcp,NETSTAT,REPORT[,DETAIL]" (blanks after the report allowed). */
	p = buf;
	while (*p == ' ')
		p++;
	if (strncmp(p, "D ", 2) == 0)
		p += 2;
	else if (strncmp(p, "DISPLAY ", 8) == 0)
		p += 8;
	else
		return fail(o, json, "unknown command '%s': expected D TCPIP,tcpname,NETSTAT,report",
			    strtok_r(p, " ,", &save), NULL);
	for (k = 0; p[k]; k++)
		if (p[k] == ' ')
			p[k] = ',';
	save = NULL;
	/* Keep empty fields ("D TCPIP,,NETSTAT"): split by hand. */
	tok[ntok++] = p;
	for (; *p && ntok < 16; p++)
		if (*p == ',') {
			*p = '\0';
			tok[ntok++] = p + 1;
		}
	while (ntok > 0 && tok[ntok - 1][0] == '\0')
		ntok--;
	if (ntok < 4 || strcmp(tok[0], "TCPIP") != 0)
		return fail(o, json, "expected D TCPIP,tcpname,NETSTAT,report%s%s", NULL, NULL);
	if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
		return fail(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)", tok[1],
			    s->tcpname);
	if (strcmp(tok[2], "NETSTAT") != 0 && strcmp(tok[2], "N") != 0) {
		const char *sug = closest(tok[2], (const char *const[]){ "NETSTAT" }, 1);
		return fail(o, json, "unknown TCPIP display '%s': expected NETSTAT%s", tok[2],
			    sug ? " (did you mean NETSTAT?)" : "");
	}
	for (i = 4; i < ntok; i++) {
		if (strcmp(tok[i], "DETAIL") == 0)
			detail = 1;
		else if (tok[i][0])
			return fail(o, json, "unexpected operand '%s': expected DETAIL%s", tok[i], NULL);
	}
	if (strcmp(tok[3], "VDPT") == 0)
		show_vdpt(s, detail, json, o);
	else if (strcmp(tok[3], "VCRT") == 0)
		show_vcrt(s, detail, json, o);
	else if (strcmp(tok[3], "VIPADYN") == 0)
		show_vipadyn(s, json, o);
	else if (strcmp(tok[3], "VIPADCFG") == 0)
		show_vipadcfg(s, json, o);
	else {
		const char *sug = closest(tok[3], reports, LIB_ARRAY_LEN(reports));
		char hint[64] = "";

		if (sug)
			snprintf(hint, sizeof(hint), " (did you mean %s?)", sug);
		return fail(o, json, "unknown NETSTAT report '%s': expected VDPT, VCRT, VIPADYN or VIPADCFG%s",
			    tok[3], hint);
	}
	return 0;
}

/* ---- socket plumbing ---------------------------------------------------------------------- */

static void
client_close_cb(uv_handle_t *h)
{
	struct ctl_client *c = h->data;

	lib_sbuf_free(&c->out);
	free(c);
}

static void
write_cb(uv_write_t *w, int status)
{
	struct ctl_client *c = w->data;

	LIB_UNUSED(status);
	uv_close((uv_handle_t *)&c->pipe, client_close_cb);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;

	LIB_UNUSED(suggested);
	buf->base = c->line + c->len;
	buf->len = CTL_LINE_MAX - c->len;
}

static void
respond(struct ctl_client *c)
{
	struct lib_sbuf body = { 0 };
	char *line = c->line;
	int json = 0, rc;
	uv_buf_t b;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->line[c->len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "JSON ", 5) == 0) {
		json = 1;
		line += 5;
	}
	rc = stack_ctl_exec(c->s, line, json, &body);
	if (rc < 0)
		lib_verdict(&c->s->ctl_verdicts, "bad operator command");
	lib_sbuf_printf(&c->out, "RC=%d\n%s", rc < 0 ? 8 : 0, body.s ? body.s : "");
	lib_sbuf_free(&body);
	if (c->out.oom) {
		uv_close((uv_handle_t *)&c->pipe, client_close_cb);
		return;
	}
	b = uv_buf_init(c->out.s, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, write_cb) < 0)
		uv_close((uv_handle_t *)&c->pipe, client_close_cb);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *c = st->data;

	LIB_UNUSED(buf);
	if (c->done)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (memchr(c->line, '\n', c->len) || c->len >= CTL_LINE_MAX)
			respond(c);
		return;
	}
	if (n < 0) {
		if (n == UV_EOF && c->len > 0)
			respond(c);
		else
			uv_close((uv_handle_t *)st, client_close_cb);
	}
}

static void
conn_cb(uv_stream_t *server, int status)
{
	struct stack *s = server->data;
	struct ctl_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb) < 0)
		uv_close((uv_handle_t *)&c->pipe, client_close_cb);
}

int
stack_ctl_start(struct stack *s)
{
	mode_t old;
	int r;

	snprintf(s->ctl_path, sizeof(s->ctl_path), "%s/ctl.sock", s->statedir);
	unlink(s->ctl_path);
	uv_pipe_init(s->loop, &s->ctl, 0);
	s->ctl.data = s;
	old = umask(0177);
	r = uv_pipe_bind(&s->ctl, s->ctl_path);
	umask(old);
	if (r == 0) {
		chmod(s->ctl_path, 0600);
		r = uv_listen((uv_stream_t *)&s->ctl, 16, conn_cb);
	}
	if (r < 0) {
		log_warnx("control socket %s: %s", s->ctl_path, uv_strerror(r));
		return -1;
	}
	return 0;
}

void
stack_ctl_stop(struct stack *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->ctl))
		uv_close((uv_handle_t *)&s->ctl, NULL);
	unlink(s->ctl_path);
}
