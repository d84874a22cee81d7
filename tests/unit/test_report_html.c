// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The HTML report's telling (issue #23): every diagnosis mark on the
 * timeline carries the number of its table row, labels of marks close in
 * time are staggered and never cover each other (labels_place), an impostor's
 * bar is drawn apart from the agent's, and the page is made to print on A4.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labels.h"
#include "report.h"

static void assert_no_overlap(const struct label_box *b, size_t n, double gap)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (b[i].lane == b[j].lane && b[i].left < b[j].left + b[j].width + gap - 1e-9 &&
			    b[j].left < b[i].left + b[i].width + gap - 1e-9)
				fail_msg("labels %zu and %zu overlap in lane %u", i, j, b[i].lane);
}

static void test_labels_far_apart_one_lane(void **state)
{
	struct label_box b[3] = { { .anchor = 10, .width = 15 }, { .anchor = 100, .width = 15 },
				  { .anchor = 300, .width = 22 } };

	(void)state;
	assert_int_equal(labels_place(b, 3, 3, 8), 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(b[i].lane, 0);
		assert_true(b[i].left == b[i].anchor - b[i].width / 2); /* centred on its mark */
	}
}

static void test_labels_same_time_stagger(void **state)
{
	struct label_box b[5];

	(void)state;
	for (int i = 0; i < 5; i++)
		b[i] = (struct label_box){ .anchor = 200, .width = 15 };
	assert_int_equal(labels_place(b, 5, 3, 8), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b[i].lane, (unsigned)i);
		assert_true(b[i].left == 192.5);
	}
	assert_no_overlap(b, 5, 3);
}

static void test_labels_reuse_freed_lane(void **state)
{
	/* 0 and 1 collide; 2 is clear of 0 again and goes back to the first row */
	struct label_box b[3] = { { .anchor = 100, .width = 15 }, { .anchor = 105, .width = 15 },
				  { .anchor = 125, .width = 15 } };

	(void)state;
	assert_int_equal(labels_place(b, 3, 3, 8), 2);
	assert_int_equal(b[0].lane, 0);
	assert_int_equal(b[1].lane, 1);
	assert_int_equal(b[2].lane, 0);
	assert_no_overlap(b, 3, 3);
}

static void test_labels_overflow_shifts_right(void **state)
{
	struct label_box b[20];

	(void)state;
	for (int i = 0; i < 20; i++)
		b[i] = (struct label_box){ .anchor = 50, .width = 22 };
	assert_int_equal(labels_place(b, 20, 3, 4), 4);
	for (int i = 0; i < 20; i++) {
		assert_true(b[i].lane < 4);
		assert_true(b[i].left >= 50 - 11); /* never left of where it would be centred */
	}
	assert_no_overlap(b, 20, 3);
	/* the fifth goes after the first in the row that frees first */
	assert_int_equal(b[4].lane, 0);
	assert_true(b[4].left == b[0].left + 22 + 3);
}

static void test_labels_bad_input(void **state)
{
	struct label_box b[2] = { { .anchor = 20, .width = 8 }, { .anchor = 10, .width = 8 } };

	(void)state;
	assert_int_equal(labels_place(b, 0, 3, 8), 0);
	assert_int_equal(labels_place(b, 2, 3, 8), -EINVAL); /* not in order */
	assert_int_equal(labels_place(b, 1, 3, 0), -EINVAL);
	assert_int_equal(labels_place(b, 1, -1, 8), -EINVAL);
}

/* ---- the page ---- */

static struct diagnosis diag_at(enum cause c, uint32_t pid, uint64_t ts, const char *summary)
{
	struct diagnosis d;

	memset(&d, 0, sizeof(d));
	d.cause = c;
	d.primary = true;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.pid = pid;
	d.count = 1;
	d.ts_ns = d.first_ns = d.last_ns = ts;
	snprintf(d.process, sizeof(d.process), "AliYunDun");
	snprintf(d.summary, sizeof(d.summary), "%s", summary);
	return d;
}

static void exec_event(struct report *r, uint32_t pid, uint32_t uid, uint64_t ts, const char *file)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_EXEC;
	e.hdr.ts_ns = ts;
	e.hdr.tgid = e.hdr.pid = pid;
	e.hdr.uid = uid;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "AliYunDun");
	snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", file);
	report_event(r, &e);
}

/* A session: the agent (pid 100) and an impostor (pid 200, uid 65534, a
 * name with markup in it), three diagnoses in the same instant, one later. */
static char *render(size_t *len)
{
	struct clockmap cm = { 0 };
	struct session_summary sum = { .start_ns = 1, .end_ns = 10000000000ULL };
	struct report *r = report_new(&cm, 1);
	struct diagnosis d;
	char *buf = NULL;
	FILE *f;

	assert_non_null(r);
	exec_event(r, 100, 0, 1000, "/usr/local/aegis/aegis_client/aegis_12_93/AliYunDun");
	exec_event(r, 200, 65534, 2000, "/tmp/AliYunDun");
	d = diag_at(CAUSE_AGENT_KILLED, 100, 8000000000ULL, "AliYunDun (pid 100) killed by SIGKILL");
	report_diagnosis(r, &d);
	d = diag_at(CAUSE_AGENT_IMPOSTOR, 200, 3000000000ULL, "AliYunDun (pid 200, uid 65534) is not the agent");
	d.uid = 65534;
	d.primary = false;
	snprintf(d.exe, sizeof(d.exe), "/tmp/<x>/AliYunDun");
	report_diagnosis(r, &d);
	d = diag_at(CAUSE_CONNECT_REFUSED, 200, 3000000000ULL, "the impostor's connect refused");
	d.impostor = true;
	report_diagnosis(r, &d);
	d = diag_at(CAUSE_CONNECT_REFUSED, 100, 3000000000ULL, "the agent's connect refused");
	report_diagnosis(r, &d);
	f = open_memstream(&buf, len);
	assert_non_null(f);
	assert_int_equal(report_html(r, f, &sum, "host"), 0);
	fclose(f);
	report_free(r);
	return buf;
}

static void test_html_marks_numbered_as_rows(void **state)
{
	size_t len;
	char *html = render(&len);
	char want[128];

	(void)state;
	/* rows by time: the three at +3.0s first (in the order they came), the kill last */
	const char *causes[] = { "agent_impostor", "connect_refused", "connect_refused", "agent_killed" };
	for (unsigned n = 1; n <= 4; n++) {
		const char *g, *end, *t;

		snprintf(want, sizeof(want), "data-row=\"%u\"><title>#%u %s: ", n, n, causes[n - 1]);
		g = strstr(html, want);
		if (!g)
			fail_msg("no mark numbered %u for %s", n, causes[n - 1]);
		end = strstr(g, "</g>");
		assert_non_null(end);
		snprintf(want, sizeof(want), "text-anchor=\"middle\" fill=\"");
		t = strstr(g, "<text class=\"tag\"");
		assert_true(t && t < end);
		snprintf(want, sizeof(want), ">%u</text></g>", n);
		assert_true(strstr(t, want) == end - strlen(want) + strlen("</g>"));
		snprintf(want, sizeof(want), "<tr id=\"diag-%u\"><td class=\"num\">%u</td>", n, n);
		assert_non_null(strstr(html, want));
	}
	/* the three at the same instant are in three label rows: y 54, 71, 88 */
	assert_non_null(strstr(html, "y=\"54\" width=\"15\""));
	assert_non_null(strstr(html, "y=\"71\" width=\"15\""));
	assert_non_null(strstr(html, "y=\"88\" width=\"15\""));
	free(html);
}

static void test_html_impostor_apart(void **state)
{
	size_t len;
	char *html = render(&len);
	const char *agent, *imp, *heading;

	(void)state;
	agent = strstr(html, "<rect class=\"proc\" ");
	imp = strstr(html, "<rect class=\"proc impostor\" ");
	heading = strstr(html, "impostors: not the agent</text>");
	assert_non_null(agent);
	assert_non_null(imp);
	assert_non_null(heading);
	assert_true(agent < heading && heading < imp); /* its own lane, below the agent's */
	assert_non_null(strstr(agent, "fill=\"#81c784\"><title>pid 100 "));
	assert_non_null(strstr(imp, "fill=\"url(#hatch)\" stroke=\"#616161\"><title>pid 200 "));
	assert_non_null(strstr(html, "impostor: /tmp/&lt;x&gt;/AliYunDun (uid 65534)</text>"));
	assert_null(strstr(html, "<x>"));
	/* the impostor's diagnoses are hollow; the agent's refusal is not */
	assert_non_null(strstr(html, "<g class=\"diag warn impostor\" data-row=\"1\">"));
	assert_non_null(strstr(html, "<g class=\"diag crit impostor\" data-row=\"2\">"));
	assert_non_null(strstr(html, "<g class=\"diag crit\" data-row=\"3\">"));
	assert_non_null(strstr(html, "<g id=\"legend\">"));
	assert_non_null(strstr(html, "impostor: a process under the agent"));
	free(html);
}

static void test_html_prints_on_a4(void **state)
{
	size_t len;
	char *html = render(&len);
	const char *svg;

	(void)state;
	assert_non_null(strstr(html, "@page{size:A4;"));
	assert_non_null(strstr(html, "@media print{"));
	assert_non_null(strstr(html, "print-color-adjust:exact"));
	assert_non_null(strstr(html, "svg#timeline{display:block;width:100%;height:auto}"));
	assert_non_null(strstr(html, "table-layout:fixed"));
	svg = strstr(html, "<svg id=\"timeline\"");
	assert_non_null(svg);
	/* scaled by the page: a viewBox, no fixed size */
	assert_non_null(strstr(svg, "viewBox=\"0 0 970 "));
	assert_true(strstr(svg, "width=\"") > strstr(svg, ">"));
	assert_null(strstr(html, "src=\""));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_far_apart_one_lane),
		cmocka_unit_test(test_labels_same_time_stagger),
		cmocka_unit_test(test_labels_reuse_freed_lane),
		cmocka_unit_test(test_labels_overflow_shifts_right),
		cmocka_unit_test(test_labels_bad_input),
		cmocka_unit_test(test_html_marks_numbered_as_rows),
		cmocka_unit_test(test_html_impostor_apart),
		cmocka_unit_test(test_html_prints_on_a4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
