/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Is a file safe for root to execute? Checked before every exec of the agent,
 * a service script or a hook. */
#ifndef AEGISMON_SAFEPATH_H
#define AEGISMON_SAFEPATH_H

#include <stddef.h>

/*
 * 0 when path is safe to execute as root, else -1 with the reason in why.
 * Safe: an absolute path that resolves (symlinks followed) to a regular,
 * executable file owned by root, not group- or world-writable, in directories
 * owned by root that nobody else can write to (sticky ones like /tmp are
 * fine). allowed_dir, when not NULL: the resolved file must be inside it, so
 * a symlink that leaves it is refused. resolved gets the canonical path.
 */
int safepath_check_exec(const char *path, const char *allowed_dir, char *resolved, size_t rlen,
			char *why, size_t whylen);

#endif
