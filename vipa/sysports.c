/*
 * sysports.c - SYSPLEXPORTS: the routing stack's allocator of ephemeral
 * port blocks for a DVIPA, so that connections the targets open from the
 * DVIPA never share a source port (z/OS keeps this in the EZBEPORT coupling
 * facility structure; here the routing stack owns the table and would hand
 * blocks out over XCF).
 *
 * Contract: pure (no I/O, clock or allocation); one struct per DVIPA; a
 * block is VIPA_SYSPORTS_BLOCK consecutive ports starting at a multiple of
 * the block size; owner[] holds 0 (free) or the target's slot + 1; blocks are
 * handed out next-fit from a cursor so that a block just freed (whose
 * connections may still be in TIME_WAIT on the old target) is reused last.
 */
#include "vipa/vipa.h"

#include <errno.h>
#include <string.h>

int
vipa_sysports_init(struct vipa_sysports *sp, uint16_t lo, uint16_t hi)
{
	uint32_t first = ((uint32_t)lo + VIPA_SYSPORTS_BLOCK - 1) / VIPA_SYSPORTS_BLOCK;
	uint32_t last_end = ((uint32_t)hi + 1) / VIPA_SYSPORTS_BLOCK;	/* one past */

	memset(sp, 0, sizeof(*sp));
	if (lo == 0 || hi < lo || last_end <= first)
		return -EINVAL;
	sp->first_block = (uint16_t)first;
	sp->last_block = (uint16_t)(last_end - 1);
	sp->next = sp->first_block;
	return 0;
}

static int
tgt_slot(const struct vipa_sysports *sp, const uint8_t xcf[16])
{
	int i;

	for (i = 0; i < VIPA_SYSPORTS_MAX_TGT; i++)
		if (sp->tgt_used[i] && memcmp(sp->tgt[i], xcf, 16) == 0)
			return i;
	return -1;
}

/* Gives blocks b .. b + count - 1 to the target in slot, or, when slot is
 * -1, to xcf in a free slot; -ENOSPC when every slot is taken. */
static int
take_blocks(struct vipa_sysports *sp, int slot, const uint8_t xcf[16], uint32_t b, int count)
{
	uint32_t j;
	int i;

	if (slot < 0) {
		for (i = 0; i < VIPA_SYSPORTS_MAX_TGT && sp->tgt_used[i]; i++)
			;
		if (i == VIPA_SYSPORTS_MAX_TGT)
			return -ENOSPC;
		slot = i;
		sp->tgt_used[slot] = 1;
		memcpy(sp->tgt[slot], xcf, 16);
	}
	for (j = 0; j < (uint32_t)count; j++)
		sp->owner[b + j] = (uint8_t)(slot + 1);
	return 0;
}

int
vipa_sysports_alloc_n(struct vipa_sysports *sp, const uint8_t xcf[16], int count)
{
	int slot = tgt_slot(sp, xcf);
	uint32_t nb, k, b, j;

	if (count < 1 || sp->last_block < sp->first_block || sp->last_block == 0)
		return -ENOSPC;
	nb = (uint32_t)sp->last_block - sp->first_block + 1;
	if ((uint32_t)count > nb)
		return -ENOSPC;
	/* Next-fit: the first run of `count` free blocks from the cursor (a
	 * run does not wrap around the end of the range). */
	for (k = 0; k < nb; k++) {
		b = sp->next + k;
		if (b > sp->last_block)
			b -= nb;
		if (b + (uint32_t)count - 1 > sp->last_block)
			continue;
		for (j = 0; j < (uint32_t)count && !sp->owner[b + j]; j++)
			;
		if (j < (uint32_t)count)
			continue;
		if (take_blocks(sp, slot, xcf, b, count) < 0)
			return -ENOSPC;
		b += (uint32_t)count;
		sp->next = (uint16_t)(b > sp->last_block ? sp->first_block : b);
		return (int)((b - (uint32_t)count) * VIPA_SYSPORTS_BLOCK);
	}
	return -ENOSPC;
}

int
vipa_sysports_alloc(struct vipa_sysports *sp, const uint8_t xcf[16])
{
	return vipa_sysports_alloc_n(sp, xcf, 1);
}

/* Forgets a target that holds no block any more. */
static void
tgt_gc(struct vipa_sysports *sp, int slot)
{
	uint32_t b;

	for (b = sp->first_block; b <= sp->last_block; b++)
		if (sp->owner[b] == slot + 1)
			return;
	sp->tgt_used[slot] = 0;
	memset(sp->tgt[slot], 0, 16);
}

int
vipa_sysports_release(struct vipa_sysports *sp, const uint8_t xcf[16], uint16_t port)
{
	int slot = tgt_slot(sp, xcf);
	uint32_t b = port / VIPA_SYSPORTS_BLOCK;

	if (slot < 0 || sp->owner[b] != slot + 1)
		return -ENOENT;
	sp->owner[b] = 0;
	tgt_gc(sp, slot);
	return 0;
}

int
vipa_sysports_release_all(struct vipa_sysports *sp, const uint8_t xcf[16])
{
	int slot = tgt_slot(sp, xcf), n = 0;
	uint32_t b;

	if (slot < 0)
		return 0;
	for (b = sp->first_block; b <= sp->last_block; b++)
		if (sp->owner[b] == slot + 1) {
			sp->owner[b] = 0;
			n++;
		}
	tgt_gc(sp, slot);
	return n;
}

int
vipa_sysports_owner(const struct vipa_sysports *sp, uint16_t port, uint8_t xcf[16])
{
	uint8_t o = sp->owner[port / VIPA_SYSPORTS_BLOCK];

	if (!o)
		return -ENOENT;
	memcpy(xcf, sp->tgt[o - 1], 16);
	return 0;
}

int
vipa_sysports_count(const struct vipa_sysports *sp, const uint8_t xcf[16])
{
	int slot = tgt_slot(sp, xcf), n = 0;
	uint32_t b;

	if (slot < 0)
		return 0;
	for (b = sp->first_block; b <= sp->last_block; b++)
		if (sp->owner[b] == slot + 1)
			n++;
	return n;
}

int
vipa_sysports_claim(struct vipa_sysports *sp, const uint8_t xcf[16], uint16_t port, int count)
{
	int slot = tgt_slot(sp, xcf);
	uint32_t b = port / VIPA_SYSPORTS_BLOCK, j;

	if (count < 1 || port % VIPA_SYSPORTS_BLOCK || b < sp->first_block ||
	    b + (uint32_t)count - 1 > sp->last_block)
		return -EINVAL;
	for (j = 0; j < (uint32_t)count; j++)
		if (sp->owner[b + j] && (slot < 0 || sp->owner[b + j] != slot + 1))
			return -EBUSY;
	if (take_blocks(sp, slot, xcf, b, count) < 0)
		return -ENOSPC;
	return port;
}

int
vipa_sysports_first(const struct vipa_sysports *sp, const uint8_t xcf[16])
{
	int slot = tgt_slot(sp, xcf);
	uint32_t b;

	if (slot < 0)
		return -ENOENT;
	for (b = sp->first_block; b <= sp->last_block; b++)
		if (sp->owner[b] == slot + 1)
			return (int)(b * VIPA_SYSPORTS_BLOCK);
	return -ENOENT;
}
