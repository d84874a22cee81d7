// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Run by test_report_html.sh in headless Chromium, appended to a copy of the
// report: checks the layout a reader sees and writes what it found into
// a pre element (id aegis-check) at the end of the body, a FAIL line per problem.
(function () {
	var out = [], svg = document.getElementById('timeline');
	function bad(m) { out.push('FAIL ' + m); }
	function done() {
		var pre = document.createElement('pre');
		pre.id = 'aegis-check';
		pre.textContent = out.join('\n') + '\n';
		document.body.appendChild(pre);
	}
	if (!svg) { bad('no timeline'); done(); return; }
	var s = svg.getBoundingClientRect(), labels = [];
	var marks = svg.querySelectorAll('g.diag');
	out.push('marks ' + marks.length);
	marks.forEach(function (g) {
		var title = g.querySelector('title').textContent;
		var cause = title.replace(/^#[0-9]+ /, '').split(':')[0];
		var t = g.querySelector('text');
		if (!t || !t.textContent.trim()) { bad('a mark without a label: ' + title); return; }
		var n = t.textContent.trim(), st = getComputedStyle(t), b = t.getBoundingClientRect();
		if (b.width <= 0 || b.height <= 0 || st.visibility != 'visible' || st.display == 'none' || st.opacity == '0')
			bad('label ' + n + ' is not visible');
		labels.push({ n: n, b: b });
		var row = document.getElementById('diag-' + n);
		if (!row) { bad('label ' + n + ' has no table row'); return; }
		if (row.cells[0].textContent.trim() != n) bad('label ' + n + ' is on row ' + row.cells[0].textContent);
		if (row.cells[2].textContent.split(' ')[0] != cause)
			bad('label ' + n + ' marks ' + cause + ' but its row says ' + row.cells[2].textContent);
		out.push('label ' + n + ' ' + cause);
	});
	for (var i = 0; i < labels.length; i++)
		for (var j = i + 1; j < labels.length; j++) {
			var a = labels[i].b, c = labels[j].b;
			if (a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom)
				bad('labels ' + labels[i].n + ' and ' + labels[j].n + ' overlap');
		}
	svg.querySelectorAll('text,rect,circle,path,line').forEach(function (el) {
		if (el.closest('defs')) return;
		var r = el.getBoundingClientRect();
		if (r.right > s.right + 0.5 || r.left < s.left - 0.5)
			bad('cut at the edge: ' + el.outerHTML.slice(0, 100));
	});
	var de = document.documentElement;
	if (de.scrollWidth > de.clientWidth) bad('the page is ' + de.scrollWidth + ' px wide in ' + de.clientWidth);
	var agents = svg.querySelectorAll('rect.proc:not(.impostor)'), imps = svg.querySelectorAll('rect.proc.impostor');
	var lowest = 0;
	agents.forEach(function (r) {
		lowest = Math.max(lowest, r.getBoundingClientRect().bottom);
		if (r.getAttribute('fill') != '#81c784') bad('an agent bar is not green');
	});
	imps.forEach(function (r) {
		if (r.getBoundingClientRect().top < lowest) bad('an impostor bar is among the agent bars');
		if (r.getAttribute('fill') != 'url(#hatch)') bad('an impostor bar is not hatched');
	});
	svg.querySelectorAll('text.impostor-label').forEach(function (t) { out.push('impostor label ' + t.textContent); });
	if (!svg.querySelector('#legend')) bad('no legend');
	done();
})();
