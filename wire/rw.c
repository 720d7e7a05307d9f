/*
 * rw.c - bounded big-endian readers and writers.  Errors are sticky: after
 * the first over-read every read returns 0 and r->err stays -EMSGSIZE, so a
 * decoder can read a whole structure and check once.
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

void
wire_rd_init(struct wire_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

static int
rd_need(struct wire_rd *r, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = -EMSGSIZE;
		return 0;
	}
	return 1;
}

uint8_t
wire_rd_u8(struct wire_rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

uint16_t
wire_rd_u16(struct wire_rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

uint32_t
wire_rd_u32(struct wire_rd *r)
{
	uint32_t v;

	if (!rd_need(r, 4))
		return 0;
	v = ((uint32_t)r->p[r->off] << 24) | ((uint32_t)r->p[r->off + 1] << 16) |
	    ((uint32_t)r->p[r->off + 2] << 8) | r->p[r->off + 3];
	r->off += 4;
	return v;
}

uint64_t
wire_rd_u64(struct wire_rd *r)
{
	uint64_t hi = wire_rd_u32(r);

	return (hi << 32) | wire_rd_u32(r);
}

void
wire_rd_bytes(struct wire_rd *r, void *out, size_t n)
{
	if (!rd_need(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

size_t
wire_rd_left(const struct wire_rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

void
wire_wr_init(struct wire_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->off = 0;
	w->err = 0;
}

static int
wr_need(struct wire_wr *w, size_t n)
{
	if (w->err || w->cap - w->off < n) {
		w->err = -ENOSPC;
		return 0;
	}
	return 1;
}

void
wire_wr_u8(struct wire_wr *w, uint8_t v)
{
	if (wr_need(w, 1))
		w->p[w->off++] = v;
}

void
wire_wr_u16(struct wire_wr *w, uint16_t v)
{
	if (!wr_need(w, 2))
		return;
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

void
wire_wr_u32(struct wire_wr *w, uint32_t v)
{
	if (!wr_need(w, 4))
		return;
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

void
wire_wr_u64(struct wire_wr *w, uint64_t v)
{
	wire_wr_u32(w, (uint32_t)(v >> 32));
	wire_wr_u32(w, (uint32_t)v);
}

void
wire_wr_bytes(struct wire_wr *w, const void *p, size_t n)
{
	if (!wr_need(w, n))
		return;
	memcpy(w->p + w->off, p, n);
	w->off += n;
}

ssize_t
wire_wr_result(const struct wire_wr *w)
{
	return w->err ? w->err : (ssize_t)w->off;
}
