/*
 * fuzz_store.c - libFuzzer harness for the SQLite row loader of the store
 * (vipa/store.c, vipa_store_load): the rows a restarted routing stack reads
 * back from a file that may have been damaged or edited.  The file itself
 * is a real store (schema made by vipa_store_open) in a temporary
 * directory (/dev/shm); each input becomes its rows, written with another connection,
 * with each column's type and value taken from the input (blobs of any
 * length, integers of any size, text, NULL), then loaded into fresh tables.
 *
 * Input: a sequence of rows; each starts with one octet (bit 0: a vdpt row,
 * else a vcrt row), then per column one octet of type (modulo 4: integer,
 * blob, text, NULL) and, for an integer, 8 octets, for a blob or text one
 * length octet and that many octets.  Proves, for any input: no crash, no
 * read out of bounds, no undefined behaviour; what is loaded is bounded by
 * the tables' capacity.
 *
 * Speed (the store is opened once): the two INSERT statements are prepared
 * once, the tables loaded into are made once and emptied after each input
 * (only the entries it added), the rows are written in one transaction.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib.h"
#include "vipa/vipa.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static struct vipa_store *store;
static sqlite3 *db;
static sqlite3_stmt *ins[2], *del[2];
static struct vipa_vcrt *vcrt;
static struct vipa_vdpt *vdpt;

static void
cleanup(void)
{
	char p[80];

	int i;

	for (i = 0; i < 2; i++) {
		sqlite3_finalize(ins[i]);
		sqlite3_finalize(del[i]);
	}
	vipa_store_close(&store);
	vipa_vcrt_destroy(&vcrt);
	free(vdpt);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
	if (db)
		sqlite3_close(db);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

static const char *const sql[2] = {
	"INSERT OR REPLACE INTO vcrt(dvipa, client, dport, cport, dest, state, bypass, coa, "
	"created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	"INSERT OR REPLACE INTO vdpt(dvipa, port, dest, dest_name, rdy, weight, totalconn, "
	"flags) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/dev/shm/fuzz_store.XXXXXX", err[256];
	int i;

	(void)argc;
	(void)argv;
	lib_log_init("fuzz", (enum lib_log_level)(LIB_LOG_ERR + 1));
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/vcrt.db", dir);
	store = vipa_store_open(uv_default_loop(), path, 3600000, err, sizeof(err));
	if (!store || sqlite3_open(path, &db) != SQLITE_OK)
		abort();
	sqlite3_busy_timeout(db, 1000);
	sqlite3_exec(db, "PRAGMA synchronous=OFF;", NULL, NULL, NULL);
	for (i = 0; i < 2; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &ins[i], NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, i ? "DELETE FROM vdpt" : "DELETE FROM vcrt", -1, &del[i],
				       NULL) != SQLITE_OK)
			abort();
	vcrt = vipa_vcrt_new(64);
	vdpt = calloc(1, sizeof(*vdpt));
	if (!vcrt || !vdpt)
		abort();
	vipa_vdpt_init(vdpt);
	atexit(cleanup);
	return 0;
}

/* Binds column i of q from the input at *p (advanced); 0 at its end. */
static int
bind_col(sqlite3_stmt *q, int i, const uint8_t **p, const uint8_t *end)
{
	uint8_t t, n;

	if (*p >= end)
		return 0;
	t = *(*p)++ % 4;
	if (t == 0) {
		int64_t v = 0;
		if (end - *p < 8)
			return 0;
		memcpy(&v, *p, 8);
		*p += 8;
		sqlite3_bind_int64(q, i, v);
	} else if (t == 1 || t == 2) {
		if (*p >= end)
			return 0;
		n = *(*p)++;
		if (end - *p < n)
			return 0;
		if (t == 1)
			sqlite3_bind_blob(q, i, *p, n, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(q, i, (const char *)*p, n, SQLITE_TRANSIENT);
		*p += n;
	} else {
		sqlite3_bind_null(q, i);
	}
	return 1;
}

/* Empties the VCRT (vipa_vcrt_foreach removes what the callback says). */
static int
drop(struct vipa_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	int rows = 0, i;

	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < 2; i++) {
		sqlite3_step(del[i]);
		sqlite3_reset(del[i]);
	}
	while (p < end && rows++ < 200) {
		int kind = *p++ & 1, ncol = kind ? 8 : 9, ok = 1;
		sqlite3_stmt *q = ins[kind];

		for (i = 1; i <= ncol && ok; i++)
			ok = bind_col(q, i, &p, end);
		if (ok)
			sqlite3_step(q);
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	vipa_store_load(store, vcrt, vdpt);
	if (vipa_vcrt_count(vcrt) > vipa_vcrt_capacity(vcrt))
		abort();
	/* What this input loaded goes; the rest of the tables is untouched. */
	vipa_vcrt_foreach(vcrt, drop, NULL);
	if (vipa_vcrt_count(vcrt) != 0)
		abort();
	memset(vdpt->e, 0, (size_t)vdpt->n * sizeof(vdpt->e[0]));
	vdpt->n = 0;
	memset(vdpt->svc, 0, (size_t)vdpt->nsvc * sizeof(vdpt->svc[0]));
	vdpt->nsvc = 0;
	return 0;
}
