/*
 * fuzz_stack_ns.c - libFuzzer harness for the routing stack's Neighbor
 * Solicitation check (tcpip-stack/ndp.c, stack_ndp_ns_check: RFC 4861
 * 7.1.1), which every solicitation from the LAN passes before an owned
 * DVIPA's advertisement is sent.
 *
 * Input: the hop limit (1 octet), the source and destination addresses
 * (16 + 16), then the ICMPv6 message.  Proves, for any input: no read out
 * of bounds, no undefined behaviour; an accepted message is at least 24
 * octets, an NS, with hop limit 255 and a unicast target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *icmp;
	size_t len;

	if (size < 33)
		return 0;
	len = size - 33;
	icmp = malloc(len ? len : 1);	/* exactly the message: ASan sees any overread */
	if (!icmp)
		return 0;
	memcpy(icmp, data + 33, len);
	if (!stack_ndp_ns_check(icmp, len, data[0], data + 1, (data[0] & 1) ? data + 17 : NULL)) {
		if (len < 24 || icmp[0] != 135 || data[0] != 255 || icmp[8] == 0xff)
			abort();
	}
	free(icmp);
	return 0;
}
