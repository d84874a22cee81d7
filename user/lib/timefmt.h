/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The event clock, and event times to wall-clock text. */
#ifndef AEGISMON_TIMEFMT_H
#define AEGISMON_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The event clock: the clock of every kernel event time (bpf/maps.bpf.h
 * aegis_now_ns) and of everything compared with one. The boot clock
 * (CLOCK_BOOTTIME, counts suspend, as /proc starttimes do) where the kernel
 * has bpf_ktime_get_boot_ns (5.8+), CLOCK_MONOTONIC before. Recordings made
 * before the boot clock are monotonic throughout, which is as consistent.
 */

/* A time namespace's offsets to the host's clocks (/proc/self/timens_offsets):
 * clock_gettime() and /proc starttimes inside it carry them, BPF helpers
 * do not. Zero outside a time namespace and before 5.6. */
struct timens_offsets {
	int64_t mono_ns;
	int64_t boot_ns;
};

/* Parse the text of timens_offsets ("monotonic 100000 0\nboottime 0 0\n",
 * clocks by name or id): 0, or -EINVAL with out zeroed on any bad line. */
int timens_parse(const char *text, size_t len, struct timens_offsets *out);
/* Read /proc/self/timens_offsets: 0 (no file: zeros), or a negative errno
 * with out zeroed. */
int timens_read(struct timens_offsets *out);

/* Set the event clock (boot: the kernel has bpf_ktime_get_boot_ns) and read
 * this process's time namespace offsets. Before any call: the boot clock,
 * no offsets. */
int clock_event_init(bool boot);
/* Do /proc starttimes carry the time namespace's boot offset? Judged from a
 * process that started moments before boot_now_ns (ours) at self_start_ns as
 * /proc says; kernels differ. */
bool proc_starts_offset(int64_t boot_now_ns, int64_t self_start_ns, int64_t boot_off_ns);
bool clock_event_is_boot(void);
/* "boottime" or "monotonic": as the record header and --features say. */
const char *clock_event_name(void);
/* Now, on the event clock, in the host's terms (as BPF sees it). */
uint64_t clock_event_ns(void);

/* A /proc/PID/stat starttime (ticks on this namespace's boot clock) on the
 * event clock: the namespace's boot offset taken off, and on the monotonic
 * clock the time suspended so far (boot - monotonic, host terms) too. 0 when
 * it does not fit (unknown). Pure: the unit tests drive it. */
uint64_t proc_start_to_event_ns(uint64_t ticks, long clk_tck, bool boot,
				const struct timens_offsets *off, int64_t suspended_ns);
/* The same with this process's clock and offsets. */
uint64_t clock_event_from_proc_ticks(uint64_t ticks, long clk_tck);

/* realtime = event time + offset; measured once per session (and recorded,
 * as "mono_to_real_ns": the header's name from before the boot clock). */
struct clockmap {
	int64_t mono_to_real_ns;
};

void clockmap_init_now(struct clockmap *cm);

/* RFC 3339, UTC, milliseconds: 2026-11-26T18:00:00.123Z */
#define RFC3339_LEN 32
void fmt_rfc3339(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len);
/* Local time of day for humans: 18:00:00.123 */
void fmt_clock(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len);

#endif
