/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef AEGISMON_VERSION_H
#define AEGISMON_VERSION_H
/*
 * The version lives in one place, the top-level VERSION file; the Makefile writes it into
 * build/version_gen.h (AEGISMON_VERSION), which also feeds the deb, the rpm and the man pages.
 */
#include "version_gen.h"
#endif
