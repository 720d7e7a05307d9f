/*
 * fuzz_seed.h - how the harnesses with seed inputs of their own (fuzz_agent_*,
 * fuzz_stack_*, fuzz_cdsnet, fuzz_xcf_rx, fuzz_console, fuzz_plex_cmd) start
 * and write those seeds: FUZZ_WRITE_SEEDS=DIR makes the harness write one
 * file a seed into DIR (what tests/fuzz/seed-NAME/ starts from) and exit.
 */
#ifndef FUZZ_SEED_H
#define FUZZ_SEED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

/* Creates the seed file dir/name; NULL when it cannot (the seed is left
 * out). */
static FILE *
fuzz_seed_open(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "wb");
}

/* The seed dir/name: len octets of p. */
static void
fuzz_seed(const char *dir, const char *name, const void *p, size_t len)
{
	FILE *f = fuzz_seed_open(dir, name);

	if (!f)
		return;
	fwrite(p, 1, len, f);
	fclose(f);
}

/* The seed dir/name: the selector octet sel, then len octets of p. */
static void
fuzz_seed_sel(const char *dir, const char *name, uint8_t sel, const void *p, size_t len)
{
	FILE *f = fuzz_seed_open(dir, name);

	if (!f)
		return;
	fputc(sel, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

/* The seeds of a command harness (input: one octet, bit 0 JSON, then the
 * command line): seed i, named cmdNN, is the octet i & 1 and lines[i]. */
static void
fuzz_seed_cmds(const char *dir, const char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cmd%02zu", i);
		fuzz_seed_sel(dir, name, (uint8_t)(i & 1), lines[i], strlen(lines[i]));
	}
}

/* The start of LLVMFuzzerInitialize: the log silenced and, under
 * FUZZ_WRITE_SEEDS=DIR, the seeds written by write_seeds(DIR) and exit. */
static void
fuzz_seed_init(void (*write_seeds)(const char *dir))
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");

	lib_log_init("fuzz", (enum lib_log_level)(LIB_LOG_ERR + 1));
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
}

#endif
