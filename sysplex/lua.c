/*
 * lua.c - `sysplex run [--seed N] [--timeout SEC] [--max-steps N] SCRIPT.lua
 * [ARG...]`: runs a Lua 5.4 scenario against the instance (docs/LUA.md).
 *
 * Model.  One libuv loop; the script is a coroutine (a "task"; spawn() makes
 * more), kept referenced with luaL_ref.  Every API call that takes time -
 * wait(), cmd(), kill(), up(), exec(), load:stop() ... - is a C primitive
 * that starts something on the loop (a uv timer, or a child process: the
 * API drives this same binary, `sysplex --instance I cmd|kill|up ...`, so
 * the CLI and the API behave alike) and yields; the completion callback
 * pushes the results and resumes the task.  Nothing blocks the loop, so
 * loads keep reporting while a script waits.  The public API is written in
 * Lua on top of these primitives (prelude.lua, embedded at build time).
 *
 * Guarantees.
 *  - Lua errors are reported as "SCRIPT:LINE: message" (API misuse too: the
 *    prelude raises at the script's line); exit status 3.
 *  - A script that runs more than --max-steps VM instructions (default
 *    100 M) without waiting is stopped by a count hook; --timeout (default
 *    900 s) bounds the whole run; SIGINT/SIGTERM/SIGHUP stop it too.
 *  - At the end, whatever happened: every child still running (loads,
 *    exec'd commands, a half-done `up`) is killed with its process group,
 *    and when the script started the instance (it was not up, or the
 *    script called up()) the instance is torn down.  os.exit() is turned
 *    into an error so it cannot skip this.
 *  - expect(cond, msg) prints PASS/FAIL with the time since the start and
 *    since the previous expectation; exit status 1 when any failed.
 *  - The seed (--seed, default 1) seeds math.random / random and is printed.
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define RUN_HOOK_EVERY 10000
#define RUN_OUT_MAX (32u << 20)
#define RUN_MAX_EVENTS 100000

struct run;

struct task {
	struct run *r;
	lua_State *co;
	int ref;
	int pending;			/* waiting for a primitive to complete */
	int done;
	int is_main;
	int start_nargs;		/* spawn(): arguments waiting on co's stack */
	struct task *next;
};

/* A child process of the runner (a spawn() call or a load). */
struct child {
	struct run *r;
	struct task *t;			/* the task to resume, or NULL */
	uv_process_t proc;
	uv_pipe_t out, err;
	uv_timer_t timer;
	int nopen;			/* handles not yet closed */
	int exited, out_eof, err_eof, timed_out, delivered;
	int64_t status;
	int termsig;
	struct lib_sbuf obuf, ebuf;
	int is_load;
	struct loadh *load;
	struct child *next;
};

struct load_event {
	char target[16];
	char why[24];
	uint64_t start, end;
	unsigned port;
};

/* A load handle (the userdata holds a pointer; freed at the end of the run). */
struct loadh {
	struct run *r;
	struct child *c;
	char client[PLEX_HOST_MAX + 1];
	json_t *last;			/* the last report */
	struct lib_sbuf line;		/* partial output line */
	struct load_event *ev;
	size_t nev, evcap;
	unsigned long long ev_dropped;
	int done;
	struct task *waiter;		/* in stop()/wait() */
	uv_timer_t grace;
	int grace_on;
	struct loadh *next;
};

struct sleeper {
	uv_timer_t timer;
	struct task *t;
	struct run *r;
};

struct run {
	const struct plex_inst *in;
	uv_loop_t *loop;
	lua_State *L;
	char self[PATH_MAX];
	char script[PATH_MAX];
	uint64_t t0;
	long long seed;
	int owned;
	int npass, nfail;
	uint64_t last_expect;
	long long max_steps, steps;
	double timeout_s;
	int finished;			/* 0 running, 1 main task ended */
	int exit_code;			/* for finished */
	int nsleepers;
	struct task *tasks;
	struct child *children;
	struct loadh *loads;
	uv_timer_t deadline;
	uv_signal_t sig[3];
	const char *save_logs;		/* --save-logs DIR, or NULL */
};

static struct run *g_run;		/* the hook needs it; one run per process */

static double
elapsed(const struct run *r)
{
	return (double)(lib_now_ms() - r->t0) / 1000.0;
}

static void
say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	printf("[%7.2f s] ", elapsed(r));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void finish_script(struct run *r, int code, const char *why);

/* ---- tasks ------------------------------------------------------------------------- */

static struct task *
task_of(struct run *r, lua_State *L)
{
	struct task *t;

	for (t = r->tasks; t; t = t->next)
		if (t->co == L && !t->done)
			return t;
	return NULL;
}

/* "SCRIPT:LINE" of the innermost frame outside the prelude, or "". */
static void
script_where(lua_State *L, char *buf, size_t len)
{
	lua_Debug ar;
	int lvl;

	buf[0] = '\0';
	for (lvl = 1; lua_getstack(L, lvl, &ar); lvl++) {
		if (!lua_getinfo(L, "Sl", &ar))
			break;
		if (strcmp(ar.source, "=sysplex") != 0 && ar.currentline > 0) {
			snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
			return;
		}
	}
}

/* The task calling a yielding primitive; raises a Lua error (at the
 * script's line) when L is not one: a coroutine the script made itself. */
static struct task *
yielding_task(lua_State *L, const char *what)
{
	struct task *t = task_of(g_run, L);
	char where[PATH_MAX + 16];

	if (!t) {
		script_where(L, where, sizeof(where));
		lua_pushfstring(L, "%s%s%s: cannot wait inside a coroutine made with "
				   "coroutine.create/wrap (use spawn(fn) for concurrent work)",
				where, where[0] ? ": " : "", what);
		lua_error(L);
	}
	return t;
}

static void
hook(lua_State *L, lua_Debug *ar)
{
	struct run *r = g_run;

	r->steps += RUN_HOOK_EVERY;
	if (r->steps <= r->max_steps)
		return;
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		luaL_error(L, "%s:%d: the script ran %I instructions without waiting "
			      "(a runaway loop? wait() or raise --max-steps)", ar->short_src,
			   ar->currentline, (lua_Integer)r->max_steps);
	luaL_error(L, "the script ran %I instructions without waiting (a runaway loop?)",
		   (lua_Integer)r->max_steps);
}

static const char *
error_text(lua_State *co, char *buf, size_t len, int *exit_code)
{
	*exit_code = 3;
	if (lua_type(co, -1) == LUA_TTABLE) {
		if (lua_getfield(co, -1, "sysplex_exit") != LUA_TNIL) {
			if (lua_isboolean(co, -1))
				*exit_code = lua_toboolean(co, -1) ? 0 : 1;
			else
				*exit_code = (int)lua_tointeger(co, -1);
			lua_pop(co, 1);
			snprintf(buf, len, "os.exit(%d)", *exit_code);
			return NULL;
		}
		lua_pop(co, 1);
	}
	if (lua_type(co, -1) == LUA_TSTRING || lua_type(co, -1) == LUA_TNUMBER)
		snprintf(buf, len, "%s", lua_tostring(co, -1));
	else if (luaL_callmeta(co, -1, "__tostring") && lua_isstring(co, -1))
		snprintf(buf, len, "%s", lua_tostring(co, -1));
	else
		snprintf(buf, len, "(error object is a %s value)", luaL_typename(co, -1));
	return buf;
}

static void
task_resume(struct run *r, struct task *t, int nargs)
{
	int st, nres = 0;

	if (r->finished || t->done) {
		lua_settop(t->co, 0);
		return;
	}
	t->pending = 0;
	r->steps = 0;
	st = lua_resume(t->co, r->L, nargs, &nres);
	if (st == LUA_YIELD) {
		lua_pop(t->co, nres);
		if (!t->pending) {
			lua_pushstring(t->co, "coroutine.yield() called outside a coroutine the "
					      "script made (use wait(), or spawn(fn))");
			st = LUA_ERRRUN;
		} else {
			return;
		}
	}
	t->done = 1;
	if (st == LUA_OK) {
		if (t->is_main)
			finish_script(r, r->nfail ? 1 : 0, NULL);
		return;
	}
	{
		char msg[2048];
		const char *m;
		int code;

		m = error_text(t->co, msg, sizeof(msg), &code);
		if (!m) {
			/* os.exit(): a clean end with that status. */
			finish_script(r, code ? code : r->nfail ? 1 : 0, NULL);
			return;
		}
		printf("ERROR: %s\n", m);
		if (getenv("SYSPLEX_VERBOSE")) {
			luaL_traceback(r->L, t->co, NULL, 0);
			printf("%s\n", lua_tostring(r->L, -1));
			lua_pop(r->L, 1);
		}
		fflush(stdout);
		finish_script(r, 3, "stopped by a Lua error");
	}
}

/* Creates a task running the function at the top of L's stack with the nargs
 * values below... (fn at -nargs-1). */
static struct task *
task_new(struct run *r, lua_State *L, int nargs, int is_main)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->r = r;
	t->is_main = is_main;
	t->co = lua_newthread(L);
	t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_sethook(t->co, hook, LUA_MASKCOUNT, RUN_HOOK_EVERY);
	lua_xmove(L, t->co, nargs + 1);
	t->next = r->tasks;
	r->tasks = t;
	return t;
}

/* ---- children ------------------------------------------------------------------------ */

static void child_deliver(struct child *c);

static void
child_close_cb(uv_handle_t *h)
{
	struct child *c = h->data;

	if (--c->nopen > 0)
		return;
	/* Unlink and free. */
	for (struct child **pp = &c->r->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	lib_sbuf_free(&c->obuf);
	lib_sbuf_free(&c->ebuf);
	free(c);
}

static void
child_close(struct child *c)
{
	uv_handle_t *hs[] = { (uv_handle_t *)&c->proc, (uv_handle_t *)&c->out,
			      (uv_handle_t *)&c->err, (uv_handle_t *)&c->timer };
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(hs); i++)
		if (hs[i]->data == c && !uv_is_closing(hs[i]))
			uv_close(hs[i], child_close_cb);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char b[65536];

	LIB_UNUSED(h);
	LIB_UNUSED(suggested);
	buf->base = b;
	buf->len = sizeof(b);
}

static void load_data(struct loadh *lh, const char *p, size_t n);
static void load_finished(struct loadh *lh, const struct lib_sbuf *err);

static void
child_maybe_done(struct child *c)
{
	if (!c->exited || !c->out_eof || !c->err_eof || c->delivered)
		return;
	c->delivered = 1;
	if (c->is_load)
		load_finished(c->load, &c->ebuf);
	else
		child_deliver(c);
	child_close(c);
}

static void
out_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;
	int is_err = s == (uv_stream_t *)&c->err;
	struct lib_sbuf *b = is_err ? &c->ebuf : &c->obuf;

	if (n > 0) {
		if (c->is_load && !is_err)
			load_data(c->load, buf->base, (size_t)n);
		else if (b->len + (size_t)n <= RUN_OUT_MAX)
			lib_sbuf_printf(b, "%.*s", (int)n, buf->base);
		return;
	}
	if (n < 0) {
		uv_read_stop(s);
		if (is_err)
			c->err_eof = 1;
		else
			c->out_eof = 1;
		child_maybe_done(c);
	}
}

static void
exit_cb(uv_process_t *p, int64_t status, int termsig)
{
	struct child *c = p->data;

	c->exited = 1;
	c->status = status;
	c->termsig = termsig;
	if (c->timer.data == c)
		uv_timer_stop(&c->timer);
	child_maybe_done(c);
}

static void
child_timeout_cb(uv_timer_t *tm)
{
	struct child *c = tm->data;

	if (c->exited)
		return;
	c->timed_out = 1;
	kill(-c->proc.pid, SIGKILL);
	kill(c->proc.pid, SIGKILL);
}

/* Starts `SELF --instance INST args...`; NULL with the reason in err. */
static struct child *
child_start(struct run *r, const char *const *args, int nargs, double timeout_s, char *err,
	    size_t errlen)
{
	struct child *c = calloc(1, sizeof(*c));
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	char **argv;
	int i, rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	argv = calloc((size_t)nargs + 4, sizeof(*argv));
	if (!argv) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	argv[0] = r->self;
	argv[1] = "--instance";
	argv[2] = (char *)r->in->name;
	for (i = 0; i < nargs; i++)
		argv[3 + i] = (char *)args[i];
	argv[3 + nargs] = NULL;
	c->r = r;
	uv_pipe_init(r->loop, &c->out, 0);
	uv_pipe_init(r->loop, &c->err, 0);
	c->out.data = c->err.data = c;
	c->nopen = 2;
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = UV_IGNORE;
	io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[1].data.stream = (uv_stream_t *)&c->out;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&c->err;
	o.file = r->self;
	o.args = argv;
	o.exit_cb = exit_cb;
	o.stdio = io;
	o.stdio_count = 3;
	/* Its own session and process group, so a kill reaches its children. */
	o.flags = UV_PROCESS_DETACHED;
	c->proc.data = c;
	rc = uv_spawn(r->loop, &c->proc, &o);
	free(argv);
	if (rc < 0) {
		snprintf(err, errlen, "cannot run %.150s: %s", r->self, uv_strerror(rc));
		c->proc.data = NULL;
		c->delivered = 1;
		uv_close((uv_handle_t *)&c->out, child_close_cb);
		uv_close((uv_handle_t *)&c->err, child_close_cb);
		c->next = r->children;
		r->children = c;
		return NULL;
	}
	c->nopen++;
	uv_read_start((uv_stream_t *)&c->out, alloc_cb, out_read_cb);
	uv_read_start((uv_stream_t *)&c->err, alloc_cb, out_read_cb);
	if (timeout_s > 0) {
		uv_timer_init(r->loop, &c->timer);
		c->timer.data = c;
		c->nopen++;
		uv_timer_start(&c->timer, child_timeout_cb, (uint64_t)(timeout_s * 1000), 0);
	}
	c->next = r->children;
	r->children = c;
	return c;
}

/* A spawn() finished: (status | nil, stdout, stderr) to its task. */
static void
child_deliver(struct child *c)
{
	struct task *t = c->t;
	lua_State *co;

	if (!t || c->r->finished)
		return;
	co = t->co;
	if (c->timed_out || c->termsig)
		lua_pushnil(co);
	else
		lua_pushinteger(co, (lua_Integer)c->status);
	lua_pushlstring(co, c->obuf.s ? c->obuf.s : "", c->obuf.len);
	lua_pushlstring(co, c->ebuf.s ? c->ebuf.s : "", c->ebuf.len);
	task_resume(c->r, t, 3);
}

/* sx.spawn({args...}, timeout_s) -> yields -> status|nil, stdout, stderr */
static int
l_spawn(lua_State *L)
{
	struct run *r = g_run;
	struct task *t = yielding_task(L, "spawn");
	const char *args[64];
	double timeout = luaL_optnumber(L, 2, 60);
	char err[256];
	struct child *c;
	int n, i;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (int)luaL_len(L, 1);
	if (n < 1 || n > (int)LIB_ARRAY_LEN(args))
		return luaL_error(L, "spawn: 1..%d arguments", (int)LIB_ARRAY_LEN(args));
	for (i = 0; i < n; i++) {
		lua_geti(L, 1, i + 1);
		args[i] = lua_tostring(L, -1);	/* stays on the stack: anchored */
		if (!args[i])
			return luaL_error(L, "spawn: argument %d is not a string", i + 1);
	}
	c = child_start(r, args, n, timeout, err, sizeof(err));
	if (!c) {
		lua_pushnil(L);
		lua_pushstring(L, "");
		lua_pushstring(L, err);
		return 3;
	}
	c->t = t;
	t->pending = 1;
	return lua_yield(L, 0);
}

/* ---- sleep ------------------------------------------------------------------------------ */

static void
sleeper_close_cb(uv_handle_t *h)
{
	struct sleeper *s = h->data;

	s->r->nsleepers--;
	free(s);
}

static void
sleep_cb(uv_timer_t *tm)
{
	struct sleeper *s = tm->data;
	struct task *t = s->t;
	struct run *r = s->r;

	int nargs = t->start_nargs;

	t->start_nargs = 0;
	uv_close((uv_handle_t *)tm, sleeper_close_cb);
	task_resume(r, t, nargs);
}

static int
l_sleep(lua_State *L)
{
	struct run *r = g_run;
	struct task *t = yielding_task(L, "wait");
	double s = luaL_checknumber(L, 1);
	struct sleeper *sl = calloc(1, sizeof(*sl));

	if (!sl)
		return luaL_error(L, "out of memory");
	if (s < 0)
		s = 0;
	sl->t = t;
	sl->r = r;
	uv_timer_init(r->loop, &sl->timer);
	sl->timer.data = sl;
	r->nsleepers++;
	uv_timer_start(&sl->timer, sleep_cb, (uint64_t)(s * 1000 + 0.5), 0);
	t->pending = 1;
	return lua_yield(L, 0);
}

/* ---- JSON -> Lua --------------------------------------------------------------------------- */

static void
push_json(lua_State *L, const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	luaL_checkstack(L, 4, "JSON nesting");
	switch (json_typeof(v)) {
	case JSON_TRUE: lua_pushboolean(L, 1); break;
	case JSON_FALSE: lua_pushboolean(L, 0); break;
	case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
	case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
	case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(v), 0);
		json_array_foreach(v, i, e) {
			push_json(L, e);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(v));
		json_object_foreach((json_t *)v, k, e) {
			push_json(L, e);
			lua_setfield(L, -2, k);
		}
		break;
	default: lua_pushnil(L); break;
	}
}

/* sx.json_decode(s) -> value | nil, err */
static int
l_json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	char err[160];
	json_t *v = lib_json_parse(s, len, err, sizeof(err));

	if (!v) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	push_json(L, v);
	json_decref(v);
	return 1;
}

/* ---- loads ---------------------------------------------------------------------------------- */

static const char *LOAD_MT = "sysplex.load";

static void
load_event_add(struct loadh *lh, const json_t *e)
{
	struct load_event *x;

	if (lh->nev == lh->evcap) {
		size_t nc = lh->evcap ? lh->evcap * 2 : 64;
		struct load_event *ne;

		if (nc > RUN_MAX_EVENTS || !(ne = realloc(lh->ev, nc * sizeof(*ne)))) {
			lh->ev_dropped++;
			return;
		}
		lh->ev = ne;
		lh->evcap = nc;
	}
	x = &lh->ev[lh->nev++];
	lib_strlcpy(x->target, lib_json_gets(e, "target", "?"), sizeof(x->target));
	lib_strlcpy(x->why, lib_json_gets(e, "why", "?"), sizeof(x->why));
	x->start = (uint64_t)lib_json_geti(e, "start_ms", 0);
	x->end = (uint64_t)lib_json_geti(e, "end_ms", 0);
	x->port = (unsigned)lib_json_geti(e, "port", 0);
}

static void
load_line(struct loadh *lh, const char *s, size_t n)
{
	json_t *v = lib_json_parse(s, n, NULL, 0), *e;
	size_t i;

	if (!json_is_object(v)) {
		json_decref(v);
		return;
	}
	json_array_foreach(json_object_get(v, "events"), i, e)
		load_event_add(lh, e);
	lh->ev_dropped += (unsigned long long)lib_json_geti(v, "events_dropped", 0);
	json_decref(lh->last);
	lh->last = v;
}

static void
load_data(struct loadh *lh, const char *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (lh->line.len) {
			lib_sbuf_printf(&lh->line, "%.*s", (int)(i - start), p + start);
			if (lh->line.s)
				load_line(lh, lh->line.s, lh->line.len);
			lib_sbuf_free(&lh->line);
		} else {
			load_line(lh, p + start, i - start);
		}
		start = i + 1;
	}
	if (start < n && lh->line.len < (1u << 24))
		lib_sbuf_printf(&lh->line, "%.*s", (int)(n - start), p + start);
}

static void push_counts(lua_State *L, struct loadh *lh);

static void
load_finished(struct loadh *lh, const struct lib_sbuf *err)
{
	struct task *t = lh->waiter;

	lh->done = 1;
	lh->c = NULL;
	if (lh->grace_on) {
		uv_timer_stop(&lh->grace);
		uv_close((uv_handle_t *)&lh->grace, NULL);
		lh->grace_on = 0;
	}
	if (!lh->last && !lh->r->finished) {
		char why[300] = "";

		if (err->s)
			snprintf(why, sizeof(why), ": %.*s", (int)strcspn(err->s, "\n"), err->s);
		say(lh->r, "load on %s ended without a report%s", lh->client, why);
	}
	lh->waiter = NULL;
	if (t && !lh->r->finished) {
		push_counts(t->co, lh);
		task_resume(lh->r, t, 1);
	}
}

static struct loadh *
check_load(lua_State *L, int i)
{
	struct loadh **p = luaL_checkudata(L, i, LOAD_MT);

	return *p;
}

static unsigned long long
last_num(const struct loadh *lh, const char *k)
{
	return (unsigned long long)lib_json_geti(lh->last, k, 0);
}

static void
push_events(lua_State *L, struct loadh *lh)
{
	size_t i;

	lua_createtable(L, (int)lh->nev, 0);
	for (i = 0; i < lh->nev; i++) {
		const struct load_event *e = &lh->ev[i];

		lua_createtable(L, 0, 5);
		lua_pushstring(L, e->target);
		lua_setfield(L, -2, "target");
		lua_pushstring(L, e->why);
		lua_setfield(L, -2, "why");
		lua_pushnumber(L, ((double)e->start - (double)lh->r->t0) / 1000.0);
		lua_setfield(L, -2, "t_start");
		lua_pushnumber(L, ((double)e->end - (double)lh->r->t0) / 1000.0);
		lua_setfield(L, -2, "t_end");
		lua_pushinteger(L, e->port);
		lua_setfield(L, -2, "port");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static void
push_sub(lua_State *L, struct loadh *lh, const char *k)
{
	const json_t *v = json_object_get(lh->last, k);

	if (v)
		push_json(L, v);
	else
		lua_newtable(L);
}

static void
push_counts(lua_State *L, struct loadh *lh)
{
	static const char *const keys[] = { "started", "ok", "failed", "reset", "active",
					     "bytes", "abandoned" };
	size_t i;

	lua_createtable(L, 0, 12);
	for (i = 0; i < LIB_ARRAY_LEN(keys); i++) {
		lua_pushinteger(L, (lua_Integer)last_num(lh, keys[i]));
		lua_setfield(L, -2, keys[i]);
	}
	lua_pushboolean(L, lh->done);
	lua_setfield(L, -2, "done");
	push_sub(L, lh, "by");
	lua_setfield(L, -2, "by");
	push_sub(L, lh, "why");
	lua_setfield(L, -2, "why");
	push_events(L, lh);
	lua_setfield(L, -2, "events");
}

static int l_load_stop(lua_State *L);
static int l_load_wait(lua_State *L);

static int
l_load_counts(lua_State *L)
{
	push_counts(L, check_load(L, 1));
	return 1;
}

static int
l_load_index(lua_State *L)
{
	struct loadh *lh = check_load(L, 1);
	const char *k = luaL_checkstring(L, 2);

	if (strcmp(k, "stop") == 0)
		lua_pushcfunction(L, l_load_stop);
	else if (strcmp(k, "wait") == 0)
		lua_pushcfunction(L, l_load_wait);
	else if (strcmp(k, "counts") == 0)
		lua_pushcfunction(L, l_load_counts);
	else if (strcmp(k, "done") == 0)
		lua_pushboolean(L, lh->done);
	else if (strcmp(k, "client") == 0)
		lua_pushstring(L, lh->client);
	else if (strcmp(k, "by") == 0 || strcmp(k, "why") == 0)
		push_sub(L, lh, k);
	else if (strcmp(k, "events") == 0)
		push_events(L, lh);
	else if (strcmp(k, "t") == 0) {
		lua_pushnumber(L, json_number_value(json_object_get(lh->last, "t")));
	}
	else if (strcmp(k, "started") == 0 || strcmp(k, "ok") == 0 || strcmp(k, "failed") == 0 ||
		 strcmp(k, "reset") == 0 || strcmp(k, "active") == 0 || strcmp(k, "bytes") == 0 ||
		 strcmp(k, "abandoned") == 0)
		lua_pushinteger(L, (lua_Integer)last_num(lh, k));
	else
		return luaL_error(L, "a load has no field '%s' (ok, failed, reset, active, started, "
				     "bytes, abandoned, done, by, why, events, stop, wait, counts)", k);
	return 1;
}

static int
l_load_tostring(lua_State *L)
{
	struct loadh *lh = check_load(L, 1);

	lua_pushfstring(L, "load on %s: %d started, %d ok, %d failed, %d reset, %d active%s",
			lh->client, (int)last_num(lh, "started"), (int)last_num(lh, "ok"),
			(int)last_num(lh, "failed"), (int)last_num(lh, "reset"),
			(int)last_num(lh, "active"), lh->done ? " (ended)" : "");
	return 1;
}

static void
grace_cb(uv_timer_t *tm)
{
	struct loadh *lh = tm->data;

	if (lh->c && !lh->c->exited)
		kill(lh->c->proc.pid, SIGTERM);
}

/* Arms the load's timer: SIGTERM to it after s seconds. */
static void
grace_start(struct loadh *lh, double s)
{
	if (!lh->grace_on) {
		uv_timer_init(lh->r->loop, &lh->grace);
		lh->grace.data = lh;
		lh->grace_on = 1;
	}
	uv_timer_start(&lh->grace, grace_cb, (uint64_t)(s * 1000), 0);
}

/* h:stop([grace]) and h:wait([timeout]) -> counts, once the load has ended.
 * stop: SIGTERM (abandon open connections) or, with grace seconds, SIGUSR1
 * (no new connections; end when the open ones have ended) then SIGTERM
 * after grace.  wait: until the load ends by itself (count or duration);
 * after timeout seconds it is stopped. */
static int
load_end(lua_State *L, const char *what, int stop)
{
	struct loadh *lh = check_load(L, 1);
	double secs = luaL_optnumber(L, 2, 0);
	struct task *t;

	if (lh->done) {
		push_counts(L, lh);
		return 1;
	}
	t = yielding_task(L, what);
	if (lh->waiter)
		return luaL_error(L, "%s: another task already waits for this load", what);
	if (stop && lh->c->exited) {
		/* Gone already; its output is still being read. */
	} else if (stop && secs <= 0) {
		kill(lh->c->proc.pid, SIGTERM);
	} else if (secs > 0) {
		if (stop)
			kill(lh->c->proc.pid, SIGUSR1);
		grace_start(lh, secs);
	}
	lh->waiter = t;
	t->pending = 1;
	return lua_yield(L, 0);
}

static int
l_load_stop(lua_State *L)
{
	return load_end(L, "load:stop", 1);
}

static int
l_load_wait(lua_State *L)
{
	return load_end(L, "load:wait", 0);
}

/* sx.load({args}) -> handle | nil, err */
static int
l_load(lua_State *L)
{
	struct run *r = g_run;
	const char *args[64];
	struct loadh *lh, **ud;
	char err[256];
	int n, i;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (int)luaL_len(L, 1);
	if (n < 2 || n > (int)LIB_ARRAY_LEN(args))
		return luaL_error(L, "load: bad arguments");
	for (i = 0; i < n; i++) {
		lua_geti(L, 1, i + 1);
		args[i] = lua_tostring(L, -1);
		if (!args[i])
			return luaL_error(L, "load: argument %d is not a string", i + 1);
	}
	lh = calloc(1, sizeof(*lh));
	if (!lh)
		return luaL_error(L, "out of memory");
	lh->r = r;
	lib_strlcpy(lh->client, args[1], sizeof(lh->client));
	lh->c = child_start(r, args, n, 0, err, sizeof(err));
	if (!lh->c) {
		free(lh);
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lh->c->is_load = 1;
	lh->c->load = lh;
	lh->next = r->loads;
	r->loads = lh;
	ud = lua_newuserdatauv(L, sizeof(*ud), 0);
	*ud = lh;
	luaL_setmetatable(L, LOAD_MT);
	say(r, "load on %s started (pid %d)", lh->client, lh->c->proc.pid);
	return 1;
}

/* ---- small primitives ------------------------------------------------------------------- */

static int
l_is_up(lua_State *L)
{
	struct run *r = g_run;
	struct stat sb;
	char lan[64];

	plex_ns_name(r->in, "LAN", lan, sizeof(lan));
	lua_pushboolean(L, stat(r->in->statefile, &sb) == 0 && plex_ns_exists(lan));
	return 1;
}

static int
l_set_owned(lua_State *L)
{
	g_run->owned = lua_toboolean(L, 1);
	return 0;
}

static int
l_owned(lua_State *L)
{
	lua_pushboolean(L, g_run->owned);
	return 1;
}

static int
l_log(lua_State *L)
{
	say(g_run, "%s", luaL_checkstring(L, 1));
	return 0;
}

static int
l_now(lua_State *L)
{
	lua_pushnumber(L, elapsed(g_run));
	return 1;
}

/* sx.expect(cond, message) -> cond */
static int
l_expect(lua_State *L)
{
	struct run *r = g_run;
	int ok = lua_toboolean(L, 1);
	const char *msg = luaL_optstring(L, 2, NULL);
	uint64_t now = lib_now_ms();
	char where[PATH_MAX + 16], def[32];

	script_where(L, where, sizeof(where));
	if (!msg) {
		snprintf(def, sizeof(def), "expectation %d", r->npass + r->nfail + 1);
		msg = def;
	}
	printf("%s  %7.2f s (+%.2f s)  %s%s%s%s\n", ok ? "PASS" : "FAIL", elapsed(r),
	       (double)(now - r->last_expect) / 1000.0, msg, ok ? "" : "  [", ok ? "" : where,
	       ok ? "" : "]");
	fflush(stdout);
	r->last_expect = now;
	if (ok)
		r->npass++;
	else
		r->nfail++;
	lua_pushboolean(L, ok);
	return 1;
}

/* sx.spawn_task(fn, ...) */
static int
l_spawn_task(lua_State *L)
{
	struct run *r = g_run;
	int nargs = lua_gettop(L) - 1;
	struct task *t;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	t = task_new(r, L, nargs, 0);
	if (!t)
		return luaL_error(L, "out of memory");
	t->start_nargs = nargs;
	/* Start it on the next loop turn, after the caller continues. */
	{
		struct sleeper *sl = calloc(1, sizeof(*sl));

		if (!sl)
			return luaL_error(L, "out of memory");
		sl->t = t;
		sl->r = r;
		t->pending = 1;
		uv_timer_init(r->loop, &sl->timer);
		sl->timer.data = sl;
		r->nsleepers++;
		/* task_resume with the arguments already on t->co's stack. */
		uv_timer_start(&sl->timer, sleep_cb, 0, 0);
	}
	return 0;
}

/* ---- end of the run ----------------------------------------------------------------------- */

static void
finish_script(struct run *r, int code, const char *why)
{
	if (r->finished)
		return;
	r->finished = 1;
	r->exit_code = code;
	if (why)
		say(r, "%s", why);
	uv_stop(r->loop);
}

static void
deadline_cb(uv_timer_t *tm)
{
	struct run *r = tm->data;
	char msg[128];

	printf("ERROR: %s: the script did not end within %.0f s (--timeout)\n", r->script,
	       r->timeout_s);
	snprintf(msg, sizeof(msg), "stopped after %.0f s", r->timeout_s);
	finish_script(r, 3, msg);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct run *r = s->data;
	char msg[64];

	snprintf(msg, sizeof(msg), "interrupted by signal %d", signum);
	printf("ERROR: %s\n", msg);
	finish_script(r, 3, msg);
}

static void
close_any(uv_handle_t *h, void *arg)
{
	LIB_UNUSED(arg);
	if (uv_is_closing(h))
		return;
	/* Children close themselves when their process ends. */
	if (h->type == UV_PROCESS || h->type == UV_NAMED_PIPE)
		return;
	if (h->type == UV_TIMER && h->data && g_run) {
		struct child *c;

		for (c = g_run->children; c; c = c->next)
			if (h == (uv_handle_t *)&c->timer)
				return;
	}
	if (h->type == UV_TIMER) {
		struct loadh *lh;

		for (lh = g_run->loads; lh; lh = lh->next)
			if (h == (uv_handle_t *)&lh->grace) {
				lh->grace_on = 0;
				uv_close(h, NULL);
				return;
			}
		if (h != (uv_handle_t *)&g_run->deadline) {
			/* A sleeper. */
			uv_close(h, sleeper_close_cb);
			return;
		}
	}
	uv_close(h, NULL);
}

/* Kills every child (with its process group) and lets the loop reap them. */
static void
cleanup_children(struct run *r)
{
	struct child *c;
	int n = 0, loads = 0;

	for (c = r->children; c; c = c->next) {
		if (c->exited || c->delivered)
			continue;
		kill(-c->proc.pid, SIGKILL);
		kill(c->proc.pid, SIGKILL);
		n++;
		loads += c->is_load;
		c->t = NULL;
	}
	if (n)
		say(r, "stopping %d child process%s (%d load%s)", n, n == 1 ? "" : "es", loads,
		    loads == 1 ? "" : "s");
	uv_walk(r->loop, close_any, NULL);
	/* uv_stop() may have left the stop flag set: run until nothing is left. */
	while (uv_run(r->loop, UV_RUN_DEFAULT) != 0)
		;
}

/* Copies every daemon log of the instance into dir as HOST-NAME.log. */
static void
save_logs(struct run *r, const char *dir)
{
	static struct plex_state st;
	int i, n = 0;

	if (plex_state_read(r->in, &st) < 0)
		return;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		say(r, "--save-logs: %s: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < st.nprocs; i++) {
		const char *base = strrchr(st.p[i].log, '/');
		char to[PATH_MAX], buf[65536];
		FILE *in, *out;
		size_t k;

		snprintf(to, sizeof(to), "%s/%s-%s", dir, st.p[i].host, base ? base + 1 : "log");
		if (!(in = fopen(st.p[i].log, "re")))
			continue;
		if ((out = fopen(to, "we")) != NULL) {
			while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
				fwrite(buf, 1, k, out);
			fclose(out);
			n++;
		}
		fclose(in);
	}
	say(r, "saved %d log%s in %s", n, n == 1 ? "" : "s", dir);
}

static void
usage_run(FILE *f)
{
	fprintf(f, "usage: sysplex [--instance NAME] run [--seed N] [--timeout SEC] [--max-steps N]\n"
		   "         [--save-logs DIR] SCRIPT.lua [ARG...]\n"
		   "Runs a Lua scenario (docs/LUA.md) against the instance, starting the default\n"
		   "sysplex first when it is not up (and removing it at the end).  Exit status: 0\n"
		   "every expectation passed, 1 one failed, 3 the script stopped on an error.\n");
}

static int
open_api(lua_State *L, struct run *r, int argc, char **argv)
{
	static const luaL_Reg fns[] = {
		{ "spawn", l_spawn }, { "sleep", l_sleep }, { "load", l_load },
		{ "json_decode", l_json_decode }, { "is_up", l_is_up },
		{ "set_owned", l_set_owned }, { "owned", l_owned }, { "log", l_log },
		{ "now", l_now }, { "expect", l_expect }, { "spawn_task", l_spawn_task },
		{ NULL, NULL },
	};
	static const luaL_Reg load_mt[] = {
		{ "__index", l_load_index }, { "__tostring", l_load_tostring }, { NULL, NULL },
	};
	char dir[PATH_MAX], *slash;
	int i;

	luaL_newmetatable(L, LOAD_MT);
	luaL_setfuncs(L, load_mt, 0);
	lua_pop(L, 1);

	/* args = { [0] = script, ... } */
	lua_createtable(L, argc, 1);
	lua_pushstring(L, r->script);
	lua_rawseti(L, -2, 0);
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "args");

	/* math.randomseed(seed) */
	lua_getglobal(L, "math");
	lua_getfield(L, -1, "randomseed");
	lua_pushinteger(L, (lua_Integer)r->seed);
	lua_call(L, 1, 0);
	lua_pop(L, 1);

	if (luaL_loadbufferx(L, plex_lua_prelude, strlen(plex_lua_prelude), "=sysplex", "t") !=
	    LUA_OK) {
		fprintf(stderr, "sysplex run: internal error in the prelude: %s\n",
			lua_tostring(L, -1));
		return -1;
	}
	luaL_newlib(L, fns);
	lua_pushstring(L, r->in->name);
	lua_setfield(L, -2, "instance");
	lua_pushinteger(L, (lua_Integer)r->seed);
	lua_setfield(L, -2, "seed");
	lib_strlcpy(dir, r->script, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		lua_pushstring(L, dir[0] ? dir : "/");
	} else {
		lua_pushstring(L, ".");
	}
	lua_setfield(L, -2, "script_dir");
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		fprintf(stderr, "sysplex run: internal error in the prelude: %s\n",
			lua_tostring(L, -1));
		return -1;
	}
	return 0;
}

int
plex_cmd_run(const struct plex_inst *in, int argc, char **argv)
{
	static struct run r;
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	ssize_t n;
	int i, first, rc;
	struct task *t;

	memset(&r, 0, sizeof(r));
	r.in = in;
	r.seed = 1;
	r.timeout_s = 900;
	r.max_steps = 100000000;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (strcmp(argv[i], "--help") == 0) {
			usage_run(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			usage_run(stderr);
			return 2;
		}
		if (strcmp(argv[i], "--seed") == 0) {
			r.seed = strtoll(argv[++i], &end, 0);
		} else if (strcmp(argv[i], "--timeout") == 0) {
			r.timeout_s = strtod(argv[++i], &end);
			if (r.timeout_s <= 0)
				*end = 'x';
		} else if (strcmp(argv[i], "--save-logs") == 0) {
			r.save_logs = argv[++i];
			end = (char *)"";
		} else if (strcmp(argv[i], "--max-steps") == 0) {
			r.max_steps = strtoll(argv[++i], &end, 0);
			if (r.max_steps < RUN_HOOK_EVERY)
				*end = 'x';
		} else {
			usage_run(stderr);
			return 2;
		}
		if (*end) {
			fprintf(stderr, "sysplex run: bad value for %s: %s\n", argv[i - 1], argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage_run(stderr);
		return 2;
	}
	first = i;
	lib_strlcpy(r.script, argv[first], sizeof(r.script));
	if (access(r.script, R_OK) < 0) {
		fprintf(stderr, "sysplex run: %s: %s\n", r.script, strerror(errno));
		return 2;
	}
	if (plex_check_root() < 0)
		return 2;
	n = readlink("/proc/self/exe", r.self, sizeof(r.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "sysplex run: cannot find my own binary: %s\n", strerror(errno));
		return 2;
	}
	r.self[n] = '\0';
	g_run = &r;
	r.loop = uv_default_loop();
	r.L = luaL_newstate();
	if (!r.L) {
		fprintf(stderr, "sysplex run: cannot create a Lua state\n");
		return 2;
	}
	luaL_openlibs(r.L);
	r.t0 = r.last_expect = lib_now_ms();
	printf("sysplex run %s (instance %s, seed %lld)\n", r.script, in->name, r.seed);
	fflush(stdout);
	if (open_api(r.L, &r, argc - first - 1, argv + first + 1) < 0) {
		lua_close(r.L);
		return 3;
	}
	/* The script: a syntax error is reported as FILE:LINE too. */
	if (luaL_loadfilex(r.L, r.script, "t") != LUA_OK) {
		printf("ERROR: %s\n", lua_tostring(r.L, -1));
		lua_close(r.L);
		return 3;
	}
	for (i = first + 1; i < argc; i++)
		lua_pushstring(r.L, argv[i]);
	t = task_new(&r, r.L, argc - first - 1, 1);
	if (!t) {
		lua_close(r.L);
		return 3;
	}

	uv_timer_init(r.loop, &r.deadline);
	r.deadline.data = &r;
	uv_timer_start(&r.deadline, deadline_cb, (uint64_t)(r.timeout_s * 1000), 0);
	for (i = 0; i < 3; i++) {
		uv_signal_init(r.loop, &r.sig[i]);
		r.sig[i].data = &r;
		uv_signal_start(&r.sig[i], signal_cb, sigs[i]);
	}
	task_resume(&r, t, argc - first - 1);
	if (!r.finished)
		uv_run(r.loop, UV_RUN_DEFAULT);
	if (!r.finished) {
		/* The loop ran dry with the script still waiting: cannot happen
		 * with our primitives, but never hang. */
		printf("ERROR: the script waits for nothing\n");
		r.exit_code = 3;
	}
	rc = r.exit_code;
	cleanup_children(&r);
	lua_close(r.L);
	r.L = NULL;
	while (r.loads) {
		struct loadh *lh = r.loads;

		r.loads = lh->next;
		json_decref(lh->last);
		lh->last = NULL;
		lib_sbuf_free(&lh->line);
		free(lh->ev);
		free(lh);
	}
	while (r.tasks) {
		t = r.tasks;
		r.tasks = t->next;
		free(t);
	}
	if (r.save_logs)
		save_logs(&r, r.save_logs);
	if (r.owned) {
		int fd = plex_lock(in);

		say(&r, "removing instance %s (started by this run)", in->name);
		if (plex_teardown(in, 0) < 0)
			rc = rc ? rc : 3;
		plex_unlock(in, fd, 1);
	}
	printf("%s: %d expectation%s, %d passed, %d failed%s (%.1f s)\n", r.script,
	       r.npass + r.nfail, r.npass + r.nfail == 1 ? "" : "s", r.npass, r.nfail,
	       rc == 3 ? "; stopped by an error" : "", elapsed(&r));
	uv_loop_close(r.loop);
	return rc;
}
