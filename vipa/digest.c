/*
 * digest.c - the connection digest: a count and an order-independent hash of
 * a set of connections (VCRT keys), kept per DVIPA by a target and by its
 * routing stack so that the two can compare a few bytes instead of whole
 * connection lists, and ask for a full report only when they differ.
 *
 * The hash of a set is the sum modulo 2^64 of a 64-bit hash of each member
 * (a multiset hash: addition is commutative and invertible), so adding or
 * removing one connection is O(1) and the result does not depend on the
 * order of the events that built the set.  The member hash is SipHash-2-4
 * with a fixed key (every stack must compute the same function) over the
 * key's canonical 36 bytes:
 *
 *   +------------------+------------------+-----------+-----------+
 *   | DVIPA (16)       | client (16)      | DVIPA port| client    |
 *   |                  |                  | (be16)    | port(be16)|
 *   +------------------+------------------+-----------+-----------+
 *
 * Two different sets collide with probability about 2^-64 (with equal
 * counts); a client cannot steer that, because it does not choose which of
 * its connections a divergence loses.  The digest is a set digest: the
 * caller adds a connection only when it was not in the set and removes only
 * one that was (vipa_vcrt_insert's *created, vipa_vcrt_remove's result).
 * Pure: no I/O, no clock, no allocation.
 */
#include "vipa/vipa.h"

#include <string.h>

/* "sysplex connectn" / "digest, version1": the fixed SipHash key. */
static const uint64_t DIGEST_K0 = 0x7379737078656320ull;
static const uint64_t DIGEST_K1 = 0x6469676573743176ull;

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                               \
	do {                                                                                   \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                      \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                         \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                         \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                      \
	} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* SipHash-2-4 (Aumasson and Bernstein) of len bytes. */
static uint64_t
siphash24(const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ DIGEST_K0, v1 = 0x646f72616e646f6dull ^ DIGEST_K1;
	uint64_t v2 = 0x6c7967656e657261ull ^ DIGEST_K0, v3 = 0x7465646279746573ull ^ DIGEST_K1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (; left; left--)
		b |= (uint64_t)in[i + left - 1] << (8 * (left - 1));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
vipa_digest_hash(const struct vipa_conn_key *k)
{
	uint8_t b[VIPA_DIGEST_KEY_LEN];

	memcpy(b, k->dvipa, 16);
	memcpy(b + 16, k->client, 16);
	b[32] = (uint8_t)(k->dport >> 8);
	b[33] = (uint8_t)k->dport;
	b[34] = (uint8_t)(k->cport >> 8);
	b[35] = (uint8_t)k->cport;
	return siphash24(b, sizeof(b));
}

void
vipa_digest_add(struct vipa_digest *d, const struct vipa_conn_key *k)
{
	d->count++;
	d->sum += vipa_digest_hash(k);
}

void
vipa_digest_del(struct vipa_digest *d, const struct vipa_conn_key *k)
{
	d->count--;
	d->sum -= vipa_digest_hash(k);
}

int
vipa_digest_equal(const struct vipa_digest *a, const struct vipa_digest *b)
{
	return a->count == b->count && a->sum == b->sum;
}

struct digest_ctx {
	const uint8_t *dvipa;
	struct vipa_digest *d;
};

static int
digest_cb(struct vipa_conn *c, void *arg)
{
	struct digest_ctx *x = arg;

	if (memcmp(c->key.dvipa, x->dvipa, 16) == 0)
		vipa_digest_add(x->d, &c->key);
	return 0;
}

void
vipa_digest_vcrt(struct vipa_vcrt *t, const uint8_t dvipa[16], struct vipa_digest *d)
{
	struct digest_ctx x = { dvipa, d };

	memset(d, 0, sizeof(*d));
	vipa_vcrt_foreach(t, digest_cb, &x);
}
