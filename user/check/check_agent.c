// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Checks about the agent itself: installed, running, identity. */
#include "check.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "causes.h"
#include "procfs.h"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* the service units and init scripts the agent's installers write */
static const char *const unit_paths[] = {
	"/etc/systemd/system/aegis.service", "/usr/lib/systemd/system/aegis.service",
	"/lib/systemd/system/aegis.service",
};

void check_agent_installed(struct check_ctx *c, struct check_result *r)
{
	const struct agent_install *in = &c->env.install;
	char dir[AGENT_PATH_MAX + 32], best[64] = "";
	const char *unit = NULL, *init = is_file("/etc/init.d/aegis") ? "/etc/init.d/aegis" : NULL;
	int nversions = 0;
	DIR *d;
	struct dirent *de;

	jw_key(&r->ev, "roots");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < c->env.nroots; i++)
		jw_str(&r->ev, c->env.roots[i]);
	jw_arr_end(&r->ev);
	if (!in->found) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "no agent install under %s%s%s", c->env.roots[0],
			 c->env.nroots > 1 ? " or " : "", c->env.nroots > 1 ? c->env.roots[1] : "");
		snprintf(r->advice, sizeof(r->advice), "%s", advice_not_installed());
		return;
	}
	jw_kstr(&r->ev, "root", in->root);
	jw_key(&r->ev, "versions");
	jw_arr_begin(&r->ev);
	snprintf(dir, sizeof(dir), "%s/aegis_client", in->root);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		int ma, mi;

		if (agent_parse_version_dir(de->d_name, &ma, &mi) == 0) {
			jw_str(&r->ev, de->d_name);
			nversions++;
		}
	}
	if (d)
		closedir(d);
	jw_arr_end(&r->ev);
	if (in->major >= 0 && in->client_dir[0]) {
		const char *slash = strrchr(in->client_dir, '/');

		snprintf(best, sizeof(best), "%s", slash ? slash + 1 : in->client_dir);
		jw_kstr(&r->ev, "chosen", best);
	}
	jw_key(&r->ev, "binaries");
	jw_obj_begin(&r->ev);
	for (int k = 0; k < CORE_COUNT; k++)
		jw_kbool(&r->ev, agent_core_name(k), in->present_mask & (1u << k));
	jw_obj_end(&r->ev);
	for (size_t i = 0; i < sizeof(unit_paths) / sizeof(unit_paths[0]) && !unit; i++)
		if (is_file(unit_paths[i]))
			unit = unit_paths[i];
	if (unit)
		jw_kstr(&r->ev, "service_unit", unit);
	if (init)
		jw_kstr(&r->ev, "init_script", init);

	snprintf(r->summary, sizeof(r->summary), "%s, %d version director%s, highest %s; started by %s",
		 in->root, nversions, nversions == 1 ? "y" : "ies", best[0] ? best : "(none)",
		 unit ? unit : init ? init : "nothing (no aegis.service, no /etc/init.d/aegis)");
	if (!(in->present_mask & (1u << CORE_ALIYUNDUN))) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "%s: no AliYunDun in %s", in->root,
			 best[0] ? best : "aegis_client/aegis_<major>_<minor>");
		snprintf(r->advice, sizeof(r->advice),
			 "The install is incomplete: reinstall the agent from the Security Center console.");
	} else if (!unit && !init) {
		r->status = CHECK_WARN;
		snprintf(r->advice, sizeof(r->advice),
			 "Nothing starts the agent at boot: reinstall it, which creates aegis.service or "
			 "/etc/init.d/aegis.");
	}
}

struct proc_scan {
	struct check_ctx *c;
	struct check_result *r;
	unsigned running[CORE_COUNT];
	unsigned impostors;
	char impostor_text[200];
	double uptime_s;
	long tck;
};

static int scan_one(int pid, void *ctx)
{
	struct proc_scan *s = ctx;
	struct proc_stat st;
	char exe[AGENT_PATH_MAX];
	enum agent_identity id;
	enum agent_why why;
	int core;

	if (proc_read_stat(pid, &st) || !agent_is_comm(st.comm))
		return 0;
	exe[0] = '\0';
	proc_read_exe(pid, exe, sizeof(exe));
	id = agent_identify_pid(&s->c->env, pid, &why);
	if (id == IDENT_OTHER) /* gone, or exec'd something else meanwhile */
		return 0;
	core = agent_core_of_comm(st.comm);
	jw_obj_begin(&s->r->ev);
	jw_kint(&s->r->ev, "pid", pid);
	jw_kstrn(&s->r->ev, "comm", st.comm, sizeof(st.comm));
	jw_kstr(&s->r->ev, "exe", exe);
	jw_kstr(&s->r->ev, "identity", agent_identity_name(id));
	if (why != WHY_NONE)
		jw_kstr(&s->r->ev, "why", agent_why_text(why));
	if (s->tck > 0)
		jw_kuint(&s->r->ev, "uptime_s",
			 (uint64_t)(s->uptime_s - (double)st.starttime_ticks / (double)s->tck));
	jw_obj_end(&s->r->ev);
	if (id == IDENT_IMPOSTOR) {
		if (!s->impostors++)
			snprintf(s->impostor_text, sizeof(s->impostor_text), "%s (pid %d, %s: %s)", st.comm, pid,
				 exe, agent_why_text(why));
	} else if (core != CORE_NONE) {
		s->running[core]++;
	}
	return 0;
}

void check_processes(struct check_ctx *c, struct check_result *r)
{
	struct proc_scan s = { .c = c, .r = r, .tck = sysconf(_SC_CLK_TCK) };
	char missing[128] = "", running[256] = "";
	FILE *f = fopen("/proc/uptime", "re");

	if (!f || fscanf(f, "%lf", &s.uptime_s) != 1)
		s.tck = 0;
	if (f)
		fclose(f);
	jw_key(&r->ev, "processes");
	jw_arr_begin(&r->ev);
	proc_for_each_pid(scan_one, &s);
	jw_arr_end(&r->ev);
	for (int k = 0; k < CORE_COUNT; k++) {
		/* a core process whose binary is not installed is not expected */
		bool expected = !c->env.install.found || (c->env.install.present_mask & (1u << k)) ||
				k == CORE_ALIYUNDUN;

		c->core_running[k] = s.running[k] > 0;
		if (s.running[k])
			snprintf(running + strlen(running), sizeof(running) - strlen(running), "%s%s x%u",
				 running[0] ? ", " : "", agent_core_name(k), s.running[k]);
		else if (expected)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", agent_core_name(k));
	}
	if (s.impostors) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "%u process%s named like the agent %s not the agent: %s",
			 s.impostors, s.impostors == 1 ? "" : "es", s.impostors == 1 ? "is" : "are", s.impostor_text);
		snprintf(r->advice, sizeof(r->advice),
			 "A process that takes the agent's name but is not the installed agent run by root is how malware hides: "
			 "inspect it (ls -l /proc/PID/exe, its parent, its files) before anything else.");
	} else if (missing[0]) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "not running: %s%s%s", missing,
			 running[0] ? "; running: " : "", running);
		snprintf(r->advice, sizeof(r->advice),
			 "Start the agent ('aegismon restart', or 'systemctl restart aegis' / "
			 "'/etc/init.d/aegis start'); if it does not stay up, 'aegismon trace' shows why it exits.");
	} else {
		snprintf(r->summary, sizeof(r->summary), "running: %s", running);
	}
}

/* The agent's UUID: cloned images carry the template's, and the console then
 * sees two hosts as one (one of them "offline"). */
static bool find_uuid(const char *path, char *uuid, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		for (char *q = line; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (!(p = strstr(line, "uuid")))
			continue;
		p += 4;
		while (*p && !isxdigit((unsigned char)*p))
			p++;
		size_t n = strspn(p, "0123456789abcdef-");

		if (n >= 32 && n < len) {
			memcpy(uuid, p, n);
			uuid[n] = '\0';
			found = true;
		}
	}
	fclose(f);
	return found;
}

void check_identity(struct check_ctx *c, struct check_result *r)
{
	const struct agent_install *in = &c->env.install;
	char path[AGENT_PATH_MAX + 64], uuid[64];
	static const char *const rel[] = { "globalcfg/domaincfg.ini", "globalcfg/install_info.ini",
					   "globalcfg/aegis_run_info", "aegis_client.conf" };
	struct stat st, mid;

	if (!in->found) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "no agent install");
		return;
	}
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]) + 1; i++) {
		if (i < sizeof(rel) / sizeof(rel[0]))
			snprintf(path, sizeof(path), "%s/%s", in->root, rel[i]);
		else
			snprintf(path, sizeof(path), "%s/conf/aegis_client.conf", in->client_dir);
		if (!find_uuid(path, uuid, sizeof(uuid)))
			continue;
		jw_kstr(&r->ev, "file", path);
		jw_kstr(&r->ev, "uuid", uuid);
		snprintf(r->summary, sizeof(r->summary), "agent UUID %s (%s)", uuid, path);
		/* a clone's machine-id is made at its first boot, after the agent's files */
		if (stat(path, &st) == 0 && stat("/etc/machine-id", &mid) == 0) {
			jw_kint(&r->ev, "uuid_file_mtime", (int64_t)st.st_mtime);
			jw_kint(&r->ev, "machine_id_mtime", (int64_t)mid.st_mtime);
			if (st.st_mtime + 86400 < mid.st_mtime) {
				r->status = CHECK_WARN;
				snprintf(r->summary, sizeof(r->summary),
					 "agent UUID %s is older than this machine's identity (/etc/machine-id): a cloned image?",
					 uuid);
				snprintf(r->advice, sizeof(r->advice),
					 "Hosts cloned from an image with the agent share its UUID and replace each "
					 "other in the console. Compare the UUID with the console; if it is shared, "
					 "uninstall the agent, delete %s and reinstall it.", in->root);
			}
		}
		return;
	}
	r->status = CHECK_SKIP;
	snprintf(r->summary, sizeof(r->summary), "no agent UUID file found under %s", in->root);
}
