// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* nftables ruleset generation by NFT_MSG_GETGEN (plain netlink, no library). */
#include "nftgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define GEN_MSG_TYPE ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)
#define GEN_REQ_TYPE ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN)

_Static_assert(NFT_GEN_REQUEST_LEN == NLMSG_HDRLEN + sizeof(struct nfgenmsg),
	       "request length");

int nft_gen_build_request(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_len = NFT_GEN_REQUEST_LEN, .nlmsg_type = GEN_REQ_TYPE,
			      .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = seq };
	struct nfgenmsg g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 };

	if (!buf || len < NFT_GEN_REQUEST_LEN)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	memcpy((char *)buf + NLMSG_HDRLEN, &g, sizeof(g));
	return NFT_GEN_REQUEST_LEN;
}

/* NFTA_GEN_ID among the attributes in a[0..len). */
static int gen_attr(const unsigned char *a, size_t len, uint32_t *gen)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr at;
		size_t step;

		memcpy(&at, a, sizeof(at));
		if (at.nla_len < NLA_HDRLEN || at.nla_len > len)
			return -EBADMSG;
		if ((at.nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID) {
			uint32_t v;

			if (at.nla_len < NLA_HDRLEN + sizeof(v))
				return -EBADMSG;
			memcpy(&v, a + NLA_HDRLEN, sizeof(v));
			*gen = ntohl(v);
			return 0;
		}
		step = NLA_ALIGN(at.nla_len);
		if (step >= len)
			break;
		a += step;
		len -= step;
	}
	return -EBADMSG;
}

/* One message of the reply: 1 not ours (or an ACK), 0 found, or -errno. */
static int gen_message(const unsigned char *m, const struct nlmsghdr *h, uint32_t seq,
		       uint32_t *gen)
{
	size_t body = h->nlmsg_len - NLMSG_HDRLEN;

	if (h->nlmsg_seq != seq)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (body < sizeof(e.error))
			return -EBADMSG;
		memcpy(&e.error, m + NLMSG_HDRLEN, sizeof(e.error));
		if (e.error > 0 || e.error < -4095)
			return -EBADMSG;
		return e.error ? e.error : 1;
	}
	if (h->nlmsg_type != GEN_MSG_TYPE)
		return 1;
	if (body < NLMSG_ALIGN(sizeof(struct nfgenmsg)))
		return -EBADMSG;
	return gen_attr(m + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)),
			body - NLMSG_ALIGN(sizeof(struct nfgenmsg)), gen);
}

int nft_gen_parse(const void *buf, size_t len, uint32_t seq, uint32_t *gen)
{
	const unsigned char *p = buf;

	if (!buf || !gen)
		return -EINVAL;
	while (len >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		size_t step;
		int rc;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
			return -EBADMSG;
		rc = gen_message(p, &h, seq, gen);
		if (rc <= 0)
			return rc;
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return -ENOMSG;
}

/* A NETLINK_NETFILTER socket in netns_fd's namespace (ours if -1), the thread back home. */
static int socket_in(int netns_fd, int home_fd)
{
	int fd, e;

	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	e = errno;
	/* the socket keeps the namespace it was made in */
	if (netns_fd >= 0 && home_fd >= 0 && setns(home_fd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd < 0 ? -e : fd;
}

int nft_gen_read(int netns_fd, int home_fd, uint32_t *gen)
{
	static _Thread_local uint32_t next_seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	unsigned char req[NFT_GEN_REQUEST_LEN], buf[4096];
	uint32_t seq = ++next_seq ? next_seq : ++next_seq;
	int fd, rc = -ENOMSG;

	if (!gen)
		return -EINVAL;
	fd = socket_in(netns_fd, home_fd);
	if (fd < 0)
		return fd;
	nft_gen_build_request(req, sizeof(req), seq);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (int tries = 0; tries < 8 && rc == -ENOMSG; tries++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;      /* counted: a storm of signals ends too */
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		/* -ENOMSG: a message that is not the answer; read on */
		rc = nft_gen_parse(buf, (size_t)n, seq, gen);
	}
	close(fd);
	return rc;
}
