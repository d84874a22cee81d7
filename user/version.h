/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef AEGISMON_VERSION_H
#define AEGISMON_VERSION_H
#define AEGISMON_VERSION "0.1.0"
#endif
