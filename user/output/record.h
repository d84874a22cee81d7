/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The record file of `aegismon trace --record FILE`, read by `aegismon replay`.
 * Every event the correlator saw, in order, with what the live session knew
 * around it, so that a replay runs the same correlator on the same input and
 * prints the same diagnoses.
 *
 * Format (version 1; integers little-endian, strings NUL-padded):
 *   header   "AEGISREC" | u32 format version | u32 event ABI version |
 *            u32 header length H | H bytes of key=value text lines: host,
 *            kernel, machine, start/clock offset, probes, the agent install,
 *            and the effective settings (the lines of --check-config)
 *   records  u32 payload length | u16 kind | u16 0 | payload, where kind is
 *     1 EVENT    the event as the kernel ABI lays it out (hdr.size bytes),
 *                then u16 n + n bytes of exe, u16 n + n bytes of sender exe,
 *                then u8 identity, u8 why (enum agent_identity, agent_why:
 *                the live verdict; absent before ABI 3, read as unverified)
 *     2 ENRICH   u32 diagnosis number, char[96] drop symbol, u32 rule count,
 *                per rule: char family[16], table[64], chain[64], hook[16],
 *                u64 handle, char verdict[16], text[512], u8 certain
 *     3 SUSPECT  u32 diagnosis number, char product[64], i32 pid, char comm[16]
 *     4 END      u64 end time, events, pidset_full, socks_full, dns_seen,
 *                dns_other, malformed
 *     5 SETTINGS u64 time (CLOCK_MONOTONIC), then text without NUL bytes, as
 *                the header's from "root = " on: a SIGHUP reload applied
 *                here, between the events before and after it
 * A reader skips kinds it does not know; a file cut short (a crash) replays
 * up to its last whole record.
 */
#ifndef AEGISMON_RECORD_H
#define AEGISMON_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diagnosis.h"
#include "ev.h"

#define REC_MAGIC "AEGISREC"
#define REC_VERSION 1
#define REC_HEADER_MAX 65536
#define REC_RECORD_MAX 65536

enum rec_kind { REC_EVENT = 1, REC_ENRICH = 2, REC_SUSPECT = 3, REC_END = 4, REC_SETTINGS = 5 };

struct rec_end {
	uint64_t end_ns, events, pidset_full, socks_full, dns_seen, dns_other, malformed;
};

struct rec_suspect {
	uint32_t seq;
	char product[64];
	int32_t pid;
	char comm[16];
};

struct rec_enrich {
	uint32_t seq;
	char drop_symbol[96];
	unsigned nrules;
	struct nft_rule_match rules[DIAG_MAX_RULES];
	/* after the rules, when the live session looked at what refused a connect
	 * (connect_blocked_policy); readers before it ignore the bytes */
	struct diag_policy policy;
	/* or instead (a local drop never has a policy): why the rules were not read;
	 * shorter than a policy, so readers before it ignore it too */
	char rules_unread[16];
};

/* The settings a reload applied: text points into the reader's buffer (or
 * the decoded payload), valid until the next record is read. */
struct rec_settings {
	uint64_t ts_ns;
	const char *text; /* len bytes, no NUL among them, not NUL-terminated */
	uint32_t len;
};

struct rec_item {
	enum rec_kind kind;
	union {
		struct ev ev;
		struct rec_enrich enrich;
		struct rec_suspect suspect;
		struct rec_end end;
		struct rec_settings settings;
	};
};

struct recorder {
	FILE *f;
	bool failed;       /* a write failed: the rest is not recorded (said once) */
	uint64_t records;
};

/* Open path (safefile_open: 0640, never through a symlink or a planted
 * file), not emptied yet: at start, before the header is known. 0, or -1
 * with the reason in err. */
int rec_create(struct recorder *r, const char *path, char *err, size_t errlen);
/* Empty the file and write the header text. 0, or -1 with the reason in err
 * (the file is closed: nothing more is recorded). */
int rec_begin(struct recorder *r, const char *header_text, char *err, size_t errlen);
/* Close without a header or an end: nothing more is recorded. */
void rec_abandon(struct recorder *r);
void rec_event(struct recorder *r, const struct ev *e);
void rec_enrich(struct recorder *r, uint32_t seq, const struct diagnosis *d);
void rec_suspect(struct recorder *r, const struct rec_suspect *s);
/* A reload: the settings from now on (the header's text from "root = " on,
 * see trace_output.c and trace_reload.c). 0, or -1 if too large for a record (nothing written). */
int rec_settings(struct recorder *r, uint64_t ts_ns, const char *text);
/* Write END, flush, close. 0, or -errno if anything was lost. */
int rec_close(struct recorder *r, const struct rec_end *end);

/*
 * Decode one record payload of the given kind into out (pure: fuzzed).
 * 0, 1 for a kind this version does not know (skip it), -1 if malformed.
 */
int rec_decode(uint16_t kind, const uint8_t *p, size_t len, struct rec_item *out);

/* Records are decoded in place from a buffer of several records, filled by
 * large reads: no stdio call and no copy per record (a replay's hot path). */
#define REC_READ_BUF (4 * REC_RECORD_MAX)

struct rec_reader {
	FILE *f;
	char header[REC_HEADER_MAX + 1];
	uint32_t version, abi;
	long first_record;  /* file offset, for a second pass */
	long buf_off;       /* file offset of buf[0] */
	size_t pos, have;   /* next record at buf[pos]; buf[0..have) read */
	uint8_t buf[REC_READ_BUF];
};

/* Open and check the header. 0, or -1 with the reason in err. */
int rec_reader_open(struct rec_reader *r, const char *path, char *err, size_t errlen);
/* The value of "key" in the header text, or NULL. */
const char *rec_header_get(const struct rec_reader *r, const char *key, char *buf, size_t len);
/* The same in any such text ("key = value" lines). */
const char *rec_text_get(const char *text, const char *key, char *buf, size_t len);
/* Next record: 1 with out filled, 0 at the end, -1 malformed (err set). */
int rec_next(struct rec_reader *r, struct rec_item *out, char *err, size_t errlen);
void rec_rewind(struct rec_reader *r);
void rec_reader_close(struct rec_reader *r);

#endif
