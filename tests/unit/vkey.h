/*
 * vkey.h - what the VIPA table tests (test_vipa_tables, test_vipa_digest,
 * test_vipa_cidx, test_store) make their connections from:
 *  - rng(): xorshift64*, deterministic, so a failure can be replayed; its
 *    state starts at VKEY_RNG_SEED (a test that wants another sequence
 *    defines it before including this header);
 *  - vkey(): a VCRT key from dvipa port dport to a client in fd00:200::/64
 *    (interface id iid) port cport.
 */
#ifndef SYSPLEX_TESTS_VKEY_H
#define SYSPLEX_TESTS_VKEY_H

#include <stdint.h>
#include <string.h>

#include "vipa/vipa.h"

#ifndef VKEY_RNG_SEED
#define VKEY_RNG_SEED 0x9e3779b97f4a7c15ull
#endif

static uint64_t rng_state = VKEY_RNG_SEED;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline void
vkey(struct vipa_conn_key *k, const uint8_t dvipa[16], const uint8_t iid[8], uint16_t dport,
     uint16_t cport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->dvipa, dvipa, 16);
	k->client[0] = 0xfd;
	k->client[2] = 0x02;
	memcpy(k->client + 8, iid, 8);
	k->dport = dport;
	k->cport = cport;
}

#endif
