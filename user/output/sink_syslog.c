// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* RFC 5424 syslog over unix, UDP and TCP (octet counting), non-blocking. */
#include "sink_syslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "json.h"
#include "signals.h"
#include "sink.h"

#define SD_ID "aegismon@32473"
#define BACKOFF_MAX_MS 30000

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "user", 1 }, { "daemon", 3 }, { "auth", 4 }, { "syslog", 5 }, { "authpriv", 10 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

int syslog_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(name, facilities[i].name))
			return facilities[i].code;
	return -1;
}

const char *syslog_facility_name(int code)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (facilities[i].code == code)
			return facilities[i].name;
	return "?";
}

static int parse_hostport(const char *hp, struct syslog_target *t, char *err, size_t errlen)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t hl;

	if (hp[0] == '[') {
		const char *close = strchr(hp, ']');

		if (!close || close[1] != ':')
			goto bad;
		hl = (size_t)(close - hp - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, hp + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - hp);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, hp, hl);
	}
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || port < 1 || port > 65535)
		goto bad;
	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&t->addr)->sin_addr) == 1) {
		((struct sockaddr_in *)&t->addr)->sin_family = AF_INET;
		((struct sockaddr_in *)&t->addr)->sin_port = htons((uint16_t)port);
		t->addrlen = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&t->addr)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&t->addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((uint16_t)port);
		t->addrlen = sizeof(struct sockaddr_in6);
		return 0;
	}
bad:
	snprintf(err, errlen, "'%s' is not HOST:PORT with a numeric address (IPv6 in brackets)", hp);
	return -1;
}

int syslog_target_parse(const char *url, struct syslog_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	snprintf(t->url, sizeof(t->url), "%s", url);
	if (!strncmp(url, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;

		if (url[5] != '/' || strlen(url + 5) >= sizeof(un->sun_path)) {
			snprintf(err, errlen, "'%s': unix: needs an absolute socket path", url);
			return -1;
		}
		t->kind = SYSLOG_UNIX;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, url + 5);
		t->addrlen = sizeof(*un);
		return 0;
	}
	if (!strcmp(url, "journal")) {
		struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;

		t->kind = SYSLOG_JOURNAL;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, JOURNAL_SOCKET);
		t->addrlen = sizeof(*un);
		return 0;
	}
	if (!strncmp(url, "udp://", 6)) {
		t->kind = SYSLOG_UDP;
		return parse_hostport(url + 6, t, err, errlen);
	}
	if (!strncmp(url, "tcp://", 6)) {
		t->kind = SYSLOG_TCP;
		return parse_hostport(url + 6, t, err, errlen);
	}
	snprintf(err, errlen, "'%s': use journal, unix:/PATH, udp://HOST:PORT or tcp://HOST:PORT", url);
	return -1;
}

/*
 * An SD-PARAM: the value is UTF-8 (RFC 5424 6.3.3) with '"', '\\' and ']'
 * escaped; untrusted bytes are made visible first (escape_str, ESC_SD). Returns
 * the new offset, or len when it does not fit (the caller then gives up).
 */
static size_t sd_param(char *buf, size_t len, size_t o, const char *name, const char *value)
{
	size_t used, vlen = strlen(value);
	int n;

	if (o >= len)
		return len;
	n = snprintf(buf + o, len - o, " %s=\"", name);
	if (n < 0 || (size_t)n >= len - o)
		return len;
	o += (size_t)n;
	o += escape_str(buf + o, len - o, value, vlen, ESC_SD, &used);
	if (used < vlen || o + 1 >= len)
		return len;
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

/*
 * Close the structured data and add the MSG: the JSON document in plain ASCII
 * (json_to_ascii), so it is valid as RFC 5424's MSG-ANY and as UTF-8 alike and
 * needs no BOM. The total length, or 0 if it does not fit.
 */
static size_t put_msg(char *buf, size_t len, size_t o, const char *json)
{
	size_t n;

	if (o + 2 >= len)
		return 0;
	buf[o++] = ']';
	buf[o++] = ' ';
	n = json_to_ascii(buf + o, len - o, json);
	return n ? o + n : 0;
}

static int severity_code(enum severity s)
{
	return s == SEV_CRITICAL ? 2 : s == SEV_WARNING ? 4 : 6;
}

/*
 * The facts of a message as name/value pairs: one list for both renderings,
 * RFC 5424 structured data ("cause") and journal fields ("AEGISMON_CAUSE").
 * Values point into the diagnosis or into the caller's scratch.
 */
struct field {
	const char *name;
	const char *value;
};

#define FIELDS_MAX 20

struct fields {
	struct field f[FIELDS_MAX];
	unsigned n;
	char num[8][24];
	unsigned nnum;
	char addr[64], endpoint[80], sig[16];
};

static void field_str(struct fields *fs, const char *name, const char *value)
{
	if (fs->n < FIELDS_MAX)
		fs->f[fs->n++] = (struct field){ name, value };
}

static void field_uint(struct fields *fs, const char *name, unsigned long long v)
{
	if (fs->nnum >= sizeof(fs->num) / sizeof(fs->num[0]))
		return;
	snprintf(fs->num[fs->nnum], sizeof(fs->num[0]), "%llu", v);
	field_str(fs, name, fs->num[fs->nnum++]);
}

static void diagnosis_fields(struct fields *fs, const struct diagnosis *d, uint64_t dropped)
{
	memset(fs, 0, sizeof(*fs));
	field_str(fs, "cause", cause_code(d->cause));
	field_str(fs, "severity", severity_name(cause_severity(d->cause)));
	field_str(fs, "primary", d->primary ? "true" : "false");
	field_str(fs, "process", d->process);
	if (d->pid)
		field_uint(fs, "pid", d->pid);
	field_uint(fs, "count", d->count);
	if (d->signal)
		field_str(fs, "signal", signal_name(d->signal, fs->sig, sizeof(fs->sig)));
	if (d->exit_status >= 0)
		field_uint(fs, "exit_code", (unsigned)d->exit_status);
	for (unsigned i = 0; i < d->n_evidence; i++)
		if (d->evidence[i].hdr.type == AEGIS_EV_SIGNAL &&
		    d->evidence[i].signal.sender_tgid != d->pid) {
			field_uint(fs, "sender_pid", d->evidence[i].signal.sender_tgid);
			field_str(fs, "sender_comm", d->evidence[i].signal.sender_comm);
			break;
		}
	if (d->has_peer) {
		bool v6 = d->peer.family == 10;

		addr_str(v6 ? AF_INET6 : AF_INET, d->peer.daddr, fs->addr, sizeof(fs->addr));
		field_str(fs, d->is_dns ? "server" : "daddr", fs->addr);
		field_uint(fs, "dport", d->peer.dport);
		snprintf(fs->endpoint, sizeof(fs->endpoint), v6 ? "[%s]:%u" : "%s:%u", fs->addr,
			 d->peer.dport);
	}
	if (d->qname[0])
		field_str(fs, "qname", d->qname);
	if (d->nrules && d->rules[0].text[0])
		field_str(fs, "rule", d->rules[0].text);
	if (d->rules_unread[0])
		field_str(fs, "rules_unread", d->rules_unread);
	if (dropped)
		field_uint(fs, "dropped", dropped);
}

static void action_fields(struct fields *fs, const struct action *a, uint64_t dropped)
{
	memset(fs, 0, sizeof(*fs));
	field_str(fs, "action", a->action);
	if (a->step)
		field_str(fs, "step", a->step);
	field_str(fs, "outcome", a->outcome);
	if (a->cause >= 0)
		field_str(fs, "cause", cause_code((enum cause)a->cause));
	if (a->process && a->process[0])
		field_str(fs, "process", a->process);
	if (a->pid)
		field_uint(fs, "pid", a->pid);
	if (a->exit_code >= 0)
		field_uint(fs, "exit_code", (unsigned)a->exit_code);
	if (dropped)
		field_uint(fs, "dropped", dropped);
}

static size_t sd_fields(char *buf, size_t len, size_t o, const struct fields *fs)
{
	for (unsigned i = 0; i < fs->n; i++)
		o = sd_param(buf, len, o, fs->f[i].name, fs->f[i].value);
	return o;
}

size_t syslog_format(char *buf, size_t len, int facility, const char *host, const char *app,
		     int pid, uint64_t dropped, const struct clockmap *cm, const struct diagnosis *d)
{
	char ts[RFC3339_LEN], json[16384];
	struct fields fs;
	struct jw w;
	size_t o;
	int n;

	fmt_rfc3339(cm, d->ts_ns, ts, sizeof(ts));
	n = snprintf(buf, len, "<%d>1 %s %s %s %d %s [" SD_ID,
		     facility * 8 + severity_code(cause_severity(d->cause)), ts,
		     host && host[0] ? host : "-", app, pid, cause_code(d->cause));
	if (n < 0 || (size_t)n >= len)
		return 0;
	diagnosis_fields(&fs, d, dropped);
	o = sd_fields(buf, len, (size_t)n, &fs);
	json_diagnosis(&w, json, sizeof(json), cm, d);
	return put_msg(buf, len, o, w.overflow ? "{\"kind\":\"error\",\"schema\":1,\"error\":\"diagnosis too long\"}"
					     : jw_result(&w));
}

static int action_severity(const struct action *a)
{
	if (!strcmp(a->action, "escalate"))
		return 2;
	if (!strcmp(a->outcome, "failed") || !strcmp(a->outcome, "refused") ||
	    !strcmp(a->outcome, "timeout") || !strcmp(a->outcome, "dropped"))
		return 4;
	return 5;
}

size_t syslog_format_action(char *buf, size_t len, int facility, const char *host, const char *app,
			    int pid, uint64_t dropped, const struct clockmap *cm, const struct action *a)
{
	char ts[RFC3339_LEN], json[16384];
	struct fields fs;
	struct jw w;
	size_t o;
	int n;

	fmt_rfc3339(cm, a->ts_ns, ts, sizeof(ts));
	n = snprintf(buf, len, "<%d>1 %s %s %s %d action [" SD_ID, facility * 8 + action_severity(a), ts,
		     host && host[0] ? host : "-", app, pid);
	if (n < 0 || (size_t)n >= len)
		return 0;
	action_fields(&fs, a, dropped);
	o = sd_fields(buf, len, (size_t)n, &fs);
	json_action(&w, json, sizeof(json), cm, a);
	return put_msg(buf, len, o, w.overflow ? "{\"kind\":\"error\",\"schema\":1,\"error\":\"action too long\"}"
					     : jw_result(&w));
}

/* ---- the journal's native protocol (systemd.journal-fields(7)) ---- */

/*
 * One "NAME=value\n" field. The value is escaped as for a log (ESC_TEXT:
 * valid UTF-8, no control byte), so it never holds the newline that would end
 * it early, and the simple form of the protocol always applies. Returns the
 * new offset, or len when it does not fit.
 */
static size_t journal_field(char *buf, size_t len, size_t o, const char *prefix, const char *name,
			    const char *value)
{
	size_t used, vlen = strlen(value);

	if (o >= len)
		return len;
	for (const char *p = prefix; *p && o < len; p++)
		buf[o++] = *p;
	for (const char *p = name; *p && o < len; p++)
		buf[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	if (o + 1 >= len)
		return len;
	buf[o++] = '=';
	o += escape_str(buf + o, len - o, value, vlen, ESC_TEXT, &used);
	if (used < vlen || o + 1 >= len)
		return len;
	buf[o++] = '\n';
	buf[o] = '\0';
	return o;
}

static size_t journal_common(char *buf, size_t len, int facility, int severity, const char *message,
			     const struct fields *fs)
{
	char num[16];
	size_t o = 0;

	snprintf(num, sizeof(num), "%d", severity);
	o = journal_field(buf, len, o, "", "MESSAGE", message);
	o = journal_field(buf, len, o, "", "PRIORITY", num);
	snprintf(num, sizeof(num), "%d", facility);
	o = journal_field(buf, len, o, "", "SYSLOG_FACILITY", num);
	o = journal_field(buf, len, o, "", "SYSLOG_IDENTIFIER", "aegismon");
	for (unsigned i = 0; i < fs->n; i++)
		o = journal_field(buf, len, o, "AEGISMON_", fs->f[i].name, fs->f[i].value);
	if (fs->endpoint[0])
		o = journal_field(buf, len, o, "AEGISMON_", "endpoint", fs->endpoint);
	return o;
}

static size_t journal_json(char *buf, size_t len, size_t o, struct jw *w)
{
	o = journal_field(buf, len, o, "AEGISMON_", "json",
			  w->overflow ? "{\"kind\":\"error\",\"schema\":1,\"error\":\"too long\"}" : jw_result(w));
	return o >= len ? 0 : o;
}

size_t journal_format(char *buf, size_t len, int facility, uint64_t dropped, const struct clockmap *cm,
		      const struct diagnosis *d)
{
	char json[16384], message[DIAG_SUMMARY_LEN + 48];
	struct fields fs;
	struct jw w;
	size_t o;

	diagnosis_fields(&fs, d, dropped);
	/* the cause first: a forwarder that keeps only MESSAGE keeps it too */
	snprintf(message, sizeof(message), "%s: %s", cause_code(d->cause), d->summary);
	o = journal_common(buf, len, facility, severity_code(cause_severity(d->cause)), message, &fs);
	o = journal_field(buf, len, o, "AEGISMON_", "kind", "diagnosis");
	json_diagnosis(&w, json, sizeof(json), cm, d);
	return journal_json(buf, len, o, &w);
}

size_t journal_format_action(char *buf, size_t len, int facility, uint64_t dropped,
			     const struct clockmap *cm, const struct action *a)
{
	char json[16384], message[1024];
	struct fields fs;
	struct jw w;
	size_t o;

	action_fields(&fs, a, dropped);
	snprintf(message, sizeof(message), "action %s%s%s %s%s%s%s%s", a->action, a->step ? " " : "",
		 a->step ? a->step : "", a->outcome, a->process && a->process[0] ? " (" : "",
		 a->process && a->process[0] ? a->process : "", a->process && a->process[0] ? ")" : "",
		 a->detail && a->detail[0] ? ": " : "");
	if (a->detail && a->detail[0])
		snprintf(message + strlen(message), sizeof(message) - strlen(message), "%s", a->detail);
	o = journal_common(buf, len, facility, action_severity(a), message, &fs);
	o = journal_field(buf, len, o, "AEGISMON_", "kind", "action");
	json_action(&w, json, sizeof(json), cm, a);
	return journal_json(buf, len, o, &w);
}

void syslog_close(struct syslog_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static void fail(struct syslog_target *t, uint64_t now_ns)
{
	t->dropped++;
	t->dropped_total++;
	syslog_close(t);
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : 500;
	if (t->backoff_ms > BACKOFF_MAX_MS)
		t->backoff_ms = BACKOFF_MAX_MS;
	t->retry_at_ns = now_ns + (uint64_t)t->backoff_ms * 1000000ULL;
}

static int open_target(struct syslog_target *t)
{
	int type = t->kind == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;

	t->fd = socket(t->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return -1;
	if (connect(t->fd, (struct sockaddr *)&t->addr, t->addrlen) && errno != EINPROGRESS)
		return -1;
	return 0;
}

/* A TCP receiver that went away leaves a socket that still accepts one
 * write: look for its EOF first, and reconnect instead of losing a message. */
static void drop_if_closed(struct syslog_target *t)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN | POLLRDHUP };

	if (t->kind == SYSLOG_TCP && t->fd >= 0 && poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
		syslog_close(t);
		t->retry_at_ns = 0;
	}
}

void syslog_send(struct syslog_target *t, const char *msg, size_t len, uint64_t now_ns)
{
	char frame[16];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n, want = (ssize_t)len;
	uint64_t carry = 0; /* drops found while sending this one: reported next */

	drop_if_closed(t);
	if (t->fd < 0) {
		if (now_ns < t->retry_at_ns || open_target(t)) {
			if (t->fd >= 0 || now_ns >= t->retry_at_ns)
				fail(t, now_ns);
			else {
				t->dropped++;
				t->dropped_total++;
			}
			return;
		}
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)msg;
	iov[0].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	if (t->kind == SYSLOG_TCP) {
		/* octet counting: "LEN SP MSG" */
		int fl = snprintf(frame, sizeof(frame), "%zu ", len);

		iov[0].iov_base = frame;
		iov[0].iov_len = (size_t)fl;
		iov[1].iov_base = (void *)msg;
		iov[1].iov_len = len;
		mh.msg_iovlen = 2;
		want += fl;
	}
	n = sendmsg(t->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno == ECONNREFUSED && t->kind != SYSLOG_TCP) {
		/* the ICMP error of an earlier datagram: that one was lost, this
		 * one may pass (the receiver may be back) */
		carry = 1;
		t->dropped_total++;
		n = sendmsg(t->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (n != want) {
		/* a partial TCP write would break the framing: start over */
		fail(t, now_ns);
		return;
	}
	t->sent++;
	t->dropped = carry;
	t->backoff_ms = 0;
}
