/*
 * test_store.c - proves the SQLite write-behind store keeps the database
 * equal to the in-memory tables, with a real file and a real libuv loop.
 *
 *  - Puts and deletes queued before the loop runs are written in one batch
 *    (one transaction), and later changes in another; the rows match.
 *  - Closing, reopening and loading gives back tables equal to the originals.
 *  - A ring overflow is counted in `dropped` and the next flush rewrites both
 *    tables from the attached ones, so the file is still exactly right.
 *  - Unlinking the file while running makes the store recreate it with the
 *    full content (`reopened` == 1), also when -wal and -shm go with it.
 *  - Close writes what is still queued, also with a flush in flight, and
 *    leaves nothing behind once the loop has run (ASan checks that).
 *  - Without a loop, a full ring is written synchronously instead of dropped.
 *  - A bad file never stops the store (before, open returned NULL and the
 *    stack dereferenced it at the first SYN): a file of another schema
 *    version, random bytes, another program's SQLite tables, or a file
 *    whose pages are found corrupt while loading is moved aside whole (to
 *    stack.db.bad-..., content unchanged, -wal with it), a new file is
 *    created and written exactly like the tables, and vipa_store_info
 *    reports ACTIVE with where the old file went and why.
 *  - When no file can be written (its directory does not exist) the store
 *    is DISABLED: it queues nothing, says why, and once the directory is
 *    back it opens a file by itself and writes the tables in full.
 *  - Every queueing call accepts a NULL store.
 * No sleeps: the loop runs until a condition holds, with a deadline.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>

#include "vipa/vipa.h"
#include "tests/unit/vkey.h"

struct fixture {
	char dir[64];
	char path[160];
	uv_loop_t loop;
	struct vipa_vcrt *vcrt;
	struct vipa_vdpt *vdpt;
	struct vipa_store *store;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/stack.db", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->vcrt = vipa_vcrt_new(100000);
	assert_non_null(f->vcrt);
	f->vdpt = malloc(sizeof(*f->vdpt));
	assert_non_null(f->vdpt);
	vipa_vdpt_init(f->vdpt);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[400];

	vipa_store_close(&f->store);
	/* Let the store's timer close and any late after-work callback run. */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	vipa_vcrt_destroy(&f->vcrt);
	free(f->vdpt);
	{
		DIR *d = opendir(f->dir);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
		}
		if (d)
			closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
open_store(struct fixture *f, unsigned flush_ms)
{
	char err[256] = "";

	f->store = vipa_store_open(&f->loop, f->path, flush_ms, err, sizeof(err));
	if (f->store == NULL)
		fail_msg("vipa_store_open: %s", err);
	vipa_store_attach(f->store, f->vcrt, f->vdpt);
}

/* ---- running the loop until something holds ----------------------------------- */

static void
deadline_cb(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

typedef int (*cond_fn)(struct fixture *f, uint64_t arg);

/* Runs the loop until cond holds; fails the test after timeout_ms. */
static void
run_until(struct fixture *f, cond_fn cond, uint64_t arg, unsigned timeout_ms)
{
	uv_timer_t deadline;
	int expired = 0;

	uv_timer_init(&f->loop, &deadline);
	deadline.data = &expired;
	uv_timer_start(&deadline, deadline_cb, timeout_ms, 0);
	while (!cond(f, arg) && !expired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	if (!cond(f, arg))
		fail_msg("condition not met within %u ms", timeout_ms);
}

static struct vipa_store_stats
stats(struct fixture *f)
{
	struct vipa_store_stats st;

	vipa_store_stats(f->store, &st);
	return st;
}

static int
cond_written(struct fixture *f, uint64_t n)
{
	return stats(f).written >= n;
}

/* arg: (reopens wanted << 32) | flushes before; holds once the store has
 * reopened that many times and flushed since. */
static int
cond_reopened_and_flushed(struct fixture *f, uint64_t arg)
{
	struct vipa_store_stats st = stats(f);

	return st.reopened >= (arg >> 32) && st.flushes > (arg & 0xffffffffu);
}

/* ---- building tables ------------------------------------------------------------ */

static const uint8_t dvipa[16] = {0xfd, 0, 0x01, 0, [15] = 1};

static void
rand_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rng();
}

/* Adds n random connections to the VCRT and queues each in the store. */
static void
add_conns(struct fixture *f, size_t n)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint8_t iid[8];
	int created;

	while (n) {
		rand_bytes(iid, sizeof(iid));
		vkey(&k, dvipa, iid, 8080, (uint16_t)rng());
		c = vipa_vcrt_insert(f->vcrt, &k, &created);
		assert_non_null(c);
		if (!created)
			continue;
		rand_bytes(c->dest_xcf, 16);
		/* Confirmed: half-open connections are never stored. */
		c->state = VIPA_CONN_EST;
		c->bypass = (uint8_t)(rng() % 3);
		if (c->bypass == VIPA_BYPASS_BOUND)
			rand_bytes(c->coa, 16);
		c->created_ms = rng() >> 20;
		if (f->store)
			vipa_store_conn_put(f->store, c);
		n--;
	}
}

static void
add_vdpt(struct fixture *f, int n)
{
	struct vipa_vdpt_entry *e;
	uint8_t dest[16];
	int i;

	for (i = 0; i < n; i++) {
		memset(dest, 0, 16);
		dest[0] = 0xfd;
		dest[15] = (uint8_t)i;
		e = vipa_vdpt_get(f->vdpt, dvipa, (uint16_t)(8000 + i % 4), dest, 1);
		assert_non_null(e);
		snprintf(e->dest_name, sizeof(e->dest_name), "SYS%cTCPCS", 'A' + i % 26);
		e->rdy = (uint16_t)(i % 3);
		e->weight = (uint16_t)(1 + i % 5);
		e->totalconn = 0xfffffff0u + (uint32_t)i;
		e->flags = (uint8_t)(i & 1);
		if (f->store)
			vipa_store_vdpt_put(f->store, e);
	}
}

struct pick_ctx {
	struct fixture *f;
	unsigned every, i, removed;
};

static int
remove_some_cb(struct vipa_conn *c, void *arg)
{
	struct pick_ctx *x = arg;

	if (x->i++ % x->every)
		return 0;
	vipa_store_conn_del(x->f->store, &c->key);
	x->removed++;
	return 1;
}

/* Removes every `every`-th connection (table and store); returns how many. */
static unsigned
remove_conns(struct fixture *f, unsigned every)
{
	struct pick_ctx x = {f, every, 0, 0};

	vipa_vcrt_foreach(f->vcrt, remove_some_cb, &x);
	return x.removed;
}

/* ---- comparing the file with the tables ------------------------------------------ */

static sqlite3 *
db_ro(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static const void *
blob16(sqlite3_stmt *q, int col)
{
	assert_int_equal(sqlite3_column_bytes(q, col), 16);
	return sqlite3_column_blob(q, col);
}

/* The file's rows are exactly the tables' entries, field by field. */
static void
assert_db_equals_tables(const char *path, struct vipa_vcrt *vcrt, struct vipa_vdpt *vdpt)
{
	sqlite3 *db = db_ro(path);
	sqlite3_stmt *q;
	struct vipa_conn_key k;
	struct vipa_conn *c;
	struct vipa_vdpt_entry *e;
	size_t rows = 0, used = 0;
	int i;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT dvipa, client, dport, cport, dest, state, "
					    "bypass, coa, created_ms FROM vcrt", -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		memcpy(k.dvipa, blob16(q, 0), 16);
		memcpy(k.client, blob16(q, 1), 16);
		k.dport = (uint16_t)sqlite3_column_int(q, 2);
		k.cport = (uint16_t)sqlite3_column_int(q, 3);
		c = vipa_vcrt_lookup(vcrt, &k);
		assert_non_null(c);
		assert_memory_equal(blob16(q, 4), c->dest_xcf, 16);
		assert_int_equal(sqlite3_column_int(q, 5), c->state);
		assert_int_equal(sqlite3_column_int(q, 6), c->bypass);
		assert_memory_equal(blob16(q, 7), c->coa, 16);
		assert_int_equal((uint64_t)sqlite3_column_int64(q, 8), c->created_ms);
		rows++;
	}
	sqlite3_finalize(q);
	assert_int_equal(rows, vipa_vcrt_count(vcrt));

	rows = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT dvipa, port, dest, dest_name, rdy, weight, "
					    "totalconn, flags FROM vdpt", -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		e = vipa_vdpt_get(vdpt, blob16(q, 0), (uint16_t)sqlite3_column_int(q, 1),
				  blob16(q, 2), 0);
		assert_non_null(e);
		assert_string_equal((const char *)sqlite3_column_text(q, 3), e->dest_name);
		assert_int_equal(sqlite3_column_int(q, 4), e->rdy);
		assert_int_equal(sqlite3_column_int(q, 5), e->weight);
		assert_int_equal((uint64_t)sqlite3_column_int64(q, 6), e->totalconn);
		assert_int_equal(sqlite3_column_int(q, 7), e->flags);
		rows++;
	}
	sqlite3_finalize(q);
	for (i = 0; i < vdpt->n; i++)
		used += vdpt->e[i].used != 0;
	assert_int_equal(rows, used);

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
					    "'schema_version'", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

struct cmp_ctx {
	struct vipa_vcrt *other;
};

static int
cmp_conn_cb(struct vipa_conn *c, void *arg)
{
	struct cmp_ctx *x = arg;
	struct vipa_conn *o = vipa_vcrt_lookup(x->other, &c->key);

	assert_non_null(o);
	assert_memory_equal(o->dest_xcf, c->dest_xcf, 16);
	assert_int_equal(o->state, c->state);
	assert_int_equal(o->bypass, c->bypass);
	assert_memory_equal(o->coa, c->coa, 16);
	assert_int_equal(o->created_ms, c->created_ms);
	return 0;
}

static void
assert_tables_equal(struct vipa_vcrt *a, struct vipa_vdpt *av, struct vipa_vcrt *b,
		    struct vipa_vdpt *bv)
{
	struct cmp_ctx x = {b};
	const struct vipa_vdpt_entry *e, *o;
	int i, na = 0, nb = 0;

	assert_int_equal(vipa_vcrt_count(a), vipa_vcrt_count(b));
	vipa_vcrt_foreach(a, cmp_conn_cb, &x);
	for (i = 0; i < av->n; i++) {
		e = &av->e[i];
		if (!e->used)
			continue;
		na++;
		o = vipa_vdpt_get(bv, e->dvipa, e->port, e->dest_xcf, 0);
		assert_non_null(o);
		assert_string_equal(o->dest_name, e->dest_name);
		assert_int_equal(o->rdy, e->rdy);
		assert_int_equal(o->weight, e->weight);
		assert_int_equal(o->totalconn, e->totalconn);
		assert_int_equal(o->flags, e->flags);
	}
	for (i = 0; i < bv->n; i++)
		nb += bv->e[i].used != 0;
	assert_int_equal(na, nb);
}

/* ---- tests ------------------------------------------------------------------------ */

static void
test_batches_reopen_load(void **state)
{
	struct fixture *f = *state;
	struct vipa_store_stats st;
	struct vipa_vcrt *v2;
	struct vipa_vdpt *d2;
	uint64_t want;
	unsigned removed;
	uint8_t dest[16] = {0xfd, [15] = 3};

	open_store(f, 20);
	add_conns(f, 2000);
	add_vdpt(f, 10);
	run_until(f, cond_written, 2010, 30000);
	st = stats(f);
	/* Everything queued before the loop ran went in one transaction. */
	assert_int_equal(st.flushes, 1);
	assert_int_equal(st.queued, 2010);
	assert_int_equal(st.written, 2010);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.dropped, 0);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);

	/* Second batch: deletes, new rows, a changed VDPT entry, a removed one. */
	removed = remove_conns(f, 4);
	add_conns(f, 300);
	f->vdpt->e[0].rdy = 7;
	vipa_store_vdpt_put(f->store, &f->vdpt->e[0]);
	assert_int_equal(vipa_vdpt_remove(f->vdpt, dvipa, 8003, dest), 0);
	vipa_store_vdpt_del(f->store, dvipa, 8003, dest);
	want = 2010 + removed + 300 + 2;
	run_until(f, cond_written, want, 30000);
	st = stats(f);
	assert_int_equal(st.flushes, 2);
	assert_int_equal(st.written, want);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);

	/* Close, reopen, load: the same tables come back. */
	vipa_store_close(&f->store);
	assert_null(f->store);
	open_store(f, 20);
	v2 = vipa_vcrt_new(100000);
	d2 = malloc(sizeof(*d2));
	assert_non_null(v2);
	assert_non_null(d2);
	vipa_vdpt_init(d2);
	assert_int_equal(vipa_store_load(f->store, v2, d2), 0);
	assert_tables_equal(f->vcrt, f->vdpt, v2, d2);
	assert_tables_equal(v2, d2, f->vcrt, f->vdpt);
	vipa_vcrt_destroy(&v2);
	free(d2);
}

static void
test_overflow_rewrites(void **state)
{
	struct fixture *f = *state;
	struct vipa_store_stats st;
	unsigned removed;

	open_store(f, 20);
	add_vdpt(f, 20);
	/* 70,000 changes without the loop running: more than the 65,536 ring. */
	add_conns(f, 69980);
	st = stats(f);
	assert_int_equal(st.queued, 65536);
	assert_int_equal(st.dropped, 70000 - 65536);
	removed = remove_conns(f, 3);
	assert_true(removed > 0);
	assert_int_equal(stats(f).dropped, 70000 - 65536 + removed);
	/* The rewrite writes one row per entry of the tables. */
	run_until(f, cond_written, vipa_vcrt_count(f->vcrt) + 20, 60000);
	st = stats(f);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.flushes, 1);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);

	/* Afterwards changes flow normally again. */
	removed = remove_conns(f, 5);
	add_conns(f, 100);
	run_until(f, cond_written, st.written + removed + 100, 30000);
	assert_int_equal(stats(f).flushes, 2);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
}

static void
test_unlinked_file_recreated(void **state)
{
	struct fixture *f = *state;
	struct vipa_store_stats st;
	struct stat sb1, sb2;
	char p[400];

	open_store(f, 10);
	add_conns(f, 3000);
	add_vdpt(f, 8);
	run_until(f, cond_written, 3008, 30000);
	assert_int_equal(stat(f->path, &sb1), 0);

	/* An operator removes stack.db while the stack runs. */
	assert_int_equal(unlink(f->path), 0);
	add_conns(f, 10);	/* changes keep coming meanwhile */
	st = stats(f);
	run_until(f, cond_reopened_and_flushed, 1ull << 32 | st.flushes, 30000);
	st = stats(f);
	assert_int_equal(st.reopened, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(stat(f->path, &sb2), 0);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);

	/* Again, this time with the -wal and -shm files too. */
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	assert_int_equal(unlink(f->path), 0);
	remove_conns(f, 2);
	st = stats(f);
	run_until(f, cond_reopened_and_flushed, 2ull << 32 | st.flushes, 30000);
	assert_int_equal(stats(f).reopened, 2);
	assert_int_equal(stats(f).errors, 0);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
}

static void
test_close_flushes(void **state)
{
	struct fixture *f = *state;

	/* The timer would not fire for a minute: only close can write these. */
	open_store(f, 60000);
	add_conns(f, 3000);
	add_vdpt(f, 5);
	vipa_store_close(&f->store);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);

	/*
	 * With a flush in flight: 20,000 changes pass the quarter-ring mark, so
	 * the next loop iteration hands them to a worker; 500 more are queued
	 * and close must wait for the worker and then write those too.
	 */
	open_store(f, 60000);
	add_conns(f, 20000);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	add_conns(f, 500);
	vipa_store_close(&f->store);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void
test_no_loop_writes_when_full(void **state)
{
	struct fixture *f = *state;
	struct vipa_store_stats st;
	char err[256];

	f->store = vipa_store_open(NULL, f->path, 0, err, sizeof(err));
	assert_non_null(f->store);
	vipa_store_attach(f->store, f->vcrt, f->vdpt);
	add_conns(f, 70000);
	vipa_store_stats(f->store, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 70000);
	assert_int_equal(st.written, 65536);
	vipa_store_close(&f->store);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
}

/* ---- bad files ------------------------------------------------------------------ */

static void
write_bytes(const char *path, const void *p, size_t n, off_t at, int trunc)
{
	int fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), 0644);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, at), (ssize_t)n);
	close(fd);
}

static size_t
read_file(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

/* The store is ACTIVE, moved exactly one file aside for `why`, and the
 * moved file is in the fixture's directory; returns its path. */
static const char *
assert_moved_aside(struct fixture *f, const char *why)
{
	static struct vipa_store_info i;
	struct stat st;
	char prefix[200];

	vipa_store_info(f->store, &i);
	assert_int_equal(i.state, VIPA_STORE_ACTIVE);
	assert_string_equal(vipa_store_state_name(i.state), "ACTIVE");
	assert_int_equal(stats(f).moved_aside, 1);
	snprintf(prefix, sizeof(prefix), "%s.bad-", f->path);
	assert_int_equal(strncmp(i.moved_to, prefix, strlen(prefix)), 0);
	assert_int_equal(stat(i.moved_to, &st), 0);
	if (strstr(i.moved_why, why) == NULL)
		fail_msg("moved aside for \"%s\", expected \"%s\"", i.moved_why, why);
	assert_string_equal(i.disabled_why, "");
	return i.moved_to;
}

/* After a bad file was replaced the store works: tables written exactly. */
static void
assert_store_works(struct fixture *f)
{
	vipa_store_attach(f->store, f->vcrt, f->vdpt);
	add_conns(f, 500);
	add_vdpt(f, 6);
	run_until(f, cond_written, 506, 30000);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
}

static void
test_other_schema_moved_aside(void **state)
{
	struct fixture *f = *state;
	const char *moved;
	sqlite3 *db;
	sqlite3_stmt *q;

	open_store(f, 20);
	add_conns(f, 50);
	vipa_store_close(&f->store);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = 99 WHERE key = "
				      "'schema_version'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	vipa_vcrt_destroy(&f->vcrt);
	f->vcrt = vipa_vcrt_new(100000);

	open_store(f, 20);
	moved = assert_moved_aside(f, "schema version 99, this program knows 1");
	/* The operator still has the old file, rows and version unchanged. */
	db = db_ro(moved);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE key = "
					    "'schema_version'), (SELECT count(*) FROM vcrt)", -1, &q,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 99);
	assert_int_equal(sqlite3_column_int(q, 1), 50);
	sqlite3_finalize(q);
	sqlite3_close(db);
	/* Nothing to load from the new file. */
	assert_int_equal(vipa_store_load(f->store, f->vcrt, f->vdpt), 0);
	assert_int_equal(vipa_vcrt_count(f->vcrt), 0);
	assert_store_works(f);
}

static void
test_garbage_moved_aside(void **state)
{
	struct fixture *f = *state;
	static uint8_t junk[10000], back[20000];
	const char *moved;

	rand_bytes(junk, sizeof(junk));
	write_bytes(f->path, junk, sizeof(junk), 0, 1);
	open_store(f, 20);
	moved = assert_moved_aside(f, "not a database");
	assert_int_equal(read_file(moved, back, sizeof(back)), sizeof(junk));
	assert_memory_equal(back, junk, sizeof(junk));
	assert_store_works(f);
}

static void
test_foreign_database_moved_aside(void **state)
{
	struct fixture *f = *state;
	const char *moved;
	sqlite3 *db;
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE vcrt(x); INSERT INTO vcrt VALUES('mine');",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	open_store(f, 20);
	moved = assert_moved_aside(f, "no schema version");
	/* Left as it was: no tables of ours were added to it. */
	db = db_ro(moved);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), (SELECT x FROM vcrt) FROM "
					    "sqlite_master", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "mine");
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_store_works(f);
}

static void
test_corrupt_pages_found_by_load(void **state)
{
	struct fixture *f = *state;
	static uint8_t junk[32768];
	struct vipa_vcrt *v2;
	struct vipa_vdpt *d2;
	struct stat st;

	open_store(f, 20);
	add_conns(f, 20000);
	vipa_store_close(&f->store);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	/* Header and schema page intact; table pages in the middle not. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 200000);
	rand_bytes(junk, sizeof(junk));
	write_bytes(f->path, junk, sizeof(junk), st.st_size / 2, 0);

	v2 = vipa_vcrt_new(100000);
	d2 = malloc(sizeof(*d2));
	assert_non_null(d2);
	vipa_vdpt_init(d2);
	open_store(f, 20);
	assert_int_equal(vipa_store_load(f->store, v2, d2), -EIO);
	assert_moved_aside(f, "reading it");
	vipa_vcrt_destroy(&v2);
	free(d2);
	vipa_vcrt_destroy(&f->vcrt);
	f->vcrt = vipa_vcrt_new(100000);
	assert_store_works(f);
}

static int
cond_active(struct fixture *f, uint64_t arg)
{
	struct vipa_store_info i;

	(void)arg;
	vipa_store_info(f->store, &i);
	return i.state == VIPA_STORE_ACTIVE && stats(f).flushes > 0;
}

static void
test_unwritable_runs_disabled(void **state)
{
	struct fixture *f = *state;
	static struct vipa_store_info i;
	char sub[128];

	/* A directory that does not exist: no file can be made. */
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/stack.db", sub);
	open_store(f, 10);
	vipa_store_info(f->store, &i);
	assert_int_equal(i.state, VIPA_STORE_DISABLED);
	assert_string_equal(vipa_store_state_name(i.state), "DISABLED");
	assert_true(i.disabled_why[0] != '\0');
	assert_string_equal(i.moved_to, "");
	assert_int_equal(vipa_store_load(f->store, f->vcrt, f->vdpt), 0);
	add_conns(f, 3000);
	add_vdpt(f, 4);
	assert_int_equal(stats(f).queued, 0);
	assert_int_equal(stats(f).dropped, 0);
	/* Once a file can be made, it is, with everything in it. */
	assert_int_equal(mkdir(sub, 0700), 0);
	run_until(f, cond_active, 0, 30000);
	run_until(f, cond_written, 3004, 30000);
	assert_db_equals_tables(f->path, f->vcrt, f->vdpt);
	vipa_store_close(&f->store);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	unlink(f->path);
	rmdir(sub);
	snprintf(f->path, sizeof(f->path), "%s/stack.db", f->dir);
}

static void
test_null_store(void **state)
{
	struct vipa_conn c;
	struct vipa_vdpt_entry e;
	struct vipa_store_stats st;
	struct vipa_store_info i;
	struct vipa_store *none = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
	vipa_store_conn_put(NULL, &c);
	vipa_store_conn_del(NULL, &c.key);
	vipa_store_vdpt_put(NULL, &e);
	vipa_store_vdpt_del(NULL, e.dvipa, 1, e.dest_xcf);
	vipa_store_attach(NULL, NULL, NULL);
	assert_int_equal(vipa_store_load(NULL, NULL, NULL), 0);
	vipa_store_stats(NULL, &st);
	assert_int_equal(st.queued, 0);
	vipa_store_info(NULL, &i);
	assert_int_equal(i.state, VIPA_STORE_DISABLED);
	vipa_store_close(&none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_reopen_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_rewrites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlinked_file_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_loop_writes_when_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_schema_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_pages_found_by_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_runs_disabled, setup, teardown),
		cmocka_unit_test(test_null_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
