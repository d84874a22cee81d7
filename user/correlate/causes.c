// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Cause table: one row per stable code, advice following the official procedure. */
#include "causes.h"
#include "diagnosis.h"

#include <string.h>

struct cause_info {
	const char *code;
	enum severity severity;
	const char *advice;
	unsigned burst; /* 0: the default of 3 */
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
		"A process uses an agent name but is not the agent: its executable is no "
		"installed agent file, or it does not run as root, or it is traced or stopped. "
		"Malware hides under the agent's names: inspect the executable, its parent "
		"and how it was started (cron, systemd units, /etc/rc.local) before anything "
		"else." },
	[CAUSE_CONNECT_BLOCKED_LOCAL] = {
		"connect_blocked_local", SEV_CRITICAL,
		"This host's own firewall (netfilter: nftables, iptables, firewalld, ufw) drops "
		"the traffic to the Security Center endpoint. Remove or narrow the rule named "
		"here, or allow outbound TCP 80 and 443 to 100.100.0.0/16, 106.11.0.0/16 and "
		"100.103.0.0/16. Check for malware that adds such rules.", 1 },
	[CAUSE_CONNECT_BLOCKED_POLICY] = {
		"connect_blocked_policy", SEV_CRITICAL,
		"connect() was refused on this host without a firewall drop. The summary says what "
		"was seen on the process: a cgroup BPF connect program (bpftool cgroup tree; "
		"bpftool prog show id N names its owner), seccomp filters (the unit's "
		"SystemCallFilter=, a container's seccomp profile) or an LSM label (aa-status, "
		"ausearch -m avc). Third-party security software (SafeDog, Yunsuo, ...) installs "
		"such programs: allow the agent in it or remove it, as the official procedure says.", 1 },
	[CAUSE_CONNECT_TIMEOUT] = {
		"connect_timeout", SEV_CRITICAL,
		"The endpoint never answered and nothing on this host dropped the packets: the "
		"path is blocked outside the host. Check the security group and network ACL "
		"outbound rules (TCP 80 and 443 to the Aegis CIDRs), the cloud firewall, the "
		"route table and NAT/EIP of the VPC; use jsrv2 without a public address.", 1 },
	[CAUSE_CONNECT_REFUSED] = {
		"connect_refused", SEV_CRITICAL,
		"The endpoint address answered with a reset: nothing listens there. The name "
		"probably resolves to a wrong address (check /etc/hosts and DNS), or a proxy or "
		"middlebox rejects the connection.", 1 },
	[CAUSE_CONNECT_UNREACHABLE] = {
		"connect_unreachable", SEV_CRITICAL,
		"There is no route to the endpoint (or a router said it is unreachable). Check "
		"the routing table ('ip route get ADDRESS'), the default gateway and the VPC "
		"route table.", 1 },
	[CAUSE_CONNECTION_RESET] = {
		"connection_reset", SEV_WARNING,
		"An established connection to the endpoint was reset. Isolated resets are "
		"normal; repeated ones point to a proxy, a middlebox or an idle timeout on the "
		"path.", 1 },
	[CAUSE_CONNECTION_STALLED] = {
		"connection_stalled", SEV_CRITICAL,
		"The connection to the endpoint was established, then the data the agent sent was "
		"retransmitted again and again and nothing was acknowledged: the server or a device on "
		"the path stopped answering after the handshake (a stateful firewall or NAT that lost "
		"the session, a proxy, an overloaded server). Nothing was dropped on this host. Check "
		"the path with 'mtr -T -P 443 ENDPOINT' and 'ping -s 1000 jsrv.aegis.aliyun.com'; "
		"security groups and the VPC's NAT/firewall session limits.", 1 },
	[CAUSE_PATH_MTU_BLACKHOLE] = {
		"path_mtu_blackhole", SEV_CRITICAL,
		"Large packets to the endpoint are lost while small ones pass: the handshake works and "
		"every full-sized data segment is retransmitted in vain. A link on the path (a tunnel, "
		"VPN or overlay network) has a smaller MTU and the ICMP 'fragmentation needed' messages "
		"that Path MTU Discovery depends on are filtered. Run the official check 'ping -s 1000 "
		"jsrv.aegis.aliyun.com' (jsrv2 in a VPC) and 'aegismon check' (it finds the largest "
		"packet that passes); allow ICMP type 3 code 4 (ICMPv6 type 2) through, or lower the "
		"MTU / clamp the MSS on the path. 'sysctl net.ipv4.tcp_mtu_probing=1' lets TCP find a "
		"working size by itself.", 1 },
	[CAUSE_ENDPOINT_SINKHOLED] = {
		"endpoint_sinkholed", SEV_CRITICAL,
		"The agent connects to a sink (0.0.0.0 or loopback) instead of an Aegis endpoint: "
		"its server name resolves there. Remove the Aegis names from /etc/hosts (malware "
		"pins them to 0.0.0.0) and check the DNS answers.", 1 },
	[CAUSE_AGENT_ONLINE] = {
		"agent_online", SEV_INFO,
		"The agent reaches its endpoint again. The console shows it online within a few "
		"minutes.", 1 },
	[CAUSE_DNS_NXDOMAIN] = {
		"dns_nxdomain", SEV_CRITICAL,
		"The nameserver says the Aegis name does not exist. The resolver is wrong for "
		"this network (a private zone or split-horizon DNS without the aegis records, or "
		"a filtering DNS): use the VPC's default nameservers (100.100.2.136, "
		"100.100.2.138) or add the records, then check /etc/resolv.conf.", 1 },
	[CAUSE_DNS_SERVFAIL] = {
		"dns_servfail", SEV_CRITICAL,
		"The nameserver failed to resolve the Aegis name (its upstream is down or "
		"unreachable, or DNSSEC validation failed). Check the nameserver named here and "
		"its forwarders, or switch to the VPC's default nameservers.", 1 },
	[CAUSE_DNS_REFUSED] = {
		"dns_refused", SEV_CRITICAL,
		"The nameserver refuses to answer this host (an ACL, or a server that only "
		"serves its own zones). Use a nameserver that resolves public names for this "
		"host, such as the VPC's default ones.", 1 },
	[CAUSE_DNS_TIMEOUT] = {
		"dns_timeout", SEV_CRITICAL,
		"The nameserver never answered. Check that it is up and that security groups, "
		"network ACLs and firewalls allow UDP and TCP 53 to it; the official procedure "
		"starts with 'can the server resolve jsrv.aegis.aliyun.com?'.", 1 },
	[CAUSE_DNS_UNREACHABLE] = {
		"dns_unreachable", SEV_CRITICAL,
		"The nameserver's address or port is unreachable (ICMP unreachable or "
		"connection refused): nothing listens on port 53 there, or no route leads to "
		"it. Fix /etc/resolv.conf or the nameserver.", 1 },
	[CAUSE_DNS_BLOCKED_LOCAL] = {
		"dns_blocked_local", SEV_CRITICAL,
		"This host's own firewall drops DNS traffic (port 53). Remove the rule or allow "
		"UDP and TCP 53 to the nameservers of /etc/resolv.conf.", 1 },
	[CAUSE_THIRD_PARTY_SECURITY] = {
		"third_party_security", SEV_CRITICAL,
		"Third-party security software acted against the agent (the official page names "
		"SafeDog, Yunsuo and FortiGate). Allow-list AliYunDun, AliYunDunMonitor and "
		"AliYunDunUpdate and their connections to the endpoints in that product, or "
		"disable it and reinstall the agent." },
	[CAUSE_REMEDIATION_FAILED] = {
		"remediation_failed", SEV_CRITICAL,
		"aegismon restarted the agent and it did not stay up (or the restart budget "
		"of --restart-max per --restart-window is spent, or the restart was refused): "
		"automatic restarts are stopped. Read the diagnoses of the agent's exits, fix "
		"what kills it, then restart it by hand ('aegismon restart') or reinstall it "
		"from the Security Center console. Restarts resume after the window or a "
		"reload of aegismon.", 1 },
	[CAUSE_CPU_SATURATED] = {
		"cpu_saturated", SEV_WARNING,
		"The host's CPUs have been (nearly) fully busy for the whole window; the agent "
		"cannot keep up and its heartbeats stop (the official page: sustained CPU at "
		"95-100%). Find the consumers named here ('top -c', 'pidstat 1'), stop or "
		"limit them (nice, a cgroup cpu.max / CPUQuota=), or give the instance more "
		"vCPUs; with high steal time, move off a burstable instance type.", 1 },
	[CAUSE_MEMORY_EXHAUSTED] = {
		"memory_exhausted", SEV_WARNING,
		"The host has almost no memory available (or tasks stall on memory, PSI) for "
		"the whole window; the agent is slowed down and then OOM-killed (the official "
		"page: sustained memory at 95-100%). Find the largest processes named here "
		"('ps aux --sort=-rss'), stop or limit them (a cgroup memory.max / MemoryMax=), "
		"look for a leak, add swap or memory.", 1 },
	[CAUSE_AGENT_STARVED] = {
		"agent_starved", SEV_WARNING,
		"The agent is alive but its threads wait too long in the run queue to run: its "
		"heartbeats come late and the console shows it offline. Check the CPU limits "
		"of its cgroup (cpu.max, cpu.cfs_quota_us, CPUQuota= of its systemd unit), its "
		"nice level and CPU affinity, and real-time or busy processes on its CPUs "
		"('pidstat -w', 'runqlat'); remove the limit or give it its own share.", 1 },
};

const char *cause_code(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].code : "unknown";
}

unsigned cause_burst(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT && table[c].burst ? table[c].burst : 3;
}

enum severity cause_severity(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].severity : SEV_INFO;
}

const char *cause_advice(enum cause c)
{
	return (unsigned)c < CAUSE_COUNT ? table[c].advice : "";
}

const char *advice_not_installed(void)
{
	return "Install the agent from the Security Center console (Settings > Agent), or give "
	       "its root with --agent-root if it lives elsewhere.";
}

const char *diagnosis_advice(const struct diagnosis *d)
{
	if (d->cause == CAUSE_AGENT_NOT_RUNNING && d->not_installed)
		return advice_not_installed();
	if (d->cause == CAUSE_AGENT_OOM_KILLED && d->memcg.path[0])
		return "Its memory cgroup's limit was reached, not the host's memory: raise the limit "
		       "(MemoryMax= of the unit, e.g. 'systemctl set-property aegis.service MemoryMax=...', "
		       "or the container's memory limit) or find what else in that cgroup uses the "
		       "memory (memory.stat), then restart the agent.";
	return cause_advice(d->cause);
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL: return "critical";
	case SEV_WARNING: return "warning";
	default: return "info";
	}
}
