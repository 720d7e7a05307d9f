/*
 * fuzz_cdsnet.c - libFuzzer harness for the couple data set server over TCP
 * (xcf/cdsnet.c: the request and reply records a CDS server and the stacks'
 * relays exchange) and the server's handling of a request (xcf/cds.c,
 * xcf_cds_handle: READ, BEAT, REGISTER, PILL, LEAVE on a real SQLite couple
 * data set, formatted once for a sysplex of three in /dev/shm and kept open
 * across inputs, as the server keeps it).
 *
 * Input: one octet (bit 0: a request, else a reply), then the record as it
 * comes out of a frame.  A request shorter than the record is padded with
 * zeros, one longer is cut (the framing admits only the record's length;
 * the decoder's own length check is fuzzed on the unpadded input too).
 * Properties checked, beyond "no crash, no out-of-bounds access, no
 * undefined behaviour":
 *  - a record that decodes encodes to a record that decodes to the same
 *    value (names terminated, counts within XCF_MAX_MEMBERS);
 *  - the server answers every request that decodes with a reply of at most
 *    XCF_MAX_MEMBERS slots that encodes and decodes to itself, with the
 *    request's operation and sequence number.
 * FUZZ_WRITE_SEEDS=DIR writes the seed inputs (each operation, a reply of
 * three slots) into DIR and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "xcf/internal.h"
#include "tests/fuzz/fuzz_seed.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char couple_text[] =
	"SYSPLEX PLEX1\n"
	"INTERVAL 50 FAILURE 250\n"
	"CDS /dev/shm/x.db LEASE 400\n"
	"MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000 WEIGHT 1 KEY fN[FFURfOF)]b5>n+.JOiVDo6j!E4W?ozwr=3!-3\n"
	"MEMBER SYSB TCPCS tcp://[fd00:1::2]:7000 WEIGHT 1 KEY ?j.2zgY1/6Va7X*YsL?UZ.aZBW889Yt{RGpFVymP\n"
	"MEMBER SYSC TCPCS tcp://[fd00:1::3]:7000 WEIGHT 1 KEY Xx?<n&oHMZ*()}ee=ID-I{H73P6:PV7]wnJCO5E^\n";

static char dir[] = "/dev/shm/fuzz_cdsnet.XXXXXX";
static char path[80];
static struct xcf_cds *db;
static sqlite3 *other;		/* another member's connection, held open */
static struct cds_req q, q2;
static struct cds_rep r, r2;
static uint8_t buf[CDS_NET_REP_MAX], buf2[CDS_NET_REP_MAX];

static void
cleanup(void)
{
	char p[100];

	xcf_cds_close(&db);
	sqlite3_close_v2(other);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
	rmdir(dir);
}

static void
write_seeds(const char *d)
{
	static const char *const names[] = { "", "read", "beat", "register", "pill", "leave" };
	uint32_t op;
	int i;

	for (op = CDS_OP_READ; op <= CDS_OP_MAX; op++) {
		memset(&q, 0, sizeof(q));
		q.magic = CDS_MAGIC;
		q.op = op;
		q.seq = op;
		lib_strlcpy(q.sys, "SYSA", sizeof(q.sys));
		q.inc = 1000 + op;
		lib_strlcpy(q.victim, "SYSB", sizeof(q.victim));
		q.victim_inc = 7;
		lib_strlcpy(q.reason, "STATUS UPDATE MISSING", sizeof(q.reason));
		fuzz_seed_sel(d, names[op], 1, buf, cds_net_req_encode(&q, buf));
	}
	memset(&r, 0, sizeof(r));
	r.magic = CDS_MAGIC;
	r.op = CDS_OP_READ;
	r.seq = 9;
	r.n = 3;
	for (i = 0; i < 3; i++) {
		snprintf(r.slot[i].sysname, sizeof(r.slot[i].sysname), "SYS%c", 'A' + i);
		snprintf(r.slot[i].member, sizeof(r.slot[i].member), "SYS%cTCPCS", 'A' + i);
		r.slot[i].ord = i;
		r.slot[i].weight = 1;
		r.slot[i].state = 1;
		r.slot[i].incarnation = 100 + (uint64_t)i;
	}
	fuzz_seed_sel(d, "reply3", 0, buf, cds_net_rep_encode(&r, buf));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct xcf_couple c;
	char err[300];

	(void)argc;
	(void)argv;
	fuzz_seed_init(write_seeds);
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/cds.db", dir);
	if (xcf_couple_parse_buf(&c, "couple", couple_text, sizeof(couple_text) - 1, err,
				 sizeof(err)) < 0 ||
	    xcf_cds_format(path, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_cdsnet: %s\n", err);
		abort();
	}
	/* As in a sysplex, where every stack's CDS agent has the file open,
	 * another connection holds it: the server's reopen after an error
	 * (here mostly a system with no slot) then finds the WAL and its index
	 * in place instead of checkpointing, deleting and making them again. */
	if (sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(other, "SELECT count(*) FROM cds_slot", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	atexit(cleanup);
	return 0;
}

/* r encodes and decodes to itself. */
static void
reply_roundtrip(const struct cds_rep *rp)
{
	size_t n = cds_net_rep_encode(rp, buf2);

	if (n > CDS_NET_REP_MAX || cds_net_rep_decode(buf2, n, &r2) != 0)
		abort();
	if (cds_net_rep_encode(&r2, buf) != n || memcmp(buf, buf2, n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;

	if (size < 1 || size - 1 > CDS_NET_REP_MAX)
		return 0;
	len = size - 1;
	if (!(data[0] & 1)) {
		if (cds_net_rep_decode(data + 1, len, &r) != 0)
			return 0;
		if (r.n < 0 || r.n > XCF_MAX_MEMBERS)
			abort();
		reply_roundtrip(&r);
		return 0;
	}
	/* The decoder on the record as given, then as the framing admits it. */
	cds_net_req_decode(data + 1, len, &q);
	memset(buf, 0, CDS_NET_REQ_LEN);
	memcpy(buf, data + 1, len < CDS_NET_REQ_LEN ? len : CDS_NET_REQ_LEN);
	if (cds_net_req_decode(buf, CDS_NET_REQ_LEN, &q) != 0)
		return 0;
	if (cds_net_req_encode(&q, buf2) != CDS_NET_REQ_LEN ||
	    cds_net_req_decode(buf2, CDS_NET_REQ_LEN, &q2) != 0 || memcmp(&q, &q2, sizeof(q)) != 0)
		abort();
	xcf_cds_handle(&db, path, &q, &r);
	if (r.n < 0 || r.n > XCF_MAX_MEMBERS || r.op != q.op || r.seq != q.seq ||
	    r.magic != CDS_MAGIC)
		abort();
	reply_roundtrip(&r);
	return 0;
}
