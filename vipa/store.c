/*
 * store.c - the SQLite write-behind store for the VCRT and the VDPT.
 *
 * The in-memory tables are the truth; the database file lets a restarted
 * stack reload them and lets an operator query them.  The packet path only
 * appends change records to a preallocated ring (O(1), no allocation, no
 * system call); everything slow happens elsewhere:
 *
 *   loop thread                              worker thread (uv_queue_work)
 *   -----------                              -----------------------------
 *   put/del -> ring[cur][n++]
 *   timer every flush_ms (or at once when
 *   the ring is a quarter full):
 *     stat(path) still the inode we opened?
 *     swap ring[cur] <-> ring[cur ^ 1]  ---> BEGIN; one statement per record;
 *                                            COMMIT (one transaction per flush)
 *   after-work callback: merge results  <---
 *
 * Ownership rule: while a flush is in flight the worker owns the sqlite3
 * connection and the ring being written; the loop thread touches neither
 * until the worker has finished (after-work callback, or wait_worker(),
 * which waits on a condition variable).  Only one flush is in flight.
 *
 * Recovery:
 *  - Ring overflow: the record is counted in `dropped` and the store is
 *    marked for a full rewrite.  The next flush snapshots the attached tables
 *    on the loop thread (allocating is fine there: it is not the packet path)
 *    and the worker replaces both tables in one transaction.
 *  - Lost file: before each flush the path must still name the inode opened.
 *    If not, one warning is logged, the worker closes the connection, drops a
 *    stale -wal/-shm, recreates the file and schema (counted in `reopened`),
 *    and the following flush rewrites both tables from a snapshot.
 *  - A failed flush (any SQLite error) is rolled back, counted in `errors`,
 *    and the store is marked for a full rewrite.  Each kind of error is
 *    logged once; none stops the caller.
 *  - A bad file: opening (at start or when reopening) first reads what the
 *    file holds without writing to it; a file that is not a database, is
 *    corrupt, holds tables without our schema version or another version,
 *    or is read-only is closed and renamed PATH.bad-YYYYMMDDTHHMMSSZ (with
 *    its -wal and -shm, so the operator can still open it), and a new file
 *    is created (EZD1218E, `moved_aside`).  A flush or load that finds the
 *    file corrupt does the same at the next flush.
 *  - No file at all: when nothing can be written (the bad file cannot be
 *    moved, the directory is not writable, the disk is full, the file stays
 *    locked, or three flushes in a row failed) the store is DISABLED
 *    (EZD1219E, once): nothing is queued, the timer tries to open the file
 *    again every STORE_RETRY_FLUSHES intervals, and once it works
 *    (EZD1220I) the next flush rewrites both tables from a snapshot.
 *
 * Records (about 88 bytes; two rings of VIPA_STORE_RING of them):
 *   kind | conn: key(36) dest(16) state bypass coa(16) created_ms
 *        | vdpt: dvipa(16) port dest(16) name(17) rdy weight totalconn flags
 */
#include "vipa/vipa.h"
#include "lib/lib.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_RING 65536			/* records in each of the two rings */
#define STORE_KICK (STORE_RING / 4)		/* flush at once from this fill */
#define STORE_SCHEMA_VERSION 1
#define STORE_DEFAULT_FLUSH_MS 100
#define STORE_BUSY_MS 5000
#define STORE_FAILS_DISABLE 3			/* failed flushes in a row: give the file up */
#define STORE_RETRY_FLUSHES 100			/* a DISABLED store retries every 100 intervals */

/* How an open failed: the file itself is unusable (move it aside), or
 * nothing can be written right now (keep it; run without persistence). */
enum store_open_kind { OPEN_OK = 0, OPEN_BAD_FILE = 1, OPEN_CANNOT = 2 };

/* What opening (and maybe replacing) the file came to; filled by whichever
 * thread opened, applied on the loop thread. */
struct store_open_result {
	int ok;
	char moved_to[PATH_MAX];
	char moved_why[VIPA_STORE_REASON_LEN];
	char disabled_why[VIPA_STORE_REASON_LEN];
};

#define STORE_CONTAINER(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

enum store_kind { REC_CONN_PUT = 1, REC_CONN_DEL, REC_VDPT_PUT, REC_VDPT_DEL };

struct store_rec {
	uint8_t kind;
	union {
		struct {
			struct vipa_conn_key key;
			uint8_t dest[16];
			uint8_t state, bypass;
			uint8_t coa[16];
			uint64_t created_ms;
		} c;
		struct {
			uint8_t dvipa[16];
			uint16_t port;
			uint8_t dest[16];
			char name[17];
			uint16_t rdy, weight;
			uint32_t totalconn;
			uint8_t flags;
		} v;
	} u;
};

/* Kinds of trouble; each is logged the first time only. */
enum store_err {
	E_OPEN, E_PREPARE, E_BEGIN, E_WRITE, E_COMMIT, E_LOAD, E_OVERFLOW, E_DETACHED,
	E_SNAPSHOT, E_LOST,
};

enum store_stmt {
	ST_CONN_PUT, ST_CONN_DEL, ST_VDPT_PUT, ST_VDPT_DEL, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_CLEAR_VCRT, ST_CLEAR_VDPT, ST_N,
};

static const char *const store_sql[ST_N] = {
	[ST_CONN_PUT] = "INSERT OR REPLACE INTO vcrt(dvipa, client, dport, cport, dest, state, "
			"bypass, coa, created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_CONN_DEL] = "DELETE FROM vcrt WHERE dvipa = ?1 AND client = ?2 AND dport = ?3 "
			"AND cport = ?4",
	[ST_VDPT_PUT] = "INSERT OR REPLACE INTO vdpt(dvipa, port, dest, dest_name, rdy, weight, "
			"totalconn, flags) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_VDPT_DEL] = "DELETE FROM vdpt WHERE dvipa = ?1 AND port = ?2 AND dest = ?3",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_CLEAR_VCRT] = "DELETE FROM vcrt",
	[ST_CLEAR_VDPT] = "DELETE FROM vdpt",
};

static const char store_schema[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE IF NOT EXISTS vcrt(dvipa BLOB, client BLOB, dport INT, cport INT, "
	"dest BLOB, state INT, bypass INT, coa BLOB, created_ms INT, "
	"PRIMARY KEY(dvipa, client, dport, cport)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS vdpt(dvipa BLOB, port INT, dest BLOB, dest_name TEXT, "
	"rdy INT, weight INT, totalconn INT, flags INT, "
	"PRIMARY KEY(dvipa, port, dest)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', 1);"
	"COMMIT;";

/* One flush: what to write, and what came of it. */
struct store_job {
	int reopen;			/* close and reopen the file first (and only that) */
	int force_bad;			/* reopen: the file is known bad, move it aside */
	int rewrite;			/* replace both tables with snap[] */
	struct store_rec *recs;		/* a ring, owned by the job while it runs */
	size_t n;
	struct store_rec *snap;		/* malloc'd snapshot for a rewrite */
	size_t nsnap;
	/* results, filled by whichever thread ran the job */
	int ok, reopened, reopen_failed;
	uint64_t written, errors, dur_us;
	int bad_file;			/* a write found the file corrupt */
	char errmsg[VIPA_STORE_REASON_LEN];	/* why a write failed */
	struct store_open_result open;	/* reopen: the outcome */
};

/*
 * The libuv parts live in their own allocation: after the store is closed the
 * loop may still run the timer's close callback and a late after-work
 * callback, and those must find valid memory.  It is freed when both are done.
 */
struct store_uv {
	uv_timer_t timer;
	uv_work_t work;
	struct vipa_store *s;		/* NULL once the store is closed */
	int req_busy;			/* the uv_work_t awaits its after-work callback */
	int timer_closed;
};

struct vipa_store {
	uv_loop_t *loop;		/* NULL: no timer; flush when the ring fills */
	struct store_uv *uvb;
	char path[PATH_MAX];
	const char *base;		/* last component of path, for messages */
	unsigned flush_ms;

	/* Owned by the worker while job_running && !worker_finished. */
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
	dev_t dev;
	ino_t ino;

	/* Loop thread only. */
	struct store_rec *ring[2];
	int cur;
	size_t n;
	int kicked, closing;
	int rewrite_pending, reopen_pending, lost_logged;
	int force_bad;			/* the next reopen moves the file aside */
	int load_rc;			/* SQLite code of a failed load */
	int disabled;			/* VIPA_STORE_DISABLED */
	int fails;			/* failed flushes in a row */
	uint64_t retry_ms;		/* DISABLED: when to try to open again */
	char moved_to[PATH_MAX];
	char moved_why[VIPA_STORE_REASON_LEN];
	char disabled_why[VIPA_STORE_REASON_LEN];
	struct vipa_vcrt *vcrt;
	struct vipa_vdpt *vdpt;
	struct vipa_store_stats stats;

	/* The one job, and the hand-back from the worker. */
	struct store_job job;
	int job_running;		/* queued and not yet merged */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int worker_finished;

	uint32_t logged;		/* bit per enum store_err; atomic */
};

/* Logs the first occurrence of an error kind; the caller counts it. */
static void
store_log_once(struct vipa_store *s, enum store_err kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
store_log_once(struct vipa_store *s, enum store_err kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (__atomic_fetch_or(&s->logged, 1u << kind, __ATOMIC_RELAXED) & (1u << kind))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("store %s: %s (further errors of this kind are only counted)", s->base, msg);
}

static const char *
store_errmsg(const struct vipa_store *s)
{
	return s->db ? sqlite3_errmsg(s->db) : "no database";
}

/* ---- the connection: open, close (whoever owns it) ----------------------- */

static void
db_close(struct vipa_store *s)
{
	int i;

	for (i = 0; i < ST_N; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	if (s->db)
		sqlite3_close_v2(s->db);
	s->db = NULL;
}

/* The kind of an SQLite failure: most mean the file is unusable; these mean
 * nothing can be written now, and moving the file would not help. */
static int
open_fail_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_INTERRUPT:
		return OPEN_CANNOT;
	default:
		return OPEN_BAD_FILE;
	}
}

/* Reads what the file holds without writing to it: how many tables and,
 * when there are any, our schema version.  OPEN_OK, or a kind with err. */
static int
db_check_content(struct vipa_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc, ntables = -1, version = -1;

	rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
				-1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		ntables = sqlite3_column_int(q, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return open_fail_kind(rc);
	}
	if (ntables == 0)
		return OPEN_OK;		/* a new (or empty) database */
	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
				&q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		version = sqlite3_column_int(q, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;		/* a meta table without our row */
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_OK && open_fail_kind(rc) == OPEN_CANNOT) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return OPEN_CANNOT;
	}
	if (version < 0) {
		snprintf(err, errlen, "%d table(s) but no schema version: not a stack store", ntables);
		return OPEN_BAD_FILE;
	}
	if (version != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d, this program knows %d", version,
			 STORE_SCHEMA_VERSION);
		return OPEN_BAD_FILE;
	}
	return OPEN_OK;
}

/* Opens or creates the file, checks what it holds, sets WAL etc., creates
 * the schema, prepares.  OPEN_OK, or the kind of failure with err. */
static int
db_open(struct vipa_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	struct stat st;
	char *msg = NULL;
	int i, rc, kind = OPEN_BAD_FILE;

	rc = sqlite3_open_v2(s->path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		kind = open_fail_kind(rc);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* SQLite opens a file it may not write read-only. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "cannot be opened for writing");
		goto fail;
	}
	if ((kind = db_check_content(s, err, errlen)) != OPEN_OK)
		goto fail;
	kind = OPEN_BAD_FILE;
	if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &q, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_step(q)) != SQLITE_ROW) {
		snprintf(err, errlen, "journal_mode=WAL: %s", sqlite3_errmsg(s->db));
		kind = open_fail_kind(rc);
		goto fail;
	}
	if (sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") != 0)
		log_warnx("store %s: WAL not available, using journal mode %s", s->base,
			  (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, &msg)) != SQLITE_OK ||
	    (rc = sqlite3_exec(s->db, store_schema, NULL, NULL, &msg)) != SQLITE_OK) {
		snprintf(err, errlen, "schema: %s", msg ? msg : sqlite3_errstr(rc));
		kind = open_fail_kind(rc);
		goto fail;
	}
	for (i = 0; i < ST_N; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	/* Remember which file this is, to notice when the path stops naming it. */
	if (stat(s->path, &st) < 0) {
		snprintf(err, errlen, "stat: %s", strerror(errno));
		kind = OPEN_CANNOT;
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return OPEN_OK;
fail:
	if (q)
		sqlite3_finalize(q);
	sqlite3_free(msg);
	db_close(s);
	return kind;
}

/* Renames path (and its -wal, -shm) to path.bad-YYYYMMDDTHHMMSSZ[-n]; the
 * new name goes into to.  0, or -errno of the failed rename. */
static int
move_aside(const struct vipa_store *s, char *to, size_t tolen)
{
	char stamp[32], from[PATH_MAX + 8], dst[PATH_MAX + 48];
	struct stat st;
	struct tm tm;
	time_t now = time(NULL);
	int i, n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 1;; i++) {
		if (i == 1)
			n = snprintf(to, tolen, "%s.bad-%s", s->path, stamp);
		else
			n = snprintf(to, tolen, "%s.bad-%s-%d", s->path, stamp, i);
		if (n < 0 || (size_t)n >= tolen)
			return -ENAMETOOLONG;
		if (lstat(to, &st) < 0 && errno == ENOENT)
			break;
		if (i == 100)
			return -EEXIST;
	}
	if (rename(s->path, to) < 0)
		return -errno;
	/* The journal files belong to the moved database now. */
	snprintf(from, sizeof(from), "%s-wal", s->path);
	snprintf(dst, sizeof(dst), "%s-wal", to);
	if (rename(from, dst) < 0 && errno != ENOENT)
		unlink(from);
	snprintf(from, sizeof(from), "%s-shm", s->path);
	snprintf(dst, sizeof(dst), "%s-shm", to);
	if (rename(from, dst) < 0 && errno != ENOENT)
		unlink(from);
	return 0;
}

/* Opens the file; an unusable one (or, with force_bad, the one there) is
 * moved aside and a new one created.  Fills r; returns 0 when a file is
 * open, -1 when none is (r->disabled_why says why). */
static int
db_open_recover(struct vipa_store *s, int force_bad, const char *bad_why,
		struct store_open_result *r)
{
	char err[160];
	struct stat st;
	int kind, e;

	memset(r, 0, sizeof(*r));
	if (force_bad) {
		kind = OPEN_BAD_FILE;
		lib_strlcpy(err, bad_why, sizeof(err));
	} else if ((kind = db_open(s, err, sizeof(err))) == OPEN_OK) {
		r->ok = 1;
		return 0;
	}
	if (kind == OPEN_CANNOT || lstat(s->path, &st) < 0) {
		lib_strlcpy(r->disabled_why, err, sizeof(r->disabled_why));
		return -1;
	}
	if ((e = move_aside(s, r->moved_to, sizeof(r->moved_to))) < 0) {
		r->moved_to[0] = '\0';
		snprintf(r->disabled_why, sizeof(r->disabled_why), "%s; cannot move it aside: %s",
			 err, strerror(-e));
		return -1;
	}
	lib_strlcpy(r->moved_why, err, sizeof(r->moved_why));
	if (db_open(s, err, sizeof(err)) != OPEN_OK) {
		snprintf(r->disabled_why, sizeof(r->disabled_why), "new file: %s", err);
		return -1;
	}
	r->ok = 1;
	return 0;
}

/* When the database file is gone, a -wal or -shm left beside it is stale. */
static void
store_drop_stale_wal(const struct vipa_store *s)
{
	char p[PATH_MAX + 8];
	struct stat st;

	if (stat(s->path, &st) == 0 || errno != ENOENT)
		return;
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
}

/* ---- writing a job (worker thread, or the caller's thread when synchronous) -- */

static int
store_step(struct vipa_store *s, enum store_stmt i)
{
	int rc = sqlite3_step(s->st[i]);

	sqlite3_reset(s->st[i]);
	sqlite3_clear_bindings(s->st[i]);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
store_write_rec(struct vipa_store *s, const struct store_rec *r)
{
	sqlite3_stmt *q;

	switch (r->kind) {
	case REC_CONN_PUT:
		q = s->st[ST_CONN_PUT];
		sqlite3_bind_blob(q, 1, r->u.c.key.dvipa, 16, SQLITE_STATIC);
		sqlite3_bind_blob(q, 2, r->u.c.key.client, 16, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, r->u.c.key.dport);
		sqlite3_bind_int(q, 4, r->u.c.key.cport);
		sqlite3_bind_blob(q, 5, r->u.c.dest, 16, SQLITE_STATIC);
		sqlite3_bind_int(q, 6, r->u.c.state);
		sqlite3_bind_int(q, 7, r->u.c.bypass);
		sqlite3_bind_blob(q, 8, r->u.c.coa, 16, SQLITE_STATIC);
		sqlite3_bind_int64(q, 9, (sqlite3_int64)r->u.c.created_ms);
		return store_step(s, ST_CONN_PUT);
	case REC_CONN_DEL:
		q = s->st[ST_CONN_DEL];
		sqlite3_bind_blob(q, 1, r->u.c.key.dvipa, 16, SQLITE_STATIC);
		sqlite3_bind_blob(q, 2, r->u.c.key.client, 16, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, r->u.c.key.dport);
		sqlite3_bind_int(q, 4, r->u.c.key.cport);
		return store_step(s, ST_CONN_DEL);
	case REC_VDPT_PUT:
		q = s->st[ST_VDPT_PUT];
		sqlite3_bind_blob(q, 1, r->u.v.dvipa, 16, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, r->u.v.port);
		sqlite3_bind_blob(q, 3, r->u.v.dest, 16, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, r->u.v.name, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 5, r->u.v.rdy);
		sqlite3_bind_int(q, 6, r->u.v.weight);
		sqlite3_bind_int64(q, 7, r->u.v.totalconn);
		sqlite3_bind_int(q, 8, r->u.v.flags);
		return store_step(s, ST_VDPT_PUT);
	case REC_VDPT_DEL:
		q = s->st[ST_VDPT_DEL];
		sqlite3_bind_blob(q, 1, r->u.v.dvipa, 16, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, r->u.v.port);
		sqlite3_bind_blob(q, 3, r->u.v.dest, 16, SQLITE_STATIC);
		return store_step(s, ST_VDPT_DEL);
	}
	return 0;
}

/* Why a write job failed, and whether the file itself is bad. */
static void
job_note_failure(struct vipa_store *s, struct store_job *j)
{
	int code = s->db ? sqlite3_errcode(s->db) & 0xff : SQLITE_CANTOPEN;

	snprintf(j->errmsg, sizeof(j->errmsg), "writing failed: %.200s", store_errmsg(s));
	j->bad_file = code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static void
job_run(struct vipa_store *s, struct store_job *j)
{
	uint64_t t0;
	size_t i;

	if (j->reopen) {
		db_close(s);
		store_drop_stale_wal(s);
		if (db_open_recover(s, j->force_bad, j->errmsg, &j->open) < 0) {
			j->errors++;
			j->reopen_failed = 1;
			return;
		}
		j->reopened = 1;
		j->ok = 1;
		return;
	}
	t0 = lib_now_ns();
	if (store_step(s, ST_BEGIN) < 0) {
		j->errors++;
		store_log_once(s, E_BEGIN, "BEGIN failed: %s", store_errmsg(s));
		job_note_failure(s, j);
		return;
	}
	if (j->rewrite) {
		if (store_step(s, ST_CLEAR_VCRT) < 0 || store_step(s, ST_CLEAR_VDPT) < 0)
			goto write_fail;
		for (i = 0; i < j->nsnap; i++)
			if (store_write_rec(s, &j->snap[i]) < 0)
				goto write_fail;
	}
	for (i = 0; i < j->n; i++)
		if (store_write_rec(s, &j->recs[i]) < 0)
			goto write_fail;
	if (store_step(s, ST_COMMIT) < 0) {
		j->errors++;
		store_log_once(s, E_COMMIT, "COMMIT failed: %s", store_errmsg(s));
		goto rollback;
	}
	j->ok = 1;
	j->written = j->nsnap + j->n;
	j->dur_us = (lib_now_ns() - t0) / 1000;
	return;
write_fail:
	j->errors++;
	store_log_once(s, E_WRITE, "write failed: %s", store_errmsg(s));
rollback:
	job_note_failure(s, j);
	if (s->db && !sqlite3_get_autocommit(s->db))
		store_step(s, ST_ROLLBACK);
}

/* ---- flush scheduling (loop thread) ------------------------------------------ */

static void store_timer_cb(uv_timer_t *t);

/* DISABLED: drop what is queued (a full rewrite follows a working file) and
 * try to open a file again later. */
static void
store_disable(struct vipa_store *s)
{
	s->disabled = 1;
	s->n = 0;
	s->rewrite_pending = 1;
	s->reopen_pending = 1;
	s->retry_ms = lib_now_ms() + (uint64_t)s->flush_ms * STORE_RETRY_FLUSHES;
}

/* Starts a flush at the next loop iteration instead of waiting for the timer. */
static void
store_kick(struct vipa_store *s)
{
	if (s->uvb == NULL || s->closing || s->kicked)
		return;
	s->kicked = 1;
	uv_timer_start(&s->uvb->timer, store_timer_cb, 0, s->flush_ms);
}

static void
rec_conn_put(struct store_rec *r, const struct vipa_conn *c)
{
	r->kind = REC_CONN_PUT;
	r->u.c.key = c->key;
	memcpy(r->u.c.dest, c->dest_xcf, 16);
	r->u.c.state = c->state;
	r->u.c.bypass = c->bypass;
	memcpy(r->u.c.coa, c->coa, 16);
	r->u.c.created_ms = c->created_ms;
}

static void
rec_vdpt_put(struct store_rec *r, const struct vipa_vdpt_entry *e)
{
	r->kind = REC_VDPT_PUT;
	memcpy(r->u.v.dvipa, e->dvipa, 16);
	r->u.v.port = e->port;
	memcpy(r->u.v.dest, e->dest_xcf, 16);
	memcpy(r->u.v.name, e->dest_name, sizeof(r->u.v.name));
	r->u.v.name[sizeof(r->u.v.name) - 1] = '\0';
	r->u.v.rdy = e->rdy;
	r->u.v.weight = e->weight;
	r->u.v.totalconn = e->totalconn;
	r->u.v.flags = e->flags;
}

struct snap_ctx {
	struct store_rec *r;
	size_t n, cap;
};

static int
snap_conn_cb(struct vipa_conn *c, void *arg)
{
	struct snap_ctx *x = arg;

	/* Half-open connections are never stored (see vipa_store_load). */
	if (x->n < x->cap && c->state != VIPA_CONN_SYN)
		rec_conn_put(&x->r[x->n++], c);
	return 0;
}

/* Copies the attached tables into j->snap (loop thread; may allocate). */
static int
store_snapshot(struct vipa_store *s, struct store_job *j)
{
	struct snap_ctx x = {0};
	size_t nv = 0;
	int i;

	if (s->vcrt)
		x.cap += vipa_vcrt_count(s->vcrt);
	if (s->vdpt)
		for (i = 0; i < s->vdpt->n; i++)
			nv += s->vdpt->e[i].used != 0;
	x.cap += nv;
	if (x.cap > 0 && (x.r = malloc(x.cap * sizeof(*x.r))) == NULL)
		return -ENOMEM;
	if (s->vcrt)
		vipa_vcrt_foreach(s->vcrt, snap_conn_cb, &x);
	if (s->vdpt)
		for (i = 0; i < s->vdpt->n && x.n < x.cap; i++)
			if (s->vdpt->e[i].used)
				rec_vdpt_put(&x.r[x.n++], &s->vdpt->e[i]);
	j->snap = x.r;
	j->nsnap = x.n;
	j->rewrite = 1;
	return 0;
}

/* Has the path stopped naming the file we opened? */
static int
store_file_lost(const struct vipa_store *s)
{
	struct stat st;

	if (stat(s->path, &st) < 0)
		return 1;
	return st.st_ino != s->ino || st.st_dev != s->dev;
}

/*
 * Decides what the next flush does and fills j.  Returns 0 when there is
 * nothing to do.  Called on the loop thread with no job in flight.
 */
static int
flush_prepare(struct vipa_store *s, struct store_job *j)
{
	memset(j, 0, sizeof(*j));
	s->kicked = 0;
	if (s->disabled) {
		/* Only an attempt to open a file again, now and then. */
		if (lib_now_ms() < s->retry_ms)
			return 0;
		j->reopen = 1;
		return 1;
	}
	if (s->db && store_file_lost(s)) {
		if (!s->lost_logged)
			log_warnx("%s was removed; recreating it and rewriting the tables",
				  s->base);
		s->lost_logged = 1;
		s->reopen_pending = 1;
		s->rewrite_pending = 1;
	}
	if (s->reopen_pending || s->db == NULL) {
		/* Reopen first, alone; the rewrite follows once the file is back. */
		j->reopen = 1;
		j->force_bad = s->force_bad;
		lib_strlcpy(j->errmsg, s->moved_why, sizeof(j->errmsg));
		return 1;
	}
	if (s->rewrite_pending) {
		if (s->vcrt == NULL && s->vdpt == NULL) {
			s->stats.errors++;
			store_log_once(s, E_DETACHED, "tables must be rewritten but none are "
				       "attached; changes were lost");
		} else if (store_snapshot(s, j) < 0) {
			s->stats.errors++;
			store_log_once(s, E_SNAPSHOT, "no memory for a snapshot; will retry");
			memset(j, 0, sizeof(*j));
			return 0;
		} else {
			s->n = 0;	/* the snapshot covers everything queued */
		}
		s->rewrite_pending = 0;
	}
	if (!j->rewrite && s->n == 0)
		return 0;
	j->recs = s->ring[s->cur];
	j->n = s->n;
	s->cur ^= 1;
	s->n = 0;
	return 1;
}

/* Applies the outcome of opening the file (loop thread): logs what
 * happened, once per event, and sets the state. */
static void
open_result_apply(struct vipa_store *s, const struct store_open_result *r)
{
	if (r->moved_to[0]) {
		s->stats.moved_aside++;
		lib_strlcpy(s->moved_to, r->moved_to, sizeof(s->moved_to));
		lib_strlcpy(s->moved_why, r->moved_why, sizeof(s->moved_why));
		log_warnx("EZD1218E STORE %s IS UNUSABLE (%s): MOVED TO %s%s", s->path, r->moved_why,
			  r->moved_to, r->ok ? ", A NEW ONE WAS CREATED" : "");
	}
	s->force_bad = 0;
	if (r->ok) {
		if (s->disabled)
			log_info("EZD1220I STORE %s IS WRITTEN AGAIN: PERSISTENCE RESUMED", s->path);
		s->disabled = 0;
		s->fails = 0;
		s->disabled_why[0] = '\0';
		return;
	}
	if (!s->disabled)
		log_warnx("EZD1219E STORE %s CANNOT BE WRITTEN (%s): RUNNING WITHOUT PERSISTENCE",
			  s->path, r->disabled_why);
	lib_strlcpy(s->disabled_why, r->disabled_why, sizeof(s->disabled_why));
	store_disable(s);
}

/* Folds a finished job's results into the stats (loop thread). */
static void
job_merge(struct vipa_store *s, struct store_job *j)
{
	s->stats.errors += j->errors;
	if (j->reopen) {
		open_result_apply(s, &j->open);
		if (j->reopened) {
			s->stats.reopened++;
			s->reopen_pending = 0;
			s->lost_logged = 0;
		}
	} else if (j->ok) {
		s->stats.written += j->written;
		s->stats.flushes++;
		s->stats.last_flush_us = j->dur_us;
		s->fails = 0;
	} else {
		s->rewrite_pending = 1;
		s->fails++;
		if (j->bad_file) {
			/* The next flush replaces the file. */
			s->reopen_pending = 1;
			s->force_bad = 1;
			lib_strlcpy(s->moved_why, j->errmsg, sizeof(s->moved_why));
		} else if (s->fails >= STORE_FAILS_DISABLE) {
			log_warnx("EZD1219E STORE %s CANNOT BE WRITTEN (%s): RUNNING WITHOUT "
				  "PERSISTENCE", s->path, j->errmsg);
			lib_strlcpy(s->disabled_why, j->errmsg, sizeof(s->disabled_why));
			store_disable(s);
		}
	}
	free(j->snap);
	j->snap = NULL;
	j->recs = NULL;
}

/* Waits until the worker is done with the connection and merges its job. */
static void
wait_worker(struct vipa_store *s)
{
	if (!s->job_running)
		return;
	pthread_mutex_lock(&s->mu);
	while (!s->worker_finished)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	job_merge(s, &s->job);
	s->job_running = 0;
}

/* Runs flushes on the calling thread until nothing is pending. */
static void
flush_sync(struct vipa_store *s)
{
	struct store_job j;
	int i;

	wait_worker(s);
	/* At most: reopen, then rewrite, then what is left; never spin. */
	for (i = 0; i < 3 && flush_prepare(s, &j); i++) {
		job_run(s, &j);
		job_merge(s, &j);
	}
}

static void
store_work_cb(uv_work_t *req)
{
	struct vipa_store *s = req->data;

	job_run(s, &s->job);
	pthread_mutex_lock(&s->mu);
	s->worker_finished = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	/* From here on the worker must not touch s: close may free it. */
}

static void
store_uv_maybe_free(struct store_uv *u)
{
	if (u->timer_closed && !u->req_busy)
		free(u);
}

static void
store_after_work_cb(uv_work_t *req, int status)
{
	struct store_uv *u = STORE_CONTAINER(req, struct store_uv, work);
	struct vipa_store *s = u->s;
	int reopened;

	LIB_UNUSED(status);
	u->req_busy = 0;
	if (s == NULL) {
		store_uv_maybe_free(u);
		return;
	}
	if (!s->job_running)
		return;		/* already merged by wait_worker */
	reopened = s->job.reopened;
	job_merge(s, &s->job);
	s->job_running = 0;
	if (reopened || s->n >= STORE_KICK)
		store_kick(s);
}

static void
store_timer_cb(uv_timer_t *t)
{
	struct store_uv *u = STORE_CONTAINER(t, struct store_uv, timer);
	struct vipa_store *s = u->s;

	if (s == NULL || u->req_busy)
		return;		/* one flush in flight at most */
	if (!flush_prepare(s, &s->job))
		return;
	s->job_running = 1;
	s->worker_finished = 0;
	u->work.data = s;
	u->req_busy = 1;
	if (uv_queue_work(s->loop, &u->work, store_work_cb, store_after_work_cb) < 0) {
		u->req_busy = 0;
		s->job_running = 0;
		job_run(s, &s->job);
		job_merge(s, &s->job);
	}
}

static void
store_timer_close_cb(uv_handle_t *h)
{
	struct store_uv *u = STORE_CONTAINER(h, struct store_uv, timer);

	u->timer_closed = 1;
	store_uv_maybe_free(u);
}

/* ---- public interface --------------------------------------------------------- */

struct vipa_store *
vipa_store_open(uv_loop_t *loop, const char *path, unsigned flush_ms, char *err, size_t errlen)
{
	struct vipa_store *s;
	const char *slash;

	if (strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	lib_strlcpy(s->path, path, sizeof(s->path));
	slash = strrchr(s->path, '/');
	s->base = slash ? slash + 1 : s->path;
	s->loop = loop;
	s->flush_ms = flush_ms ? flush_ms : STORE_DEFAULT_FLUSH_MS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->ring[0] = malloc(STORE_RING * sizeof(struct store_rec));
	s->ring[1] = malloc(STORE_RING * sizeof(struct store_rec));
	if (s->ring[0] == NULL || s->ring[1] == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* Touch the rings now so the packet path never takes a page fault here. */
	memset(s->ring[0], 0, STORE_RING * sizeof(struct store_rec));
	memset(s->ring[1], 0, STORE_RING * sizeof(struct store_rec));
	{
		struct store_open_result *r = malloc(sizeof(*r));

		if (r == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		db_open_recover(s, 0, "", r);
		open_result_apply(s, r);
		free(r);
	}
	if (loop) {
		s->uvb = calloc(1, sizeof(*s->uvb));
		if (s->uvb == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		s->uvb->s = s;
		uv_timer_init(loop, &s->uvb->timer);
		/* A background flusher must not keep the loop alive by itself. */
		uv_unref((uv_handle_t *)&s->uvb->timer);
		uv_timer_start(&s->uvb->timer, store_timer_cb, s->flush_ms, s->flush_ms);
	}
	return s;
fail:
	db_close(s);
	free(s->ring[0]);
	free(s->ring[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return NULL;
}

/* Returns the next free record, or NULL when the ring is full (counted). */
static struct store_rec *
store_next(struct vipa_store *s)
{
	if (s == NULL)
		return NULL;
	if (s->disabled) {
		s->rewrite_pending = 1;
		return NULL;
	}
	if (s->n == STORE_RING) {
		if (s->loop == NULL && !s->closing) {
			/* No loop, so no packet path: write now rather than drop. */
			flush_sync(s);
		}
		if (s->n == STORE_RING) {
			s->stats.dropped++;
			s->rewrite_pending = 1;
			store_log_once(s, E_OVERFLOW, "change queue full; the tables will be "
				       "rewritten at the next flush");
			return NULL;
		}
	}
	s->stats.queued++;
	if (++s->n == STORE_KICK && (s->uvb == NULL || !s->uvb->req_busy))
		store_kick(s);
	return &s->ring[s->cur][s->n - 1];
}

void
vipa_store_conn_put(struct vipa_store *s, const struct vipa_conn *c)
{
	struct store_rec *r = store_next(s);

	if (r)
		rec_conn_put(r, c);
}

void
vipa_store_conn_del(struct vipa_store *s, const struct vipa_conn_key *k)
{
	struct store_rec *r = store_next(s);

	if (r == NULL)
		return;
	r->kind = REC_CONN_DEL;
	r->u.c.key = *k;
}

void
vipa_store_vdpt_put(struct vipa_store *s, const struct vipa_vdpt_entry *e)
{
	struct store_rec *r = store_next(s);

	if (r)
		rec_vdpt_put(r, e);
}

void
vipa_store_vdpt_del(struct vipa_store *s, const uint8_t dvipa[16], uint16_t port,
		    const uint8_t dest_xcf[16])
{
	struct store_rec *r = store_next(s);

	if (r == NULL)
		return;
	r->kind = REC_VDPT_DEL;
	memcpy(r->u.v.dvipa, dvipa, 16);
	r->u.v.port = port;
	memcpy(r->u.v.dest, dest_xcf, 16);
}

void
vipa_store_attach(struct vipa_store *s, struct vipa_vcrt *vcrt, struct vipa_vdpt *vdpt)
{
	if (s == NULL)
		return;
	s->vcrt = vcrt;
	s->vdpt = vdpt;
}

/* Copies a 16-byte blob column; 0 when it has the right size (or is NULL
 * and may be, in which case dst is zeroed). */
static int
load_blob16(sqlite3_stmt *q, int col, uint8_t dst[16], int nullable)
{
	const void *p = sqlite3_column_blob(q, col);
	int len = sqlite3_column_bytes(q, col);

	if (len == 16 && p) {
		memcpy(dst, p, 16);
		return 0;
	}
	if (nullable && len == 0) {
		memset(dst, 0, 16);
		return 0;
	}
	return -1;
}

static int
load_vcrt(struct vipa_store *s, struct vipa_vcrt *t)
{
	static const char sql[] = "SELECT dvipa, client, dport, cport, dest, state, bypass, "
				  "coa, created_ms FROM vcrt";
	struct vipa_conn_key k;
	struct vipa_conn *c;
	sqlite3_stmt *q;
	uint8_t dest[16], coa[16];
	int rc, ret = 0, created;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK) {
		s->stats.errors++;
		s->load_rc = rc;
		store_log_once(s, E_LOAD, "load: %s", store_errmsg(s));
		return -EIO;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		if (load_blob16(q, 0, k.dvipa, 0) < 0 || load_blob16(q, 1, k.client, 0) < 0 ||
		    load_blob16(q, 4, dest, 0) < 0 || load_blob16(q, 7, coa, 1) < 0) {
			s->stats.errors++;
			store_log_once(s, E_LOAD, "load: malformed vcrt row skipped");
			continue;
		}
		k.dport = (uint16_t)sqlite3_column_int(q, 2);
		k.cport = (uint16_t)sqlite3_column_int(q, 3);
		/* Half-open connections are never stored (a SYN flood must not
		 * cost a write per SYN); a row of one from an older version is
		 * not loaded. */
		if (sqlite3_column_int(q, 5) == VIPA_CONN_SYN)
			continue;
		c = vipa_vcrt_insert(t, &k, &created);
		if (c == NULL) {
			ret = -ENOSPC;
			break;
		}
		memcpy(c->dest_xcf, dest, 16);
		c->state = (uint8_t)sqlite3_column_int(q, 5);
		c->bypass = (uint8_t)sqlite3_column_int(q, 6);
		memcpy(c->coa, coa, 16);
		c->created_ms = (uint64_t)sqlite3_column_int64(q, 8);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		s->stats.errors++;
		s->load_rc = rc;
		store_log_once(s, E_LOAD, "load: %s", store_errmsg(s));
		ret = -EIO;
	}
	sqlite3_finalize(q);
	return ret;
}

static int
load_vdpt(struct vipa_store *s, struct vipa_vdpt *t)
{
	static const char sql[] = "SELECT dvipa, port, dest, dest_name, rdy, weight, totalconn, "
				  "flags FROM vdpt";
	struct vipa_vdpt_entry *e;
	sqlite3_stmt *q;
	uint8_t dvipa[16], dest[16];
	const unsigned char *name;
	int rc, ret = 0, w;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK) {
		s->stats.errors++;
		s->load_rc = rc;
		store_log_once(s, E_LOAD, "load: %s", store_errmsg(s));
		return -EIO;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (load_blob16(q, 0, dvipa, 0) < 0 || load_blob16(q, 2, dest, 0) < 0) {
			s->stats.errors++;
			store_log_once(s, E_LOAD, "load: malformed vdpt row skipped");
			continue;
		}
		e = vipa_vdpt_get(t, dvipa, (uint16_t)sqlite3_column_int(q, 1), dest, 1);
		if (e == NULL) {
			ret = -ENOSPC;
			break;
		}
		name = sqlite3_column_text(q, 3);
		lib_strlcpy(e->dest_name, name ? (const char *)name : "", sizeof(e->dest_name));
		e->rdy = (uint16_t)sqlite3_column_int(q, 4);
		w = sqlite3_column_int(q, 5);
		e->weight = (uint16_t)(w > 0 ? w : 1);
		e->totalconn = (uint32_t)sqlite3_column_int64(q, 6);
		e->flags = (uint8_t)sqlite3_column_int(q, 7);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		s->stats.errors++;
		s->load_rc = rc;
		store_log_once(s, E_LOAD, "load: %s", store_errmsg(s));
		ret = -EIO;
	}
	sqlite3_finalize(q);
	return ret;
}

int
vipa_store_load(struct vipa_store *s, struct vipa_vcrt *vcrt, struct vipa_vdpt *vdpt)
{
	int r1 = 0, r2 = 0, code;

	if (s == NULL)
		return 0;
	wait_worker(s);		/* the connection must be ours */
	if (s->disabled || s->db == NULL)
		return 0;
	s->load_rc = SQLITE_OK;
	if (vcrt)
		r1 = load_vcrt(s, vcrt);
	if (vdpt)
		r2 = load_vdpt(s, vdpt);
	code = s->load_rc & 0xff;
	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
		/* Replace the file now, before any traffic; what was read stays. */
		struct store_open_result *r = malloc(sizeof(*r));
		char why[VIPA_STORE_REASON_LEN];

		snprintf(why, sizeof(why), "reading it: %s", sqlite3_errstr(s->load_rc));
		db_close(s);
		if (r) {
			db_open_recover(s, 1, why, r);
			open_result_apply(s, r);
			free(r);
		} else {
			s->reopen_pending = 1;
		}
		s->rewrite_pending = 1;
		return -EIO;
	}
	return r1 < 0 ? r1 : r2;
}

void
vipa_store_stats(const struct vipa_store *s, struct vipa_store_stats *st)
{
	if (s == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = s->stats;
}

void
vipa_store_info(const struct vipa_store *s, struct vipa_store_info *i)
{
	memset(i, 0, sizeof(*i));
	if (s == NULL) {
		i->state = VIPA_STORE_DISABLED;
		lib_strlcpy(i->disabled_why, "no store", sizeof(i->disabled_why));
		return;
	}
	i->state = s->disabled ? VIPA_STORE_DISABLED : VIPA_STORE_ACTIVE;
	lib_strlcpy(i->path, s->path, sizeof(i->path));
	lib_strlcpy(i->moved_to, s->moved_to, sizeof(i->moved_to));
	lib_strlcpy(i->moved_why, s->moved_why, sizeof(i->moved_why));
	lib_strlcpy(i->disabled_why, s->disabled_why, sizeof(i->disabled_why));
}

const char *
vipa_store_state_name(enum vipa_store_state st)
{
	return st == VIPA_STORE_ACTIVE ? "ACTIVE" : "DISABLED";
}

void
vipa_store_close(struct vipa_store **sp)
{
	struct vipa_store *s = *sp;
	struct store_uv *u;

	if (s == NULL)
		return;
	*sp = NULL;
	flush_sync(s);		/* waits for an in-flight flush first */
	s->closing = 1;
	db_close(s);
	u = s->uvb;
	if (u) {
		u->s = NULL;
		uv_timer_stop(&u->timer);
		uv_close((uv_handle_t *)&u->timer, store_timer_close_cb);
	}
	free(s->ring[0]);
	free(s->ring[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
