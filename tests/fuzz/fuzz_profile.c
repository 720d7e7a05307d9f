/*
 * fuzz_profile.c - libFuzzer harness for the PROFILE parser and the
 * OBEYFILE delta (vipa/profile.c, with lib/util.c for its string helpers;
 * both are included here because `make fuzz` builds a harness with wire/
 * only).
 *
 * Input: a running profile, a NUL byte, an OBEYFILE (no NUL: the profile
 * alone).  Properties checked, beyond "no crash, no out-of-bounds access":
 *  - a profile that parses prints to text that parses again and prints the
 *    same (the normalized form is a fixed point);
 *  - an error message is one line starting with the file name;
 *  - an OBEYFILE never modifies the running profile; on error it reports no
 *    changes; on success every change's index points inside the profile it
 *    refers to and the change count is within the caller's capacity.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.c"
#include "vipa/profile.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vipa_profile a, b, a_copy, c;
static struct vipa_change chg[64];

static char *
print(const struct vipa_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	vipa_profile_print(p, f);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	char err[512], *t1, *t2;
	int n, i, rc;

	if (size > 20000)
		return 0;
	if (vipa_profile_parse_buf(&a, "f", (const char *)data, plen, err, sizeof(err)) != 0) {
		if (strncmp(err, "f:", 2) != 0 || strchr(err, '\n'))
			abort();
		return 0;
	}
	t1 = print(&a);
	if (vipa_profile_parse_buf(&b, "n", t1, strlen(t1), err, sizeof(err)) != 0)
		abort();
	t2 = print(&b);
	if (strcmp(t1, t2) != 0)
		abort();
	free(t1);
	free(t2);
	if (!nul)
		return 0;

	memcpy(&a_copy, &a, sizeof(a));
	rc = vipa_profile_obey_buf(&a, &c, "o", (const char *)nul + 1, size - plen - 1, chg,
				   (int)(sizeof(chg) / sizeof(chg[0])), &n, err, sizeof(err));
	if (memcmp(&a, &a_copy, sizeof(a)) != 0)
		abort();
	if (rc != 0) {
		if (n != 0)
			abort();
		return 0;
	}
	if (n < 0 || n > (int)(sizeof(chg) / sizeof(chg[0])))
		abort();
	for (i = 0; i < n; i++) {
		const struct vipa_profile *p = chg[i].kind == VIPA_CHG_DIST_DEL ||
						       chg[i].kind == VIPA_CHG_DVIPA_DEL ||
						       chg[i].kind == VIPA_CHG_RANGE_DEL ||
						       chg[i].kind == VIPA_CHG_VROUTE_DEL ? &a : &c;
		int lim;

		switch (chg[i].kind) {
		case VIPA_CHG_DIST_DEL:
		case VIPA_CHG_DIST_ADD:
			lim = p->ndist;
			break;
		case VIPA_CHG_DVIPA_DEL:
		case VIPA_CHG_DVIPA_ADD:
			lim = p->ndefine;
			break;
		case VIPA_CHG_RANGE_DEL:
		case VIPA_CHG_RANGE_ADD:
			lim = p->nrange;
			break;
		default:
			lim = p->nvroute;
		}
		if (chg[i].index < 0 || chg[i].index >= lim)
			abort();
	}
	return 0;
}
