// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
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
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static void test_agent_judge(void **state)
{
	struct agent_env env;
	struct agent_facts f = { .exe_known = true, .dev = 0x801, .ino = 4242, .ruid = 0 };
	enum agent_why why;

	(void)state;
	memset(&env, 0, sizeof(env));
	env.nfiles = 1;
	env.files[0].dev = 0x801;
	env.files[0].ino = 4242;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_AGENT);
	assert_int_equal(why, WHY_NONE);
	/* not an agent name: nothing else matters */
	assert_int_equal(agent_judge(&env, "bash", &f, &why), IDENT_OTHER);

	/* the installed file run by another user (a symlink named after the
	 * Monitor, or the binary under PTRACE_TRACEME) */
	f.ruid = 65534;
	assert_int_equal(agent_judge(&env, "AliYunDunMonito", &f, &why), IDENT_IMPOSTOR);
	assert_int_equal(why, WHY_NOT_ROOT);
	f.ruid = 0;
	f.traced = true;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	assert_int_equal(why, WHY_TRACED);
	f.traced = false;
	f.stopped = true;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	assert_int_equal(why, WHY_STOPPED);
	f.stopped = false;

	/* another file: the same inode on another device is another file */
	f.dev = 0x802;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	assert_int_equal(why, WHY_NOT_INSTALLED);
	f.dev = 0x801;
	f.ino = 4243;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	/* replaced by an upgrade while it ran: root's own deleted file counts,
	 * anyone else's does not */
	f.exe_deleted = true;
	f.exe_uid = 0;
	f.exe_mode = 0100755;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_AGENT);
	f.exe_mode = 0100777;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	f.exe_mode = 0100755;
	f.exe_uid = 1000;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);

	f.exe_known = false;
	assert_int_equal(agent_judge(&env, "AliYunDun", &f, &why), IDENT_IMPOSTOR);
	assert_int_equal(why, WHY_EXE_UNKNOWN);
	assert_string_equal(agent_why_text(WHY_NOT_ROOT), "it does not run as root");
	assert_string_equal(agent_identity_name(IDENT_AGENT), "agent");
	assert_string_equal(agent_identity_name(IDENT_IMPOSTOR), "impostor");
	assert_string_equal(agent_identity_name(IDENT_OTHER), "other");
	assert_string_equal(agent_identity_name(IDENT_UNVERIFIED), "unverified");
}

/* The kernel's dev_t (major << 20 | minor) as stat() gives it. */
static void test_kdev_to_dev(void **state)
{
	(void)state;
	assert_int_equal(agent_kdev_to_dev((8u << 20) | 1), makedev(8, 1));
	assert_int_equal(agent_kdev_to_dev((259u << 20) | 300), makedev(259, 300));
	assert_int_equal(agent_kdev_to_dev(0), makedev(0, 0));
}

/* A live process judged from /proc: this test runs as root and is not
 * traced, but its executable is no installed file. */
static void test_identify_pid_self(void **state)
{
	struct agent_env env;
	struct agent_facts f;
	struct stat st;
	enum agent_why why;

	(void)state;
	memset(&env, 0, sizeof(env));
	assert_int_equal(agent_facts_of_pid(getpid(), &f), 0);
	assert_true(f.exe_known);
	assert_int_equal(stat("/proc/self/exe", &st), 0);
	assert_true(f.dev == st.st_dev && f.ino == st.st_ino);
	assert_int_equal(f.ruid, getuid());
	assert_false(f.stopped);
	/* not an agent name */
	assert_int_equal(agent_identify_pid(&env, getpid(), &why), IDENT_OTHER);
	assert_int_equal(agent_facts_of_pid(0x3ffffff0, &f), -ESRCH);
	env.nfiles = 1;
	env.files[0].dev = st.st_dev;
	env.files[0].ino = st.st_ino;
	assert_true(agent_is_installed_file(&env, st.st_dev, st.st_ino));
	assert_false(agent_is_installed_file(&env, st.st_dev, st.st_ino + 1));
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

/* The files that identify the agent: root's, not writable by others, in
 * directories nobody else can write to; symlinks never. */
static void test_scan_trusted_files(void **state)
{
	struct tree *t = *state;
	const char *roots[] = { t->root };
	char p[PATH_MAX * 2], q[PATH_MAX * 2];
	struct agent_env env;
	struct stat good, loose, inopen, link;

	mkdirf(t->root, "aegis_client");
	mkdirf(t->root, "aegis_client/aegis_12_93");
	mkdirf(t->root, "aegis_client/open");
	touch(t->root, "aegis_client/aegis_12_93/AliYunDun");
	touch(t->root, "aegis_client/aegis_12_93/loose");
	touch(t->root, "aegis_client/open/AliHips");
	snprintf(p, sizeof(p), "%s/aegis_client/aegis_12_93/loose", t->root);
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(stat(p, &loose), 0);
	snprintf(p, sizeof(p), "%s/aegis_client/open", t->root);
	assert_int_equal(chmod(p, 01777), 0);
	snprintf(p, sizeof(p), "%s/aegis_client/open/AliHips", t->root);
	assert_int_equal(stat(p, &inopen), 0);
	snprintf(p, sizeof(p), "%s/aegis_client/aegis_12_93/AliYunDun", t->root);
	assert_int_equal(stat(p, &good), 0);
	snprintf(q, sizeof(q), "%s/aegis_client/aegis_12_93/AliYunDunMonitor", t->root);
	assert_int_equal(symlink("/bin/sh", q), 0);
	assert_int_equal(stat("/bin/sh", &link), 0);

	agent_env_init(&env, roots, 1);
	assert_int_equal(env.nfiles, 1);
	assert_false(env.files_truncated);
	assert_true(agent_is_installed_file(&env, good.st_dev, good.st_ino));
	assert_false(agent_is_installed_file(&env, loose.st_dev, loose.st_ino));
	assert_false(agent_is_installed_file(&env, inopen.st_dev, inopen.st_ino));
	assert_false(agent_is_installed_file(&env, link.st_dev, link.st_ino));

	/* a new version put in place shows, and a scan takes it in */
	assert_false(agent_install_changed(&env));
	mkdirf(t->root, "aegis_client/aegis_12_94");
	assert_true(agent_install_changed(&env));
	agent_scan_install(&env);
	assert_false(agent_install_changed(&env));
	touch(t->root, "aegis_client/aegis_12_94/AliYunDun");
	assert_true(agent_install_changed(&env));
	agent_scan_install(&env);
	assert_int_equal(env.nfiles, 2);

	/* a root the others can write to holds nothing trusted */
	assert_int_equal(chmod(t->root, 0777), 0);
	agent_scan_install(&env);
	assert_int_equal(env.nfiles, 0);
	assert_int_equal(chmod(t->root, 0700), 0);
}

/* An install that appears after the start is seen: the absent root is
 * watched too. */
static void test_install_appears(void **state)
{
	struct tree *t = *state;
	char late[PATH_MAX + 16];
	const char *roots[1];
	struct agent_env env;

	snprintf(late, sizeof(late), "%s/late", t->canon);
	roots[0] = late;
	agent_env_init(&env, roots, 1);
	assert_false(env.install.found);
	assert_false(agent_install_changed(&env));
	mkdirf(t->root, "late");
	assert_true(agent_install_changed(&env));
	mkdirf(t->root, "late/aegis_update");
	touch(t->root, "late/aegis_update/AliYunDunUpdate");
	agent_scan_install(&env);
	assert_true(env.install.found);
	assert_int_equal(env.nfiles, 1);
	assert_false(agent_install_changed(&env));
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
		cmocka_unit_test(test_agent_judge),
		cmocka_unit_test(test_kdev_to_dev),
		cmocka_unit_test(test_identify_pid_self),
		TREE(test_scan_trusted_files),
		TREE(test_install_appears),
		TREE(test_scan_install_highest_version),
		TREE(test_scan_ignores_version_named_file),
		TREE(test_scan_update_only),
		TREE(test_scan_not_installed),
		TREE(test_scan_second_root),
		TREE(test_env_roots_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
