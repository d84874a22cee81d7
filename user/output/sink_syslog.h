/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Diagnoses to syslog receivers: RFC 5424 with structured data, over the
 * local socket, UDP, or TCP with octet counting (RFC 6587); or to journald in
 * its native protocol, the same facts as journal fields. Never blocks:
 * a receiver that is down or slow costs a dropped-message counter, reported
 * in the next message that gets through. */
#ifndef AEGISMON_SINK_SYSLOG_H
#define AEGISMON_SINK_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "action.h"
#include "diagnosis.h"
#include "timefmt.h"

enum syslog_kind { SYSLOG_UNIX, SYSLOG_UDP, SYSLOG_TCP, SYSLOG_JOURNAL };

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct syslog_target {
	enum syslog_kind kind;
	char url[160];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	uint64_t dropped;       /* since the last message that went through */
	uint64_t dropped_total;
	uint64_t sent;
	uint64_t retry_at_ns;   /* reconnect not before this */
	unsigned backoff_ms;
};

/* "journal", "unix:/dev/log", "udp://127.0.0.1:514", "tcp://[::1]:601" (numeric hosts). */
int syslog_target_parse(const char *url, struct syslog_target *t, char *err, size_t errlen);
/* "daemon", "user", "local0".."local7", "auth", "syslog": the code, or -1. */
int syslog_facility_parse(const char *name);
const char *syslog_facility_name(int code);

/*
 * Format one RFC 5424 message: <PRI>1 TIMESTAMP HOST APP PID MSGID [SD] JSON.
 * MSGID is the cause; SD-ID aegismon@32473 carries cause, severity, primary,
 * process, pid, count, and where they apply daddr, dport, qname, server,
 * signal, exit_code, sender_pid, sender_comm, rule, and dropped (messages this
 * target lost before). Returns the length, or 0 if it does not fit.
 */
size_t syslog_format(char *buf, size_t len, int facility, const char *host, const char *app,
		     int pid, uint64_t dropped, const struct clockmap *cm, const struct diagnosis *d);

/*
 * The same for a remediation action: MSGID "action", SD-ID aegismon@32473
 * with action, step, outcome, cause, process, pid, exit_code, dropped; the
 * message is the JSON action. Severity: critical for escalate, warning for a
 * failure or refusal, notice otherwise.
 */
size_t syslog_format_action(char *buf, size_t len, int facility, const char *host, const char *app,
			    int pid, uint64_t dropped, const struct clockmap *cm, const struct action *a);

/*
 * The same facts for journald's native protocol, one datagram of fields:
 * MESSAGE (the summary), PRIORITY, SYSLOG_FACILITY, SYSLOG_IDENTIFIER=aegismon,
 * AEGISMON_<NAME> for each structured-data parameter above (AEGISMON_CAUSE,
 * AEGISMON_PID, ...), AEGISMON_ENDPOINT (address:port), AEGISMON_KIND
 * (diagnosis, action) and AEGISMON_JSON. Every value is escaped as for a log
 * (no control byte), so no value holds a newline. The length, or 0.
 */
size_t journal_format(char *buf, size_t len, int facility, uint64_t dropped, const struct clockmap *cm,
		      const struct diagnosis *d);
size_t journal_format_action(char *buf, size_t len, int facility, uint64_t dropped,
			     const struct clockmap *cm, const struct action *a);

/* Send (or count as dropped); reconnects with backoff. now_ns: CLOCK_MONOTONIC. */
void syslog_send(struct syslog_target *t, const char *msg, size_t len, uint64_t now_ns);
void syslog_close(struct syslog_target *t);

#endif
