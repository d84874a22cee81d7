/* Live enrichment of diagnoses: nftables rules and drop symbols. */
#include "enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kallsyms.h"
#include "netns.h"
#include "nftexec.h"
#include "nftrules.h"
#include "procfs.h"
#include "products.h"

static const struct ev *drop_evidence(const struct diagnosis *d)
{
	for (unsigned i = 0; i < d->n_evidence; i++)
		if (d->evidence[i].hdr.type == AEGIS_EV_NF_DROP)
			return &d->evidence[i];
	return NULL;
}

static void find_rules(struct diagnosis *d, const struct aegis_drop *dr)
{
	struct nft_tuple t;
	char *json = NULL, *text = NULL;
	size_t jlen = 0, tlen = 0;
	int fd, n;

	/* the ruleset that dropped it is the one of the drop's namespace */
	fd = netns_open_by_inode(dr->netns);
	if (fd < 0)
		return;
	if (nft_ruleset_read(fd, &json, &jlen, &text, &tlen) == 0 && json) {
		memset(&t, 0, sizeof(t));
		t.family = dr->tuple.family == 10 ? AF_INET6 : AF_INET;
		t.l4proto = dr->tuple.proto;
		memcpy(t.saddr, dr->tuple.saddr, 16);
		memcpy(t.daddr, dr->tuple.daddr, 16);
		t.sport = dr->tuple.sport;
		t.dport = dr->tuple.dport;
		t.dir = dr->flags & AEGIS_NET_INGRESS ? NFT_DIR_INPUT : NFT_DIR_OUTPUT;
		n = nft_rules_match(json, jlen, &t, d->rules, DIAG_MAX_RULES);
		if (n > 0) {
			d->nrules = (unsigned)n;
			if (text)
				nft_rules_attach_text(text, tlen, d->rules, n);
		}
	}
	free(json);
	free(text);
	close(fd);
}

void enrich_diagnosis(struct diagnosis *d)
{
	const struct ev *e;

	if (d->cause != CAUSE_CONNECT_BLOCKED_LOCAL)
		return;
	e = drop_evidence(d);
	if (!e)
		return;
	if (e->drop.location)
		ksym_resolve(e->drop.location, d->drop_symbol, sizeof(d->drop_symbol));
	find_rules(d, &e->drop);
}

struct product_scan {
	const struct product *found;
	int pid;
	char comm[16];
};

static int product_one(int pid, void *ctx)
{
	struct product_scan *s = ctx;
	struct proc_stat st;
	char exe[AEGIS_PATH_LEN] = "";

	if (proc_read_stat(pid, &st))
		return 0;
	proc_read_exe(pid, exe, sizeof(exe));
	s->found = product_of_process(st.comm, exe);
	if (!s->found)
		return 0;
	s->pid = pid;
	memcpy(s->comm, st.comm, sizeof(s->comm));
	return 1;
}

const struct product *enrich_running_product(const struct diagnosis *d, int *pid, char *comm, size_t len)
{
	struct product_scan s = { 0 };

	if (d->cause != CAUSE_CONNECT_BLOCKED_POLICY && d->cause != CAUSE_CONNECT_BLOCKED_LOCAL &&
	    d->cause != CAUSE_DNS_BLOCKED_LOCAL)
		return NULL;
	proc_for_each_pid(product_one, &s);
	if (!s.found)
		return NULL;
	*pid = s.pid;
	snprintf(comm, len, "%s", s.comm);
	return s.found;
}

void make_suspect_diagnosis(const struct diagnosis *blocked, const char *product, int pid,
			    const char *comm, struct diagnosis *d)
{
	char what[DIAG_SUMMARY_LEN];

	*d = *blocked;
	d->cause = CAUSE_THIRD_PARTY_SECURITY;
	d->primary = false; /* a suspect, not a proof */
	d->explained_by = -1;
	d->count = 1;
	d->first_ns = d->last_ns = d->ts_ns;
	d->nrules = 0;
	d->drop_symbol[0] = '\0';
	snprintf(what, sizeof(what), "%s", blocked->summary);
	snprintf(d->summary, sizeof(d->summary), "%s runs here (%s, pid %d): the likely author of %s: %s",
		 product, comm, pid, cause_code(blocked->cause), what);
}
