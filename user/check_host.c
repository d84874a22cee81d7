/* Checks of the host around the agent: third-party security software and
 * the clock. */
#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>

#include "procfs.h"
#include "products.h"

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
