/*
 * cds.c - the sysplex couple data set (CDS): its SQLite backend, the server
 * that members talk to, and the agent process that runs the server.
 *
 * The data set is one SQLite file every system of the sysplex can open
 * (the namespace emulator: /run/sysplex/INST/cds.db, created by `sysplex
 * up`).  Tables:
 *   cds_header(key, value)   format = 2, sysplex name, created (wall ms)
 *   cds_slot(sysname PRIMARY KEY, member, ord, weight, incarnation, state,
 *            beat, beat_wall_ms, pill_inc, pill_by, pill_wall_ms, reason,
 *            pubkey)
 * one slot per system of the couple config, in its order (ord 0 = first),
 * with the system's CURVE public key (Z85): the members check it against
 * the couple config's and refuse a member whose keys differ (sfm.c).
 * Journal mode WAL, synchronous NORMAL, a busy timeout; every write is one
 * short BEGIN IMMEDIATE transaction, so writers are serialized and a
 * read-check-write (the poison pill) is atomic.
 *
 * Who runs the I/O: a member never touches the file from its own process.
 * Each TCP/IP stack starts an agent process (xcf_cds_spawn: its own binary
 * with --cds-agent), connected by a SOCK_SEQPACKET socketpair, which answers
 * one request at a time (xcf_cds_serve).  Two reasons: the stack's packet
 * loop never waits for the file, and SQLite's locks are process locks: a
 * stack that is stopped (SIGSTOP, a hung system) while it held the write
 * lock would block the whole sysplex, but its agent is not stopped and
 * always finishes the transaction it started.  The agent dies with its stack
 * (PR_SET_PDEATHSIG, and end of file on the socket).  The request/reply
 * records are in xcf/internal.h.  On separate hosts the same requests would
 * go to an arbiter process (or an agent on shared storage) instead: a member
 * only needs a socket to a server (xcf_config.cds_connect).  That server is
 * cdsnet.c: with `CDS tcp://ADDR:PORT` in the couple config the agent
 * relays the requests to a CDS server on another host, which runs this
 * file's code against its own SQLite file.
 *
 * Errors: SQLITE_BUSY is -EBUSY, a missing or foreign file -ENOENT /
 * -EPROTO, anything else -EIO, each with the SQLite message kept for the
 * reply; a failed transaction is rolled back.  The refusals of a request
 * (xcf_cds_refusal: -EPERM not active, -ESTALE the slot changed, -ESRCH no
 * such slot, -EINVAL malformed) say nothing of the file; after any other
 * error the server reopens the file, so a replaced or repaired file is
 * picked up.
 */
#include "xcf/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CDS_FORMAT "2"	/* 2: slots carry the public key */
#define CDS_SERVER_BUSY_MS 100

struct xcf_cds {
	sqlite3 *db;
	unsigned busy_ms;
	char errmsg[200];
};

/* Busy handler: retry every millisecond up to busy_ms.  SQLite's own waits
 * grow to 100 ms; writers here hold the lock for well under a millisecond. */
static int
busy_cb(void *arg, int count)
{
	const struct xcf_cds *c = arg;

	if ((unsigned)count >= c->busy_ms)
		return 0;
	usleep(1000);
	return 1;
}

static const char cds_schema[] =
	"CREATE TABLE cds_header(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE cds_slot("
	" sysname TEXT PRIMARY KEY, member TEXT NOT NULL, ord INTEGER NOT NULL UNIQUE,"
	" weight INTEGER NOT NULL, incarnation INTEGER NOT NULL DEFAULT 0,"
	" state INTEGER NOT NULL DEFAULT 0, beat INTEGER NOT NULL DEFAULT 0,"
	" beat_wall_ms INTEGER NOT NULL DEFAULT 0, pill_inc INTEGER NOT NULL DEFAULT 0,"
	" pill_by TEXT NOT NULL DEFAULT '', pill_wall_ms INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT NOT NULL DEFAULT '', pubkey TEXT NOT NULL DEFAULT '');";

const char *
xcf_slot_state_name(uint8_t st)
{
	switch (st) {
	case XCF_SLOT_ACTIVE: return "ACTIVE";
	case XCF_SLOT_PARTITIONED: return "PARTITIONED";
	case XCF_SLOT_LEFT: return "LEFT";
	default: return "INACTIVE";
	}
}

const char *
xcf_cds_errmsg(struct xcf_cds *c)
{
	return c ? c->errmsg : "no couple data set";
}

/* Records the SQLite error and maps it to -errno. */
static int
cds_fail(struct xcf_cds *c, int rc, const char *what)
{
	snprintf(c->errmsg, sizeof(c->errmsg), "%s: %s", what,
		 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return -EBUSY;
	if (rc == SQLITE_CANTOPEN)
		return -ENOENT;
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return -EPROTO;
	return -EIO;
}

static int
exec_sql(struct xcf_cds *c, const char *sql, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : cds_fail(c, rc, what);
}

static void
rollback(struct xcf_cds *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
cds_begin(struct xcf_cds *c)
{
	return exec_sql(c, "BEGIN IMMEDIATE", "BEGIN");
}

static int
cds_commit(struct xcf_cds *c)
{
	int rc = exec_sql(c, "COMMIT", "COMMIT");

	if (rc < 0)
		rollback(c);
	return rc;
}

static void
copy_text(char *dst, size_t len, const unsigned char *src)
{
	lib_strlcpy(dst, src ? (const char *)src : "", len);
}

/* Every slot, in couple order, inside the current transaction (or alone). */
int
xcf_cds_read(struct xcf_cds *c, struct xcf_slot *out, int max)
{
	sqlite3_stmt *q = NULL;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(c->db, "SELECT sysname, member, ord, weight, incarnation, state,"
				" beat, beat_wall_ms, pill_inc, pill_by, pill_wall_ms, reason,"
				" pubkey FROM cds_slot ORDER BY ord", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return cds_fail(c, rc, "read");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct xcf_slot *s;

		if (n == max)
			break;
		s = &out[n++];
		memset(s, 0, sizeof(*s));
		copy_text(s->sysname, sizeof(s->sysname), sqlite3_column_text(q, 0));
		copy_text(s->member, sizeof(s->member), sqlite3_column_text(q, 1));
		s->ord = sqlite3_column_int(q, 2);
		s->weight = (unsigned)sqlite3_column_int(q, 3);
		s->incarnation = (uint64_t)sqlite3_column_int64(q, 4);
		s->state = (uint8_t)sqlite3_column_int(q, 5);
		s->beat = (uint64_t)sqlite3_column_int64(q, 6);
		s->beat_wall_ms = (uint64_t)sqlite3_column_int64(q, 7);
		s->pill_inc = (uint64_t)sqlite3_column_int64(q, 8);
		copy_text(s->pill_by, sizeof(s->pill_by), sqlite3_column_text(q, 9));
		s->pill_wall_ms = (uint64_t)sqlite3_column_int64(q, 10);
		copy_text(s->reason, sizeof(s->reason), sqlite3_column_text(q, 11));
		copy_text(s->key, sizeof(s->key), sqlite3_column_text(q, 12));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		n = cds_fail(c, rc, "read");
		sqlite3_finalize(q);
		return n;
	}
	sqlite3_finalize(q);
	return n;
}

/* Runs one UPDATE with the given int64 / text parameters ('i' / 't' in
 * types); returns the number of rows changed or -errno. */
static int
update(struct xcf_cds *c, const char *sql, const char *types, ...)
{
	sqlite3_stmt *q = NULL;
	va_list ap;
	int rc, k;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return cds_fail(c, rc, "prepare");
	va_start(ap, types);
	for (k = 0; types[k]; k++) {
		if (types[k] == 'i')
			sqlite3_bind_int64(q, k + 1, (sqlite3_int64)va_arg(ap, uint64_t));
		else
			sqlite3_bind_text(q, k + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return cds_fail(c, rc, "update");
	return sqlite3_changes(c->db);
}

static const struct xcf_slot *
find_slot(const struct xcf_slot *s, int n, const char *sys)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].sysname, sys) == 0)
			return &s[i];
	return NULL;
}

/* Every slot into out (*n) inside the transaction, and ours among them;
 * NULL with *rc = -errno (-ESRCH: sys has no slot). */
static struct xcf_slot *
read_mine(struct xcf_cds *c, const char *sys, struct xcf_slot *out, int max, int *n, int *rc)
{
	const struct xcf_slot *me;

	if ((*rc = xcf_cds_read(c, out, max)) < 0)
		return NULL;
	*n = *rc;
	me = find_slot(out, *n, sys);
	if (!me) {
		snprintf(c->errmsg, sizeof(c->errmsg), "system %s has no slot in the couple data set",
			 sys);
		*rc = -ESRCH;
	}
	return (struct xcf_slot *)me;
}

int
xcf_cds_beat(struct xcf_cds *c, const char *sys, uint64_t inc, struct xcf_slot *out, int max,
	     int *n)
{
	struct xcf_slot *me;
	int rc, out_rc = 0;

	if ((rc = cds_begin(c)) < 0)
		return rc;
	if (!(me = read_mine(c, sys, out, max, n, &rc)))
		goto fail;
	if (me->state == XCF_SLOT_ACTIVE && me->incarnation == inc) {
		rc = update(c, "UPDATE cds_slot SET beat = beat + 1, beat_wall_ms = ?"
			    " WHERE sysname = ? AND incarnation = ? AND state = 1", "iti",
			    lib_wall_ms(), sys, inc);
		if (rc < 0)
			goto fail;
		me->beat++;
	} else {
		out_rc = XCF_CDS_OUT;
	}
	if ((rc = cds_commit(c)) < 0)
		return rc;
	return out_rc;
fail:
	rollback(c);
	return rc;
}

int
xcf_cds_register(struct xcf_cds *c, const char *sys, uint64_t inc, struct xcf_slot *out, int max,
		 int *n)
{
	struct xcf_slot *me;
	int rc, out_rc = 0;

	if ((rc = cds_begin(c)) < 0)
		return rc;
	if (!(me = read_mine(c, sys, out, max, n, &rc)))
		goto fail;
	/* An incarnation is registered once: a retry of ours that the slot
	 * shows ACTIVE is a no-op beat, but one already partitioned out (or
	 * left, or older than the slot's) never comes back to life. */
	if (me->incarnation > inc || (me->incarnation == inc && me->state != XCF_SLOT_ACTIVE)) {
		out_rc = XCF_CDS_OUT;
	} else if ((rc = update(c, "UPDATE cds_slot SET incarnation = ?, state = 1,"
				" beat = beat + 1, beat_wall_ms = ? WHERE sysname = ?", "iit", inc,
				lib_wall_ms(), sys)) < 0 ||
		   (rc = xcf_cds_read(c, out, max)) < 0) {
		goto fail;
	} else {
		*n = rc;
	}
	if ((rc = cds_commit(c)) < 0)
		return rc;
	return out_rc;
fail:
	rollback(c);
	return rc;
}

/* state and incarnation (and beat) of one slot inside the transaction. */
static int
slot_of(struct xcf_cds *c, const char *sys, struct xcf_slot *s)
{
	struct xcf_slot all[XCF_MAX_MEMBERS];
	int n, rc;
	const struct xcf_slot *f = read_mine(c, sys, all, XCF_MAX_MEMBERS, &n, &rc);

	if (!f)
		return rc < 0 ? rc : -ESRCH;
	*s = *f;
	return 0;
}

int
xcf_cds_pill(struct xcf_cds *c, const char *by, uint64_t by_inc, const char *victim,
	     uint64_t victim_inc, uint64_t expect_beat, const char *reason, uint64_t *beat)
{
	struct xcf_slot me, v;
	int rc;

	if ((rc = cds_begin(c)) < 0)
		return rc;
	if ((rc = slot_of(c, by, &me)) < 0 || (rc = slot_of(c, victim, &v)) < 0)
		goto fail;
	if (me.state != XCF_SLOT_ACTIVE || me.incarnation != by_inc) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s is no longer active in the sysplex", by);
		rc = -EPERM;
		goto fail;
	}
	if (v.state != XCF_SLOT_ACTIVE || v.incarnation != victim_inc ||
	    (expect_beat != XCF_CDS_ANY_BEAT && v.beat != expect_beat)) {
		snprintf(c->errmsg, sizeof(c->errmsg), "the slot of %s changed", victim);
		rc = -ESTALE;
		goto fail;
	}
	rc = update(c, "UPDATE cds_slot SET state = 2, pill_inc = ?, pill_by = ?, pill_wall_ms = ?,"
		    " reason = ? WHERE sysname = ? AND incarnation = ? AND state = 1", "ititti",
		    victim_inc, by, lib_wall_ms(), reason, victim, victim_inc);
	if (rc < 0)
		goto fail;
	*beat = v.beat;
	return cds_commit(c);
fail:
	rollback(c);
	return rc;
}

int
xcf_cds_leave(struct xcf_cds *c, const char *sys, uint64_t inc)
{
	int rc;

	if ((rc = cds_begin(c)) < 0)
		return rc;
	rc = update(c, "UPDATE cds_slot SET state = 3 WHERE sysname = ? AND incarnation = ?"
		    " AND state = 1", "ti", sys, inc);
	if (rc < 0) {
		rollback(c);
		return rc;
	}
	return cds_commit(c);
}

/* ---- open, format --------------------------------------------------------------- */

static int
check_format(struct xcf_cds *c)
{
	sqlite3_stmt *q = NULL;
	int rc, ok = 0;

	rc = sqlite3_prepare_v2(c->db, "SELECT value FROM cds_header WHERE key = 'format'", -1,
				&q, NULL);
	if (rc != SQLITE_OK)
		return cds_fail(c, rc, "not a couple data set");
	if (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(q, 0);
		ok = v && strcmp((const char *)v, CDS_FORMAT) == 0;
	}
	sqlite3_finalize(q);
	if (!ok) {
		snprintf(c->errmsg, sizeof(c->errmsg), "not a couple data set of format %s",
			 CDS_FORMAT);
		return -EPROTO;
	}
	return 0;
}

static struct xcf_cds *
cds_open_flags(const char *path, int flags, unsigned busy_ms, char *err, size_t errlen)
{
	struct xcf_cds *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	rc = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, c->db ? sqlite3_errmsg(c->db) :
			 sqlite3_errstr(rc));
		xcf_cds_close(&c);
		return NULL;
	}
	c->busy_ms = busy_ms;
	sqlite3_busy_handler(c->db, busy_cb, c);
	if (exec_sql(c, "PRAGMA journal_mode=WAL", "journal mode") < 0 ||
	    exec_sql(c, "PRAGMA synchronous=NORMAL", "synchronous") < 0) {
		snprintf(err, errlen, "%s: %s", path, c->errmsg);
		xcf_cds_close(&c);
		return NULL;
	}
	return c;
}

struct xcf_cds *
xcf_cds_open(const char *path, unsigned busy_ms, char *err, size_t errlen)
{
	struct xcf_cds *c;

	if (access(path, F_OK) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = cds_open_flags(path, SQLITE_OPEN_READWRITE, busy_ms, err, errlen);
	if (c && check_format(c) < 0) {
		snprintf(err, errlen, "%s: %s", path, c->errmsg);
		xcf_cds_close(&c);
	}
	return c;
}

void
xcf_cds_close(struct xcf_cds **cp)
{
	if (!cp || !*cp)
		return;
	if ((*cp)->db)
		sqlite3_close_v2((*cp)->db);
	free(*cp);
	*cp = NULL;
}

int
xcf_cds_format(const char *path, const struct xcf_couple *cp, char *err, size_t errlen)
{
	char tmp[XCF_PATH_LEN + 16], side[XCF_PATH_LEN + 24], num[32];
	struct xcf_cds *c;
	int i, rc;

	/* Built under a temporary name and renamed: a reader never sees half a
	 * data set. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	snprintf(side, sizeof(side), "%s-wal", tmp);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", tmp);
	unlink(side);
	c = cds_open_flags(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000, err, errlen);
	if (!c)
		return -1;
	/* A rename of a WAL database needs its WAL checkpointed and gone:
	 * build it with a rollback journal, switch to WAL after the rename. */
	if ((rc = exec_sql(c, "PRAGMA journal_mode=DELETE", "journal mode")) < 0 ||
	    (rc = exec_sql(c, "BEGIN", "BEGIN")) < 0 ||
	    (rc = exec_sql(c, cds_schema, "schema")) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)lib_wall_ms());
	if ((rc = update(c, "INSERT INTO cds_header(key, value) VALUES ('format', ?),"
			 " ('sysplex', ?), ('created_wall_ms', ?)", "ttt", CDS_FORMAT,
			 cp->sysplex, num)) < 0)
		goto fail;
	for (i = 0; i < cp->n; i++) {
		const struct xcf_couple_member *m = &cp->m[i];
		char member[XCF_NAME_LEN + 1];

		snprintf(member, sizeof(member), "%.8s%.8s", m->sysname, m->tcpname);
		if ((rc = update(c, "INSERT INTO cds_slot(sysname, member, ord, weight, pubkey)"
				 " VALUES (?, ?, ?, ?, ?)", "ttiit", m->sysname, member, (uint64_t)i,
				 (uint64_t)(m->weight ? m->weight : 1), m->key)) < 0)
			goto fail;
	}
	if ((rc = exec_sql(c, "COMMIT", "COMMIT")) < 0)
		goto fail;
	xcf_cds_close(&c);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	c = cds_open_flags(path, SQLITE_OPEN_READWRITE, 1000, err, errlen);
	if (!c)
		return -1;
	xcf_cds_close(&c);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", tmp, c->errmsg);
	xcf_cds_close(&c);
	unlink(tmp);
	return -1;
}

/* ---- the server ---------------------------------------------------------------------- */

static void
terminate_strings(struct cds_req *q)
{
	q->sys[sizeof(q->sys) - 1] = '\0';
	q->victim[sizeof(q->victim) - 1] = '\0';
	q->reason[sizeof(q->reason) - 1] = '\0';
}

/* Answers one request; opens the file first when it is not open. */
void
xcf_cds_handle(struct xcf_cds **db, const char *path, const struct cds_req *q0, struct cds_rep *r)
{
	struct cds_req q = *q0;
	char err[200];
	int rc = 0, n = 0;

	memset(r, 0, sizeof(*r));
	r->magic = CDS_MAGIC;
	r->op = q.op;
	r->seq = q.seq;
	terminate_strings(&q);
	if (q.magic != CDS_MAGIC || q.op < CDS_OP_READ || q.op > CDS_OP_MAX) {
		r->rc = -EINVAL;
		lib_strlcpy(r->err, "malformed request", sizeof(r->err));
		return;
	}
	if (!*db) {
		*db = xcf_cds_open(path, CDS_SERVER_BUSY_MS, err, sizeof(err));
		if (!*db) {
			r->rc = -ENOENT;
			lib_strlcpy(r->err, err, sizeof(r->err));
			return;
		}
	}
	switch (q.op) {
	case CDS_OP_READ:
		rc = xcf_cds_read(*db, r->slot, XCF_MAX_MEMBERS);
		if (rc >= 0) {
			n = rc;
			rc = 0;
		}
		break;
	case CDS_OP_BEAT:
		rc = xcf_cds_beat(*db, q.sys, q.inc, r->slot, XCF_MAX_MEMBERS, &n);
		break;
	case CDS_OP_REGISTER:
		rc = xcf_cds_register(*db, q.sys, q.inc, r->slot, XCF_MAX_MEMBERS, &n);
		break;
	case CDS_OP_PILL:
		rc = xcf_cds_pill(*db, q.sys, q.inc, q.victim, q.victim_inc, q.expect_beat,
				  q.reason, &r->beat);
		if (rc == 0 || rc == -EPERM || rc == -ESTALE) {
			/* The slots as they are now, for the member's view. */
			int k = xcf_cds_read(*db, r->slot, XCF_MAX_MEMBERS);

			n = k > 0 ? k : 0;
		}
		break;
	case CDS_OP_LEAVE:
		rc = xcf_cds_leave(*db, q.sys, q.inc);
		break;
	}
	r->rc = rc;
	r->n = n;
	if (rc < 0) {
		lib_strlcpy(r->err, xcf_cds_errmsg(*db), sizeof(r->err));
		/* Logical refusals (not active, slot changed, no such slot) keep
		 * the file open; only the file's own errors reopen it, so a
		 * member cannot make the server reopen the file per request. */
		if (!xcf_cds_refusal(rc))
			xcf_cds_close(db);
	}
}

int
xcf_cds_serve(int fd, const char *path)
{
	struct cds_req q;
	struct cds_rep r;
	struct xcf_cds *db = NULL;

	if (xcf_cds_is_remote(path)) {
		struct cds_cred cr;
		ssize_t n;
		int rc;

		do
			n = recv(fd, &cr, sizeof(cr), 0);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(cr) || cr.magic != CDS_CRED_MAGIC) {
			log_warnx("CDS agent: no keys from the stack for the CDS server %s", path);
			explicit_bzero(&cr, sizeof(cr));
			return 1;
		}
		cr.secret[XCF_KEY_LEN] = cr.server_key[XCF_KEY_LEN] = '\0';
		rc = cds_net_relay(fd, path, &cr);
		explicit_bzero(&cr, sizeof(cr));
		return rc;
	}
	for (;;) {
		ssize_t n = recv(fd, &q, sizeof(q), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n != sizeof(q)) {
			log_warnx("CDS server: request of %zd bytes ignored", n);
			continue;
		}
		xcf_cds_handle(&db, path, &q, &r);
		if (r.rc < 0 && !xcf_cds_refusal(r.rc))
			log_warnx("CDS server: %s", r.err);
		while (send(fd, &r, sizeof(r), MSG_NOSIGNAL) < 0) {
			if (errno != EINTR)
				goto out;
		}
	}
out:
	xcf_cds_close(&db);
	return 0;
}

int
xcf_cds_spawn(const char *exe, const char *argv0, const char *path, const char *secret,
	      const char *server_key)
{
	char fdarg[16], *argv[5];
	pid_t pid, parent = getpid();
	int sv[2];

	if (xcf_cds_is_remote(path) &&
	    (!secret || strlen(secret) != XCF_KEY_LEN || !server_key ||
	     strlen(server_key) != XCF_KEY_LEN))
		return -ENOKEY;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Everything the child needs is built before fork: after it, only
	 * async-signal-safe calls (the parent has threads). */
	snprintf(fdarg, sizeof(fdarg), "%d", 3);
	argv[0] = (char *)(argv0 ? argv0 : exe);
	argv[1] = "--cds-agent";
	argv[2] = fdarg;
	argv[3] = (char *)path;
	argv[4] = NULL;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sv[1], 3) < 0)
			_exit(127);
		close_range(4, ~0U, 0);
		execv(exe, argv);
		_exit(127);
	}
	close(sv[1]);
	if (xcf_cds_is_remote(path)) {
		/* The keys first, before any request: the agent reads them
		 * before it relays anything. */
		struct cds_cred cr;
		ssize_t n;

		memset(&cr, 0, sizeof(cr));
		cr.magic = CDS_CRED_MAGIC;
		memcpy(cr.secret, secret, XCF_KEY_LEN);
		memcpy(cr.server_key, server_key, XCF_KEY_LEN);
		do
			n = send(sv[0], &cr, sizeof(cr), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		explicit_bzero(&cr, sizeof(cr));
		if (n != (ssize_t)sizeof(cr)) {
			int e = n < 0 ? errno : EIO;

			close(sv[0]);
			return -e;
		}
	}
	return sv[0];
}
