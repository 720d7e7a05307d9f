/*
 * actl.c - the agent's control socket (STATEDIR/agent.ctl, mode 0600, served
 * by lib/ctl.c), its display and the client side used by
 * `client-agent --show`.  Commands: SHOW (the binding cache and counters, one
 * result object answered as JSON or rendered as text), SYSPLEX$LINK LOSS=
 * DELAY= (fault injection in the agent's TUN path).
 *
 * Level 2 of client-agent/ (agent.h): reads the binding cache (cn.c's state)
 * and calls link.c.
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- SHOW -------------------------------------------------------------------- */

struct show_ctx {
	struct agent *a;
	json_t *rows;
	uint64_t now;
};

static json_t *
addr(const uint8_t a[16])
{
	char buf[64];

	return json_string(lib_ip6_str(a, buf, sizeof(buf)));
}

/* Seconds from now until the monotonic time t (0 when past). */
static json_int_t
secs_left(uint64_t t, uint64_t now)
{
	return t > now ? (json_int_t)((t - now) / 1000) : 0;
}

/* The path a bound packet takes: the kernel's, or the TUN's. */
static const char *
bound_path(const struct agent *a)
{
	return agent_fast_active(a) && !a->fast.tun_only ? "BPF" : "TUN";
}

static int
show_conn(void *entry, void *arg)
{
	struct agent_conn_binding *c = entry;
	struct show_ctx *s = arg;

	if (c->deleted)
		return 0;	/* kept for its sequence number only */
	/* The kernel's counts up to now (the tick takes them every second). */
	agent_fast_sync_conn(s->a, c);
	json_array_append_new(s->rows, json_pack("{s:s,s:o,s:i,s:o,s:i,s:o,s:i,s:i,s:I,s:s,s:I,s:I}",
		"kind", "connection", "home", addr(c->key.home), "home_port", c->key.home_port,
		"client", addr(c->key.client), "client_port", c->key.client_port, "careof", addr(c->coa),
		"seq", c->seq, "lifetime", c->life_s, "lifetime_left", secs_left(c->expires_ms, s->now),
		"path", bound_path(s->a),
		"direct_pkts", (json_int_t)c->pkts, "direct_bytes", (json_int_t)c->bytes));
	return 0;
}

static json_t *
u64_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

/* The binding cache and the counters: SHOW's result object. */
json_t *
agent_ctl_show(struct agent *a)
{
	struct show_ctx s = { a, json_array(), lib_now_ms() };
	const struct agent_counters *c = &a->cnt;
	json_t *drops = json_object(), *r;
	int i;

	lib_tab_foreach(a->cn.conns, show_conn, &s);
	for (i = 0; i < AGENT_MAX_HOME; i++) {
		struct agent_home_binding *b = &a->cn.home[i];

		if (!b->used)
			continue;
		agent_fast_sync_home(a, b);
		json_array_append_new(s.rows, json_pack("{s:s,s:o,s:o,s:i,s:I,s:s,s:I,s:I}",
			"kind", "home", "home", addr(b->home), "careof", addr(b->coa),
			"seq", b->seq, "lifetime_left", secs_left(b->expires_ms, s.now),
			"path", bound_path(a),
			"direct_pkts", (json_int_t)b->pkts, "direct_bytes", (json_int_t)b->bytes));
	}
	for (i = 0; i < a->verdicts.n; i++)
		json_object_set_new(drops, a->verdicts.v[i].reason,
				    json_integer((json_int_t)a->verdicts.v[i].count));
	r = json_pack("{s:s,s:o,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o},s:o}",
		"mode", a->standard ? "standard" : "agent",
		"bindings", s.rows, "records", (json_int_t)json_array_size(s.rows),
		"counters", "tun_pkts", (json_int_t)c->pkts, "direct_pkts", (json_int_t)c->direct_pkts,
		"direct_bytes", (json_int_t)c->direct_bytes, "bu_accepted", (json_int_t)c->bu_accepted,
		"bu_deleted", (json_int_t)c->bu_deleted, "bu_rejected", (json_int_t)c->bu_rejected,
		"bu_refreshed", (json_int_t)c->bu_refreshed, "hao_in", (json_int_t)c->hao_in,
		"conn_ended", (json_int_t)c->conn_ended, "bu_evicted", (json_int_t)c->bu_evicted,
		"replies_limited", (json_int_t)c->replies_limited, "rx", u64_array(c->rx, 8),
		"tx", u64_array(c->tx, 8), "drops", drops, "lan", lib_json_str(a->lanif));
	json_object_set_new(r, "datapath", json_string(agent_fast_datapath(a)));
	json_object_set_new(r, "datapath_reason", lib_json_str_or_null(a->fast.why));
	json_object_set_new(r, "kernel", agent_fast_show(a));
	return r;
}

#define S(o, k) lib_json_gets((o), (k), "?")
#define U(o, k) ((unsigned long long)lib_json_geti((o), (k), 0))

/* SHOW as text. */
void
agent_ctl_render(const json_t *r, struct lib_sbuf *o, void *arg)
{
	const json_t *e, *c = json_object_get(r, "counters");
	size_t i;

	LIB_UNUSED(arg);
	lib_sbuf_printf(o, "BINDING CACHE OF THE CORRESPONDENT NODE ON %s (%s):\n", S(r, "lan"),
			strcmp(S(r, "mode"), "standard") == 0 ? "STANDARD RFC 6275, VENDOR OPTIONS SKIPPED" :
			"SYSPLEX AGENT");
	if (json_object_get(r, "datapath")) {
		lib_sbuf_printf(o, "DATAPATH: %s", S(r, "datapath"));
		if (json_is_string(json_object_get(r, "datapath_reason")))
			lib_sbuf_printf(o, " (%s)", S(r, "datapath_reason"));
		lib_sbuf_printf(o, "\n");
	}
	json_array_foreach(json_object_get(r, "bindings"), i, e) {
		if (strcmp(S(e, "kind"), "connection") == 0)
			lib_sbuf_printf(o, "  %s..%llu  FROM %s..%llu", S(e, "home"), U(e, "home_port"),
					S(e, "client"), U(e, "client_port"));
		else
			lib_sbuf_printf(o, "  %s (ALL TRAFFIC)", S(e, "home"));
		lib_sbuf_printf(o, "  CAREOF %s  SEQ %llu  LEFT %llus  DIRECT %llu PKTS",
				S(e, "careof"), U(e, "seq"), U(e, "lifetime_left"), U(e, "direct_pkts"));
		if (json_object_get(e, "path"))
			lib_sbuf_printf(o, "  PATH %s", S(e, "path"));
		lib_sbuf_printf(o, "\n");
	}
	lib_sbuf_printf(o, "%llu BINDING(S); %llu PACKETS SENT DIRECT; %llu BU REJECTED\n",
			U(r, "records"), U(c, "direct_pkts"), U(c, "bu_rejected"));
}

#undef S
#undef U

/* ---- commands ------------------------------------------------------------------ */

/* SYSPLEX$LINK LOSS=pct DELAY=ms, worded as the stacks word it. */
static int
set_link(void *arg, int loss_pct, unsigned delay_ms)
{
	int r = agent_link(arg, loss_pct, delay_ms);

	return r < 0 ? r : agent_fast_link(arg, loss_pct, delay_ms);
}

static int
exec_cb(const char *line, int json, struct lib_sbuf *body, void *arg)
{
	struct agent *a = arg;
	struct lib_ctl_cmd c;
	char err[LIB_CTL_LINE_MAX + 128];

	if (lib_ctl_parse(line, &c, err, sizeof(err)) < 0)
		return lib_ctl_error(body, json, "%s", err);
	if (strcmp(c.verb, "SHOW") == 0 && c.ntok == 0)
		return lib_ctl_result(body, json, agent_ctl_show(a), agent_ctl_render, NULL);
	if (strcmp(c.verb, "SYSPLEX$LINK") == 0) {
		const char *host = strrchr(a->statedir, '/');
		char name[21];

		/* The host: the state directory's last part (/run/sysplex/INST/CLIENT1). */
		lib_strlcpy(name, host && host[1] ? host + 1 : a->lanif, sizeof(name));
		return lib_ctl_link(body, json, c.tok, c.ntok, a->link.loss_pct, a->link.delay_ms,
				    set_link, a, name, "AGENT'S");
	}
	return lib_ctl_error(body, json, "unknown command: expected SHOW or SYSPLEX$LINK");
}

int
agent_ctl_start(struct agent *a)
{
	mkdir(a->statedir, 0700);
	a->ctl = lib_ctl_open(a->loop, a->statedir, 1, exec_cb, a);
	return a->ctl ? 0 : -1;
}

void
agent_ctl_stop(struct agent *a)
{
	lib_ctl_stop(&a->ctl);
	uv_run(a->loop, UV_RUN_NOWAIT);
}
