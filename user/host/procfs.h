/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Reading processes from /proc. Parsers are pure and fuzzed. */
#ifndef AEGISMON_PROCFS_H
#define AEGISMON_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	int pid;
	char comm[16];
	char state;
	int ppid;
	uint64_t starttime_ticks; /* field 22: clock ticks since boot */
};

/* Parse the text of /proc/<pid>/stat. 0 on success, -1 if malformed. */
int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out);

/* From /proc/<pid>/status: what the kernel says of who runs it and how. */
struct proc_status {
	char state;          /* R, S, D, T (stopped), t (tracing stop), Z, ... */
	uint32_t ruid;       /* real uid: the first of "Uid:" */
	uint32_t tracer_pid; /* 0 when not ptraced */
	/* optional lines, -1 when absent: "Seccomp:" (0 off, 1 strict, 2 filter;
	 * 3.8+) and "Seccomp_filters:" (how many filters, 5.9+) */
	int32_t seccomp;
	int32_t seccomp_filters;
};

/* Parse the text of /proc/<pid>/status: 0, or -1 when a field is missing or
 * malformed (buf need not end in NUL). */
int proc_parse_status(const char *buf, size_t len, struct proc_status *out);
int proc_read_status(int pid, struct proc_status *out);

/* readlink /proc/<pid>/exe; "" and -1 when gone or not permitted. */
/* The cgroup v2 path of a process from the text of /proc/PID/cgroup (its
 * "0::" line; buf need not end in NUL) into rel. 0, or -ENOENT: no cgroup v2
 * line, a removed cgroup (" (deleted)"), a path from outside our cgroup
 * namespace ("/../x"), or one longer than rel. */
/* Where the first file system of this type (and with this mount option, if
 * not NULL) is mounted, from /proc/self/mounts: 0, or -ENOENT / -errno. */
int proc_find_mount(const char *type, const char *option, char *out, size_t len);
/* Where cgroup v2 is mounted (the first cgroup2 entry of /proc/self/mounts):
 * 0, or -ENOENT / -errno. */
int proc_cgroup2_mount(char *out, size_t len);
int proc_parse_cgroup2(const char *buf, size_t len, char *rel, size_t rel_len);
int proc_read_exe(int pid, char *buf, size_t len);
int proc_read_stat(int pid, struct proc_stat *out);
/* Owner uid of /proc/<pid> (the real uid of the process). */
int proc_read_uid(int pid, uid_t *uid);
/* Command line with NULs turned into spaces; "" if none. */
int proc_read_cmdline(int pid, char *buf, size_t len);

/* Call fn for every numeric entry of /proc; stops early if fn returns non-zero. */
int proc_for_each_pid(int (*fn)(int pid, void *ctx), void *ctx);

#endif
