/*
 * vcrt_bench.c - measures the VCRT and the SQLite write-behind store.
 *
 * Prints plain lines "name value unit":
 *   vcrt_insert_per_s       filling an empty table with 1M connections
 *   vcrt_lookup_per_s       hits, random order, table holding 1M
 *   vcrt_lookup_miss_per_s  absent keys against the same table
 *   vcrt_churn_per_s        removes + inserts (each counted) at 1M entries
 *   store_put_ns            cost of one put on the loop thread
 *   store_rows_per_s        rows written behind to SQLite (WAL, NORMAL), fed
 *                           as fast as the store takes them without drops
 *   store_last_flush_us     duration of the last flush transaction
 *
 * Usage: vcrt_bench [rows for the store test, default 200000]
 */
#include "lib/lib.h"
#include "vipa/vipa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCONN 1000000

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* One DVIPA and port, clients at random in fd00:200::/64: the real shape. */
static void
make_key(struct vipa_conn_key *k, uint32_t i)
{
	uint64_t r = rng();

	memset(k, 0, sizeof(*k));
	k->dvipa[0] = 0xfd;
	k->dvipa[2] = 0x01;
	k->dvipa[15] = 1;
	k->client[0] = 0xfd;
	k->client[2] = 0x02;
	memcpy(k->client + 8, &r, 4);
	memcpy(k->client + 12, &i, 4);
	k->dport = 8080;
	k->cport = (uint16_t)(r >> 40);
}

static double
secs_since(uint64_t t0)
{
	return (double)(lib_now_ns() - t0) / 1e9;
}

static void
bench_vcrt(void)
{
	struct vipa_conn_key *keys, *miss, *shuf;
	struct vipa_vcrt *t;
	uint32_t *order;
	uint64_t t0, sink = 0;
	size_t i, j, round;
	double s;

	keys = malloc(NCONN * sizeof(*keys));
	miss = malloc(NCONN * sizeof(*miss));
	shuf = malloc(NCONN * sizeof(*shuf));
	order = malloc(NCONN * sizeof(*order));
	t = vipa_vcrt_new(NCONN);
	if (keys == NULL || miss == NULL || shuf == NULL || order == NULL || t == NULL)
		fatalx("out of memory");
	for (i = 0; i < NCONN; i++) {
		make_key(&keys[i], (uint32_t)i);
		make_key(&miss[i], (uint32_t)(i + NCONN));
		order[i] = (uint32_t)i;
	}
	for (i = NCONN - 1; i > 0; i--) {
		j = rng() % (i + 1);
		uint32_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	/*
	 * Lookups read the keys in a shuffled copy, sequentially: a packet's key
	 * is in cache already, so only the table's own misses should count.
	 */
	for (i = 0; i < NCONN; i++)
		shuf[i] = keys[order[i]];

	t0 = lib_now_ns();
	for (i = 0; i < NCONN; i++)
		if (vipa_vcrt_insert(t, &keys[i], NULL) == NULL)
			fatalx("insert %zu refused", i);
	printf("vcrt_insert_per_s %.0f ops/s\n", NCONN / secs_since(t0));

	t0 = lib_now_ns();
	for (round = 0; round < 3; round++)
		for (i = 0; i < NCONN; i++)
			sink += (uintptr_t)vipa_vcrt_lookup(t, &shuf[i]);
	s = secs_since(t0);
	printf("vcrt_lookup_per_s %.0f ops/s\n", 3.0 * NCONN / s);

	t0 = lib_now_ns();
	for (i = 0; i < NCONN; i++)
		sink += (uintptr_t)vipa_vcrt_lookup(t, &miss[i]);
	printf("vcrt_lookup_miss_per_s %.0f ops/s\n", NCONN / secs_since(t0));

	/* Steady churn: each step removes an old connection and adds a new one. */
	t0 = lib_now_ns();
	for (i = 0; i < NCONN; i++) {
		if (vipa_vcrt_remove(t, &shuf[i]) < 0 ||
		    vipa_vcrt_insert(t, &miss[i], NULL) == NULL)
			fatalx("churn step %zu failed", i);
	}
	printf("vcrt_churn_per_s %.0f ops/s\n", 2.0 * NCONN / secs_since(t0));
	if (sink == 1)
		printf("unlikely\n");
	vipa_vcrt_destroy(&t);
	free(keys);
	free(miss);
	free(shuf);
	free(order);
}

struct feed {
	struct vipa_store *s;
	struct vipa_conn *conns;
	size_t n, sent;
	uint64_t put_ns;
};

/* Queues as much as the ring takes without dropping anything. */
static void
feed_cb(uv_timer_t *tm)
{
	struct feed *f = tm->data;
	struct vipa_store_stats st;
	uint64_t t0;
	size_t k;

	vipa_store_stats(f->s, &st);
	while (f->sent < f->n && st.queued - st.written + 8192 <= 65536) {
		t0 = lib_now_ns();
		for (k = 0; k < 8192 && f->sent < f->n; k++)
			vipa_store_conn_put(f->s, &f->conns[f->sent++]);
		f->put_ns += lib_now_ns() - t0;
		st.queued += k;
	}
}

static void
bench_store(size_t rows)
{
	char dir[] = "/tmp/vcrt_bench.XXXXXX", path[64], p[80], err[256];
	struct vipa_store_stats st;
	struct feed f = {0};
	uv_loop_t loop;
	uv_timer_t tm;
	uint64_t t0;
	size_t i;

	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/stack.db", dir);
	uv_loop_init(&loop);
	f.s = vipa_store_open(&loop, path, 50, err, sizeof(err));
	if (f.s == NULL)
		fatalx("%s", err);
	f.conns = calloc(rows, sizeof(*f.conns));
	if (f.conns == NULL)
		fatalx("out of memory");
	for (i = 0; i < rows; i++) {
		make_key(&f.conns[i].key, (uint32_t)i);
		f.conns[i].dest_xcf[0] = 0xfd;
		f.conns[i].dest_xcf[15] = (uint8_t)(i % 3);
		f.conns[i].state = VIPA_CONN_EST;
		f.conns[i].created_ms = lib_wall_ms();
	}
	f.n = rows;
	uv_timer_init(&loop, &tm);
	tm.data = &f;
	t0 = lib_now_ns();
	uv_timer_start(&tm, feed_cb, 0, 1);
	do {
		uv_run(&loop, UV_RUN_ONCE);
		vipa_store_stats(f.s, &st);
	} while (st.written < rows && st.errors == 0 && st.dropped == 0);
	printf("store_put_ns %.1f ns\n", (double)f.put_ns / (double)rows);
	printf("store_rows_per_s %.0f rows/s\n", (double)st.written / secs_since(t0));
	printf("store_last_flush_us %llu us\n", (unsigned long long)st.last_flush_us);
	if (st.errors || st.dropped)
		fprintf(stderr, "store: %llu errors, %llu dropped\n",
			(unsigned long long)st.errors, (unsigned long long)st.dropped);
	uv_close((uv_handle_t *)&tm, NULL);
	vipa_store_close(&f.s);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(f.conns);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	size_t rows = 200000;

	lib_log_init("vcrt_bench", LIB_LOG_WARN);
	if (argc > 1)
		rows = strtoul(argv[1], NULL, 10);
	bench_vcrt();
	if (rows > 0)
		bench_store(rows);
	return 0;
}
