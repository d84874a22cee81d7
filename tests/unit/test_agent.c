/* Agent names, versions, roots, identity and the install scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"

#define CORE_BIT(c) (1u << (c))

/* ---- versions ---- */

static void test_parse_version_dir(void **state)
{
	int ma = -7, mi = -7;

	(void)state;
	assert_int_equal(agent_parse_version_dir("aegis_12_93", &ma, &mi), 0);
	assert_int_equal(ma, 12);
	assert_int_equal(mi, 93);
	assert_int_equal(agent_parse_version_dir("aegis_0_0", &ma, &mi), 0);
	assert_int_equal(ma, 0);
	assert_int_equal(mi, 0);
	assert_int_equal(agent_parse_version_dir("aegis_10_075", &ma, &mi), 0);
	assert_int_equal(mi, 75);
}

static void test_parse_version_dir_rejects(void **state)
{
	static const char *const bad[] = {
		"aegis_", "aegis_1", "aegis_1_", "aegis_1_x", "aegis_x_1", "aegis_-1_2",
		"aegis_1_-2", "aegis_+1_2", "aegis_ 1_2", "aegis_1_2_3", "aegis_1_2x",
		"aegis_1__2", "Aegis_1_2", "xaegis_1_2", "aegis_update", "aegis_client",
		"aegis_99999999999_1", "aegis_1_99999999999",
		"aegis_1_184467440737095516161", "", "aegis",
	};
	int ma = -7, mi = -7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (agent_parse_version_dir(bad[i], &ma, &mi) != -1)
			fail_msg("\"%s\" accepted as a version directory", bad[i]);
		/* a rejected name leaves the outputs alone */
		assert_int_equal(ma, -7);
		assert_int_equal(mi, -7);
	}
}

static void test_version_cmp(void **state)
{
	static const int order[][2] = { { 10, 75 }, { 11, 99 }, { 12, 9 }, { 12, 93 } };
	const size_t n = sizeof(order) / sizeof(order[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int r = agent_version_cmp(order[i][0], order[i][1], order[j][0],
						  order[j][1]);

			if (i < j)
				assert_true(r < 0);
			else if (i > j)
				assert_true(r > 0);
			else
				assert_int_equal(r, 0);
		}
}

/* ---- roots ---- */

static void test_path_inside(void **state)
{
	(void)state;
	assert_true(path_inside("/usr/local/aegis", "/usr/local/aegis"));
	assert_true(path_inside("/usr/local/aegis/aegis_client/aegis_12_93/AliYunDun",
				"/usr/local/aegis"));
	assert_false(path_inside("/usr/local/aegis2/AliYunDun", "/usr/local/aegis"));
	assert_false(path_inside("/usr/local/aegisX", "/usr/local/aegis"));
	assert_false(path_inside("/usr/local", "/usr/local/aegis"));
	assert_false(path_inside("/tmp/usr/local/aegis/x", "/usr/local/aegis"));
	assert_false(path_inside("", "/usr/local/aegis"));
	/* trailing slashes on the root do not matter */
	assert_true(path_inside("/usr/local/aegis/x", "/usr/local/aegis/"));
	assert_true(path_inside("/usr/local/aegis", "/usr/local/aegis//"));
	assert_false(path_inside("/usr/local/aegis2", "/usr/local/aegis/"));
	/* "/" holds every absolute path, and nothing relative */
	assert_true(path_inside("/anything", "/"));
	assert_true(path_inside("/", "/"));
	assert_true(path_inside("/x", "//"));
	assert_false(path_inside("relative/x", "/"));
	/* an empty root holds nothing */
	assert_false(path_inside("/usr", ""));
}

/* ---- names ---- */

static void test_agent_is_comm(void **state)
{
	static const char *const no[] = {
		"AliYunDu", "aliyundun", "AliYunDunX", "AliYunDun ", "", "bash", "AliYunDunUpdat",
		"AliYunDunUpdateX",
	};

	(void)state;
	for (size_t i = 0; i < agent_comm_count; i++) {
		assert_true(strlen(agent_comm_names[i]) <= 15); /* comm is cut to 15 */
		assert_true(agent_is_comm(agent_comm_names[i]));
	}
	assert_true(agent_is_comm("AliYunDun"));
	assert_true(agent_is_comm("AliYunDunMonito"));
	assert_true(agent_is_comm("AliYunDunUpdate"));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (agent_is_comm(no[i]))
			fail_msg("\"%s\" taken for an agent name", no[i]);
}

static void test_agent_core_of_comm(void **state)
{
	(void)state;
	assert_int_equal(agent_core_of_comm("AliYunDun"), CORE_ALIYUNDUN);
	/* the kernel cuts AliYunDunMonitor to 15 characters */
	assert_int_equal(agent_core_of_comm("AliYunDunMonito"), CORE_MONITOR);
	assert_int_equal(agent_core_of_comm("AliYunDunUpdate"), CORE_UPDATE);
	assert_int_equal(agent_core_of_comm("AliHips"), CORE_NONE);
	assert_int_equal(agent_core_of_comm("aegis_update"), CORE_NONE);
	assert_int_equal(agent_core_of_comm("AliYunDu"), CORE_NONE);
	assert_string_equal(agent_core_name(CORE_ALIYUNDUN), "AliYunDun");
	assert_string_equal(agent_core_name(CORE_MONITOR), "AliYunDunMonitor");
	assert_string_equal(agent_core_name(CORE_UPDATE), "AliYunDunUpdate");
	assert_string_equal(agent_core_name(CORE_NONE), "?");
	assert_string_equal(agent_core_name(CORE_COUNT), "?");
}

static void test_agent_identify(void **state)
{
	struct agent_env env;

	(void)state;
	memset(&env, 0, sizeof(env));
	env.nroots = 2;
	strcpy(env.roots[0], "/usr/local/aegis");
	strcpy(env.roots[1], "/opt/aegis");
	assert_int_equal(agent_identify(&env, "AliYunDun",
					"/usr/local/aegis/aegis_client/aegis_12_93/AliYunDun"),
			 IDENT_AGENT);
	assert_int_equal(agent_identify(&env, "AliYunDunUpdate",
					"/opt/aegis/aegis_update/AliYunDunUpdate"),
			 IDENT_AGENT);
	assert_int_equal(agent_identify(&env, "AliYunDun", ""), IDENT_UNVERIFIED);
	assert_int_equal(agent_identify(&env, "AliYunDun", NULL), IDENT_UNVERIFIED);
	assert_int_equal(agent_identify(&env, "AliYunDun", "/tmp/AliYunDun"), IDENT_IMPOSTOR);
	assert_int_equal(agent_identify(&env, "AliYunDun", "/usr/local/aegis2/AliYunDun"),
			 IDENT_IMPOSTOR);
	/* not an agent name: its path does not matter */
	assert_int_equal(agent_identify(&env, "bash", "/usr/local/aegis/bash"), IDENT_OTHER);
	assert_int_equal(agent_identify(&env, "bash", ""), IDENT_OTHER);
	assert_string_equal(agent_identity_name(IDENT_AGENT), "agent");
	assert_string_equal(agent_identity_name(IDENT_IMPOSTOR), "impostor");
	assert_string_equal(agent_identity_name(IDENT_OTHER), "other");
	assert_string_equal(agent_identity_name(IDENT_UNVERIFIED), "unverified");
}

/* ---- install scan on a real tree ---- */

struct tree {
	char root[PATH_MAX];  /* as created */
	char canon[PATH_MAX]; /* realpath, what agent_env_init stores */
};

static void mkdirf(const char *root, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mkdir(p, 0755) != 0)
		fail_msg("mkdir %s failed", p);
}

static void touch(const char *root, const char *rel)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (!f)
		fail_msg("create %s failed", p);
	fputs("#!/bin/sh\n", f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/aegismon-test-agent-XXXXXX");
	if (!mkdtemp(t->root) || !realpath(t->root, t->canon)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	int rc = nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc;
}

static void test_scan_install_highest_version(void **state)
{
	struct tree *t = *state;
	const char *roots[] = { t->root };
	struct agent_env env;
	char want[PATH_MAX * 2];

	mkdirf(t->root, "aegis_client");
	mkdirf(t->root, "aegis_client/aegis_10_75");
	mkdirf(t->root, "aegis_client/aegis_12_9");
	mkdirf(t->root, "aegis_client/aegis_12_93");
	mkdirf(t->root, "aegis_client/aegis_12_93_old"); /* not a version */
	mkdirf(t->root, "aegis_update");
	touch(t->root, "aegis_client/aegis_10_75/AliYunDun");
	touch(t->root, "aegis_client/aegis_10_75/AliYunDunMonitor");
	/* the Monitor is only in an older version: not present in the chosen one */
	touch(t->root, "aegis_client/aegis_12_9/AliYunDunMonitor");
	touch(t->root, "aegis_client/aegis_12_93/AliYunDun");
	touch(t->root, "aegis_update/AliYunDunUpdate");

	assert_int_equal(agent_env_init(&env, roots, 1), 0);
	assert_int_equal(env.nroots, 1);
	assert_string_equal(env.roots[0], t->canon);
	assert_true(env.install.found);
	assert_string_equal(env.install.root, t->canon);
	assert_int_equal(env.install.major, 12);
	assert_int_equal(env.install.minor, 93);
	snprintf(want, sizeof(want), "%s/aegis_client/aegis_12_93", t->canon);
	assert_string_equal(env.install.client_dir, want);
	assert_int_equal(env.install.present_mask,
			 CORE_BIT(CORE_ALIYUNDUN) | CORE_BIT(CORE_UPDATE));

	/* the Monitor appears: a re-scan sees it */
	touch(t->root, "aegis_client/aegis_12_93/AliYunDunMonitor");
	agent_scan_install(&env);
	assert_int_equal(env.install.present_mask,
			 CORE_BIT(CORE_ALIYUNDUN) | CORE_BIT(CORE_MONITOR) | CORE_BIT(CORE_UPDATE));
}

/* A file that only looks like a version directory does not win. */
static void test_scan_ignores_version_named_file(void **state)
{
	struct tree *t = *state;
	const char *roots[] = { t->root };
	struct agent_env env;

	mkdirf(t->root, "aegis_client");
	mkdirf(t->root, "aegis_client/aegis_12_9");
	touch(t->root, "aegis_client/aegis_12_9/AliYunDun");
	touch(t->root, "aegis_client/aegis_99_0"); /* a stray file */
	agent_env_init(&env, roots, 1);
	assert_true(env.install.found);
	assert_int_equal(env.install.major, 12);
	assert_int_equal(env.install.minor, 9);
	assert_int_equal(env.install.present_mask, CORE_BIT(CORE_ALIYUNDUN));
}

static void test_scan_update_only(void **state)
{
	struct tree *t = *state;
	const char *roots[] = { t->root };
	struct agent_env env;

	mkdirf(t->root, "aegis_update");
	touch(t->root, "aegis_update/AliYunDunUpdate");
	agent_env_init(&env, roots, 1);
	assert_true(env.install.found);
	assert_int_equal(env.install.major, -1);
	assert_int_equal(env.install.present_mask, CORE_BIT(CORE_UPDATE));
}

static void test_scan_not_installed(void **state)
{
	struct tree *t = *state;
	char missing[PATH_MAX + 16];
	const char *roots[2];
	struct agent_env env;

	snprintf(missing, sizeof(missing), "%s/nope", t->root);
	roots[0] = missing;
	roots[1] = t->root;
	mkdirf(t->root, "aegis_client"); /* empty: no version, no install */
	mkdirf(t->root, "aegis_update"); /* no binary either */
	agent_env_init(&env, roots, 2);
	assert_int_equal(env.nroots, 2);
	assert_string_equal(env.roots[0], missing); /* kept as given when absent */
	assert_false(env.install.found);
	assert_int_equal(env.install.present_mask, 0);
}

static void test_scan_second_root(void **state)
{
	struct tree *t = *state;
	char missing[PATH_MAX + 16];
	const char *roots[2];
	struct agent_env env;

	snprintf(missing, sizeof(missing), "%s/nope", t->root);
	roots[0] = missing;
	roots[1] = t->root;
	mkdirf(t->root, "aegis_client");
	mkdirf(t->root, "aegis_client/aegis_11_99");
	touch(t->root, "aegis_client/aegis_11_99/AliYunDun");
	agent_env_init(&env, roots, 2);
	assert_true(env.install.found);
	assert_string_equal(env.install.root, t->canon);
	assert_int_equal(env.install.major, 11);
	assert_int_equal(env.install.minor, 99);
}

static void test_env_roots_limited(void **state)
{
	struct tree *t = *state;
	const char *roots[AGENT_MAX_ROOTS + 2];
	struct agent_env env;

	for (int i = 0; i < AGENT_MAX_ROOTS + 2; i++)
		roots[i] = t->root;
	agent_env_init(&env, roots, AGENT_MAX_ROOTS + 2);
	assert_int_equal(env.nroots, AGENT_MAX_ROOTS);
	assert_false(env.install.found);
}

#define TREE(fn) cmocka_unit_test_setup_teardown(fn, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_version_dir),
		cmocka_unit_test(test_parse_version_dir_rejects),
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_path_inside),
		cmocka_unit_test(test_agent_is_comm),
		cmocka_unit_test(test_agent_core_of_comm),
		cmocka_unit_test(test_agent_identify),
		TREE(test_scan_install_highest_version),
		TREE(test_scan_ignores_version_named_file),
		TREE(test_scan_update_only),
		TREE(test_scan_not_installed),
		TREE(test_scan_second_root),
		TREE(test_env_roots_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
