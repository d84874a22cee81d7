/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to the loader modules (loader.c: open, load, buffer; loader_env.c:
 * environment and plan; loader_net.c: network and DNS). Not part of the
 * public surface. */
#ifndef AEGISMON_LOADER_INT_H
#define AEGISMON_LOADER_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "loader.h"

struct domain_set;
struct endpoint_set;

/* loader_env.c */
int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);
/* Open options shared by every skeleton: the custom BTF, when given. */
void open_opts(struct bpf_object_open_opts *o);

/*
 * Open a family's skeleton from the ring buffer build of its object or from
 * the perf buffer build (bpf/maps.bpf.h). Both builds have the same programs
 * and maps by name, so the skeleton binds them the same way; the perf build's
 * extra map (its per-CPU event slot) is the object's own business.
 */
#define DEFINE_OPEN(fam)                                                                \
	static struct fam##_bpf *open_##fam(bool perfbuf)                             \
	{                                                                               \
		struct fam##_bpf *obj = calloc(1, sizeof(*obj));                      \
		struct bpf_object_open_opts opts;                                      \
		int e;                                                                  \
                                                                                        \
		if (!obj)                                                               \
			return NULL;                                                    \
		if (fam##_bpf__create_skeleton(obj))                                   \
			goto fail;                                                      \
		if (perfbuf)                                                            \
			obj->skeleton->data =                                           \
				(void *)fam##_perf_bpf__elf_bytes(&obj->skeleton->data_sz); \
		open_opts(&opts);                                                       \
		if (bpf_object__open_skeleton(obj->skeleton, &opts))                   \
			goto fail;                                                      \
		return obj;                                                             \
	fail:                                                                           \
		e = errno;                                                              \
		fam##_bpf__destroy(obj);                                               \
		errno = e;                                                              \
		return NULL;                                                            \
	}

/* loader.c */
int share_maps(struct loader *l, struct bpf_map *events, struct bpf_map *counters,
	       struct bpf_map *pids, struct bpf_map *names);
void family_failed(struct loader *l, const char *family, int rc);
int arm_set(struct bpf_program *const *progs, struct bpf_link **const *links, size_t n,
	    bool on);

/* loader_net.c: the network and DNS families, loaded and scoped by loader_open */
void load_netpath(struct loader *l, const struct endpoint_set *eps);
void load_dns(struct loader *l, const struct domain_set *doms);
void net_probes_pick(struct loader *l);
void scope_netpath(struct loader *l);
void scope_dns(struct loader *l);

#endif
