/*
 * Fuzz the correlator: any sequence of decodable events, in any order, with
 * any times, must neither crash nor leak, and every diagnosis delivered must
 * be well-formed (and render).
 *
 * Input: one config byte, then fixed-size chunks of FUZZ_CHUNK bytes, each a
 * raw record checked by ev_decode (chunks it rejects are skipped). The
 * correlator ignores hdr.cpu, so its bits steer the fuzzer toward
 * interesting states instead: see steer().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "ev.h"
#include "sink.h"
#include "fuzz.h"

/* the record union of struct ev: every type fits in one chunk */
#define FUZZ_CHUNK offsetof(struct ev, exe)

#define ROOT "/usr/local/aegis"
#define NS 1000000000ULL

static const char *const exes[] = {
	"",                                             /* unverified */
	ROOT "/aegis_client/aegis_12_93/AliYunDun",    /* the agent */
	"/tmp/AliYunDun",                               /* an impostor */
	ROOT "2/AliYunDun",                             /* a prefix, not inside */
};

static const char *const comms[] = {
	NULL, "AliYunDun", "AliYunDunMonito", "AliYunDunUpdate", "AliHips", "aegis_update",
	"bash", "",
};

static FILE *devnull;
static uint64_t delivered;

static void on_diag(const struct diagnosis *d, void *ctx)
{
	const struct clockmap cm = { 0 };

	(void)ctx;
	delivered++;
	CHECK((unsigned)d->cause < CAUSE_COUNT);
	CHECK(d->explained_by >= -1 && d->explained_by < CAUSE_COUNT);
	CHECK(d->n_evidence <= DIAG_MAX_EVIDENCE);
	CHECK(d->count >= 1);
	CHECK(d->first_ns <= d->last_ns);
	CHECK(memchr(d->summary, 0, sizeof(d->summary)) != NULL);
	CHECK(d->summary[0] != '\0');
	CHECK(memchr(d->process, 0, sizeof(d->process)) != NULL);
	CHECK(memchr(d->comm, 0, sizeof(d->comm)) != NULL);
	CHECK(memchr(d->exe, 0, sizeof(d->exe)) != NULL);
	CHECK(!d->primary == (d->explained_by >= 0));
	sink_json_diagnosis(devnull, &cm, d);
	sink_text_diagnosis(devnull, &cm, d, true);
}

/* Eight pids in two groups of four that share a home slot of the process
 * table (its size divides 1024), so deletions must shift entries back. */
static uint32_t fold(uint32_t pid)
{
	return 100 + pid % 2 + (pid >> 1) % 4 * 1024;
}

/* Fold the random fields of a decoded event toward a small world: a few pids
 * that meet each other, agent names, known executables, nearby times. */
static void steer(struct ev *e, uint64_t *clock)
{
	uint32_t k = e->hdr.cpu;

	snprintf(e->exe, sizeof(e->exe), "%s", exes[k & 3]);
	snprintf(e->sender_exe, sizeof(e->sender_exe), "%s", exes[(k >> 2) & 3]);
	if (k & 0x10) {
		e->hdr.tgid = fold(e->hdr.tgid);
		e->hdr.ppid = fold(e->hdr.ppid);
		e->signal.sender_tgid = fold(e->signal.sender_tgid);
	}
	if (comms[(k >> 5) & 7])
		snprintf(e->hdr.comm, sizeof(e->hdr.comm), "%s", comms[(k >> 5) & 7]);
	if (k & 0x100) { /* a step forward of up to ~4 s */
		*clock += e->hdr.ts_ns & 0xffffffffULL;
		e->hdr.ts_ns = *clock;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_env env;
	static struct ev e;
	struct correlator_config cfg;
	struct correlator *c;
	uint64_t clock = NS, last = 0;
	uint8_t conf;

	if (size < 1)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	CHECK(devnull != NULL);
	conf = data[0];
	data++;
	size--;

	memset(&env, 0, sizeof(env));
	env.nroots = 1;
	snprintf(env.roots[0], sizeof(env.roots[0]), "%s", ROOT);
	env.install.found = conf & 1;
	env.install.major = conf & 2 ? 12 : -1;
	env.install.minor = 93;
	env.install.present_mask = (conf >> 2) & 7;
	snprintf(env.install.root, sizeof(env.install.root), "%s", ROOT);

	correlator_config_defaults(&cfg);
	cfg.env = &env;
	if (conf & 0x20) { /* short timers, so a few seconds of events reach them all */
		cfg.grace_ns = 3 * NS;
		cfg.flap_window_ns = 20 * NS;
		cfg.flap_count = 2 + (conf >> 6);
		cfg.dedup_ns = NS;
	}
	if (conf & 0x40)
		cfg.oom_wait_ns = 0;

	delivered = 0;
	c = correlator_new(&cfg, on_diag, NULL);
	CHECK(c != NULL);
	for (size_t off = 0; off + FUZZ_CHUNK <= size; off += FUZZ_CHUNK) {
		if (ev_decode(data + off, FUZZ_CHUNK, &e))
			continue;
		steer(&e, &clock);
		if (e.hdr.ts_ns > last)
			last = e.hdr.ts_ns;
		correlator_feed(c, &e);
	}
	correlator_flush(c, last + 3600 * NS);
	CHECK(correlator_stats(c)->diagnoses == delivered);
	CHECK(correlator_stats(c)->any == (delivered > 0));
	correlator_free(c);
	return 0;
}
