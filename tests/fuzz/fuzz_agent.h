/*
 * fuzz_agent.h - the client agent both agent harnesses fuzz (fuzz_agent_pkt,
 * fuzz_agent_cmd): a correspondent node holding one per-connection binding
 * (HOME port 8080 from ME port 42001, care-of COA, sequence 5) and one
 * per-home-address binding of HOME to COA, both live for life_ms.
 */
#ifndef FUZZ_AGENT_H
#define FUZZ_AGENT_H

#include <stdlib.h>
#include <string.h>

#include "client-agent/agent.h"

static const uint8_t HOME[16] = { 0xfd, 0, 1, 0, [15] = 1 };
static const uint8_t ME[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };
static const uint8_t COA[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };

/* agent_cn_init on ag (its tun_fd and names set by the caller) and the two
 * bindings; aborts when the tables cannot be made. */
static void
fuzz_agent_bind(struct agent *ag, uint64_t life_ms)
{
	struct agent_conn_key k;
	struct agent_conn_binding *c;

	ag->verdicts.what = "agent";
	if (agent_cn_init(ag, 256) < 0)
		abort();
	memset(&k, 0, sizeof(k));
	memcpy(k.home, HOME, 16);
	memcpy(k.client, ME, 16);
	k.home_port = 8080;
	k.client_port = 42001;
	c = lib_tab_insert(ag->cn.conns, &k, NULL);
	memcpy(c->coa, COA, 16);
	c->seq = 5;
	c->life_s = 420;
	c->created_ms = lib_now_ms();
	c->expires_ms = lib_now_ms() + life_ms;
	ag->cn.home[0].used = 1;
	memcpy(ag->cn.home[0].home, HOME, 16);
	memcpy(ag->cn.home[0].coa, COA, 16);
	ag->cn.home[0].expires_ms = lib_now_ms() + life_ms;
}

#endif
