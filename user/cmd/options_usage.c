// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The texts of trace and run for people: --help, and --check-config's effective settings. */
#include "options.h"
#include "policy.h"
#include "sink_syslog.h"

#include <stdio.h>

void usage_main(void *out)
{
	fputs("usage: aegismon COMMAND [options]\n"
	      "\n"
	      "Tells why the Alibaba Cloud Security Center agent (AliYunDun) went offline.\n"
	      "\n"
	      "commands:\n"
	      "  trace     trace the agent live and diagnose what happens to it\n"
	      "  run       the always-on daemon: the same diagnoses to syslog and a JSON log\n"
	      "  check     run the official troubleshooting steps now and judge each one\n"
	      "  replay    run the correlator again on a 'trace --record' file\n"
	      "  restart   restart the agent the official way, safely (--dry-run to see how)\n"
	      "  reload    make a running daemon re-read its config and wait for the outcome\n"
	      "  version   print the version\n"
	      "\n"
	      "'aegismon COMMAND --help' describes the options of a command.\n"
	      "Exit status: 0 nothing wrong, 1 a problem was diagnosed, 2 usage error,\n"
	      "3 the environment cannot support it (not root, no BPF, no BTF).\n",
	      (FILE *)out);
}

void usage_trace(void *out)
{
	fputs("usage: aegismon trace [options]\n"
	      "\n"
	      "Attach the probes, print diagnoses as they happen, and a summary at the end.\n"
	      "\n"
	      "  -d, --duration SECONDS   stop after this long (default: until Ctrl-C/SIGTERM)\n"
	      "  -j, --json               JSON lines instead of text\n"
	      "  -e, --events             also print every raw event\n"
	      "      --record FILE        write every event to FILE for 'aegismon replay FILE'\n"
	      "      --report FILE        write a self-contained HTML report (SVG timeline) at the end\n"
	      "      --pid PID            print only what concerns this process\n"
	      "      --cause CAUSE        print only diagnoses of this cause (syslog, the JSON log\n"
	      "                           and the report still get every one)\n"
	      "      --agent-root DIR     agent install root (repeatable; default\n"
	      "                           /usr/local/aegis, then /opt/aegis)\n"
	      "      --endpoint CIDR      Aegis endpoint addresses (repeatable; replaces the\n"
	      "                           defaults 100.100.0.0/16, 106.11.0.0/16, 100.103.0.0/16)\n"
	      "      --domain SUFFIX      Aegis domain suffix watched in DNS (repeatable; replaces\n"
	      "                           aegis.aliyun.com, aegis.aliyuncs.com, aegis.alicdn.com)\n"
	      "      --port N             endpoint port (repeatable; replaces 80, 443, 8080)\n"
	      "      --dns-timeout SECONDS  a watched query unanswered this long is dns_timeout\n"
	      "                           (default 5, the glibc resolver's)\n"
	      "      --grace SECONDS      an agent process not back this long after its exit\n"
	      "                           is agent_not_running (default 30)\n"
	      "      --flap-count N       restarts that make agent_flapping (default 3)\n"
	      "      --flap-window SECONDS  ... within this window (default 300)\n"
	      "      --ringbuf-size KIB   kernel ring buffer size (default 1024)\n"
	      "      --cpu-threshold PCT  host CPU busy at least this for the whole window is\n"
	      "                           cpu_saturated (1-100, default 95)\n"
	      "      --memory-threshold PCT  memory used ((MemTotal-MemAvailable)/MemTotal) at\n"
	      "                           least this for the whole window is memory_exhausted\n"
	      "                           (1-100, default 95)\n"
	      "      --memory-pressure PCT  ... or PSI memory 'full avg10' at least this\n"
	      "                           (0-100, default 10; 0: off)\n"
	      "      --resource-window SECONDS  how long a resource condition must hold\n"
	      "                           (1-3600, default 60)\n"
	      "      --starve-threshold MS  the agent's p90 run-queue wait at least this in\n"
	      "                           every second of the window is agent_starved\n"
	      "                           (1-60000, default 100)\n"
	      "      --color WHEN         auto, always or never (default auto: on a tty)\n"
	      "      --syslog URL         also send diagnoses to syslog (repeatable): journal\n"
	      "                           (journald's fields), unix:/dev/log, udp://HOST:PORT,\n"
	      "                           tcp://HOST:PORT (RFC 5424; TCP octet-counted); run's\n"
	      "                           default: journal where journald runs, else unix:/dev/log\n"
	      "      --syslog-facility NAME  daemon (default), user, auth, syslog, authpriv, local0-7\n"
	      "      --json-log FILE      append diagnoses as JSON lines (mode 0640; reopened on SIGHUP)\n"
	      "      --json-log-max-size SIZE  rotate the JSON log at this size: N MiB, or NK,\n"
	      "                           NM, NG (default 0: never, leave it to logrotate)\n"
	      "      --json-log-keep N    rotated files kept, FILE.1 to FILE.N (default 4)\n"
	      "      --metrics FILE       Prometheus textfile, rewritten atomically every 5 s\n"
	      "      --remediation MODE   off, advise (default: say what to do) or restart (restart\n"
	      "                           the agent when it is down; never for network/DNS causes)\n"
	      "      --remediation-hook PATH  executable run per diagnosis: JSON on stdin,\n"
	      "                           AEGISMON_CAUSE/SEVERITY/PID/COMM/SUMMARY in its environment\n"
	      "      --restart-max N      restarts allowed per window, then remediation_failed (default 3)\n"
	      "      --restart-window SECONDS  ... the window (default 3600)\n"
	      "      --restart-delay SECONDS  first restart delay, doubled per restart (default 10)\n"
	      "      --hook-timeout SECONDS  the hook is killed after this long (default 10)\n"
	      "      --config FILE        read options from FILE first (default /etc/aegismon.conf\n"
	      "                           when it exists); the command line wins over it\n"
	      "      --no-config          do not read a config file\n"
	      "      --check-config       check the config file and the options, print the\n"
	      "                           effective settings, exit (0 valid, 2 invalid)\n"
	      "      --net-scope SCOPE    agent (default): the network programs on the agent's\n"
	      "                           cgroups only, the rest of the host pays nothing;\n"
	      "                           host: on every cgroup, also other processes' connects\n"
	      "                           to the endpoints\n"
	      "      --net-probes WHEN    on-demand (default, agent scope): the TCP-state\n"
	      "                           (sockops), netfilter-drop and ICMP-error probes\n"
	      "                           attached at the agent's network activity; always:\n"
	      "                           for the whole run\n"
	      "      --net-probes-hold SECONDS  on demand, detached after this long without\n"
	      "                           agent network activity (default 600)\n"
	      "      --btf FILE           kernel types from FILE, for a kernel without\n"
	      "                           /sys/kernel/btf/vmlinux (see README, Kernel support)\n"
	      "  -v, --verbose            libbpf and loader details on stderr\n"
	      "  -h, --help               this text\n",
	      (FILE *)out);
}

void usage_run(void *out)
{
	fputs("usage: aegismon run [options]\n"
	      "\n"
	      "The always-on daemon (foreground, for systemd: Type=notify). Diagnoses go to\n"
	      "the journal where journald runs, else to syslog at unix:/dev/log (or --syslog),\n"
	      "and to --json-log; SIGTERM/SIGINT detach every probe and exit 0. SIGHUP\n"
	      "re-reads the config file and applies it without detaching the probes (an\n"
	      "invalid file is rejected and the running settings kept), and reopens the JSON\n"
	      "log. It takes the options of 'aegismon trace'\n"
	      "(see 'aegismon trace --help'); --duration is for tests.\n",
	      (FILE *)out);
}

/* The effective settings, as config lines: what --check-config prints. */
void options_dump(void *stream, const struct options *o)
{
	FILE *out = stream;
	char buf[64];

	fprintf(out, "# effective settings%s%s\n", o->config ? " from " : " (no config file)",
		o->config ? o->config : "");
	if (o->nroots == 0)
		fputs("# agent-root: the defaults /usr/local/aegis, /opt/aegis\n", out);
	for (int i = 0; i < o->nroots; i++)
		fprintf(out, "agent-root = %s\n", o->roots[i]);
	for (int i = 0; i < o->endpoints.ncidrs; i++) {
		const struct cidr *c = &o->endpoints.cidrs[i];

		addr_str(c->family, c->addr, buf, sizeof(buf));
		fprintf(out, "endpoint = %s/%u\n", buf, c->prefixlen);
	}
	for (int i = 0; i < o->endpoints.nports; i++)
		fprintf(out, "port = %u\n", o->endpoints.ports[i]);
	for (int i = 0; i < o->domains.n; i++)
		fprintf(out, "domain = %s\n", o->domains.names[i]);
	fprintf(out, "dns-timeout = %g\ngrace = %g\nflap-count = %u\nflap-window = %g\n",
		o->dns_timeout_s, o->grace_s, o->flap_count, o->flap_window_s);
	fprintf(out, "cpu-threshold = %g\nmemory-threshold = %g\nmemory-pressure = %g\n", o->cpu_threshold,
		o->memory_threshold, o->memory_pressure);
	fprintf(out, "resource-window = %g\nstarve-threshold = %g\n", o->resource_window_s, o->starve_ms);
	fprintf(out, "ringbuf-size = %u\n", o->ringbuf_kib);
	if (o->btf)
		fprintf(out, "btf = %s\n", o->btf);
	fprintf(out, "net-scope = %s\n", o->host_scope ? "host" : "agent");
	fprintf(out, "net-probes = %s\nnet-probes-hold = %g\n",
		o->net_probes_always ? "always" : "on-demand", o->net_probes_hold_s);
	for (int i = 0; i < o->nsyslog; i++)
		fprintf(out, "syslog = %s\n", o->syslog_urls[i]);
	fprintf(out, "syslog-facility = %s\n", syslog_facility_name(o->syslog_facility));
	if (o->json_log)
		fprintf(out, "json-log = %s\n", o->json_log);
	fprintf(out, "json-log-max-size = %lluK\njson-log-keep = %u\n",
		(unsigned long long)(o->json_log_max_bytes >> 10), o->json_log_keep);
	if (o->metrics)
		fprintf(out, "metrics = %s\n", o->metrics);
	fprintf(out, "remediation = %s\n", remediation_mode_name((enum remediation_mode)o->remediation));
	if (o->remediation_hook)
		fprintf(out, "remediation-hook = %s\n", o->remediation_hook);
	fprintf(out, "restart-max = %u\nrestart-window = %g\nrestart-delay = %g\nhook-timeout = %g\n",
		o->restart_max, o->restart_window_s, o->restart_delay_s, o->hook_timeout_s);
	fprintf(out, "verbose = %s\n", o->verbose ? "yes" : "no");
}
