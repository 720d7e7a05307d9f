/*
 * cidx.c - an index of a table's entries by client address: for each
 * client, a doubly linked list of ids (the entries' pool indexes in their
 * lib_tab, lib_tab_id), so that "the entries of this client that wait for
 * something" are found in time proportional to their number, not by a walk
 * of the whole table.  The routing stack keeps its VCRT entries waiting for
 * a return routability test this way (tcpip-stack/mip6.c): a HoT or CoT
 * from a client touches only that client's waiting connections.
 *
 * Layout: the list heads are a lib_tab keyed by the 16-byte client address
 * (head id + 1, member count); the links are three arrays indexed by id
 * (next + 1, prev + 1, and the owning head's id + 1, 0 when the id is on no
 * list), allocated at creation and made resident only as ids are used.
 * Adding, deleting and moving an id between clients are O(1) and never
 * allocate; a client's head goes when its list empties.
 *
 * Membership may be lazy: the owner of the table need not delete an id when
 * its entry goes or stops waiting; vipa_cidx_foreach's callback looks the
 * entry up (lib_tab_at), checks it, and returns non-zero to drop the id.  An
 * id reused by another entry is simply moved by the next vipa_cidx_add.
 * Iteration is safe against any add or delete from the callback: an id
 * added during a walk goes to the front of its list and is not visited, a
 * deleted one not yet visited is skipped.
 */
#include "vipa/vipa.h"
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cidx_head {
	uint8_t client[16];
	uint32_t head;			/* first id + 1, 0 empty */
	uint32_t n;
};

struct vipa_cidx {
	struct lib_tab *heads;
	size_t ids, count;
	uint32_t *next, *prev, *owner;	/* id + 1 / head id + 1; 0 none */
	uint32_t it_next;		/* the walk's next id + 1 (0: none or no walk) */
	int walking;
};

struct vipa_cidx *
vipa_cidx_new(size_t ids, size_t clients)
{
	struct vipa_cidx *x;

	if (!ids || ids >= (1u << 31) || !clients) {
		errno = EINVAL;
		return NULL;
	}
	if (!(x = calloc(1, sizeof(*x))))
		return NULL;
	x->ids = ids;
	x->heads = lib_tab_new(clients, 16, sizeof(struct cidx_head));
	x->next = calloc(ids, sizeof(*x->next));
	x->prev = calloc(ids, sizeof(*x->prev));
	x->owner = calloc(ids, sizeof(*x->owner));
	if (!x->heads || !x->next || !x->prev || !x->owner) {
		vipa_cidx_destroy(&x);
		errno = ENOMEM;
		return NULL;
	}
	return x;
}

void
vipa_cidx_destroy(struct vipa_cidx **xp)
{
	struct vipa_cidx *x = *xp;

	if (!x)
		return;
	lib_tab_destroy(&x->heads);
	free(x->next);
	free(x->prev);
	free(x->owner);
	free(x);
	*xp = NULL;
}

size_t
vipa_cidx_count(const struct vipa_cidx *x)
{
	return x->count;
}

size_t
vipa_cidx_clients(const struct vipa_cidx *x)
{
	return lib_tab_count(x->heads);
}

int
vipa_cidx_walking(const struct vipa_cidx *x)
{
	return x->walking;
}

int
vipa_cidx_has(const struct vipa_cidx *x, uint32_t id)
{
	return id < x->ids && x->owner[id] != 0;
}

void
vipa_cidx_del(struct vipa_cidx *x, uint32_t id)
{
	struct cidx_head *h;
	uint32_t n, p;

	if (id >= x->ids || !x->owner[id])
		return;
	h = lib_tab_at(x->heads, x->owner[id] - 1);
	n = x->next[id];
	p = x->prev[id];
	if (x->walking && x->it_next == id + 1)
		x->it_next = n;
	if (n)
		x->prev[n - 1] = p;
	if (p)
		x->next[p - 1] = n;
	else if (h)
		h->head = n;
	x->next[id] = x->prev[id] = x->owner[id] = 0;
	x->count--;
	if (h && !--h->n) {
		uint8_t k[16];

		memcpy(k, h->client, 16);
		lib_tab_remove(x->heads, k);
	}
}

int
vipa_cidx_add(struct vipa_cidx *x, const uint8_t client[16], uint32_t id)
{
	struct cidx_head *h;
	int created;

	if (id >= x->ids)
		return -EINVAL;
	if (x->owner[id]) {
		h = lib_tab_at(x->heads, x->owner[id] - 1);
		if (h && memcmp(h->client, client, 16) == 0)
			return 0;
		vipa_cidx_del(x, id);
	}
	if (!(h = lib_tab_insert(x->heads, client, &created)))
		return -ENOSPC;
	x->next[id] = h->head;
	x->prev[id] = 0;
	if (h->head)
		x->prev[h->head - 1] = id + 1;
	h->head = id + 1;
	h->n++;
	x->owner[id] = lib_tab_id(x->heads, h) + 1;
	x->count++;
	return 0;
}

size_t
vipa_cidx_foreach(struct vipa_cidx *x, const uint8_t client[16], int (*cb)(uint32_t id, void *arg),
		  void *arg)
{
	struct cidx_head *h;
	uint8_t k[16];
	size_t n = 0;
	uint32_t i;

	if (x->walking)
		return 0;	/* not reentrant */
	memcpy(k, client, 16);
	if (!(h = lib_tab_lookup(x->heads, k)))
		return 0;
	x->walking = 1;
	for (i = h->head; i; i = x->it_next) {
		x->it_next = x->next[i - 1];
		n++;
		if (cb(i - 1, arg))
			vipa_cidx_del(x, i - 1);
	}
	x->walking = 0;
	x->it_next = 0;
	return n;
}
