// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nftables ruleset generation: the GETGEN request and the reply parser on
 * hand-made netlink messages, and (root) the real thing in a namespace of the
 * test's own, whose generation moves when its ruleset changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nftgen.h"

#define NEWGEN ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)

/* A NEWGEN message for seq into buf: the PROC_PID attribute first, then GEN_ID. */
static size_t newgen(uint8_t *buf, uint32_t seq, uint32_t gen)
{
	struct nlmsghdr h = { .nlmsg_type = NEWGEN, .nlmsg_seq = seq };
	struct nfgenmsg g = { .nfgen_family = AF_UNSPEC };
	struct nlattr pid = { .nla_len = 8, .nla_type = NFTA_GEN_PROC_PID };
	struct nlattr id = { .nla_len = 8, .nla_type = NFTA_GEN_ID };
	uint32_t be = htonl(gen), one = htonl(1);
	size_t o = NLMSG_HDRLEN;

	memcpy(buf + o, &g, sizeof(g));
	o += NLMSG_ALIGN(sizeof(g));
	memcpy(buf + o, &pid, sizeof(pid));
	memcpy(buf + o + 4, &one, 4);
	o += 8;
	memcpy(buf + o, &id, sizeof(id));
	memcpy(buf + o + 4, &be, 4);
	o += 8;
	h.nlmsg_len = (uint32_t)o;
	memcpy(buf, &h, sizeof(h));
	return o;
}

static size_t error_msg(uint8_t *buf, uint32_t seq, int err)
{
	struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN,
			      .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = seq };

	memset(buf, 0, h.nlmsg_len);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, &err, 4);
	return h.nlmsg_len;
}

static void test_request(void **state)
{
	uint8_t buf[64];
	struct nlmsghdr h;

	(void)state;
	assert_int_equal(nft_gen_build_request(buf, sizeof(buf), 77), NFT_GEN_REQUEST_LEN);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.nlmsg_len, NFT_GEN_REQUEST_LEN);
	assert_int_equal(h.nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN);
	assert_int_equal(h.nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(h.nlmsg_seq, 77);
	assert_int_equal(nft_gen_build_request(buf, NFT_GEN_REQUEST_LEN - 1, 1), -EINVAL);
}

static void test_parse_answer(void **state)
{
	uint8_t buf[256];
	uint32_t gen = 0;
	size_t n;

	(void)state;
	n = newgen(buf, 5, 0x01020304);
	assert_int_equal(nft_gen_parse(buf, n, 5, &gen), 0);
	assert_int_equal(gen, 0x01020304);
	/* another sequence's answer is not ours */
	assert_int_equal(nft_gen_parse(buf, n, 6, &gen), -ENOMSG);
	/* ours after someone else's */
	n += newgen(buf + n, 9, 1234);
	assert_int_equal(nft_gen_parse(buf, n, 9, &gen), 0);
	assert_int_equal(gen, 1234);
}

static void test_parse_error_and_malformed(void **state)
{
	uint8_t buf[256];
	uint32_t gen = 0;
	size_t n;

	(void)state;
	n = error_msg(buf, 3, -EPERM);
	assert_int_equal(nft_gen_parse(buf, n, 3, &gen), -EPERM);
	/* a positive "errno" is not one */
	n = error_msg(buf, 3, 5);
	assert_int_equal(nft_gen_parse(buf, n, 3, &gen), -EBADMSG);
	n = newgen(buf, 4, 1);
	/* every truncation: never an answer, never a read past the end */
	for (size_t cut = 0; cut < n; cut++) {
		int rc = nft_gen_parse(buf, cut, 4, &gen);

		assert_true(rc == -EBADMSG || rc == -ENOMSG);
	}
	/* an attribute that claims more than the message holds */
	buf[NLMSG_HDRLEN + 4 + 8] = 200;
	assert_int_equal(nft_gen_parse(buf, n, 4, &gen), -EBADMSG);
	assert_int_equal(nft_gen_parse(NULL, 0, 4, &gen), -EINVAL);
}

/* ---------- the kernel (root) ---------- */

static uint64_t netns_inode(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static int add_table(int ns)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (setns(ns, CLONE_NEWNET) < 0)
			_exit(126);
		if (nul >= 0)
			dup2(nul, 2);
		execl("/usr/sbin/nft", "nft", "add", "table", "inet", "aegismon_gentest", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_read_in_namespace(void **state)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns = -1;
	uint64_t ino = netns_inode();
	uint32_t g1, g2, g3;

	(void)state;
	assert_true(home >= 0);
	assert_int_equal(nft_gen_read(-1, -1, &g1), 0);
	/* a namespace held by an fd only: gone with it */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(home, CLONE_NEWNET) < 0)
		abort();
	assert_true(ns >= 0);
	assert_int_equal(nft_gen_read(ns, home, &g1), 0);
	assert_int_equal(netns_inode(), ino);   /* back home */
	assert_int_equal(nft_gen_read(ns, home, &g2), 0);
	assert_int_equal(g1, g2);               /* nothing changed */
	assert_int_equal(add_table(ns), 0);
	assert_int_equal(nft_gen_read(ns, home, &g3), 0);
	assert_true(g3 != g2);
	assert_int_equal(netns_inode(), ino);
	/* not a namespace */
	assert_int_equal(nft_gen_read(home == 0 ? 1 : 0, home, &g1) < 0, 1);
	assert_int_equal(netns_inode(), ino);
	close(ns);
	close(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_parse_error_and_malformed),
		cmocka_unit_test(test_read_in_namespace),
	};

	return cmocka_run_group_tests_name("nftgen", tests, NULL, NULL);
}
