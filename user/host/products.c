// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The product table. Process names are kernel comms: at most 15 characters,
 * so longer executable names appear cut ("sentinelone-age"). */
#include "products.h"

#include <string.h>

#include "agent.h"

const struct product products[] = {
	{ "SafeDog (安全狗)", { "safedog", "safedogguard", "SafeDogGuardCen", "sdmonitor", "safedogupdate" },
	  { "/etc/safedog", "/usr/local/safedog", "/opt/safedog" } },
	{ "Yunsuo (云锁)", { "yunsuo_agent_se", "yunsuo_agent_da", "yunsuo_agent_gu", "yunsuo" },
	  { "/usr/local/yunsuo_agent" } },
	{ "Fortinet FortiClient / FortiEDR", { "forticlient", "fortitray", "fctsched", "fortiedr", "FortiEDRAvScann" },
	  { "/opt/forticlient", "/opt/FortiEDRCollector" } },
	{ "CrowdStrike Falcon", { "falcon-sensor", "falcond", "falcon-sensor-b" }, { "/opt/CrowdStrike" } },
	{ "Trend Micro Deep Security", { "ds_agent", "ds_am", "ds_nuagent" }, { "/opt/ds_agent" } },
	{ "Sophos", { "sophos-spl", "savd", "sophosav", "mcsagent", "sophos_threat_d" },
	  { "/opt/sophos-spl", "/opt/sophos-av" } },
	{ "McAfee / Trellix", { "masvc", "macmnsvc", "mfetpd", "isecav", "cmdagent" },
	  { "/opt/McAfee", "/opt/isec" } },
	{ "VMware Carbon Black", { "cbagentd", "cbdaemon", "cbsensor", "event_collector" }, { "/opt/carbonblack" } },
	{ "SentinelOne", { "sentinelone-age", "s1-agent", "s1-orchestrator" }, { "/opt/sentinelone" } },
	{ "Qualys Cloud Agent", { "qualys-cloud-ag" }, { "/usr/local/qualys" } },
	{ "ClamAV", { "clamd", "freshclam", "clamonacc" }, { "" } },
	{ "Tencent Cloud Workload Protection (YunJing)", { "YDService", "YDLive", "YDEdr" },
	  { "/usr/local/qcloud/YunJing" } },
	{ "Huawei Cloud HSS", { "hostguard", "hostwatch" }, { "/usr/local/hostguard" } },
	{ "Microsoft Defender for Endpoint", { "wdavdaemon", "mdatp" }, { "/opt/microsoft/mdatp" } },
	{ "ESET", { "esets_daemon", "oaeventd", "eset_rtp" }, { "/opt/eset" } },
	{ "Kaspersky Endpoint Security", { "kesl", "wdserver", "klnagent" }, { "/opt/kaspersky" } },
	{ "Wazuh / OSSEC", { "wazuh-agentd", "wazuh-syscheckd", "ossec-agentd" }, { "/var/ossec" } },
	{ "Elastic Endpoint", { "elastic-endpoin", "elastic-agent" }, { "/opt/Elastic/Endpoint" } },
	{ "Qihoo 360", { "360sd", "360safe", "zhudongfangyu" }, { "/opt/360sd", "/opt/360safe" } },
};
const size_t product_count = sizeof(products) / sizeof(products[0]);

const struct product *product_of_process(const char *comm, const char *exe)
{
	for (size_t i = 0; i < product_count; i++) {
		const struct product *p = &products[i];

		for (int k = 0; k < PRODUCT_MAX_NAMES && p->comms[k]; k++)
			if (comm && !strcmp(comm, p->comms[k]))
				return p;
		for (int k = 0; exe && exe[0] && k < PRODUCT_MAX_NAMES && p->paths[k]; k++)
			if (p->paths[k][0] && path_inside(exe, p->paths[k]))
				return p;
	}
	return NULL;
}
