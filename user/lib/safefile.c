// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Opening, replacing and rotating the files root writes, where other users
 * may have planted names (see safefile.h). */
#include "safefile.h"
#include "stderrlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_TRIES 16
#define WARNED_DIRS 16

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* root's, or ours when we run as another uid with capabilities */
static bool ours(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* someone else can create, rename or remove names in this directory */
static bool others_can_write(const struct stat *st)
{
	return !ours(st) || (st->st_mode & (S_IWGRP | S_IWOTH));
}

static const char *kind_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "a file of unknown type";
	}
}

/* Said once per directory for the life of the process: the metrics file is
 * rewritten every 5 s. */
static void warn_once(const struct stat *st, const char *dir)
{
	static struct {
		dev_t dev;
		ino_t ino;
	} warned[WARNED_DIRS];
	static unsigned n;

	for (unsigned i = 0; i < n && i < WARNED_DIRS; i++)
		if (warned[i].dev == st->st_dev && warned[i].ino == st->st_ino)
			return;
	warned[n % WARNED_DIRS].dev = st->st_dev;
	warned[n % WARNED_DIRS].ino = st->st_ino;
	n++;
	stderr_say(LOG_WARNING, "aegismon: warning: directory %s (mode %04o, uid %u, gid %u) is writable by "
			"other users: they can remove or replace what aegismon writes there, or make its "
			"next open fail (never write through it); use a directory only root can write\n",
		dir, (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid, (unsigned)st->st_gid);
}

/* path -> its directory part (empty: the working directory) and last name */
static int split_path(const char *path, char *dir, size_t dirlen, char *base, size_t baselen,
		      char *err, size_t errlen)
{
	const char *slash, *name;
	size_t dl;

	dir[0] = base[0] = '\0';
	if (!path || !path[0])
		return fail(err, errlen, -EINVAL, "empty file name");
	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail(err, errlen, -EISDIR, "%s names a directory, not a file", path);
	if (strlen(name) >= baselen)
		return fail(err, errlen, -ENAMETOOLONG, "%s: file name too long", path);
	dl = slash ? (size_t)(slash - path) : 0;
	if (dl == 0 && slash)
		dl = 1; /* "/name": the root */
	if (dl >= dirlen)
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	snprintf(base, baselen, "%s", name);
	return 0;
}

/*
 * The directory, walked one name at a time from / (or the working
 * directory): a symlink is followed only where no one but root can have
 * put it. An O_PATH fd, or -errno.
 */
static int walk_dir(const char *path, const char *dir, char *err, size_t errlen)
{
	char buf[PATH_MAX], *save = NULL, *name;
	int fd = open(dir[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, -errno, "%s: cannot open %s: %s", path, dir[0] == '/' ? "/" : ".",
			    strerror(errno));
	snprintf(buf, sizeof(buf), "%s", dir);
	for (name = strtok_r(buf, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		int flags = O_PATH | O_DIRECTORY | O_CLOEXEC, next, e;
		struct stat st;

		if (!strcmp(name, "."))
			continue;
		if (fstat(fd, &st) == 0 && others_can_write(&st))
			flags |= O_NOFOLLOW;
		next = openat(fd, name, flags);
		if (next < 0) {
			e = errno;
			if ((flags & O_NOFOLLOW) && !fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode)) {
				close(fd);
				return fail(err, errlen, -ELOOP,
					    "%s: '%s' is a symbolic link (uid %u) in a directory other users "
					    "can write: refused", path, name, (unsigned)st.st_uid);
			}
			close(fd);
			return fail(err, errlen, -e, "%s: directory '%s': %s", path, name, strerror(e));
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* The directory that holds the file: refused, said once, or fine. */
static int check_dir(int dfd, const char *path, const char *dir, char *err, size_t errlen)
{
	const char *shown = dir[0] ? dir : ".";
	struct stat st;

	if (fstat(dfd, &st))
		return fail(err, errlen, -errno, "%s: %s: %s", path, shown, strerror(errno));
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return fail(err, errlen, -EPERM,
			    "%s: directory %s is world-writable without the sticky bit (mode %04o): "
			    "anyone can swap the file there: refused", path, shown,
			    (unsigned)(st.st_mode & 07777));
	if (others_can_write(&st))
		warn_once(&st, shown);
	return 0;
}

/* The directory of path, checked, as an O_PATH fd; its last name in base. */
static int open_parent(const char *path, char *base, size_t baselen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int dfd, rc;

	rc = split_path(path, dir, sizeof(dir), base, baselen, err, errlen);
	if (rc)
		return rc;
	dfd = walk_dir(path, dir, err, errlen);
	if (dfd < 0)
		return dfd;
	rc = check_dir(dfd, path, dir, err, errlen);
	if (rc) {
		close(dfd);
		return rc;
	}
	return dfd;
}

/* Why an open of an existing name failed: say what is there. */
static int explain_open_failure(int dfd, const char *base, const char *path, int e, char *err,
				size_t errlen)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
		return fail(err, errlen, -e, "%s: %s", path, strerror(e));
	if (S_ISLNK(st.st_mode))
		return fail(err, errlen, -ELOOP, "%s is a symbolic link (uid %u): refused, never followed",
			    path, (unsigned)st.st_uid);
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -EINVAL, "%s is %s (uid %u), not a regular file: refused", path,
			    kind_of(st.st_mode), (unsigned)st.st_uid);
	if (!ours(&st))
		return fail(err, errlen, -EPERM, "%s is owned by uid %u, not root: refused (remove it)",
			    path, (unsigned)st.st_uid);
	return fail(err, errlen, -e, "%s: %s", path, strerror(e));
}

/* What we opened: a regular file of ours with no other name. */
static int check_opened(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -EINVAL, "%s is %s (uid %u), not a regular file: refused", path,
			    kind_of(st.st_mode), (unsigned)st.st_uid);
	if (!ours(&st))
		return fail(err, errlen, -EPERM, "%s is owned by uid %u, not root: refused (remove it)",
			    path, (unsigned)st.st_uid);
	if (st.st_nlink > 1)
		return fail(err, errlen, -EMLINK,
			    "%s has %lu hard links: refused (it may be a link to another file)", path,
			    (unsigned long)st.st_nlink);
	return 0;
}

/* The open was O_NONBLOCK so that a FIFO could not hold it; writes block. */
static int set_blocking(int fd, const char *path, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK))
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int safefile_open(const char *path, int flags, mode_t mode, char *err, size_t errlen)
{
	char base[NAME_MAX + 1];
	int dfd, fd, rc;
	int oflags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	if (flags & SAFEFILE_APPEND)
		oflags |= O_APPEND;
	dfd = open_parent(path, base, sizeof(base), err, errlen);
	if (dfd < 0)
		return dfd;
	/* never O_TRUNC here: what is there is checked before anything changes */
	fd = openat(dfd, base, oflags, mode);
	if (fd < 0) {
		rc = explain_open_failure(dfd, base, path, errno, err, errlen);
		close(dfd);
		return rc;
	}
	close(dfd);
	rc = check_opened(fd, path, err, errlen);
	if (!rc && (flags & SAFEFILE_TRUNC) && ftruncate(fd, 0))
		rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (!rc && fchmod(fd, mode))
		rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (!rc)
		rc = set_blocking(fd, path, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* splitmix64: spreads a weak seed when getrandom has nothing yet (early
 * boot); O_EXCL keeps the file ours either way. */
static uint64_t weak_random(void)
{
	static uint64_t counter;
	struct timespec ts;
	uint64_t z;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 40) ^
	    (++counter * 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int safefile_temp_name(const char *base, char *out, size_t outlen)
{
	uint64_t v;
	int n;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = weak_random();
	/* hidden, and not ending like the target: a textfile collector skips it */
	n = snprintf(out, outlen, ".%.200s.%016llx", base, (unsigned long long)v);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* make(name) under random names from base until one is new: its result
 * (>= 0), -errno, or -EEXIST when every try found its name taken. */
static int with_temp_name(const char *base, char *tmp, size_t tmplen, int (*make)(const char *name, void *arg),
			  void *arg)
{
	for (int i = 0; i < TEMP_TRIES; i++) {
		int rc;

		if (safefile_temp_name(base, tmp, tmplen))
			break;
		rc = make(tmp, arg);
		if (rc >= 0)
			return rc;
		if (rc != -EEXIST) {
			tmp[0] = '\0';
			return rc;
		}
	}
	tmp[0] = '\0';
	return -EEXIST;
}

struct temp_args {
	int dfd, fd;
	mode_t mode;
};

static int open_excl(const char *name, void *arg)
{
	const struct temp_args *a = arg;
	int fd = openat(a->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, a->mode);

	return fd >= 0 ? fd : -errno;
}

/* A new file under a random name in dfd (where O_TMPFILE is missing). */
static int create_named_temp(int dfd, const char *base, mode_t mode, char *tmp, size_t tmplen)
{
	struct temp_args a = { .dfd = dfd, .mode = mode };

	return with_temp_name(base, tmp, tmplen, open_excl, &a);
}

static int link_as(const char *name, void *arg)
{
	const struct temp_args *a = arg;
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->fd);
	return linkat(AT_FDCWD, proc, a->dfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* Give the O_TMPFILE file a random name in dfd (linkat never replaces). */
static int link_temp(int dfd, int fd, const char *base, char *tmp, size_t tmplen)
{
	struct temp_args a = { .dfd = dfd, .fd = fd };

	return with_temp_name(base, tmp, tmplen, link_as, &a);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int safefile_replace(const char *path, const void *data, size_t len, mode_t mode, int flags,
		     char *err, size_t errlen)
{
	char base[NAME_MAX + 1], tmp[NAME_MAX + 1] = "";
	struct stat st;
	int dfd, fd = -1, rc;

	dfd = open_parent(path, base, sizeof(base), err, errlen);
	if (dfd < 0)
		return dfd;
	if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode)) {
		close(dfd);
		return fail(err, errlen, -EISDIR, "%s is a directory: refused", path);
	}
	if (!(flags & SAFEFILE_NO_TMPFILE))
		fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) /* not on this file system or kernel: a random name */
		fd = create_named_temp(dfd, base, mode, tmp, sizeof(tmp));
	if (fd < 0) {
		close(dfd);
		return fail(err, errlen, fd, "%s: temporary file: %s", path, strerror(-fd));
	}
	rc = write_all(fd, data, len);
	if (!rc && fchmod(fd, mode)) /* exactly mode, whatever the umask */
		rc = -errno;
	if (!rc && !tmp[0])
		rc = link_temp(dfd, fd, base, tmp, sizeof(tmp));
	/* replaces whatever is at base, a symlink or FIFO included, never opens it */
	if (!rc && renameat(dfd, tmp, dfd, base))
		rc = -errno;
	if (rc && tmp[0])
		unlinkat(dfd, tmp, 0);
	if (close(fd) && !rc)
		rc = -errno;
	close(dfd);
	if (rc)
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	return 0;
}

/* A rotated name worth moving along: a regular file of ours with one link. */
static bool rotatable(int dfd, const char *name, const char *path, unsigned k)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return false;
	if (S_ISREG(st.st_mode) && ours(&st) && st.st_nlink == 1)
		return true;
	/* %.0u prints nothing for k = 0: the live file itself */
	stderr_say(LOG_WARNING, "aegismon: rotate: %s%s%.0u is %s (uid %u, nlink %lu), not a file of ours: "
			"left alone\n", path, k ? "." : "", k, kind_of(st.st_mode), (unsigned)st.st_uid,
		(unsigned long)st.st_nlink);
	return false;
}

int safefile_rotate(const char *path, unsigned keep, char *err, size_t errlen)
{
	char base[NAME_MAX + 1], from[NAME_MAX + 1], to[NAME_MAX + 1];
	int dfd, rc = 0;

	dfd = open_parent(path, base, sizeof(base), err, errlen);
	if (dfd < 0)
		return dfd;
	if (strlen(base) + 12 > NAME_MAX) {
		close(dfd);
		return fail(err, errlen, -ENAMETOOLONG, "%s: name too long to rotate", path);
	}
	for (unsigned k = keep; k >= 1; k--) {
		if (k == 1)
			snprintf(from, sizeof(from), "%s", base);
		else
			snprintf(from, sizeof(from), "%s.%u", base, k - 1);
		snprintf(to, sizeof(to), "%s.%u", base, k);
		if (!rotatable(dfd, from, path, k - 1))
			continue;
		/* to: replaced, whatever is there (a directory makes it fail) */
		if (renameat(dfd, from, dfd, to) && !rc) {
			rc = -errno;
			if (k == 1)
				fail(err, errlen, rc, "rotate %s to %s.1: %s", path, path, strerror(-rc));
			else
				fail(err, errlen, rc, "rotate %s.%u to %s.%u: %s", path, k - 1, path, k,
				     strerror(-rc));
		}
	}
	close(dfd);
	return rc;
}
