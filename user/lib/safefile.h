/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Files root writes in directories other users may write to (/tmp, a shared
 * log or textfile directory): the JSON log and its rotation, the metrics
 * file, the record, the HTML reports. Nothing we write goes through a name
 * another user planted there.
 *
 * The path is walked one directory at a time: a symlink in a directory that
 * someone other than root can write is refused; the last component is never
 * followed (O_NOFOLLOW). The file must be a regular file of root's (or of the
 * effective uid's) with one link: a FIFO, socket or device (opened with
 * O_NONBLOCK, so a FIFO cannot block us), a file another user made, or a hard
 * link to some other file is refused, never written. The final mode is set
 * with fchmod, whatever the old file or the umask had.
 *
 * The directory that holds the file: world-writable without the sticky bit
 * (anyone can swap the file at any time) is refused; writable by anyone else
 * otherwise (sticky like /tmp, group-writable, owned by another user) is said
 * once per directory on stderr: other users can remove or replace the file
 * there, or make the next open fail, though never write through it.
 *
 * Every function: 0 (or an fd), or -errno with the path and the reason in
 * err. Not thread-safe (the warned-directory memory): the event loop's.
 */
#ifndef AEGISMON_SAFEFILE_H
#define AEGISMON_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

#define SAFEFILE_APPEND 0x1     /* open: keep the content, write at the end */
#define SAFEFILE_TRUNC 0x2      /* open: empty it once it passed the checks */
#define SAFEFILE_NO_TMPFILE 0x4 /* replace: a random name instead of O_TMPFILE (tests) */

/* Open path for writing (created with mode if missing). An fd, blocking, or -errno. */
int safefile_open(const char *path, int flags, mode_t mode, char *err, size_t errlen);

/*
 * Write data to path as a whole new file with mode: a file without a name
 * (O_TMPFILE), or else one with a random name made with O_EXCL, in path's
 * directory, then renamed over path (a symlink or FIFO there is replaced,
 * not followed; a directory is refused). Nothing is left behind on error.
 */
int safefile_replace(const char *path, const void *data, size_t len, mode_t mode, int flags,
		     char *err, size_t errlen);

/*
 * Rotate path: path.keep-1 -> path.keep, ..., path -> path.1 (the oldest
 * goes). A name that is not a file of ours (planted: a symlink, a FIFO,
 * another user's file) is not moved along, and said on stderr. 0 or -errno
 * (the first rename that failed).
 */
int safefile_rotate(const char *path, unsigned keep, char *err, size_t errlen);

/* A temporary name for base: "." base "." 16 random hex digits (out: at least NAME_MAX + 1). */
int safefile_temp_name(const char *base, char *out, size_t outlen);

#endif
