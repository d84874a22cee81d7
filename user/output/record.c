// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Record files: a writer for the live session, a defensive reader for replay
 * (the file may come from anywhere: every length is checked). */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "safefile.h"
#include "stderrlog.h"

#define RULE_BYTES (16 + 64 + 64 + 16 + 8 + 16 + 512 + 1)

static void put(struct recorder *r, const void *p, size_t n)
{
	if (!r->failed && n && fwrite(p, 1, n, r->f) != n) {
		r->failed = true;
		stderr_say(LOG_WARNING, "aegismon: record: write failed: %s (recording stops)\n", strerror(errno));
	}
}

static void put_u16(struct recorder *r, uint16_t v) { put(r, &v, 2); }
static void put_u32(struct recorder *r, uint32_t v) { put(r, &v, 4); }
static void put_u64(struct recorder *r, uint64_t v) { put(r, &v, 8); }

static void begin(struct recorder *r, uint32_t len, uint16_t kind)
{
	put_u32(r, len);
	put_u16(r, kind);
	put_u16(r, 0);
	r->records++;
}

void rec_abandon(struct recorder *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}

int rec_create(struct recorder *r, const char *path, char *err, size_t errlen)
{
	int fd;

	memset(r, 0, sizeof(*r));
	/* not emptied yet: a session that fails to start leaves an old record be */
	fd = safefile_open(path, 0, 0640, err, errlen);
	if (fd < 0)
		return -1;
	r->f = fdopen(fd, "w");
	if (!r->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

int rec_begin(struct recorder *r, const char *header_text, char *err, size_t errlen)
{
	size_t hl = strlen(header_text);

	if (hl > REC_HEADER_MAX)
		snprintf(err, errlen, "record header too large");
	else if (ftruncate(fileno(r->f), 0))
		snprintf(err, errlen, "%s", strerror(errno));
	else {
		put(r, REC_MAGIC, 8);
		put_u32(r, REC_VERSION);
		put_u32(r, AEGIS_ABI_VERSION);
		put_u32(r, (uint32_t)hl);
		put(r, header_text, hl);
		if (!r->failed)
			return 0;
		snprintf(err, errlen, "header: write failed");
	}
	rec_abandon(r);
	return -1;
}

static void put_str16(struct recorder *r, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_u16(r, (uint16_t)n);
	put(r, s, n);
}

void rec_event(struct recorder *r, const struct ev *e)
{
	size_t exe = strnlen(e->exe, sizeof(e->exe)), snd = strnlen(e->sender_exe, sizeof(e->sender_exe));
	size_t memcg = e->hdr.type == AEGIS_EV_OOM_VICTIM ? 2 + strnlen(e->memcg.path, sizeof(e->memcg.path)) + 24 : 0;

	if (!r->f || r->failed)
		return;
	begin(r, (uint32_t)(e->hdr.size + 2 + exe + 2 + snd + 2 + memcg), REC_EVENT);
	put(r, e, e->hdr.size);
	put_str16(r, e->exe, sizeof(e->exe));
	put_str16(r, e->sender_exe, sizeof(e->sender_exe));
	/* the live verdict on who the subject is: a replay cannot judge again */
	put(r, &e->ident, 1);
	put(r, &e->ident_why, 1);
	/* an OOM mark: the memory cgroup limit, read live */
	if (e->hdr.type == AEGIS_EV_OOM_VICTIM) {
		put_str16(r, e->memcg.path, sizeof(e->memcg.path));
		put_u64(r, e->memcg.max_bytes);
		put_u64(r, e->memcg.usage_bytes);
		put_u64(r, e->memcg.limit_hits);
	}
}

static void put_fixed(struct recorder *r, const char *s, size_t n)
{
	char buf[512];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, s, strnlen(s, n < sizeof(buf) ? n : sizeof(buf)));
	put(r, buf, n);
}

/* What refused a connect (refusal.h), after the rules of an enrichment. */
#define POLICY_BYTES (1 + 1 + 4 + 16 + 160 + 4 + 16 + 64 + 96)
#define UNREAD_BYTES 16 /* rules_unread, in place of a policy */

static void put_policy(struct recorder *r, const struct diag_policy *p)
{
	uint8_t mech = (uint8_t)p->mechanism, gone = p->gone;
	int32_t filters = p->seccomp_filters;

	put(r, &mech, 1);
	put(r, &gone, 1);
	put(r, &p->prog_id, 4);
	put_fixed(r, p->prog_name, 16);
	put_fixed(r, p->cgroup, 160);
	put(r, &filters, 4);
	put_fixed(r, p->lsm, 16);
	put_fixed(r, p->label, 64);
	put_fixed(r, p->lsms, 96);
}

void rec_enrich(struct recorder *r, uint32_t seq, const struct diagnosis *d)
{
	unsigned n = d->nrules > DIAG_MAX_RULES ? DIAG_MAX_RULES : d->nrules;

	bool policy = d->policy.mechanism != POLICY_NOT_INSPECTED;
	bool unread = !policy && d->rules_unread[0];

	if (!r->f || r->failed || (!n && !d->drop_symbol[0] && !policy && !unread))
		return;
	begin(r, (uint32_t)(4 + 96 + 4 + n * RULE_BYTES + (policy ? POLICY_BYTES : 0) +
			    (unread ? UNREAD_BYTES : 0)), REC_ENRICH);
	put_u32(r, seq);
	put_fixed(r, d->drop_symbol, 96);
	put_u32(r, n);
	for (unsigned i = 0; i < n; i++) {
		const struct nft_rule_match *m = &d->rules[i];
		uint8_t certain = m->certain;

		put_fixed(r, m->family, 16);
		put_fixed(r, m->table, 64);
		put_fixed(r, m->chain, 64);
		put_fixed(r, m->hook, 16);
		put_u64(r, m->handle);
		put_fixed(r, m->verdict, 16);
		put_fixed(r, m->text, 512);
		put(r, &certain, 1);
	}
	if (policy)
		put_policy(r, &d->policy);
	else if (unread)
		put_fixed(r, d->rules_unread, UNREAD_BYTES);
}

void rec_suspect(struct recorder *r, const struct rec_suspect *s)
{
	if (!r->f || r->failed)
		return;
	begin(r, 4 + 64 + 4 + 16, REC_SUSPECT);
	put_u32(r, s->seq);
	put_fixed(r, s->product, 64);
	put(r, &s->pid, 4);
	put_fixed(r, s->comm, 16);
}

int rec_settings(struct recorder *r, uint64_t ts_ns, const char *text)
{
	size_t n = strlen(text);

	if (n > REC_RECORD_MAX - 8)
		return -1;
	if (!r->f || r->failed)
		return 0;
	begin(r, (uint32_t)(8 + n), REC_SETTINGS);
	put_u64(r, ts_ns);
	put(r, text, n);
	return 0;
}

int rec_close(struct recorder *r, const struct rec_end *end)
{
	int rc = 0;

	if (!r->f)
		return 0;
	begin(r, 7 * 8, REC_END);
	put_u64(r, end->end_ns);
	put_u64(r, end->events);
	put_u64(r, end->pidset_full);
	put_u64(r, end->socks_full);
	put_u64(r, end->dns_seen);
	put_u64(r, end->dns_other);
	put_u64(r, end->malformed);
	if (fclose(r->f) || r->failed)
		rc = r->failed ? -EIO : -errno;
	r->f = NULL;
	return rc;
}

/* ---- reading ---- */

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static void take(struct cursor *c, void *out, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = true;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
}

/* a fixed-size string field into a buffer of the same size, NUL-terminated */
static void take_str(struct cursor *c, char *out, size_t n)
{
	take(c, out, n);
	out[n - 1] = '\0';
}

/* A rules_unread code; one this version does not know (a newer writer's, or
 * a forged file's) is left out, as the JSON contract lists the codes. */
static void take_unread(struct cursor *c, char *out, size_t n)
{
	static const char *const known[] = { RULES_UNREAD_TIMEOUT, RULES_UNREAD_NO_NFT,
					     RULES_UNREAD_TOO_LARGE, RULES_UNREAD_NFT_FAILED,
					     RULES_UNREAD_NETNS_GONE };

	take_str(c, out, n);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(out, known[i]))
			return;
	out[0] = '\0';
}

static int take_policy(struct cursor *c, struct diag_policy *p)
{
	uint8_t mech = 0, gone = 0;
	int32_t filters = -1;

	take(c, &mech, 1);
	take(c, &gone, 1);
	take(c, &p->prog_id, 4);
	take_str(c, p->prog_name, sizeof(p->prog_name));
	take_str(c, p->cgroup, sizeof(p->cgroup));
	take(c, &filters, 4);
	take_str(c, p->lsm, sizeof(p->lsm));
	take_str(c, p->label, sizeof(p->label));
	take_str(c, p->lsms, sizeof(p->lsms));
	if (c->bad || mech > POLICY_UNKNOWN || filters < -1)
		return -1;
	p->mechanism = (enum policy_mechanism)mech;
	p->gone = gone != 0;
	p->seccomp_filters = filters;
	return 0;
}

static void take_str16(struct cursor *c, char *out, size_t cap)
{
	uint16_t n = 0;

	take(c, &n, 2);
	if (c->bad || n >= cap || n > c->left) {
		c->bad = true;
		out[0] = '\0';
		return;
	}
	memcpy(out, c->p, n);
	out[n] = '\0';
	c->p += n;
	c->left -= n;
}

int rec_decode(uint16_t kind, const uint8_t *p, size_t len, struct rec_item *out)
{
	struct cursor c = { p, len, false };

	if (kind == REC_EVENT) {
		/* the hot path of a replay: the event is decoded over the one
		 * before (out is the reader's item again), clearing only what that
		 * one used; anything else in out gets the full ev_decode. A failure
		 * leaves out unknown for the next call. */
		bool again = out->kind == REC_EVENT;
		struct aegis_hdr h;

		out->kind = (enum rec_kind)0;
		if (len < sizeof(h))
			return -1;
		memcpy(&h, p, sizeof(h));
		if (h.size > len || (again ? ev_decode_again(p, h.size, &out->ev) : ev_decode(p, h.size, &out->ev)))
			return -1;
		c.p += h.size;
		c.left -= h.size;
		take_str16(&c, out->ev.exe, sizeof(out->ev.exe));
		take_str16(&c, out->ev.sender_exe, sizeof(out->ev.sender_exe));
		/* absent in recordings made before the verdict was kept: unverified */
		out->ev.ident = IDENT_UNVERIFIED;
		out->ev.ident_why = 0;
		if (!c.bad && c.left >= 2) {
			take(&c, &out->ev.ident, 1);
			take(&c, &out->ev.ident_why, 1);
			if (out->ev.ident > IDENT_OTHER)
				return -1;
		}
		/* absent in recordings made before it was kept: none known */
		memset(&out->ev.memcg, 0, sizeof(out->ev.memcg));
		if (!c.bad && out->ev.hdr.type == AEGIS_EV_OOM_VICTIM && c.left >= 2) {
			take_str16(&c, out->ev.memcg.path, sizeof(out->ev.memcg.path));
			take(&c, &out->ev.memcg.max_bytes, 8);
			take(&c, &out->ev.memcg.usage_bytes, 8);
			take(&c, &out->ev.memcg.limit_hits, 8);
		}
		if (c.bad)
			return -1;
		out->kind = REC_EVENT;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	out->kind = (enum rec_kind)kind;
	switch (kind) {
	case REC_ENRICH: {
		struct rec_enrich *en = &out->enrich;
		uint32_t n = 0;

		take(&c, &en->seq, 4);
		take_str(&c, en->drop_symbol, sizeof(en->drop_symbol));
		take(&c, &n, 4);
		if (c.bad || n > DIAG_MAX_RULES)
			return -1;
		en->nrules = n;
		for (uint32_t i = 0; i < n; i++) {
			struct nft_rule_match *m = &en->rules[i];
			uint8_t certain = 0;

			take_str(&c, m->family, sizeof(m->family));
			take_str(&c, m->table, sizeof(m->table));
			take_str(&c, m->chain, sizeof(m->chain));
			take_str(&c, m->hook, sizeof(m->hook));
			take(&c, &m->handle, 8);
			take_str(&c, m->verdict, sizeof(m->verdict));
			take_str(&c, m->text, sizeof(m->text));
			take(&c, &certain, 1);
			m->certain = certain != 0;
		}
		if (!c.bad && c.left >= POLICY_BYTES && take_policy(&c, &en->policy))
			return -1;
		else if (!c.bad && c.left >= UNREAD_BYTES)
			take_unread(&c, en->rules_unread, sizeof(en->rules_unread));
		return c.bad ? -1 : 0;
	}
	case REC_SUSPECT:
		take(&c, &out->suspect.seq, 4);
		take_str(&c, out->suspect.product, sizeof(out->suspect.product));
		take(&c, &out->suspect.pid, 4);
		take_str(&c, out->suspect.comm, sizeof(out->suspect.comm));
		return c.bad ? -1 : 0;
	case REC_SETTINGS:
		take(&c, &out->settings.ts_ns, 8);
		if (c.bad || memchr(c.p, '\0', c.left))
			return -1;
		out->settings.text = (const char *)c.p;
		out->settings.len = (uint32_t)c.left;
		return 0;
	case REC_END:
		take(&c, &out->end.end_ns, 8);
		take(&c, &out->end.events, 8);
		take(&c, &out->end.pidset_full, 8);
		take(&c, &out->end.socks_full, 8);
		take(&c, &out->end.dns_seen, 8);
		take(&c, &out->end.dns_other, 8);
		take(&c, &out->end.malformed, 8);
		return c.bad ? -1 : 0;
	default:
		return 1;
	}
}

int rec_reader_open(struct rec_reader *r, const char *path, char *err, size_t errlen)
{
	char magic[8];
	uint32_t hl = 0;

	memset(r, 0, offsetof(struct rec_reader, buf));
	r->f = fopen(path, "re");
	if (!r->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fread(magic, 1, 8, r->f) != 8 || memcmp(magic, REC_MAGIC, 8)) {
		snprintf(err, errlen, "%s: not an aegismon record file", path);
		goto bad;
	}
	if (fread(&r->version, 4, 1, r->f) != 1 || fread(&r->abi, 4, 1, r->f) != 1 ||
	    fread(&hl, 4, 1, r->f) != 1) {
		snprintf(err, errlen, "%s: header cut short", path);
		goto bad;
	}
	if (r->version != REC_VERSION) {
		snprintf(err, errlen, "%s: record format %u, this aegismon reads %u", path, r->version, (unsigned)REC_VERSION);
		goto bad;
	}
	/* ABI 2 recordings read on: their exec events lack what ABI 3 appended */
	if (r->abi < 2 || r->abi > AEGIS_ABI_VERSION) {
		snprintf(err, errlen, "%s: event ABI %u, this aegismon speaks %u", path, r->abi, (unsigned)AEGIS_ABI_VERSION);
		goto bad;
	}
	if (hl > REC_HEADER_MAX || fread(r->header, 1, hl, r->f) != hl) {
		snprintf(err, errlen, "%s: header cut short or too large", path);
		goto bad;
	}
	r->header[hl] = '\0';
	if (memchr(r->header, '\0', hl)) {
		snprintf(err, errlen, "%s: header is not text", path);
		goto bad;
	}
	r->first_record = ftell(r->f);
	r->buf_off = r->first_record;
	return 0;
bad:
	fclose(r->f);
	r->f = NULL;
	return -1;
}

const char *rec_header_get(const struct rec_reader *r, const char *key, char *buf, size_t len)
{
	return rec_text_get(r->header, key, buf, len);
}

const char *rec_text_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n > kl + 3 && !strncmp(line, key, kl) && !strncmp(line + kl, " = ", 3)) {
			size_t v = n - kl - 3;

			if (v >= len)
				v = len - 1;
			memcpy(buf, line + kl + 3, v);
			buf[v] = '\0';
			return buf;
		}
		line += n + (nl != NULL);
	}
	return NULL;
}

/* At least n bytes at buf[pos], reading more when needed; false at the end
 * of the file (a record cut short by a crash ends the replay there). */
static bool rec_fill(struct rec_reader *r, size_t n)
{
	if (r->have - r->pos >= n)
		return true;
	memmove(r->buf, r->buf + r->pos, r->have - r->pos);
	r->buf_off += (long)r->pos;
	r->have -= r->pos;
	r->pos = 0;
	while (r->have < n) {
		size_t got = fread(r->buf + r->have, 1, sizeof(r->buf) - r->have, r->f);

		if (got == 0)
			return false;
		r->have += got;
	}
	return true;
}

int rec_next(struct rec_reader *r, struct rec_item *out, char *err, size_t errlen)
{
	for (;;) {
		const uint8_t *p;
		long at;
		uint32_t len;
		uint16_t kind;
		int rc;

		if (!rec_fill(r, 8))
			return 0; /* the end, or a record cut short by a crash */
		at = r->buf_off + (long)r->pos;
		memcpy(&len, r->buf + r->pos, 4);
		memcpy(&kind, r->buf + r->pos + 4, 2);
		if (len > REC_RECORD_MAX) {
			snprintf(err, errlen, "record of %u bytes at offset %ld", len, at);
			return -1;
		}
		if (!rec_fill(r, 8 + (size_t)len))
			return 0;
		p = r->buf + r->pos + 8;
		r->pos += 8 + (size_t)len;
		rc = rec_decode(kind, p, len, out);
		if (rc == 1)
			continue; /* a newer kind: skip */
		if (rc < 0) {
			snprintf(err, errlen, "malformed record (kind %u, %u bytes) at offset %ld", kind, len, at);
			return -1;
		}
		return 1;
	}
}

void rec_rewind(struct rec_reader *r)
{
	fseek(r->f, r->first_record, SEEK_SET);
	r->buf_off = r->first_record;
	r->pos = r->have = 0;
}

void rec_reader_close(struct rec_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}
