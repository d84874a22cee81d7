// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Checks of the host around the agent: third-party security software and
 * the clock. */
#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "products.h"
#include "resources.h"

struct tp_scan {
	struct check_result *r;
	unsigned running;
	char first[200];
	bool seen[64];       /* per product: reported once */
	bool ntp_daemon;
	char ntp_name[16];
};

static int tp_one(int pid, void *ctx)
{
	struct tp_scan *s = ctx;
	struct proc_stat st;
	char exe[AGENT_PATH_MAX] = "";
	const struct product *p;

	if (proc_read_stat(pid, &st))
		return 0;
	if (!strcmp(st.comm, "chronyd") || !strcmp(st.comm, "ntpd") || !strcmp(st.comm, "systemd-timesyn") ||
	    !strcmp(st.comm, "openntpd")) {
		s->ntp_daemon = true;
		snprintf(s->ntp_name, sizeof(s->ntp_name), "%s", st.comm);
	}
	proc_read_exe(pid, exe, sizeof(exe));
	p = product_of_process(st.comm, exe);
	if (!p)
		return 0;
	jw_obj_begin(&s->r->ev);
	jw_kstr(&s->r->ev, "product", p->name);
	jw_kint(&s->r->ev, "pid", pid);
	jw_kstrn(&s->r->ev, "comm", st.comm, sizeof(st.comm));
	jw_kstr(&s->r->ev, "exe", exe);
	jw_obj_end(&s->r->ev);
	if (!s->running++)
		snprintf(s->first, sizeof(s->first), "%s (%s, pid %d)", p->name, st.comm, pid);
	s->seen[p - products] = true;
	return 0;
}

void check_third_party(struct check_ctx *c, struct check_result *r)
{
	struct tp_scan s = { .r = r };
	char installed[300] = "", preload[400] = "", line[512];
	unsigned foreign = 0;
	FILE *f;

	(void)c;
	jw_key(&r->ev, "running");
	jw_arr_begin(&r->ev);
	proc_for_each_pid(tp_one, &s);
	jw_arr_end(&r->ev);
	jw_key(&r->ev, "installed");
	jw_arr_begin(&r->ev);
	for (size_t i = 0; i < product_count; i++) {
		struct stat st;

		for (int k = 0; k < PRODUCT_MAX_NAMES && products[i].paths[k]; k++) {
			if (!products[i].paths[k][0] || stat(products[i].paths[k], &st) || !S_ISDIR(st.st_mode))
				continue;
			jw_obj_begin(&r->ev);
			jw_kstr(&r->ev, "product", products[i].name);
			jw_kstr(&r->ev, "path", products[i].paths[k]);
			jw_obj_end(&r->ev);
			if (!s.seen[i])
				snprintf(installed + strlen(installed), sizeof(installed) - strlen(installed),
					 "%s%s (%s)", installed[0] ? ", " : "", products[i].name, products[i].paths[k]);
			break;
		}
	}
	jw_arr_end(&r->ev);
	/* a library in ld.so.preload runs inside every process, the agent's too */
	jw_key(&r->ev, "ld_so_preload");
	jw_arr_begin(&r->ev);
	f = fopen("/etc/ld.so.preload", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *save = NULL;

		for (char *w = strtok_r(line, " \t\r\n:", &save); w; w = strtok_r(NULL, " \t\r\n:", &save)) {
			bool agent_own = strstr(w, "aliyunlyra") || path_inside(w, c->env.install.found ? c->env.install.root : "/usr/local/aegis");

			if (w[0] == '#')
				break;
			jw_obj_begin(&r->ev);
			jw_kstr(&r->ev, "library", w);
			jw_kbool(&r->ev, "agent", agent_own);
			jw_obj_end(&r->ev);
			if (!agent_own && !foreign++)
				snprintf(preload, sizeof(preload), "%s", w);
		}
	}
	if (f)
		fclose(f);
	jw_arr_end(&r->ev);

	if (s.running || foreign) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "%s%s%s%s%s", s.running ? "running: " : "",
			 s.running ? s.first : "", s.running && foreign ? "; " : "",
			 foreign ? "/etc/ld.so.preload loads " : "", foreign ? preload : "");
		snprintf(r->advice, sizeof(r->advice),
			 "Security software can kill the agent or block its network (the official page names "
			 "SafeDog, Yunsuo and FortiGate): allow-list AliYunDun, AliYunDunMonitor and "
			 "AliYunDunUpdate and their connections to the endpoints, or disable it and reinstall "
			 "the agent. An unknown library in /etc/ld.so.preload is a rootkit technique: find "
			 "out what installed it.");
	} else if (installed[0]) {
		snprintf(r->summary, sizeof(r->summary), "installed, not running: %s", installed);
	} else {
		snprintf(r->summary, sizeof(r->summary), "no known third-party security software");
	}
}

void check_clock(struct check_ctx *c, struct check_result *r)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);
	bool unsync = state == TIME_ERROR || (tx.status & STA_UNSYNC);
	struct tp_scan s = { .r = r };
	long long rtc = -1, now = (long long)time(NULL), skew = 0;
	FILE *f = fopen("/sys/class/rtc/rtc0/since_epoch", "re");

	(void)c;
	if (f) {
		if (fscanf(f, "%lld", &rtc) != 1)
			rtc = -1;
		fclose(f);
	}
	/* only the sync daemon is wanted from the scan: an empty result array */
	jw_key(&r->ev, "unused");
	jw_arr_begin(&r->ev);
	proc_for_each_pid(tp_one, &s);
	jw_arr_end(&r->ev);
	jw_kbool(&r->ev, "kernel_synchronized", !unsync);
	jw_kint(&r->ev, "max_error_us", tx.maxerror);
	jw_kint(&r->ev, "offset_us", (tx.status & STA_NANO) ? tx.offset / 1000 : tx.offset);
	if (s.ntp_daemon)
		jw_kstr(&r->ev, "sync_daemon", s.ntp_name);
	if (rtc >= 0) {
		skew = now - rtc;
		jw_kint(&r->ev, "rtc_minus_system_s", -skew);
	}
	if (rtc >= 0 && (skew > 300 || skew < -300)) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "system time and the hardware clock differ by %lld s%s",
			 skew < 0 ? -skew : skew, unsync ? "; not synchronized" : "");
	} else if (unsync) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "the kernel clock is not synchronized%s%s",
			 s.ntp_daemon ? " (running: " : " and no NTP daemon runs", s.ntp_daemon ? s.ntp_name : "");
		if (s.ntp_daemon)
			strncat(r->summary, ")", sizeof(r->summary) - strlen(r->summary) - 1);
	} else {
		snprintf(r->summary, sizeof(r->summary), "synchronized%s%s%s", s.ntp_daemon ? " by " : "",
			 s.ntp_daemon ? s.ntp_name : "", rtc >= 0 ? ", hardware clock agrees" : "");
	}
	if (r->status != CHECK_OK)
		snprintf(r->advice, sizeof(r->advice),
			 "TLS to the endpoints fails when the clock is wrong. Synchronize it (chrony with "
			 "the Alibaba Cloud NTP servers ntp.cloud.aliyuncs.com, or systemd-timesyncd) and "
			 "check 'chronyc tracking' / 'timedatectl'.");
}

#define CHECK_SAMPLE_MS 300
#define SCAN_FREE_BYTES (1ULL << 30) /* the agent's scans need 1 GB */
#define MAX_AGENT_PIDS 16

struct agent_ticks {
	const struct check_ctx *c;
	int n;
	int pid[MAX_AGENT_PIDS];
	uint64_t ticks[MAX_AGENT_PIDS];
	uint64_t rss_kib;
};

static int agent_one(int pid, void *ctx)
{
	struct agent_ticks *a = ctx;
	struct proc_stat st;
	char path[64], text[1024];
	enum agent_why why;
	struct proc_usage u;
	uint64_t pages;
	size_t n;

	if (a->n >= MAX_AGENT_PIDS || proc_read_stat(pid, &st) || !agent_is_comm(st.comm))
		return 0;
	if (agent_identify_pid(&a->c->env, pid, &why) != IDENT_AGENT)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = check_read_file(path, text, sizeof(text));
	if (!n || res_parse_pid_stat(text, n, &u))
		return 0;
	a->pid[a->n] = pid;
	a->ticks[a->n++] = u.ticks;
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	n = check_read_file(path, text, sizeof(text));
	if (n && res_parse_statm(text, n, &pages) == 0)
		a->rss_kib += pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
	return 0;
}

/* the agent's CPU ticks now, for the pids of the first scan */
static uint64_t agent_ticks_again(const struct agent_ticks *a, uint64_t *before)
{
	uint64_t now = 0, then = 0;

	for (int i = 0; i < a->n; i++) {
		char path[64], text[1024];
		struct proc_usage u;
		size_t n;

		snprintf(path, sizeof(path), "/proc/%d/stat", a->pid[i]);
		n = check_read_file(path, text, sizeof(text));
		if (!n || res_parse_pid_stat(text, n, &u) || u.ticks < a->ticks[i])
			continue; /* gone, or the pid was reused */
		now += u.ticks;
		then += a->ticks[i];
	}
	*before = then;
	return now;
}

static void free_space(struct check_result *r, const char *key, const char *path, char *low, size_t lowlen)
{
	struct statvfs sv;
	uint64_t bytes;

	if (!path || statvfs(path, &sv))
		return;
	bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	jw_kuint(&r->ev, key, bytes >> 20);
	if (bytes < SCAN_FREE_BYTES)
		snprintf(low + strlen(low), lowlen - strlen(low), "%s%s %llu MiB free", low[0] ? ", " : "",
			 path, (unsigned long long)(bytes >> 20));
}

void check_resources(struct check_ctx *c, struct check_result *r)
{
	static char text[16384];
	struct cpu_times c0 = { 0 }, c1 = { 0 };
	struct meminfo mi = { 0 };
	struct psi pcpu = { -1, -1 }, pmem = { -1, -1 };
	struct agent_ticks ag = { .c = c };
	uint32_t busy_pm = 0, used_pm = 0, load = 0;
	uint64_t agent_then = 0, agent_now;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), tck = sysconf(_SC_CLK_TCK);
	unsigned sample = check_budget_ms(c, CHECK_SAMPLE_MS);
	struct timespec t0, t1, pause = { 0, (long)sample * 1000000L };
	double elapsed;
	char low[256] = "", why[256] = "";
	size_t n;
	bool have_cpu;

	n = check_read_file("/proc/stat", text, sizeof(text));
	have_cpu = n && res_parse_cpu(text, n, &c0) == 0;
	proc_for_each_pid(agent_one, &ag);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&pause, NULL); /* a short sample: the official step looks at 'top' */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n = check_read_file("/proc/stat", text, sizeof(text));
	have_cpu = have_cpu && n && res_parse_cpu(text, n, &c1) == 0;
	agent_now = agent_ticks_again(&ag, &agent_then);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (have_cpu)
		busy_pm = res_busy_pm(&c0, &c1);
	n = check_read_file("/proc/meminfo", text, sizeof(text));
	if (n && res_parse_meminfo(text, n, &mi) == 0)
		used_pm = res_mem_used_pm(mi.total_kib, mi.avail_kib);
	n = check_read_file("/proc/pressure/cpu", text, sizeof(text));
	if (n)
		res_parse_psi(text, n, &pcpu);
	n = check_read_file("/proc/pressure/memory", text, sizeof(text));
	if (n)
		res_parse_psi(text, n, &pmem);
	n = check_read_file("/proc/loadavg", text, sizeof(text));
	if (n)
		res_parse_loadavg(text, n, &load);

	jw_kuint(&r->ev, "sample_ms", (uint64_t)(elapsed * 1000));
	if (have_cpu)
		jw_kuint(&r->ev, "cpu_busy_permille", busy_pm);
	jw_kuint(&r->ev, "mem_total_kib", mi.total_kib);
	jw_kuint(&r->ev, "mem_available_kib", mi.avail_kib);
	jw_kuint(&r->ev, "mem_used_permille", used_pm);
	jw_kint(&r->ev, "psi_cpu_some_avg10_centi", pcpu.some_avg10);
	jw_kint(&r->ev, "psi_memory_full_avg10_centi", pmem.full_avg10);
	jw_kuint(&r->ev, "load1_centi", load);
	jw_kint(&r->ev, "cpus", ncpu);
	jw_kint(&r->ev, "agent_processes", ag.n);
	if (ag.n && tck > 0 && elapsed > 0)
		jw_kuint(&r->ev, "agent_cpu_permille",
			 (uint64_t)((double)(agent_now - agent_then) / (double)tck / elapsed * 1000));
	jw_kuint(&r->ev, "agent_rss_kib", ag.rss_kib);
	free_space(r, "free_mib_agent_root", c->env.install.found ? c->env.install.root : NULL, low, sizeof(low));
	free_space(r, "free_mib_tmp", "/tmp", low, sizeof(low));

	snprintf(r->summary, sizeof(r->summary),
		 "CPU %.0f%% busy (%.1f s sample), memory %.0f%% used (%llu MiB available), load %.2f on %ld CPUs; "
		 "agent: %d process%s, %.1f%% CPU, %llu MiB RSS",
		 busy_pm / 10.0, elapsed, used_pm / 10.0, (unsigned long long)(mi.avail_kib >> 10), load / 100.0,
		 ncpu, ag.n, ag.n == 1 ? "" : "es",
		 ag.n && tck > 0 && elapsed > 0 ? (double)(agent_now - agent_then) / (double)tck / elapsed * 100 : 0.0,
		 (unsigned long long)(ag.rss_kib >> 10));
	if (have_cpu && busy_pm >= (uint32_t)(c->o->cpu_threshold * 10)) {
		check_raise(r, CHECK_FAIL);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%sCPU at %.0f%%", why[0] ? "; " : "",
			 busy_pm / 10.0);
	}
	if (mi.total_kib && used_pm >= (uint32_t)(c->o->memory_threshold * 10)) {
		check_raise(r, CHECK_FAIL);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%smemory at %.0f%%", why[0] ? "; " : "",
			 used_pm / 10.0);
	}
	if (pmem.full_avg10 >= 1000) { /* tasks stall on memory 10% of the time */
		check_raise(r, CHECK_WARN);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%smemory pressure (PSI full %.1f%%)",
			 why[0] ? "; " : "", pmem.full_avg10 / 100.0);
	}
	if (ncpu > 0 && load > (uint32_t)ncpu * 200) {
		check_raise(r, CHECK_WARN);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%sload %.2f on %ld CPUs", why[0] ? "; " : "",
			 load / 100.0, ncpu);
	}
	if (low[0]) {
		check_raise(r, CHECK_WARN);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%slow disk space: %s (scans need 1 GB)",
			 why[0] ? "; " : "", low);
	}
	if (why[0]) {
		char head[sizeof(r->summary)];

		snprintf(head, sizeof(head), "%s", r->summary);
		snprintf(r->summary, sizeof(r->summary), "%s: %s", why, head);
		snprintf(r->advice, sizeof(r->advice),
			 "Sustained CPU or memory at 95-100%% stops the agent (the official page): find the "
			 "consumers ('top -c', 'ps aux --sort=-rss'), limit or stop them, or resize the "
			 "instance; 'aegismon trace' (or run) reports cpu_saturated, memory_exhausted and "
			 "agent_starved when it lasts. Free disk space where it is short.");
	}
}
