/*
 * test_lib_opt.c - proves lib/opt.c, the command lines made from one table:
 *  - short and long options, with and without arguments, "--name=value",
 *    long-only options (LIB_OPT_LONG + n) and operands anywhere (permuted),
 *    or options only before the first operand (stop_at_operand);
 *  - an unknown option and a missing argument give '?';
 *  - a table longer than LIB_OPT_MAX is refused;
 *  - the help has one line per option, the short and long names and the
 *    argument, in table order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

enum { O_SHOW = LIB_OPT_LONG, O_SEED };
static const struct lib_opt opts[] = {
	{ 'p', "profile", "FILE", "the profile" },
	{ 'v', "verbose", NULL, "debug" },
	{ 'n', NULL, "X", "short only" },
	{ O_SHOW, "show", NULL, "long only" },
	{ O_SEED, "seed", "N", "long only with an argument" },
	{ 0, NULL, NULL, NULL },
};

/* Parses argv (NULL-terminated, argv[0] the program) into "k=arg;..." */
static void
parse(int stop, char **argv, char *out, size_t len, int *first_operand)
{
	struct lib_getopt g;
	const char *arg;
	int argc = 0, c;
	size_t n = 0;

	while (argv[argc])
		argc++;
	assert_int_equal(lib_opt_init(&g, opts, stop), 0);
	g.prog = "test";
	optind = 0;
	out[0] = '\0';
	while ((c = lib_opt_next(&g, argc, argv, &arg)) != -1)
		n += (size_t)snprintf(out + n, len - n, "%d=%s;", c, arg ? arg : "");
	*first_operand = optind;
}

static void
test_parse(void **state)
{
	char *a1[] = { "t", "-p", "f1", "--verbose", "op", "--seed=7", "-nX", "--show", "--profile",
		       "f2", NULL };
	char *a2[] = { "t", "-v", "op", "-p", "f", NULL };
	char out[256], want[256];
	int first;

	(void)state;
	parse(0, a1, out, sizeof(out), &first);
	snprintf(want, sizeof(want), "%d=f1;%d=;%d=7;%d=X;%d=;%d=f2;", 'p', 'v', O_SEED, 'n', O_SHOW,
		 'p');
	assert_string_equal(out, want);
	/* Permuted: the operand is moved after the options. */
	assert_int_equal(first, 9);
	assert_string_equal(a1[first], "op");
	/* Stopping at the first operand: -p f stays for the command. */
	parse(1, a2, out, sizeof(out), &first);
	snprintf(want, sizeof(want), "%d=;", 'v');
	assert_string_equal(out, want);
	assert_int_equal(first, 2);
}

static void
test_errors(void **state)
{
	char *unknown_long[] = { "t", "--nope", NULL };
	char *unknown_short[] = { "t", "-z", NULL };
	char *missing[] = { "t", "--profile", NULL };
	char *missing_short[] = { "t", "-p", NULL };
	char *flag_with_value[] = { "t", "--show=1", NULL };
	char out[256];
	int first;

	(void)state;
	parse(0, unknown_long, out, sizeof(out), &first);
	assert_string_equal(out, "63=;");
	parse(0, unknown_short, out, sizeof(out), &first);
	assert_string_equal(out, "63=;");
	parse(0, missing, out, sizeof(out), &first);
	assert_string_equal(out, "63=;");
	parse(0, missing_short, out, sizeof(out), &first);
	assert_string_equal(out, "63=;");
	parse(0, flag_with_value, out, sizeof(out), &first);
	assert_string_equal(out, "63=;");
}

static void
test_too_many(void **state)
{
	static struct lib_opt big[LIB_OPT_MAX + 2];
	struct lib_getopt g;
	int i;

	(void)state;
	for (i = 0; i < LIB_OPT_MAX + 1; i++) {
		big[i].key = LIB_OPT_LONG + i;
		big[i].name = "x";
		big[i].help = "x";
	}
	assert_int_equal(lib_opt_init(&g, big, 0), -1);
	big[LIB_OPT_MAX].key = 0;
	assert_int_equal(lib_opt_init(&g, big, 0), 0);
}

static void
test_help(void **state)
{
	char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(f);
	lib_opt_help(f, opts);
	fclose(f);
	assert_string_equal(buf,
				 "  -p, --profile FILE        the profile\n"
				 "  -v, --verbose             debug\n"
				 "  -n X                      short only\n"
				 "      --show                long only\n"
				 "      --seed N              long only with an argument\n");
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	lib_opt_version(f, "prog");
	fclose(f);
	assert_true(strncmp(buf, "prog (sysplex) ", 15) == 0);
	assert_true(strncmp(buf + 15, lib_version, strlen(lib_version)) == 0);
	assert_string_equal(buf + 15 + strlen(lib_version), "\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
