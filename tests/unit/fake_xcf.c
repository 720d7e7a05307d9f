/*
 * fake_xcf.c - the XCF bus for the daemons' unit tests (fake.h): the xcf_*
 * functions tcpip-stack's files call, answering from struct fake_bus, which
 * the test sets (members and their states, our lease, settledness) and
 * reads (what was sent).  The struct xcf a stack holds is not looked at.
 */
#include "tests/unit/fake.h"

#include <errno.h>
#include <string.h>

struct fake_bus fake_bus;

void
fake_bus_reset(void)
{
	memset(&fake_bus, 0, sizeof(fake_bus));
	fake_bus.joined = 1;
	fake_bus.lease_ok = 1;
	fake_bus.lease_left_ms = 400;
	fake_bus.settled = 1;
}

struct xcf_member_info *
fake_bus_member(const char *sysname, const char *tcpname, const uint8_t xcfaddr[16],
		enum xcf_member_state st, uint64_t incarnation)
{
	char member[XCF_NAME_LEN + 1];
	struct xcf_member_info *m = NULL;
	int i;

	snprintf(member, sizeof(member), "%s%s", sysname, tcpname);
	for (i = 0; i < fake_bus.n; i++)
		if (strcmp(fake_bus.m[i].member, member) == 0)
			m = &fake_bus.m[i];
	if (!m) {
		if (fake_bus.n == XCF_MAX_MEMBERS)
			return NULL;
		m = &fake_bus.m[fake_bus.n++];
		memset(m, 0, sizeof(*m));
	}
	lib_strlcpy(m->member, member, sizeof(m->member));
	lib_strlcpy(m->sysname, sysname, sizeof(m->sysname));
	lib_strlcpy(m->tcpname, tcpname, sizeof(m->tcpname));
	memcpy(m->xcfaddr, xcfaddr, 16);
	m->state = st;
	m->incarnation = incarnation;
	return m;
}

void
fake_bus_clear_sent(void)
{
	fake_bus.nsent = fake_bus.npub = 0;
}

static void
record(struct fake_msg *log, int *n, const char *member, uint8_t type, const void *body,
       size_t len)
{
	if (*n < FAKE_MAX_MSGS) {
		struct fake_msg *m = &log[*n];

		lib_strlcpy(m->member, member ? member : "", sizeof(m->member));
		m->type = type;
		m->len = len < sizeof(m->body) ? len : sizeof(m->body);
		memcpy(m->body, body, m->len);
	}
	(*n)++;
}

int
fake_bus_count(int directed, uint8_t type)
{
	const struct fake_msg *log = directed ? fake_bus.sent : fake_bus.pub;
	int i, n = directed ? fake_bus.nsent : fake_bus.npub, c = 0;

	for (i = 0; i < n && i < FAKE_MAX_MSGS; i++)
		if (!type || log[i].type == type)
			c++;
	return c;
}

const struct fake_msg *
fake_bus_last(int directed, uint8_t type)
{
	const struct fake_msg *log = directed ? fake_bus.sent : fake_bus.pub;
	int i, n = directed ? fake_bus.nsent : fake_bus.npub;

	if (n > FAKE_MAX_MSGS)
		n = FAKE_MAX_MSGS;
	for (i = n - 1; i >= 0; i--)
		if (!type || log[i].type == type)
			return &log[i];
	return NULL;
}

/* ---- what tcpip-stack calls ---------------------------------------------------- */

int
xcf_send(struct xcf *x, const char *member, uint8_t type, const void *body, size_t len)
{
	const struct xcf_member_info *m = xcf_member(x, member);

	if (!m || m->state != XCF_ACTIVE)
		return -EHOSTUNREACH;
	record(fake_bus.sent, &fake_bus.nsent, member, type, body, len);
	return 0;
}

int
xcf_publish(struct xcf *x, uint8_t type, const void *body, size_t len)
{
	LIB_UNUSED(x);
	record(fake_bus.pub, &fake_bus.npub, NULL, type, body, len);
	return 0;
}

int
xcf_members(const struct xcf *x, struct xcf_member_info *out, int max)
{
	int i;

	LIB_UNUSED(x);
	for (i = 0; i < fake_bus.n && i < max; i++)
		out[i] = fake_bus.m[i];
	return i;
}

const struct xcf_member_info *
xcf_member(const struct xcf *x, const char *member)
{
	int i;

	LIB_UNUSED(x);
	for (i = 0; i < fake_bus.n; i++)
		if (strcmp(fake_bus.m[i].member, member) == 0)
			return &fake_bus.m[i];
	return NULL;
}

const struct xcf_member_info *
xcf_member_by_addr(const struct xcf *x, const uint8_t addr[16])
{
	int i;

	LIB_UNUSED(x);
	for (i = 0; i < fake_bus.n; i++)
		if (fake_bus.m[i].state == XCF_ACTIVE && memcmp(fake_bus.m[i].xcfaddr, addr, 16) == 0)
			return &fake_bus.m[i];
	return NULL;
}

int
xcf_joined(const struct xcf *x)
{
	LIB_UNUSED(x);
	return fake_bus.joined;
}

int
xcf_lease_ok(const struct xcf *x)
{
	LIB_UNUSED(x);
	return fake_bus.joined && fake_bus.lease_ok;
}

uint64_t
xcf_lease_left_ms(const struct xcf *x)
{
	LIB_UNUSED(x);
	return xcf_lease_ok(x) ? fake_bus.lease_left_ms : 0;
}

int
xcf_settled(const struct xcf *x)
{
	LIB_UNUSED(x);
	return fake_bus.settled;
}

/* ---- what the stack's commands and displays call (ctl.c, display.c, vary.c) ----
 * The displays' bus queries are weak: a test that must prove a display asks
 * none of them (test_stack_route) defines its own, which fail. */

static struct lib_verdicts fake_verdicts;

__attribute__((weak)) const struct lib_verdicts *
xcf_verdicts(const struct xcf *x)
{
	LIB_UNUSED(x);
	return &fake_verdicts;
}

/* V TCPIP,,SYSPLEX,LEAVEGROUP / JOINGROUP (vary.c): the bus says so. */
int
xcf_join(struct xcf *x)
{
	LIB_UNUSED(x);
	fake_bus.joined = 1;
	return 0;
}

int
xcf_leave(struct xcf *x)
{
	LIB_UNUSED(x);
	fake_bus.joined = 0;
	return 0;
}

int
xcf_cds_fault(struct xcf *x, int lost)
{
	LIB_UNUSED(x);
	LIB_UNUSED(lost);
	return 0;
}

__attribute__((weak)) int
xcf_cds_view(const struct xcf *x, struct xcf_cds_view *v)
{
	LIB_UNUSED(x);
	memset(v, 0, sizeof(*v));
	return 0;
}

__attribute__((weak)) const char *
xcf_slot_state_name(uint8_t st)
{
	LIB_UNUSED(st);
	return "ACTIVE";
}
