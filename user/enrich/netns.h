/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Network namespaces by inode number, as BPF reports them. */
#ifndef AEGISMON_NETNS_H
#define AEGISMON_NETNS_H

#include <stdint.h>

/*
 * Open the network namespace whose inode is inum: our own, one bound under
 * /run/netns (ip netns), or that of any process. Returns an O_RDONLY fd for
 * setns(), or -1 if no such namespace can be found.
 */
int netns_open_by_inode(uint32_t inum);

#endif
