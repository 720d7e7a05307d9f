/*
 * csum.c - the Internet checksum (RFC 1071) and the IPv6 upper-layer
 * checksum over the pseudo-header (RFC 8200 section 8.1).
 *
 * Contract:
 *  - wire_csum_add returns a one's-complement sum that is not inverted and
 *    may be only partly folded; it always fits in 32 bits, so it can be fed
 *    back into wire_csum_add any number of times.  Data is summed as
 *    big-endian 16-bit words; a trailing odd byte is padded with a zero, so
 *    when a sum is built from several pieces every piece but the last must
 *    have an even length.
 *  - wire_csum_fold folds to 16 bits and inverts: the value to store in a
 *    checksum field.  A packet whose checksum field is correct sums (with
 *    the pseudo-header) to 0xffff, so wire_csum_fold of it is 0.
 *  - Pure: no I/O, no allocation, no globals.
 *
 * IPv6 pseudo-header (40 bytes, summed but never sent):
 * +---------------------------------------------------------------+
 * |                      Source Address (16)                      |
 * +---------------------------------------------------------------+
 * |                   Destination Address (16)                    |
 * +---------------------------------------------------------------+
 * |                   Upper-Layer Packet Length (32)              |
 * +-----------------------------------------------+---------------+
 * |                      zero (24)                |  Next Header  |
 * +-----------------------------------------------+---------------+
 */
#include "wire/wire.h"

#include <string.h>

/* Folds a 64-bit accumulator to 16 bits with end-around carries. */
static uint32_t
fold16(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)s;
}

uint32_t
wire_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint32_t s16;

	/*
	 * The bulk is summed as native 32-bit words.  The one's-complement sum
	 * does not depend on byte order (RFC 1071 section 2(B)): the folded sum
	 * of native words is the byte swap of the folded sum of big-endian
	 * words, and a 32-bit word is two 16-bit words because 2^16 = 1
	 * (mod 2^16 - 1).
	 */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	s16 = fold16(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s16 = ((s16 & 0xff) << 8) | (s16 >> 8);
#endif
	acc = (uint64_t)sum + s16;
	if (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		acc += (uint32_t)p[0] << 8;
	/* Keep the result within 32 bits without losing a carry. */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t
wire_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

uint16_t
wire_csum_ip6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, const void *data,
	      size_t len)
{
	uint8_t tail[8];
	uint32_t sum;
	uint32_t ulen = (uint32_t)len;

	tail[0] = (uint8_t)(ulen >> 24);
	tail[1] = (uint8_t)(ulen >> 16);
	tail[2] = (uint8_t)(ulen >> 8);
	tail[3] = (uint8_t)ulen;
	tail[4] = 0;
	tail[5] = 0;
	tail[6] = 0;
	tail[7] = proto;
	sum = wire_csum_add(0, src, 16);
	sum = wire_csum_add(sum, dst, 16);
	sum = wire_csum_add(sum, tail, sizeof(tail));
	sum = wire_csum_add(sum, data, len);
	return wire_csum_fold(sum);
}
