/* Event time (CLOCK_MONOTONIC ns) to wall-clock text. */
#ifndef AEGISMON_TIMEFMT_H
#define AEGISMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* realtime = monotonic + offset; measured once per session (and recorded). */
struct clockmap {
	int64_t mono_to_real_ns;
};

void clockmap_init_now(struct clockmap *cm);
uint64_t clock_mono_ns(void);

/* RFC 3339, UTC, milliseconds: 2026-11-26T18:00:00.123Z */
#define RFC3339_LEN 32
void fmt_rfc3339(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len);
/* Local time of day for humans: 18:00:00.123 */
void fmt_clock(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len);

#endif
