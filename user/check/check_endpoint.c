// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Which Aegis names apply (the endpoint_choice check): --server, a public
 * address on an interface, or an EIP the ECS metadata service knows. */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netprobe.h"
#include "timefmt.h"

#define METADATA_IP "100.100.100.200"
#define METADATA_BUDGET_MS 1000   /* the token and the reads together */
#define METADATA_TOKEN_TTL "60"   /* seconds: the check needs it for a moment */

static const char *const public_names[] = { "jsrv.aegis.aliyun.com", "update.aegis.aliyun.com" };
static const char *const internal_names[] = { "jsrv2.aegis.aliyun.com", "update2.aegis.aliyun.com" };

/* Not routable on the internet: private, shared (CGNAT, Alibaba's 100.64/10),
 * loopback, link-local, documentation, benchmarking, multicast. */
static bool ipv4_is_public(const uint8_t *a)
{
	return !(a[0] == 10 || a[0] == 127 || a[0] == 0 || a[0] >= 224 ||
		 (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		 (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) ||
		 (a[0] == 192 && a[1] == 0 && (a[2] == 0 || a[2] == 2)) ||
		 (a[0] == 198 && (a[1] & 0xfe) == 18) || (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
		 (a[0] == 203 && a[1] == 0 && a[2] == 113));
}

static void set_names(struct check_ctx *c, const char *const *names, int n)
{
	c->nnames = 0;
	for (int i = 0; i < n && i < CHECK_MAX_NAMES; i++)
		snprintf(c->names[c->nnames++], sizeof(c->names[0]), "%s", names[i]);
}

/*
 * The ECS metadata service, read as an instance in security hardening mode
 * (HttpTokens=required) demands: a session token first (PUT
 * /latest/api/token), then every GET with it. A service that gives no token
 * (an older one, normal mode: 404, 405, refused, reset) is read plainly. One
 * token per check run, reused for every read.
 */
struct md_session {
	uint8_t addr[4];
	uint64_t deadline_ns;
	bool started;
	bool with_token;
	int token_err;               /* a timeout asking for it: no read is tried */
	char token[256];
	char no_token[64];           /* why it is read plainly: "HTTP 405", "refused" */
};

static void md_init(struct md_session *s, const struct check_ctx *c)
{
	memset(s, 0, sizeof(*s));
	inet_pton(AF_INET, METADATA_IP, s->addr);
	s->deadline_ns = clock_event_ns() + (uint64_t)check_budget_ms(c, METADATA_BUDGET_MS) * 1000000;
}

static unsigned md_left_ms(const struct md_session *s)
{
	uint64_t now = clock_event_ns();

	return s->deadline_ns > now ? (unsigned)((s->deadline_ns - now) / 1000000) : 0;
}

/* A token goes back in a header: visible ASCII only (no space, CR or LF,
 * no NUL that would cut it short); len bytes of t were received. */
static bool token_usable(char *t, size_t len)
{
	size_t n = strlen(t);

	if (n != len)
		return false;
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return false;
	return n > 0;
}

static void md_get_token(struct md_session *s)
{
	const struct http_header ttl = { "X-aliyun-ecs-metadata-token-ttl-seconds", METADATA_TOKEN_TTL };
	const struct http_request req = { .method = "PUT", .host = METADATA_IP, .path = "/latest/api/token",
					   .headers = &ttl, .nheaders = 1 };
	struct http_answer a;
	int rc;

	s->started = true;
	rc = http_request(AF_INET, s->addr, 80, &req, md_left_ms(s), &a, s->token, sizeof(s->token));
	if (rc == 0 && a.status == 200 && !a.body_cut && token_usable(s->token, a.body_len)) {
		s->with_token = true;
		return;
	}
	s->token[0] = '\0';
	if (rc == 0 && a.status == 200)
		snprintf(s->no_token, sizeof(s->no_token), "unusable token (%s)", a.body_cut ? "too long" : "empty or not printable");
	else if (rc == 0)
		snprintf(s->no_token, sizeof(s->no_token), "HTTP %d", a.status);
	else
		snprintf(s->no_token, sizeof(s->no_token), "%s", netprobe_err_name(rc));
	/* a silent service answers no GET either, and the budget is spent */
	if (rc == -ETIMEDOUT)
		s->token_err = rc;
}

/* GET path (with the token once there is one): the HTTP status, the body in
 * body on 200; or -errno. */
static int md_get(struct md_session *s, const char *path, char *body, size_t len)
{
	const struct http_header tok = { "X-aliyun-ecs-metadata-token", s->token };
	struct http_request req = { .method = "GET", .host = METADATA_IP, .path = path };
	struct http_answer a;
	int rc;

	body[0] = '\0';
	if (!s->started)
		md_get_token(s);
	if (s->token_err)
		return s->token_err;
	if (s->with_token) {
		req.headers = &tok;
		req.nheaders = 1;
	}
	rc = http_request(AF_INET, s->addr, 80, &req, md_left_ms(s), &a, body, len);
	if (rc == 0 && a.status != 200)
		body[0] = '\0';
	return rc ? rc : a.status;
}

/* How a read went, for the evidence and the summary: "token" or "plain" when
 * the service answered (200, or 404 for an item it does not have), else
 * what went wrong. */
static const char *md_outcome(const struct md_session *s, int rc, char *buf, size_t len)
{
	if (rc == 200 || rc == 404)
		return s->with_token ? "token" : "plain";
	if ((rc == 401 || rc == 403) && s->with_token)
		snprintf(buf, len, "token refused (HTTP %d)", rc);
	else if (rc == 401 || rc == 403)
		snprintf(buf, len, "refused without a token (HTTP %d; token request: %s)", rc, s->no_token);
	else if (rc > 0)
		snprintf(buf, len, "unexpected answer (HTTP %d)", rc);
	else
		snprintf(buf, len, "%s", netprobe_err_name(rc));
	return buf;
}

/* No public address on an interface: an EIP is NAT'ed, only the ECS
 * metadata service knows it. */
static void endpoint_choice_by_metadata(struct check_ctx *c, struct check_result *r, char *why, size_t whylen)
{
	struct md_session md;
	char body[128], outcome[160], how[96];
	const char *o;
	uint8_t eip[4];
	int rc;

	md_init(&md, c);
	rc = md_get(&md, "/latest/meta-data/eipv4", body, sizeof(body));
	explicit_bzero(md.token, sizeof(md.token)); /* a credential: not left on the stack */
	body[strcspn(body, "\r\n ")] = '\0';
	o = md_outcome(&md, rc, outcome, sizeof(outcome));
	jw_kstr(&r->ev, "metadata", o);
	if (md.started && !md.with_token && !md.token_err)
		jw_kstr(&r->ev, "metadata_token", md.no_token);
	snprintf(how, sizeof(how), "%s", md.with_token ? "with a token" : "without a token");
	if (rc == 200 && body[0] && inet_pton(AF_INET, body, eip) == 1) {
		jw_kstr(&r->ev, "eip", body);
		set_names(c, public_names, 2);
		snprintf(why, whylen, "an EIP (%s, from the ECS metadata service, read %s)", body, how);
		return;
	}
	set_names(c, internal_names, 2);
	if (rc == 200 || rc == 404) {
		jw_key(&r->ev, "eip");
		jw_null(&r->ev);
		snprintf(why, whylen, "no public address (interfaces; metadata service, read %s: no EIP)", how);
		return;
	}
	snprintf(why, whylen, "no public address (interfaces; metadata service: %s)", o);
	if (rc == 401 || rc == 403) {
		/* the service is there and said no: an EIP it knows may be missed */
		check_raise(r, CHECK_WARN);
		snprintf(r->advice, sizeof(r->advice),
			 "The ECS metadata service (" METADATA_IP ") refused the read%s, so an EIP may be missed "
			 "and the internal names chosen. Look for a proxy or a NAT rule on this host that changes "
			 "requests to " METADATA_IP ", or name the endpoints with --server.",
			 md.with_token ? " with the session token it had just given" : " without a token (security hardening mode)");
	}
}

void check_endpoint_choice(struct check_ctx *c, struct check_result *r)
{
	struct ifaddrs *ifa = NULL;
	char pub[64] = "", why[256];

	if (c->o->nservers) {
		set_names(c, c->o->servers, c->o->nservers);
		snprintf(r->summary, sizeof(r->summary), "%s%s%s (given with --server)", c->names[0],
			 c->nnames > 1 ? ", " : "", c->nnames > 1 ? c->names[1] : "");
		jw_kstr(&r->ev, "reason", "--server");
		goto names;
	}
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i && !pub[0]; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
				const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;

				if (ipv4_is_public(a))
					snprintf(pub, sizeof(pub), "%u.%u.%u.%u on %s", a[0], a[1], a[2], a[3],
						 i->ifa_name);
			}
		freeifaddrs(ifa);
	}
	if (pub[0]) {
		jw_kstr(&r->ev, "public_address", pub);
		set_names(c, public_names, 2);
		snprintf(why, sizeof(why), "a public address (%s)", pub);
	} else if (!c->o->metadata) {
		set_names(c, internal_names, 2);
		snprintf(why, sizeof(why), "no public address on an interface (metadata not asked)");
	} else {
		endpoint_choice_by_metadata(c, r, why, sizeof(why));
	}
	jw_kstr(&r->ev, "reason", why);
	snprintf(r->summary, sizeof(r->summary), "%s and %s: %s", c->names[0], c->names[1], why);
names:
	jw_key(&r->ev, "names");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < c->nnames; i++)
		jw_str(&r->ev, c->names[i]);
	jw_arr_end(&r->ev);
}
