/* Cause table: one row per stable code, advice following the official procedure. */
#include "causes.h"

#include <string.h>

struct cause_info {
	const char *code;
	enum severity severity;
	const char *advice;
};

static const struct cause_info table[CAUSE_COUNT] = {
	[CAUSE_AGENT_NOT_RUNNING] = {
		"agent_not_running", SEV_CRITICAL,
		"Start the agent the way the host does: 'systemctl restart aegis' or "
		"'/etc/init.d/aegis start'; without either, run AliYunDun from the highest "
		"aegis_client/aegis_<major>_<minor> directory. If it does "
		"not stay up, see the diagnosis that explains its exit, or reinstall it from "
		"the Security Center console." },
	[CAUSE_AGENT_CRASHED] = {
		"agent_crashed", SEV_CRITICAL,
		"The agent died from a fault signal. Keep the core dump if one was written and "
		"the logs under aegis_client/aegis_<version>/data/ and log/, check free memory "
		"and disk, restart the agent, and open a ticket with Alibaba Cloud if it "
		"crashes again." },
	[CAUSE_AGENT_KILLED] = {
		"agent_killed", SEV_CRITICAL,
		"Another process killed the agent. Find out why the sender and its parents "
		"(shown above) did it: an uninstall or cleanup script, a configuration "
		"management run, third-party security software or malware that removes cloud "
		"agents. Stop it first, then restart the agent." },
	[CAUSE_AGENT_OOM_KILLED] = {
		"agent_oom_killed", SEV_CRITICAL,
		"The kernel's OOM killer chose the agent. Free memory on the host or raise the "
		"memory limit of the agent's cgroup (sustained memory use at 95-100% stops the "
		"agent), then restart it." },
	[CAUSE_AGENT_EXITED] = {
		"agent_exited", SEV_WARNING,
		"The agent exited by itself. Read its logs under "
		"aegis_client/aegis_<version>/data/ and log/ for the reason (update, "
		"uninstall, duplicate UUID, configuration) and restart it if nothing "
		"restarts it within the grace period." },
	[CAUSE_AGENT_FLAPPING] = {
		"agent_flapping", SEV_CRITICAL,
		"The agent is in a restart loop: each start ends quickly. The diagnoses of the "
		"individual exits say how it dies; fix that cause. Restarting it again will "
		"not help." },
	[CAUSE_AGENT_IMPOSTOR] = {
		"agent_impostor", SEV_WARNING,
		"A process uses an agent name but its executable is outside the agent root. "
		"Malware hides under the agent's names: inspect the executable, its parent "
		"and how it was started (cron, systemd units, /etc/rc.local) before anything "
		"else." },
};

const char *cause_code(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].code : "unknown";
}

enum severity cause_severity(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].severity : SEV_INFO;
}

const char *cause_advice(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].advice : "";
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL: return "critical";
	case SEV_WARNING: return "warning";
	default: return "info";
	}
}

int cause_from_code(const char *code)
{
	for (int c = 0; c < CAUSE_COUNT; c++)
		if (strcmp(table[c].code, code) == 0)
			return c;
	return -1;
}
