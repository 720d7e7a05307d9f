/*
 * vso.c - our RFC 5094 Vendor-Specific mobility option that makes a binding
 * per connection (WIRE_VSO_CONN, see wire.h):
 *
 * +--------+--------+--------+--------+--------+--------+
 * | type 19| len 10 |   vendor id 2 (4 octets)          |
 * +--------+--------+--------+--------+--------+--------+
 * |sub 1   | client port     | DVIPA port      | proto 6|
 * +--------+--------+--------+--------+--------+--------+
 */
#include "wire/wire.h"

#include <errno.h>

int
wire_vso_conn_add(struct mip6_opts *o, uint16_t cport, uint16_t dport)
{
	struct mip6_vso *v;

	if (o->n_vso >= MIP6_MAX_VSO)
		return -ENOSPC;
	v = &o->vso[o->n_vso++];
	v->vendor_id = WIRE_VSO_VENDOR;
	v->subtype = WIRE_VSO_CONN;
	v->len = WIRE_VSO_CONN_LEN;
	v->bytes[0] = (uint8_t)(cport >> 8);
	v->bytes[1] = (uint8_t)cport;
	v->bytes[2] = (uint8_t)(dport >> 8);
	v->bytes[3] = (uint8_t)dport;
	v->bytes[4] = WIRE_PROTO_TCP;
	return 0;
}

int
wire_vso_conn_find(const struct mip6_opts *o, uint16_t *cport, uint16_t *dport)
{
	int i;

	for (i = 0; i < o->n_vso; i++) {
		const struct mip6_vso *v = &o->vso[i];

		if (v->vendor_id != WIRE_VSO_VENDOR || v->subtype != WIRE_VSO_CONN)
			continue;
		if (v->len != WIRE_VSO_CONN_LEN || v->bytes[4] != WIRE_PROTO_TCP)
			return -EINVAL;
		*cport = (uint16_t)(v->bytes[0] << 8 | v->bytes[1]);
		*dport = (uint16_t)(v->bytes[2] << 8 | v->bytes[3]);
		return 1;
	}
	return 0;
}
