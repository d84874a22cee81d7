/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Read the nftables ruleset of a network namespace by running the nft binary. */
#ifndef AEGISMON_NFTEXEC_H
#define AEGISMON_NFTEXEC_H

#include <stddef.h>

#define NFT_OUTPUT_MAX (4u << 20)  /* bytes of one nft listing we accept */
#define NFT_TIMEOUT_MS 2000        /* per nft run, then SIGKILL */
/* check runs once, by hand: a loaded host (or an emulated one) may take
 * seconds to list a large ruleset, and check has the time */
#define NFT_CHECK_TIMEOUT_MS 8000

/*
 * Run `nft -j list ruleset` and then `nft -at list ruleset` (handles, terse: no elements of
 * named sets) (no shell, environment just LC_ALL=C, stdin and stderr on /dev/null), inside
 * the network namespace netns_fd if it is >= 0.
 * On success returns 0 and gives two NUL-terminated malloc'd buffers (lengths without the
 * NUL) that the caller frees. On failure returns -errno and leaves the outputs NULL/0:
 * -ENOENT no nft binary, -ETIMEDOUT a run took too long, -EFBIG output over the cap,
 * -EIO nft failed, or the errno of setns/exec in the child (-EBADF, -EINVAL, -EPERM...).
 * Blocks up to NFT_TIMEOUT_MS per run (two runs). The child is reaped by pid: the caller
 * must not reap children it did not start (waitpid(-1)) meanwhile. nft is killed if the
 * thread that started it ends first (PR_SET_PDEATHSIG).
 */
int nft_ruleset_read(int netns_fd, char **json, size_t *jlen, char **text, size_t *tlen);
/* The same with another limit per run. */
int nft_ruleset_read_within(int netns_fd, unsigned timeout_ms, char **json, size_t *jlen,
			    char **text, size_t *tlen);
/* The same, given up (nft killed, -ECANCELED) as soon as cancel_fd (if >= 0) is readable. */
int nft_ruleset_read_cancellable(int netns_fd, unsigned timeout_ms, int cancel_fd, char **json,
				 size_t *jlen, char **text, size_t *tlen);

/*
 * The runner behind it, exposed for tests: execve path with argv {"nft", mode, "list",
 * "ruleset"} under the same rules, capturing stdout. Same returns; *out is NULL on failure.
 */
int nft_exec_capture(const char *path, const char *mode, int netns_fd, unsigned timeout_ms,
		     char **out, size_t *len);
int nft_exec_capture_cancellable(const char *path, const char *mode, int netns_fd,
				 unsigned timeout_ms, int cancel_fd, char **out, size_t *len);

#endif
