/*
 * fuzz_couple.c - libFuzzer harness for the couple config parser
 * (xcf/couple.c: SYSPLEX, GROUP, INTERVAL/FAILURE, CDS, MEMBER ... WEIGHT
 * KEY, the Z85 key decoder, the endpoint derivation) and the XCF key file
 * parser (xcf/keys.c), both included here with lib/util.c because `make
 * fuzz` builds a harness with wire/ only (this one links libzmq for keys.c).
 *
 * Input: a couple config, then optionally a NUL byte and a key file (without
 * NUL, both parsers get the whole input).  Properties checked, beyond "no
 * crash, no out-of-bounds access":
 *  - a config that parses has 1..XCF_MAX_MEMBERS members with valid names,
 *    distinct systems, member names, endpoints and keys; every endpoint
 *    derives its two endpoints; every KEY given is 40 characters that
 *    decode; FAILURE > INTERVAL; with a CDS, LEASE >= 4 x INTERVAL;
 *  - an error is one line starting with the file name;
 *  - a key file that parses yields two keys that decode, and an error
 *    leaves no secret key behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.c"
#include "xcf/couple.c"
#include "xcf/keys.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xcf_couple c;

static void
check_couple(void)
{
	char rtr[XCF_EP_LEN + 8], pub[XCF_EP_LEN + 8];
	uint8_t raw[32];
	int i, j;

	if (c.n < 1 || c.n > XCF_MAX_MEMBERS || !c.sysplex[0] || c.fail_ms <= c.hb_ms)
		abort();
	/* CDS: a file (absolute path) or a CDS server (tcp://ADDR:PORT), whose
	 * KEY only a server may have. */
	if (c.cds[0] && ((c.cds[0] != '/' && !xcf_cds_is_remote(c.cds)) ||
			 c.lease_ms < 4 * c.hb_ms))
		abort();
	if (c.cds_key[0] && (!xcf_cds_is_remote(c.cds) || strlen(c.cds_key) != XCF_KEY_LEN ||
			     xcf_key_decode(c.cds_key, raw) < 0))
		abort();
	for (i = 0; i < c.n; i++) {
		const struct xcf_couple_member *m = &c.m[i];

		if (!valid_name(m->sysname) || !valid_name(m->tcpname) || m->weight < 1 ||
		    m->weight > XCF_WEIGHT_MAX)
			abort();
		if (xcf_endpoints(m->endpoint, rtr, sizeof(rtr), pub, sizeof(pub)) < 0)
			abort();
		if (m->key[0] && (strlen(m->key) != XCF_KEY_LEN || xcf_key_decode(m->key, raw) < 0))
			abort();
		for (j = 0; j < i; j++)
			if (!strcmp(m->sysname, c.m[j].sysname) || !strcmp(m->member, c.m[j].member) ||
			    !strcmp(m->endpoint, c.m[j].endpoint) ||
			    (m->key[0] && !strcmp(m->key, c.m[j].key)))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul = memchr(data, '\0', size);
	size_t clen = nul ? (size_t)(nul - text) : size;
	const char *ktext = nul ? nul + 1 : text;
	size_t klen = nul ? size - clen - 1 : size;
	char err[600], kpub[XCF_KEY_LEN + 1], ksec[XCF_KEY_LEN + 1];
	uint8_t raw[32];

	err[0] = '\0';
	if (xcf_couple_parse_buf(&c, "f.cfg", text, clen, err, sizeof(err)) == 0)
		check_couple();
	else if (strncmp(err, "f.cfg:", 6) != 0 || strchr(err, '\n'))
		abort();

	memset(ksec, 'x', sizeof(ksec));
	err[0] = '\0';
	if (xcf_key_parse(ktext, klen, "f.key", kpub, ksec, err, sizeof(err)) == 0) {
		if (xcf_key_decode(kpub, raw) < 0 || xcf_key_decode(ksec, raw) < 0)
			abort();
	} else {
		size_t i;

		if (strncmp(err, "f.key", 5) != 0 || strchr(err, '\n'))
			abort();
		for (i = 0; i < sizeof(ksec); i++)
			if (ksec[i])
				abort();
	}
	if (size >= XCF_KEY_LEN) {
		char k[XCF_KEY_LEN + 1];

		memcpy(k, text, XCF_KEY_LEN);
		k[XCF_KEY_LEN] = '\0';
		xcf_key_decode(k, raw);
	}
	return 0;
}
