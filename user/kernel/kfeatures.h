/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* aegismon version --features: what this kernel offers, and which variant of
 * each probe family it gets. */
#ifndef AEGISMON_KFEATURES_H
#define AEGISMON_KFEATURES_H

#include <stdio.h>

/* Print the report; btf_path is --btf or NULL. Returns 0. */
int features_report(FILE *out, const char *btf_path);

#endif
