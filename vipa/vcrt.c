/*
 * vcrt.c - the connection routing table (VCRT): every connection the
 * distributor routes (and, on a target, every connection it terminates),
 * keyed by (DVIPA, client, dport, cport).
 *
 * A typed face of lib/tab.c, the open-addressing table with a preallocated
 * pool: entries are struct vipa_conn, whose first member is the 36-byte key.
 * The table's layout, probing and hashing are described there.
 */
#include "vipa/vipa.h"
#include "lib/lib.h"

_Static_assert(sizeof(struct vipa_conn_key) == 36, "vipa_conn_key must be 36 packed bytes");
_Static_assert(offsetof(struct vipa_conn, key) == 0, "the key comes first");
_Static_assert(_Alignof(struct vipa_conn) <= 8, "lib_tab entries are 8-byte aligned");
/* The routing stack keeps up to STACK_VCRT_MAX of these preallocated: the
 * fields are ordered so that no padding but one byte is left. */
_Static_assert(sizeof(struct vipa_conn) == 144, "struct vipa_conn grew: mind the padding");

/* A struct vipa_vcrt is a struct lib_tab; the type only keeps entries typed. */
static inline struct lib_tab *
tab(struct vipa_vcrt *t)
{
	return (struct lib_tab *)t;
}

struct vipa_vcrt *
vipa_vcrt_new(size_t cap)
{
	return (struct vipa_vcrt *)lib_tab_new(cap, sizeof(struct vipa_conn_key),
					       sizeof(struct vipa_conn));
}

void
vipa_vcrt_destroy(struct vipa_vcrt **t)
{
	lib_tab_destroy((struct lib_tab **)t);
}

size_t
vipa_vcrt_count(const struct vipa_vcrt *t)
{
	return lib_tab_count((const struct lib_tab *)t);
}

size_t
vipa_vcrt_capacity(const struct vipa_vcrt *t)
{
	return lib_tab_capacity((const struct lib_tab *)t);
}

struct vipa_conn *
vipa_vcrt_lookup(struct vipa_vcrt *t, const struct vipa_conn_key *k)
{
	return lib_tab_lookup(tab(t), k);
}

struct vipa_conn *
vipa_vcrt_insert(struct vipa_vcrt *t, const struct vipa_conn_key *k, int *created)
{
	return lib_tab_insert(tab(t), k, created);
}

int
vipa_vcrt_remove(struct vipa_vcrt *t, const struct vipa_conn_key *k)
{
	return lib_tab_remove(tab(t), k);
}

uint32_t
vipa_vcrt_id(const struct vipa_vcrt *t, const struct vipa_conn *c)
{
	return lib_tab_id((const struct lib_tab *)t, c);
}

struct vipa_conn *
vipa_vcrt_at(struct vipa_vcrt *t, uint32_t id)
{
	return lib_tab_at(tab(t), id);
}

struct foreach_ctx {
	int (*cb)(struct vipa_conn *c, void *arg);
	void *arg;
};

static int
foreach_cb(void *entry, void *arg)
{
	struct foreach_ctx *f = arg;

	return f->cb(entry, f->arg);
}

void
vipa_vcrt_foreach(struct vipa_vcrt *t, int (*cb)(struct vipa_conn *c, void *arg), void *arg)
{
	struct foreach_ctx f = { cb, arg };

	lib_tab_foreach(tab(t), foreach_cb, &f);
}
