/*
 * bus.c - what the stack sends on XCF: directed messages (stack_send) and
 * group messages (stack_publish), bodies encoded by the caller (wire/).
 *
 * A message to ourselves (the routing stack is a target of its own
 * distribution; a target forwards a Mobility Header copy to the owner, which
 * may be itself) never reaches the bus: it is copied into a queue and handed
 * to the message handler (group.c, registered by stack.c) from the loop,
 * before the loop next polls for input, as if it had come over the bus with
 * no delay.  Never from inside stack_send: a handler that sends never runs
 * another handler in the middle of its own work, whatever the message.
 *
 * The queue is two preallocated buffers: new messages go into one; the idle
 * callback swaps them and delivers the other, so messages a handler sends
 * while delivery is under way wait for the next turn.  A buffer holds
 * STACK_SELFQ_BYTES, more than a full report of a full target table; a
 * message that does not fit is dropped and counted ("message to ourselves
 * dropped: queue full"), like one the bus could not take, and the next
 * periodic report repairs what it carried.
 *
 * Level 1 of tcpip-stack/ (stack.h): calls no other file of the daemon.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A queued message: this header, then the body, padded to 8 bytes. */
struct selfq_rec {
	uint32_t len;
	uint8_t type;
	uint8_t pad[3];
};

#define SELFQ_REC_BYTES(len) ((sizeof(struct selfq_rec) + (len) + 7) & ~(size_t)7)

static void
idle_cb(uv_idle_t *h)
{
	stack_bus_deliver_queued(h->data);
}

int
stack_bus_init(struct stack *s, stack_deliver_fn deliver)
{
	struct stack_bus *b = &s->bus;
	int i;

	memset(b, 0, sizeof(*b));
	b->deliver = deliver;
	lib_strlcpy(b->self.member, s->member, sizeof(b->self.member));
	lib_strlcpy(b->self.sysname, s->sysname, sizeof(b->self.sysname));
	lib_strlcpy(b->self.tcpname, s->tcpname, sizeof(b->self.tcpname));
	memcpy(b->self.xcfaddr, s->xcfaddr, 16);
	memcpy(b->self.xcfaddr4, s->xcfaddr4, 16);
	b->self.state = XCF_ACTIVE;
	for (i = 0; i < 2; i++) {
		/* Pages are only touched as the queue first reaches them. */
		b->q[i].buf = malloc(STACK_SELFQ_BYTES);
		if (!b->q[i].buf) {
			stack_bus_fini(s);
			return -ENOMEM;
		}
	}
	if (s->loop) {
		uv_idle_init(s->loop, &b->idle);
		b->idle.data = s;
		b->idle_init = 1;
	}
	return 0;
}

void
stack_bus_fini(struct stack *s)
{
	struct stack_bus *b = &s->bus;

	if (b->idle_init && !uv_is_closing((uv_handle_t *)&b->idle))
		uv_close((uv_handle_t *)&b->idle, NULL);
	free(b->q[0].buf);
	free(b->q[1].buf);
	b->q[0].buf = b->q[1].buf = NULL;
	b->q[0].len = b->q[1].len = 0;
}

static int
selfq_push(struct stack *s, uint8_t type, const void *body, size_t len)
{
	struct stack_bus *b = &s->bus;
	size_t need = SELFQ_REC_BYTES(len);
	struct selfq_rec r;
	uint8_t *p;

	if (!b->q[b->fill].buf || need > STACK_SELFQ_BYTES - b->q[b->fill].len) {
		b->self_dropped++;
		lib_verdict(&s->bus_verdicts, "message to ourselves dropped: queue full");
		return -EAGAIN;
	}
	p = b->q[b->fill].buf + b->q[b->fill].len;
	memset(&r, 0, sizeof(r));
	r.len = (uint32_t)len;
	r.type = type;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), body, len);
	b->q[b->fill].len += need;
	b->self_sent++;
	if (b->idle_init && !uv_is_active((uv_handle_t *)&b->idle))
		uv_idle_start(&b->idle, idle_cb);
	return 0;
}

void
stack_bus_deliver_queued(struct stack *s)
{
	struct stack_bus *b = &s->bus;
	int q = b->fill;
	size_t off = 0;

	b->fill = !q;
	while (off < b->q[q].len) {
		struct selfq_rec r;

		memcpy(&r, b->q[q].buf + off, sizeof(r));
		b->deliver(s, &b->self, r.type, b->q[q].buf + off + sizeof(r), r.len, 0);
		off += SELFQ_REC_BYTES(r.len);
	}
	b->q[q].len = 0;
	if (b->idle_init && b->q[b->fill].len == 0)
		uv_idle_stop(&b->idle);
}

int
stack_send(struct stack *s, const char *member, uint8_t type, const void *body, size_t len)
{
	if (strcmp(member, s->member) == 0)
		return selfq_push(s, type, body, len);
	return xcf_send(s->xcf, member, type, body, len);
}

int
stack_publish(struct stack *s, uint8_t type, const void *body, size_t len)
{
	return xcf_publish(s->xcf, type, body, len);
}
