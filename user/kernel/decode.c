// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Raw ring-buffer records to struct ev, defensively. */
#include "ev.h"

#include <stddef.h>
#include <string.h>

static size_t type_size(unsigned type)
{
	switch (type) {
	case AEGIS_EV_EXEC: return sizeof(struct aegis_exec);
	case AEGIS_EV_FORK: return sizeof(struct aegis_fork);
	case AEGIS_EV_EXIT: return sizeof(struct aegis_exit);
	case AEGIS_EV_SIGNAL: return sizeof(struct aegis_signal);
	case AEGIS_EV_OOM_VICTIM: return sizeof(struct aegis_oom);
	case AEGIS_EV_CONNECT: return sizeof(struct aegis_connect);
	case AEGIS_EV_TCP_STATE: return sizeof(struct aegis_tcp);
	case AEGIS_EV_NF_DROP: return sizeof(struct aegis_drop);
	case AEGIS_EV_DNS: return sizeof(struct aegis_dns);
	case AEGIS_EV_SOCK_ERROR: return sizeof(struct aegis_sockerr);
	case AEGIS_EV_TCP_RETRANS: return sizeof(struct aegis_tcp_retrans);
	case AEGIS_EV_SEED: return sizeof(struct aegis_seed);
	case AEGIS_EV_SEED_DONE: return sizeof(struct aegis_hdr);
	case AEGIS_EV_TICK: return sizeof(struct aegis_tick);
	case AEGIS_EV_RESOURCES: return sizeof(struct aegis_resources);
	default: return 0;
	}
}

const char *ev_type_name(unsigned type)
{
	switch (type) {
	case AEGIS_EV_EXEC: return "exec";
	case AEGIS_EV_FORK: return "fork";
	case AEGIS_EV_EXIT: return "exit";
	case AEGIS_EV_SIGNAL: return "signal";
	case AEGIS_EV_OOM_VICTIM: return "oom_victim";
	case AEGIS_EV_CONNECT: return "connect";
	case AEGIS_EV_TCP_STATE: return "tcp_state";
	case AEGIS_EV_NF_DROP: return "nf_drop";
	case AEGIS_EV_DNS: return "dns";
	case AEGIS_EV_SOCK_ERROR: return "sock_error";
	case AEGIS_EV_TCP_RETRANS: return "tcp_retrans";
	case AEGIS_EV_SEED: return "running";
	case AEGIS_EV_SEED_DONE: return "scan_done";
	case AEGIS_EV_TICK: return "tick";
	case AEGIS_EV_RESOURCES: return "resources";
	default: return "unknown";
	}
}

#define TERMINATE(arr) ((arr)[sizeof(arr) - 1] = '\0')

/* The size of the record's type, or 0 when the record is not valid. */
static size_t checked_size(const void *data, size_t len)
{
	struct aegis_hdr hdr;
	size_t want;

	if (!data || len < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	want = type_size(hdr.type);
	/* an exec recorded before ABI 3 has no executable identity: zeros;
	 * an exec or fork before ABI 4 no start time (0: unknown) */
	if (hdr.type == AEGIS_EV_EXEC && hdr.size >= AEGIS_EXEC_SIZE_V2 && hdr.size < want)
		want = hdr.size;
	if (hdr.type == AEGIS_EV_FORK && hdr.size >= AEGIS_FORK_SIZE_V3 && hdr.size < want)
		want = hdr.size;
	if (hdr.type == AEGIS_EV_SEED && hdr.size >= AEGIS_SEED_SIZE_V2 && hdr.size < want)
		want = hdr.size;
	/* nor a resources sample the waits over the threshold */
	if (hdr.type == AEGIS_EV_RESOURCES && hdr.size >= AEGIS_RESOURCES_SIZE_V3 && hdr.size < want)
		want = hdr.size;
	/* nor a DNS event its socket and namespace */
	if (hdr.type == AEGIS_EV_DNS && hdr.size >= AEGIS_DNS_SIZE_V2 && hdr.size < want)
		want = hdr.size;
	if (want == 0 || hdr.size < want || hdr.size > len)
		return 0;
	return want;
}

static void terminate_strings(struct ev *out);

int ev_decode(const void *data, size_t len, struct ev *out)
{
	size_t want = checked_size(data, len);

	if (!want)
		return -1;
	/* newer producers may append: ignore the rest. The record, then zeros
	 * for the rest: each byte written once (this runs for every event) */
	memcpy(out, data, want);
	memset((char *)out + want, 0, sizeof(*out) - want);
	out->hdr.size = (__u16)want;
	terminate_strings(out);
	return 0;
}

int ev_decode_again(const void *data, size_t len, struct ev *out)
{
	size_t want = checked_size(data, len);
	size_t prev = out->hdr.size;

	if (!want)
		return -1;
	if (prev < sizeof(out->hdr) || prev > offsetof(struct ev, exe))
		prev = offsetof(struct ev, exe);
	/* out is zero past its last record and past its strings: clear those
	 * bytes only, not the whole 1.1 KiB (most of it zero already) */
	memset(out->exe, 0, strnlen(out->exe, sizeof(out->exe)));
	memset(out->sender_exe, 0, strnlen(out->sender_exe, sizeof(out->sender_exe)));
	memcpy(out, data, want);
	if (prev > want)
		memset((char *)out + want, 0, prev - want);
	out->hdr.size = (__u16)want;
	terminate_strings(out);
	return 0;
}

static void terminate_strings(struct ev *out)
{
	TERMINATE(out->hdr.comm);
	switch (out->hdr.type) {
	case AEGIS_EV_EXEC:
		TERMINATE(out->exec.parent_comm);
		TERMINATE(out->exec.filename);
		break;
	case AEGIS_EV_FORK:
		TERMINATE(out->fork.parent_comm);
		break;
	case AEGIS_EV_SIGNAL:
		TERMINATE(out->signal.sender_comm);
		if (out->signal.sender_args_len > AEGIS_ARGS_LEN)
			out->signal.sender_args_len = AEGIS_ARGS_LEN;
		if (out->signal.chain_len > AEGIS_CHAIN_LEN)
			out->signal.chain_len = AEGIS_CHAIN_LEN;
		for (unsigned i = 0; i < AEGIS_CHAIN_LEN; i++)
			TERMINATE(out->signal.chain[i].comm);
		break;
	case AEGIS_EV_NF_DROP:
		TERMINATE(out->drop.owner_comm);
		break;
	case AEGIS_EV_RESOURCES:
		for (unsigned i = 0; i < AEGIS_RES_TOP; i++) {
			TERMINATE(out->resources.top_cpu[i].comm);
			TERMINATE(out->resources.top_rss[i].comm);
		}
		break;
	case AEGIS_EV_DNS:
		if (out->dns.len > AEGIS_DNS_PAYLOAD)
			out->dns.len = AEGIS_DNS_PAYLOAD;
		break;
	default:
		break;
	}
}
