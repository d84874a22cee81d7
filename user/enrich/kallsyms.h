/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Kernel addresses to symbol names, from /proc/kallsyms, on demand. */
#ifndef AEGISMON_KALLSYMS_H
#define AEGISMON_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse one /proc/kallsyms line: "ffffffff81000000 T _stext [module]".
 * Returns 0 and fills addr and name (the module suffix dropped), -1 if the
 * line is malformed. Pure: fuzzed.
 */
int ksym_parse_line(const char *line, uint64_t *addr, char *name, size_t namelen);

/* "nf_hook_slow+0x9b" for addr, streaming /proc/kallsyms (nothing kept but a
 * small cache). Returns 0, or -1 (no symbols: kptr_restrict, not root). */
int ksym_resolve(uint64_t addr, char *out, size_t outlen);

#endif
