/*
 * fuzz_stack.h - the routing stack the fuzz_stack_* harnesses drive: a
 * stack of the unit tests (tests/unit/fake.h: no I/O, a fake bus and clock)
 * as SYSA in a sysplex of three, which owns DV1 (port 80 distributed to
 * every stack, with the Mobile IPv6 bypass, VDPT rows ready) and is a target
 * of DV2, owned by SYSB (port 8080).  Its TUN writes go to /dev/null.  The
 * harnesses make it anew every FUZZ_STACK_RENEW inputs, so the state an
 * input leaves behind stays small and a crash reproduces from a few inputs.
 * Included by the harnesses only (static functions).
 */
#ifndef SYSPLEX_FUZZ_STACK_H
#define SYSPLEX_FUZZ_STACK_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_seed.h"
#include "tests/unit/fake.h"

#ifndef FUZZ_STACK_RENEW
#define FUZZ_STACK_RENEW 65536
#endif

static struct stack fz_st;
static int fz_ready;
static unsigned fz_runs;
static const uint8_t FZ_XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };
static const uint8_t FZ_XB[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };
static const uint8_t FZ_XC[16] = { 0xfd, 0, 0, 0x10, [15] = 3 };
static const uint8_t FZ_DV1[16] = { 0xfd, 0, 1, 0, [15] = 1 };
static const uint8_t FZ_DV2[16] = { 0xfd, 0, 1, 0, [15] = 2 };
static const uint8_t FZ_CLIENT[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };
static const char *const fz_member[3] = { "SYSATCPCS", "SYSBTCPCS", "SYSCTCPCS" };
static uint8_t fz_buf[WIRE_XCF_MAX_BODY];

static void
fz_deliver(int from, uint8_t type, const void *b, size_t len, int group)
{
	stack_group_deliver(&fz_st, xcf_member(NULL, fz_member[from]), type, b, len, group);
	stack_bus_deliver_queued(&fz_st);
}

static ssize_t
fz_vipa_adv(uint8_t *p, size_t cap)
{
	struct wire_xcf_vipa_adv m;

	memset(&m, 0, sizeof(m));
	memcpy(m.v[0].addr, FZ_DV2, 16);
	m.v[0].origin = WIRE_VIPA_DEFINE;
	m.v[0].status = WIRE_VIPA_ACTIVE;
	m.v[0].flags = WIRE_VIPA_F_DIST | WIRE_VIPA_F_MIP6;
	memcpy(m.v[1].addr, FZ_DV1, 16);
	m.v[1].origin = WIRE_VIPA_BACKUP;
	m.v[1].rank = 100;
	m.v[1].status = WIRE_VIPA_BACKUP_ST;
	m.n = 2;
	return wire_xcf_vipa_adv_encode(&m, p, cap);
}

static ssize_t
fz_dist_adv(uint8_t *p, size_t cap)
{
	struct wire_xcf_dist_adv m;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, FZ_DV2, 16);
	m.flags = WIRE_VIPA_F_MIP6;
	m.nports = 1;
	m.ports[0] = 8080;
	return wire_xcf_dist_adv_encode(&m, p, cap);
}

static void
fz_stack_setup(void)
{
	struct stack_dvipa *d;
	int i;
	ssize_t n;

	if (fz_ready) {
		stack_dp_stop(&fz_st);		/* a SYSPLEX$LINK delay line */
		close(fz_st.tun_fd);
		fake_stack_fini(&fz_st);
	}
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", FZ_XA, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", FZ_XB, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", FZ_XC, XCF_ACTIVE, 1);
	fake_stack_init(&fz_st, uv_default_loop(), "SYSA", FZ_XA);
	fz_st.tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fz_st.lan_mtu = 1500;
	d = stack_dvipa_get(&fz_st, FZ_DV1);
	d->defined = 1;
	d->owned = 1;
	lib_strlcpy(d->owner, fz_st.member, sizeof(d->owner));
	d->has_dist = 1;
	d->dist.nports = 1;
	d->dist.ports[0] = 80;
	d->dist.destall = 1;
	d->dist.mip6 = 1;
	stack_dist_setup(&fz_st, d);
	for (i = 0; i < 3; i++) {
		const uint8_t *x = i == 0 ? FZ_XA : i == 1 ? FZ_XB : FZ_XC;
		struct vipa_vdpt_entry *e = vipa_vdpt_get(fz_st.vdpt, FZ_DV1, 80, x, 1);
		if (e) {
			e->rdy = 1;
			e->weight = 1;
		}
	}
	/* SYSB owns DV2 and distributes port 8080 to everybody. */
	n = fz_vipa_adv(fz_buf, sizeof(fz_buf));
	fz_deliver(1, WIRE_XCF_VIPA_ADV, fz_buf, (size_t)n, 1);
	n = fz_dist_adv(fz_buf, sizeof(fz_buf));
	fz_deliver(1, WIRE_XCF_DIST_ADV, fz_buf, (size_t)n, 1);
	fz_ready = 1;
}

/* Before each input: the stack, made anew now and then. */
static void
fz_stack_next(void)
{
	if (!fz_ready || ++fz_runs % FUZZ_STACK_RENEW == 0)
		fz_stack_setup();
	fake_bus_clear_sent();
	fake_clock_advance(7);
}

#endif
