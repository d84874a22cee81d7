/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Third-party security software known to interfere with the agent (kills it,
 * blocks its network, denies its files): a data table of products with their
 * process names and install paths. Shared by `check` and the live diagnoses.
 */
#ifndef AEGISMON_PRODUCTS_H
#define AEGISMON_PRODUCTS_H

#include <stdbool.h>
#include <stddef.h>

#define PRODUCT_MAX_NAMES 6

struct product {
	const char *name;                      /* "SafeDog (安全狗)" */
	const char *comms[PRODUCT_MAX_NAMES];  /* process names as /proc comm shows them (15 chars) */
	const char *paths[PRODUCT_MAX_NAMES];  /* install directories */
};

extern const struct product products[];
extern const size_t product_count;

/* The product whose process has this comm (or whose install directory holds
 * this executable), or NULL. exe may be NULL or "". */
const struct product *product_of_process(const char *comm, const char *exe);

#endif
