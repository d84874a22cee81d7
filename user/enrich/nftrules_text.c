// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Rule text: the lines of `nft -a list ruleset` of the matched rules, found by family,
 * table, chain and handle, without indentation and "# handle N". */
#include "nftrules.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct txt_pos {
	char family[16], table[64], chain[64];
	int depth;
	bool in_chain;
};

static const char *skip_ws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* End of the code part of a line (its '#' comment excluded), counting braces outside quotes. */
static const char *scan_code(const char *s, const char *e, int *opens, int *closes)
{
	bool quoted = false;

	for (; s < e; s++) {
		if (quoted && *s == '\\' && s + 1 < e)
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '#')
			break;
		else if (!quoted && *s == '{' && *opens < 100000)
			(*opens)++;
		else if (!quoted && *s == '}' && *closes < 100000)
			(*closes)++;
	}
	return s;
}

/* Copy the next word (maybe quoted) into buf; false if it does not fit. */
static bool next_word(const char **sp, const char *e, char *buf, size_t size)
{
	const char *s = skip_ws(*sp, e), *w;
	bool quoted = s < e && *s == '"';
	size_t n;

	if (quoted)
		s++;
	for (w = s; s < e; s++) {
		if (quoted ? *s == '"' : (*s == ' ' || *s == '\t' || *s == '{'))
			break;
	}
	n = (size_t)(s - w);
	*sp = s < e && quoted ? s + 1 : s;
	if (!n || n >= size)
		return false;
	memcpy(buf, w, n);
	buf[n] = '\0';
	return true;
}

static bool starts_word(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) > n && !memcmp(s, w, n) && (s[n] == ' ' || s[n] == '\t');
}

/* "# handle N" and nothing else (but trailing blanks) in the comment part. */
static bool parse_handle(const char *s, const char *e, uint64_t *h)
{
	static const char tag[] = "# handle ";
	size_t n = sizeof(tag) - 1;
	bool digits = false;

	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if ((size_t)(e - s) <= n || memcmp(s, tag, n))
		return false;
	*h = 0;
	for (s += n; s < e; s++) {
		if (*s < '0' || *s > '9' || *h > (UINT64_MAX - 9) / 10)
			return false;
		*h = *h * 10 + (uint64_t)(*s - '0');
		digits = true;
	}
	return digits;
}

static void fill_text(const struct txt_pos *p, uint64_t h, const char *s, const char *code_end,
		      struct nft_rule_match *out, int n)
{
	while (code_end > s && (code_end[-1] == ' ' || code_end[-1] == '\t'))
		code_end--;
	for (int i = 0; i < n; i++) {
		struct nft_rule_match *m = &out[i];
		size_t len = (size_t)(code_end - s);

		if (m->handle != h || strcmp(m->family, p->family) || strcmp(m->table, p->table) ||
		    strcmp(m->chain, p->chain))
			continue;
		if (len >= sizeof(m->text))
			len = sizeof(m->text) - 1;
		memcpy(m->text, s, len);
		m->text[len] = '\0';
	}
}

static void txt_header(struct txt_pos *p, const char *s, const char *code_end)
{
	if (p->depth == 0 && starts_word(s, code_end, "table")) {
		s += 5;
		if (!next_word(&s, code_end, p->family, sizeof(p->family)) ||
		    !next_word(&s, code_end, p->table, sizeof(p->table)))
			p->family[0] = p->table[0] = '\0';
	} else if (p->depth == 1) {
		p->in_chain = false;   /* a set, map, flowtable... block */
		if (starts_word(s, code_end, "chain")) {
			s += 5;
			p->in_chain = next_word(&s, code_end, p->chain, sizeof(p->chain));
		}
	}
}

static void txt_line(struct txt_pos *p, const char *s, const char *e,
		     struct nft_rule_match *out, int n)
{
	int opens = 0, closes = 0;
	const char *code_end;
	uint64_t h;

	s = skip_ws(s, e);
	code_end = scan_code(s, e, &opens, &closes);
	if (opens > closes)
		txt_header(p, s, code_end);
	else if (p->depth == 2 && p->in_chain && opens == closes && p->table[0] &&
		 parse_handle(code_end, e, &h) && h)
		fill_text(p, h, s, code_end, out, n);
	p->depth += opens - closes;
	if (p->depth < 0 || p->depth > 1000)
		p->depth = 0;
	if (p->depth < 2)
		p->in_chain = false;
	if (p->depth < 1)
		p->family[0] = p->table[0] = '\0';
}

void nft_rules_attach_text(const char *text, size_t len, struct nft_rule_match *out, int n)
{
	struct txt_pos p;
	const char *line, *nl, *end;

	if (!text || !out || n <= 0)
		return;
	memset(&p, 0, sizeof(p));
	for (line = text, end = text + len; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		txt_line(&p, line, nl, out, n);
		if (nl == end)
			break;
	}
}
