// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nftables rule attribution tests. The fixtures are real: each ruleset was loaded with
 * nft 1.0.6 (or iptables-nft 1.8.9) in a throwaway network namespace and listed with
 * `nft -j list ruleset` and `nft -a list ruleset`; the same JSON is the fuzz corpus in
 * tests/fuzz/corpus/nftrules/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nftrules.h"

/*
 * r1.nft, loaded with nft -f:
 *
 *   table ip aegisfw {
 *       chain out {
 *           type filter hook output priority filter; policy accept;
 *           ip daddr 100.100.0.0/16 tcp dport 80 counter drop
 *       }
 *       chain in {
 *           type filter hook input priority filter; policy accept;
 *           ip saddr 100.100.0.0/16 tcp sport 80 drop
 *       }
 *   }
 */
static const char R1_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"ip\", \"name\": \"aegisfw\", \"handle\": 1}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"aegisfw\", \"name\": \"out\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"aegisfw\", \"name\": \"in\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"aegisfw\", \"chain\": \"out\", \"handle\": 3, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 80}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"aegisfw\", \"chain\": \"in\", \"handle\": 4, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"sport\"}}, \"right\": 80}}, {\"drop\": null}]}}"
	"]}\n";

static const char R1_TEXT[] =
	"table ip aegisfw { # handle 1\n"
	"\tchain out { # handle 1\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tip daddr 100.100.0.0/16 tcp dport 80 counter packets 0 bytes 0 drop # handle 3\n"
	"\t}\n"
	"\n"
	"\tchain in { # handle 2\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\tip saddr 100.100.0.0/16 tcp sport 80 drop # handle 4\n"
	"\t}\n"
	"}\n"
	;

/*
 * r2.nft, loaded with nft -f:
 *
 *   table inet aegis {
 *       set aegis_nets {
 *           type ipv4_addr
 *           flags interval
 *           elements = { 100.100.0.0/16, 106.11.0.0/16, 47.96.1.2 }
 *       }
 *       set aegis_ports {
 *           type inet_service
 *           elements = { 80, 443 }
 *       }
 *       set aegis6 {
 *           type ipv6_addr
 *           flags interval
 *           elements = { 2408:4000::/32 }
 *       }
 *       chain output {
 *           type filter hook output priority 0; policy accept;
 *           ct state established,related accept
 *           ip daddr 192.168.0.0/16 accept
 *           oifname "lo" accept
 *           ip daddr @aegis_nets tcp dport @aegis_ports counter log prefix "aegis " reject with tcp reset comment "block aegis"
 *           ip6 daddr @aegis6 meta l4proto tcp jump sub6
 *           meta l4proto udp udp dport { 53, 5353 } ip daddr 10.0.0.0-10.0.0.255 drop
 *           jump filters
 *       }
 *       chain filters {
 *           tcp dport 8080-8090 drop
 *           th dport 9000 meta nfproto ipv4 accept
 *           th dport 9000 drop
 *           ip protocol icmp drop
 *       }
 *       chain sub6 {
 *           tcp dport != 443 drop
 *       }
 *       chain input {
 *           type filter hook input priority 0; policy drop;
 *           iif "lo" accept
 *           tcp sport { 80, 443 } ip saddr 100.100.0.0/16 accept
 *       }
 *       chain fwdc {
 *           type filter hook forward priority 0; policy accept;
 *           ip6 nexthdr udp drop
 *       }
 *   }
 *   table ip6 six {
 *       chain out6 {
 *           type filter hook output priority 0; policy accept;
 *           ip6 daddr 2001:db8::/64 tcp dport 443 reject
 *       }
 *       chain post {
 *           type filter hook postrouting priority 0; policy accept;
 *           ip6 saddr ::1 drop
 *       }
 *   }
 */
static const char R2_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"inet\", \"name\": \"aegis\", \"handle\": 1}}, "
	"{\"set\": {\"family\": \"inet\", \"name\": \"aegis_nets\", \"table\": \"aegis\", \"type\": \"ipv4_addr\", \"handle\": 6, \"flags\": [\"interval\"], \"elem\": [\"47.96.1.2\", {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}, {\"prefix\": {\"addr\": \"106.11.0.0\", \"len\": 16}}]}}, "
	"{\"set\": {\"family\": \"inet\", \"name\": \"aegis_ports\", \"table\": \"aegis\", \"type\": \"inet_service\", \"handle\": 7, \"elem\": [80, 443]}}, "
	"{\"set\": {\"family\": \"inet\", \"name\": \"aegis6\", \"table\": \"aegis\", \"type\": \"ipv6_addr\", \"handle\": 8, \"flags\": [\"interval\"], \"elem\": [{\"prefix\": {\"addr\": \"2408:4000::\", \"len\": 32}}]}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"aegis\", \"name\": \"output\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"aegis\", \"name\": \"filters\", \"handle\": 2}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"aegis\", \"name\": \"sub6\", \"handle\": 3}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"aegis\", \"name\": \"input\", \"handle\": 4, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"aegis\", \"name\": \"fwdc\", \"handle\": 5, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 9, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"right\": [\"established\", \"related\"]}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 10, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"192.168.0.0\", \"len\": 16}}}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 11, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"oifname\"}}, \"right\": \"lo\"}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 12, \"comment\": \"block aegis\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": \"@aegis_nets\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": \"@aegis_ports\"}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"log\": {\"prefix\": \"aegis \"}}, {\"reject\": {\"type\": \"tcp reset\"}}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 13, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"daddr\"}}, \"right\": \"@aegis6\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"l4proto\"}}, \"right\": \"tcp\"}}, {\"jump\": {\"target\": \"sub6\"}}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 15, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": {\"set\": [53, 5353]}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"range\": [\"10.0.0.0\", \"10.0.0.255\"]}}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"output\", \"handle\": 16, \"expr\": [{\"jump\": {\"target\": \"filters\"}}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"filters\", \"handle\": 17, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": {\"range\": [8080, 8090]}}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"filters\", \"handle\": 18, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"th\", \"field\": \"dport\"}}, \"right\": 9000}}, {\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"nfproto\"}}, \"right\": \"ipv4\"}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"filters\", \"handle\": 19, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"th\", \"field\": \"dport\"}}, \"right\": 9000}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"filters\", \"handle\": 20, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"protocol\"}}, \"right\": \"icmp\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"sub6\", \"handle\": 21, \"expr\": [{\"match\": {\"op\": \"!=\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 443}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"input\", \"handle\": 22, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"iif\"}}, \"right\": \"lo\"}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"input\", \"handle\": 24, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"sport\"}}, \"right\": {\"set\": [80, 443]}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"aegis\", \"chain\": \"fwdc\", \"handle\": 25, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"nexthdr\"}}, \"right\": \"udp\"}}, {\"drop\": null}]}}, "
	"{\"table\": {\"family\": \"ip6\", \"name\": \"six\", \"handle\": 2}}, "
	"{\"chain\": {\"family\": \"ip6\", \"table\": \"six\", \"name\": \"out6\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip6\", \"table\": \"six\", \"name\": \"post\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"postrouting\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"ip6\", \"table\": \"six\", \"chain\": \"out6\", \"handle\": 3, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"2001:db8::\", \"len\": 64}}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 443}}, {\"reject\": {\"type\": \"icmpv6\", \"expr\": \"port-unreachable\"}}]}}, "
	"{\"rule\": {\"family\": \"ip6\", \"table\": \"six\", \"chain\": \"post\", \"handle\": 4, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"saddr\"}}, \"right\": \"::1\"}}, {\"drop\": null}]}}"
	"]}\n";

static const char R2_TEXT[] =
	"table inet aegis { # handle 1\n"
	"\tset aegis_nets { # handle 6\n"
	"\t\ttype ipv4_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { 47.96.1.2, 100.100.0.0/16,\n"
	"\t\t\t     106.11.0.0/16 }\n"
	"\t}\n"
	"\n"
	"\tset aegis_ports { # handle 7\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 80, 443 }\n"
	"\t}\n"
	"\n"
	"\tset aegis6 { # handle 8\n"
	"\t\ttype ipv6_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { 2408:4000::/32 }\n"
	"\t}\n"
	"\n"
	"\tchain output { # handle 1\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tct state established,related accept # handle 9\n"
	"\t\tip daddr 192.168.0.0/16 accept # handle 10\n"
	"\t\toifname \"lo\" accept # handle 11\n"
	"\t\tip daddr @aegis_nets tcp dport @aegis_ports counter packets 0 bytes 0 log prefix \"aegis \" reject with tcp reset comment \"block aegis\" # handle 12\n"
	"\t\tip6 daddr @aegis6 meta l4proto tcp jump sub6 # handle 13\n"
	"\t\tudp dport { 53, 5353 } ip daddr 10.0.0.0-10.0.0.255 drop # handle 15\n"
	"\t\tjump filters # handle 16\n"
	"\t}\n"
	"\n"
	"\tchain filters { # handle 2\n"
	"\t\ttcp dport 8080-8090 drop # handle 17\n"
	"\t\tth dport 9000 meta nfproto ipv4 accept # handle 18\n"
	"\t\tth dport 9000 drop # handle 19\n"
	"\t\tip protocol icmp drop # handle 20\n"
	"\t}\n"
	"\n"
	"\tchain sub6 { # handle 3\n"
	"\t\ttcp dport != 443 drop # handle 21\n"
	"\t}\n"
	"\n"
	"\tchain input { # handle 4\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tiif \"lo\" accept # handle 22\n"
	"\t\ttcp sport { 80, 443 } ip saddr 100.100.0.0/16 accept # handle 24\n"
	"\t}\n"
	"\n"
	"\tchain fwdc { # handle 5\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\tip6 nexthdr udp drop # handle 25\n"
	"\t}\n"
	"}\n"
	"table ip6 six { # handle 2\n"
	"\tchain out6 { # handle 1\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tip6 daddr 2001:db8::/64 tcp dport 443 reject # handle 3\n"
	"\t}\n"
	"\n"
	"\tchain post { # handle 2\n"
	"\t\ttype filter hook postrouting priority filter; policy accept;\n"
	"\t\tip6 saddr ::1 drop # handle 4\n"
	"\t}\n"
	"}\n"
	;

/*
 * r3.nft, loaded with nft -f:
 *
 *   table inet vm {
 *       map portv {
 *           type inet_service : verdict
 *           elements = { 80 : drop, 443 : accept }
 *       }
 *       set cset {
 *           type ipv4_addr . inet_service
 *           elements = { 100.100.1.2 . 80 }
 *       }
 *       set tset {
 *           type ipv4_addr
 *           flags timeout
 *           elements = { 100.100.9.9 timeout 1h comment "temp", 100.100.9.10 }
 *       }
 *       chain o {
 *           type filter hook output priority -10; policy accept;
 *           ct state new tcp dport 8443 drop
 *           meta skuid 0 tcp dport 8444 drop
 *           tcp flags syn tcp dport 8445 drop
 *           ip daddr . tcp dport @cset drop
 *           ip daddr @tset drop
 *           tcp dport != { 1-1024, 8000 } ip daddr 100.100.0.0/16 drop
 *           tcp dport vmap { 22 : accept, 81 : drop }
 *           tcp dport vmap @portv
 *           limit rate 10/second tcp dport 9999 drop
 *           udp dport { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030 } drop
 *           meta nfproto ipv6 ip6 daddr fe80::/10 udp dport 547 drop
 *           ip6 daddr { 2001:db8::1, 2001:db8::10-2001:db8::20 } drop
 *           ip protocol 17 udp dport 7 drop
 *           tcp dport 9002 return
 *           tcp dport 9002 drop
 *       }
 *   }
 *   table netdev nd {
 *       chain ing {
 *           type filter hook ingress device lo priority 0; policy accept;
 *           ip saddr 100.100.0.0/16 drop
 *       }
 *   }
 *   table ip nat {
 *       chain post {
 *           type nat hook postrouting priority 100; policy accept;
 *           ip daddr 100.100.0.0/16 masquerade
 *       }
 *   }
 */
static const char R3_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"inet\", \"name\": \"vm\", \"handle\": 1}}, "
	"{\"map\": {\"family\": \"inet\", \"name\": \"portv\", \"table\": \"vm\", \"type\": \"inet_service\", \"handle\": 2, \"map\": \"verdict\", \"elem\": [[80, {\"drop\": null}], [443, {\"accept\": null}]]}}, "
	"{\"set\": {\"family\": \"inet\", \"name\": \"cset\", \"table\": \"vm\", \"type\": [\"ipv4_addr\", \"inet_service\"], \"handle\": 3, \"elem\": [{\"concat\": [\"100.100.1.2\", 80]}]}}, "
	"{\"set\": {\"family\": \"inet\", \"name\": \"tset\", \"table\": \"vm\", \"type\": \"ipv4_addr\", \"handle\": 4, \"flags\": [\"timeout\"], \"elem\": [{\"elem\": {\"val\": \"100.100.9.9\", \"timeout\": 3600, \"expires\": 3599, \"comment\": \"temp\"}}, \"100.100.9.10\"]}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"vm\", \"name\": \"o\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": -10, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"right\": \"new\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 8443}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 6, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"skuid\"}}, \"right\": 0}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 8444}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 7, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"flags\"}}, \"right\": \"syn\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 8445}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 8, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"concat\": [{\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}]}, \"right\": \"@cset\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 9, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": \"@tset\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 11, \"expr\": [{\"match\": {\"op\": \"!=\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": {\"set\": [{\"range\": [1, 1024]}, 8000]}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 13, \"expr\": [{\"vmap\": {\"key\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"data\": {\"set\": [[22, {\"accept\": null}], [81, {\"drop\": null}]]}}}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 14, \"expr\": [{\"vmap\": {\"key\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"data\": \"@portv\"}}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 15, \"expr\": [{\"limit\": {\"rate\": 10, \"burst\": 5, \"per\": \"second\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 9999}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 17, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": {\"set\": [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030]}}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 18, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"fe80::\", \"len\": 10}}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 547}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 20, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"daddr\"}}, \"right\": {\"set\": [\"2001:db8::1\", {\"range\": [\"2001:db8::10\", \"2001:db8::20\"]}]}}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 21, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"protocol\"}}, \"right\": \"udp\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 7}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 22, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 9002}}, {\"return\": null}]}}, "
	"{\"rule\": {\"family\": \"inet\", \"table\": \"vm\", \"chain\": \"o\", \"handle\": 23, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 9002}}, {\"drop\": null}]}}, "
	"{\"table\": {\"family\": \"netdev\", \"name\": \"nd\", \"handle\": 2}}, "
	"{\"chain\": {\"family\": \"netdev\", \"table\": \"nd\", \"name\": \"ing\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"ingress\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"netdev\", \"table\": \"nd\", \"chain\": \"ing\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"drop\": null}]}}, "
	"{\"table\": {\"family\": \"ip\", \"name\": \"nat\", \"handle\": 3}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"post\", \"handle\": 1, \"type\": \"nat\", \"hook\": \"postrouting\", \"prio\": 100, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"nat\", \"chain\": \"post\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"masquerade\": null}]}}"
	"]}\n";

static const char R3_TEXT[] =
	"table inet vm { # handle 1\n"
	"\tmap portv { # handle 2\n"
	"\t\ttype inet_service : verdict\n"
	"\t\telements = { 80 : drop, 443 : accept }\n"
	"\t}\n"
	"\n"
	"\tset cset { # handle 3\n"
	"\t\ttype ipv4_addr . inet_service\n"
	"\t\telements = { 100.100.1.2 . 80 }\n"
	"\t}\n"
	"\n"
	"\tset tset { # handle 4\n"
	"\t\ttype ipv4_addr\n"
	"\t\tflags timeout\n"
	"\t\telements = { 100.100.9.9 timeout 1h expires 59m59s988ms comment \"temp\", 100.100.9.10 }\n"
	"\t}\n"
	"\n"
	"\tchain o { # handle 1\n"
	"\t\ttype filter hook output priority filter - 10; policy accept;\n"
	"\t\tct state new tcp dport 8443 drop # handle 5\n"
	"\t\tmeta skuid 0 tcp dport 8444 drop # handle 6\n"
	"\t\ttcp flags syn tcp dport 8445 drop # handle 7\n"
	"\t\tip daddr . tcp dport @cset drop # handle 8\n"
	"\t\tip daddr @tset drop # handle 9\n"
	"\t\ttcp dport != { 1-1024, 8000 } ip daddr 100.100.0.0/16 drop # handle 11\n"
	"\t\ttcp dport vmap { 22 : accept, 81 : drop } # handle 13\n"
	"\t\ttcp dport vmap @portv # handle 14\n"
	"\t\tlimit rate 10/second tcp dport 9999 drop # handle 15\n"
	"\t\tudp dport { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030 } drop # handle 17\n"
	"\t\tip6 daddr fe80::/10 udp dport 547 drop # handle 18\n"
	"\t\tip6 daddr { 2001:db8::1, 2001:db8::10-2001:db8::20 } drop # handle 20\n"
	"\t\tip protocol udp udp dport 7 drop # handle 21\n"
	"\t\ttcp dport 9002 return # handle 22\n"
	"\t\ttcp dport 9002 drop # handle 23\n"
	"\t}\n"
	"}\n"
	"table netdev nd { # handle 2\n"
	"\tchain ing { # handle 1\n"
	"\t\ttype filter hook ingress device \"lo\" priority filter; policy accept;\n"
	"\t\tip saddr 100.100.0.0/16 drop # handle 2\n"
	"\t}\n"
	"}\n"
	"table ip nat { # handle 3\n"
	"\tchain post { # handle 1\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t\tip daddr 100.100.0.0/16 masquerade # handle 2\n"
	"\t}\n"
	"}\n"
	;

/*
 * r4.nft, loaded with nft -f:
 *
 *   table ip misc {
 *       chain pin {
 *           type filter hook input priority 0; policy drop;
 *           tcp sport 443 accept
 *       }
 *       chain pout {
 *           type filter hook output priority 0; policy accept;
 *           ct state new jump x
 *           meta mark 1 jump x
 *           tcp dport 7000 goto g
 *           tcp dport 7000 drop
 *           tcp dport 7001 goto g
 *       }
 *       chain x {
 *           tcp dport 6000 drop
 *       }
 *       chain g {
 *           tcp dport 7001 drop
 *       }
 *   }
 */
static const char R4_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"ip\", \"name\": \"misc\", \"handle\": 1}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"pin\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"pout\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"x\", \"handle\": 3}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"g\", \"handle\": 4}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pin\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"sport\"}}, \"right\": 443}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 6, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"right\": \"new\"}}, {\"jump\": {\"target\": \"x\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 7, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"mark\"}}, \"right\": 1}}, {\"jump\": {\"target\": \"x\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 8, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 7000}}, {\"goto\": {\"target\": \"g\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 9, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 7000}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 10, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 7001}}, {\"goto\": {\"target\": \"g\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"x\", \"handle\": 11, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 6000}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"g\", \"handle\": 12, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 7001}}, {\"drop\": null}]}}"
	"]}\n";

static const char R4_TEXT[] =
	"table ip misc { # handle 1\n"
	"\tchain pin { # handle 1\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\ttcp sport 443 accept # handle 5\n"
	"\t}\n"
	"\n"
	"\tchain pout { # handle 2\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tct state new jump x # handle 6\n"
	"\t\tmeta mark 0x00000001 jump x # handle 7\n"
	"\t\ttcp dport 7000 goto g # handle 8\n"
	"\t\ttcp dport 7000 drop # handle 9\n"
	"\t\ttcp dport 7001 goto g # handle 10\n"
	"\t}\n"
	"\n"
	"\tchain x { # handle 3\n"
	"\t\ttcp dport 6000 drop # handle 11\n"
	"\t}\n"
	"\n"
	"\tchain g { # handle 4\n"
	"\t\ttcp dport 7001 drop # handle 12\n"
	"\t}\n"
	"}\n"
	;

/*
 * ipt, loaded with iptables-nft (iptables v1.8.9):
 *
 *   iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
 *   iptables -A OUTPUT -d 100.100.0.0/16 -p tcp --dport 80 -m comment --comment "no aegis" -j DROP
 *   iptables -A OUTPUT -d 100.100.0.0/16 -p tcp -m multiport --dports 443,8080 -j REJECT --reject-with tcp-reset
 *   iptables -N AEGIS
 *   iptables -A INPUT -p tcp --sport 80 -j AEGIS
 *   iptables -A AEGIS -s 100.100.0.0/16 -j DROP
 *   iptables -A OUTPUT -p udp --dport 53 -j DROP
 */
static const char IPT_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"ip\", \"name\": \"filter\", \"handle\": 1}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"INPUT\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"OUTPUT\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"AEGIS\", \"handle\": 6}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"INPUT\", \"handle\": 7, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"sport\"}}, \"right\": 80}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"jump\": {\"target\": \"AEGIS\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"OUTPUT\", \"handle\": 3, \"expr\": [{\"xt\": {\"type\": \"match\", \"name\": \"conntrack\"}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"accept\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"OUTPUT\", \"handle\": 4, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 80}}, {\"xt\": {\"type\": \"match\", \"name\": \"comment\"}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"OUTPUT\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"l4proto\"}}, \"right\": \"tcp\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"xt\": {\"type\": \"match\", \"name\": \"multiport\"}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"xt\": {\"type\": \"target\", \"name\": \"REJECT\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"OUTPUT\", \"handle\": 9, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 53}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"AEGIS\", \"handle\": 8, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\": \"100.100.0.0\", \"len\": 16}}}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"drop\": null}]}}"
	"]}\n";

static const char IPT_TEXT[] =
	"table ip filter { # handle 1\n"
	"\tchain INPUT { # handle 1\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp sport 80 counter packets 0 bytes 0 jump AEGIS # handle 7\n"
	"\t}\n"
	"\n"
	"\tchain OUTPUT { # handle 2\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tct state related,established counter packets 0 bytes 0 accept # handle 3\n"
	"\t\tip daddr 100.100.0.0/16 tcp dport 80  counter packets 0 bytes 0 drop # handle 4\n"
	"\t\tmeta l4proto tcp ip daddr 100.100.0.0/16 tcp dport { 443, 8080 } counter packets 0 bytes 0 reject with tcp reset # handle 5\n"
	"\t\tudp dport 53 counter packets 0 bytes 0 drop # handle 9\n"
	"\t}\n"
	"\n"
	"\tchain AEGIS { # handle 6\n"
	"\t\tip saddr 100.100.0.0/16 counter packets 0 bytes 0 drop # handle 8\n"
	"\t}\n"
	"}\n"
	;

/*
 * r5.nft, loaded with nft -f:
 *
 *   table ip prio {
 *       chain late {
 *           type filter hook output priority 10; policy accept;
 *           tcp dport 80 drop
 *       }
 *       chain early {
 *           type filter hook output priority -10; policy accept;
 *           ip daddr 10.0.16.0/20 tcp dport < 1024 drop
 *           meta protocol ip tcp dport >= 60000 drop
 *           tcp dport > 50000 tcp dport <= 50010 reject
 *           udp dport 53 continue
 *           udp dport 53 drop
 *       }
 *   }
 */
static const char R5_JSON[] =
	"{\"nftables\": ["
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
	"{\"table\": {\"family\": \"ip\", \"name\": \"prio\", \"handle\": 1}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"prio\", \"name\": \"late\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 10, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"ip\", \"table\": \"prio\", \"name\": \"early\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"output\", \"prio\": -10, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"late\", \"handle\": 3, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 80}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"early\", \"handle\": 4, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": \"10.0.16.0\", \"len\": 20}}}}, {\"match\": {\"op\": \"<\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 1024}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"early\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \">=\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 60000}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"early\", \"handle\": 6, \"expr\": [{\"match\": {\"op\": \">\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 50000}}, {\"match\": {\"op\": \"<=\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 50010}}, {\"reject\": {\"type\": \"icmp\", \"expr\": \"port-unreachable\"}}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"early\", \"handle\": 7, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 53}}, {\"continue\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"prio\", \"chain\": \"early\", \"handle\": 8, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 53}}, {\"drop\": null}]}}"
	"]}\n";

/*
 * Hand-written in the style of older nft (0.9.x prints service and protocol names, and
 * iptables-nft rules spell meta protocol); not from a live system.
 */
static const char OLD_JSON[] =
	"{\"nftables\": ["
	"{\"chain\": {\"family\": \"ip\", \"table\": \"old\", \"name\": \"o\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"old\", \"chain\": \"o\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"protocol\"}}, \"right\": \"ip6\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"old\", \"chain\": \"o\", \"handle\": 3, \"expr\": [{\"match\": {\"left\": {\"meta\": {\"key\": \"l4proto\"}}, \"right\": {\"set\": [\"tcp\", \"udp\"]}}}, {\"match\": {\"left\": {\"payload\": {\"protocol\": \"th\", \"field\": \"dport\"}}, \"right\": \"http\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"old\", \"chain\": \"o\", \"handle\": 4, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"protocol\"}}, \"right\": 6}}, {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": \"8443\"}}, {\"drop\": null}]}}, "
	"{\"rule\": {\"family\": \"ip\", \"table\": \"old\", \"chain\": \"o\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": \"https\"}}, {\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"protocol\"}}, \"right\": \"ip\"}}, {\"reject\": null}]}}"
	"]}\n";

/* ---------- helpers ---------- */

#define MAXM 16

struct res {
	int n;
	struct nft_rule_match m[MAXM];
};

static struct nft_tuple tuple(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			      uint8_t proto, enum nft_hook_dir dir)
{
	struct nft_tuple t;
	int af = strchr(src, ':') ? AF_INET6 : AF_INET;

	memset(&t, 0, sizeof(t));
	t.family = af;
	t.l4proto = proto;
	t.sport = sport;
	t.dport = dport;
	t.dir = dir;
	assert_int_equal(inet_pton(af, src, t.saddr), 1);
	assert_int_equal(inet_pton(af, dst, t.daddr), 1);
	return t;
}

static struct res run(const char *json, const struct nft_tuple *t)
{
	struct res r;

	memset(&r, 0, sizeof(r));
	r.n = nft_rules_match(json, strlen(json), t, r.m, MAXM);
	return r;
}

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define OUT NFT_DIR_OUTPUT
#define IN NFT_DIR_INPUT
#define FWD NFT_DIR_FORWARD
#define ANY NFT_DIR_ANY

static struct res run4(const char *json, const char *src, uint16_t sport, const char *dst,
		       uint16_t dport, uint8_t proto, enum nft_hook_dir dir)
{
	struct nft_tuple t = tuple(src, sport, dst, dport, proto, dir);

	return run(json, &t);
}

static void expect(const struct nft_rule_match *m, const char *family, const char *table,
		   const char *chain, const char *hook, uint64_t handle, const char *verdict,
		   bool certain)
{
	assert_string_equal(m->family, family);
	assert_string_equal(m->table, table);
	assert_string_equal(m->chain, chain);
	assert_string_equal(m->hook, hook);
	assert_int_equal(m->handle, handle);
	assert_string_equal(m->verdict, verdict);
	assert_int_equal(m->certain, certain);
}

/* ---------- r1: ip table, output and input drops ---------- */

static void test_output_drop_matches(void **state)
{
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "aegisfw", "out", "output", 3, "drop", true);
	assert_string_equal(r.m[0].text, "");
}

static void test_output_drop_other_addr(void **state)
{
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "10.0.0.1", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
}

static void test_output_drop_other_port(void **state)
{
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "100.100.1.2", 443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
}

static void test_output_drop_not_udp(void **state)
{
	/* "tcp dport 80" carries an implicit l4proto tcp: a UDP datagram never matches */
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "100.100.1.2", 80, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
}

static void test_input_drop_synack(void **state)
{
	struct res r = run4(R1_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, IN);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "aegisfw", "in", "input", 4, "drop", true);
}

static void test_direction_selects_hooks(void **state)
{
	struct res r = run4(R1_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);   /* the input rule does not apply to an output packet */
	r = run4(R1_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, FWD);
	assert_int_equal(r.n, 0);
	r = run4(R1_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, ANY);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 4);
}

static void test_ip_table_ignores_ipv6(void **state)
{
	struct res r = run4(R1_JSON, "2001:db8::5", 40000, "64:ff9b::6464:102", 80, TCP, ANY);

	(void)state;
	assert_int_equal(r.n, 0);
}

/* ---------- r2: inet table, named sets, reject, jumps, policy ---------- */

static void test_inet_named_sets_reject(void **state)
{
	/* ct state and oifname accepts come first: uncertain, so the walk goes on */
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "106.11.3.4", 443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "output", "output", 12, "reject", true);
}

static void test_named_set_single_element(void **state)
{
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "47.96.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 12);
	r = run4(R2_JSON, "10.0.0.5", 40000, "47.96.1.3", 80, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_port_set(void **state)
{
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "100.100.30.1", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 12);
	r = run4(R2_JSON, "10.0.0.5", 40000, "100.100.30.1", 8443, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_accept_before_drop(void **state)
{
	/* 192.168.0.0/16 is accepted by handle 10 before the set drop could see it */
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "192.168.1.1", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
}

static void test_jump_into_regular_chain(void **state)
{
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "1.2.3.4", 8085, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "filters", "output", 17, "drop", true);
}

static void test_accept_in_regular_chain_stops(void **state)
{
	/* th dport 9000: IPv4 is accepted by handle 18, IPv6 reaches the drop in handle 19 */
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "1.2.3.4", 9000, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
	r = run4(R2_JSON, "2001:db8:ffff::5", 40000, "2001:db8:1::1", 9000, UDP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "filters", "output", 19, "drop", true);
}

static void test_jump_ipv6_named_set_not_equal(void **state)
{
	struct res r = run4(R2_JSON, "2001:db8:ffff::5", 40000, "2408:4000::1", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "sub6", "output", 21, "drop", true);
	r = run4(R2_JSON, "2001:db8:ffff::5", 40000, "2408:4000::1", 443, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_udp_set_and_address_range(void **state)
{
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "10.0.0.7", 5353, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "output", "output", 15, "drop", true);
	r = run4(R2_JSON, "10.0.0.5", 40000, "10.0.1.7", 53, UDP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_ip6_table_reject(void **state)
{
	struct res r = run4(R2_JSON, "2001:db8::5", 40000, "2001:db8::1:443", 443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip6", "six", "out6", "output", 3, "reject", true);
}

static void test_policy_drop_after_uncertain_accept(void **state)
{
	/* iif "lo" accept cannot be evaluated: the policy drop is reported, not certain */
	struct res r = run4(R2_JSON, "1.2.3.4", 22, "10.0.0.5", 40000, TCP, IN);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "input", "input", 0, "drop", false);
	assert_string_equal(r.m[0].text, "policy drop");
	r = run4(R2_JSON, "100.100.1.2", 443, "10.0.0.5", 40000, TCP, IN);
	assert_int_equal(r.n, 0);
}

static void test_forward_and_later_hooks(void **state)
{
	/* forward drops it for sure: postrouting never sees it, unless the direction is unknown */
	struct res r = run4(R2_JSON, "::1", 5000, "2001:db8:2::1", 5001, UDP, FWD);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "aegis", "fwdc", "forward", 25, "drop", true);
	/* any direction: every hook in packet order, the input policy too */
	r = run4(R2_JSON, "::1", 5000, "2001:db8:2::1", 5001, UDP, ANY);
	assert_int_equal(r.n, 3);
	expect(&r.m[0], "inet", "aegis", "input", "input", 0, "drop", false);
	expect(&r.m[1], "inet", "aegis", "fwdc", "forward", 25, "drop", true);
	expect(&r.m[2], "ip6", "six", "post", "postrouting", 4, "drop", true);
	r = run4(R2_JSON, "::1", 5000, "2001:db8:2::1", 5001, UDP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip6", "six", "post", "postrouting", 4, "drop", true);
}

/* ---------- r3: maps, concatenations, uncertain matches ---------- */

static void test_ct_state_uncertain(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 8443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 5, "drop", false);
}

static void test_unknown_matches_uncertain(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 8444, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 6, "drop", false);   /* meta skuid */
	r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 8445, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 7, "drop", false);   /* tcp flags */
	r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 9999, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 15, "drop", false);  /* limit */
}

static void test_concat_set(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "100.100.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 8, "drop", true);
}

static void test_set_element_with_timeout(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "100.100.9.9", 22, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 9, "drop", true);
}

static void test_not_in_set_with_range(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "100.100.5.5", 8001, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 11, "drop", true);
	r = run4(R3_JSON, "10.1.1.2", 40000, "100.100.5.5", 8000, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_verdict_maps(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 81, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 13, "drop", true);   /* anonymous vmap */
	r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 80, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 14, "drop", true);   /* named map */
	r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 443, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_ipv6_set_range_and_nfproto(void **state)
{
	struct res r = run4(R3_JSON, "2001:db8::99", 40000, "2001:db8::15", 5000, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 20, "drop", true);
	r = run4(R3_JSON, "fe80::2", 546, "fe80::1", 547, UDP, OUT);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 18);
}

static void test_ip_protocol_and_return(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 7, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 21);
	/* return in a base chain ends it: the drop after it is never reached */
	r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 9002, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_netdev_ingress_uncertain(void **state)
{
	struct res r = run4(R3_JSON, "100.100.1.2", 80, "10.1.1.2", 40000, TCP, IN);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "netdev", "nd", "ing", "ingress", 2, "drop", false);
}

/* ---------- r4: policy, goto, dedup ---------- */

static void test_policy_drop_certain(void **state)
{
	struct res r = run4(R4_JSON, "1.2.3.4", 80, "10.0.0.5", 40000, TCP, IN);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "misc", "pin", "input", 0, "drop", true);
	assert_string_equal(r.m[0].text, "policy drop");
	r = run4(R4_JSON, "1.2.3.4", 443, "10.0.0.5", 40000, TCP, IN);
	assert_int_equal(r.n, 0);
}

static void test_jump_twice_reported_once(void **state)
{
	struct res r = run4(R4_JSON, "10.0.0.5", 40000, "1.2.3.4", 6000, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "misc", "x", "output", 11, "drop", false);
}

static void test_jump_again_certain(void **state)
{
	/* r4's pout cut down by hand: the second, unconditional jump makes the drop certain */
	static const char json[] =
		"{\"nftables\": ["
		"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"pout\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}, "
		"{\"chain\": {\"family\": \"ip\", \"table\": \"misc\", \"name\": \"x\", \"handle\": 3}}, "
		"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 6, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"right\": \"new\"}}, {\"jump\": {\"target\": \"x\"}}]}}, "
		"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"pout\", \"handle\": 7, \"expr\": [{\"jump\": {\"target\": \"x\"}}]}}, "
		"{\"rule\": {\"family\": \"ip\", \"table\": \"misc\", \"chain\": \"x\", \"handle\": 11, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 6000}}, {\"drop\": null}]}}"
		"]}";
	struct res r = run4(json, "10.0.0.5", 40000, "1.2.3.4", 6000, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "misc", "x", "output", 11, "drop", true);
}

static void test_goto_does_not_come_back(void **state)
{
	struct res r = run4(R4_JSON, "10.0.0.5", 40000, "1.2.3.4", 7000, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 0);
	r = run4(R4_JSON, "10.0.0.5", 40000, "1.2.3.4", 7001, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "misc", "g", "output", 12, "drop", true);
}

/* ---------- r5: priorities, comparisons, continue; older spellings ---------- */

static void test_priority_order_and_stop(void **state)
{
	/* early (-10) drops it for sure: late (+10) on the same hook never sees it */
	struct res r = run4(R5_JSON, "10.0.0.5", 40000, "10.0.17.5", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "prio", "early", "output", 4, "drop", true);
	r = run4(R5_JSON, "10.0.0.5", 40000, "10.0.32.1", 80, TCP, OUT);   /* outside the /20 */
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "prio", "late", "output", 3, "drop", true);
	r = run4(R5_JSON, "10.0.0.5", 40000, "10.0.17.5", 80, TCP, ANY);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.m[0].handle, 4);
	assert_int_equal(r.m[1].handle, 3);
}

static void test_comparisons(void **state)
{
	struct res r = run4(R5_JSON, "10.0.0.5", 40000, "1.1.1.1", 60001, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 5);
	r = run4(R5_JSON, "10.0.0.5", 40000, "1.1.1.1", 50005, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "prio", "early", "output", 6, "reject", true);
	r = run4(R5_JSON, "10.0.0.5", 40000, "1.1.1.1", 50011, TCP, OUT);
	assert_int_equal(r.n, 0);
	r = run4(R5_JSON, "10.0.0.5", 40000, "10.0.17.5", 1024, TCP, OUT);
	assert_int_equal(r.n, 0);
}

static void test_continue_is_not_a_verdict(void **state)
{
	struct res r = run4(R5_JSON, "10.0.0.5", 40000, "1.1.1.1", 53, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "prio", "early", "output", 8, "drop", true);
}

static void test_older_spellings(void **state)
{
	struct res r = run4(OLD_JSON, "10.0.0.5", 40000, "1.1.1.1", 80, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);   /* meta protocol ip6 is false; th dport "http" */
	expect(&r.m[0], "ip", "old", "o", "output", 3, "drop", true);
	r = run4(OLD_JSON, "10.0.0.5", 40000, "1.1.1.1", 8443, TCP, OUT);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 4);
	r = run4(OLD_JSON, "10.0.0.5", 40000, "1.1.1.1", 443, TCP, OUT);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "old", "o", "output", 5, "reject", true);
	r = run4(OLD_JSON, "10.0.0.5", 40000, "1.1.1.1", 443, UDP, OUT);
	assert_int_equal(r.n, 0);
}

/* ---------- iptables-nft ---------- */

static void test_iptables_nft(void **state)
{
	struct res r = run4(IPT_JSON, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);   /* -m comment is neutral, -m conntrack uncertain */
	expect(&r.m[0], "ip", "filter", "OUTPUT", "output", 4, "drop", true);
	r = run4(IPT_JSON, "10.0.0.5", 40000, "100.100.1.2", 443, TCP, OUT);
	assert_int_equal(r.n, 1);   /* -m multiport is an xt blob: uncertain; -j REJECT */
	expect(&r.m[0], "ip", "filter", "OUTPUT", "output", 5, "reject", false);
	r = run4(IPT_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, IN);
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "ip", "filter", "AEGIS", "input", 8, "drop", true);
	r = run4(IPT_JSON, "10.0.0.5", 40000, "10.0.0.2", 53, UDP, OUT);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].handle, 9);
}

/* ---------- text ---------- */

static void test_text_attached(void **state)
{
	struct res r = run4(R2_JSON, "10.0.0.5", 40000, "106.11.3.4", 443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	nft_rules_attach_text(R2_TEXT, strlen(R2_TEXT), r.m, r.n);
	assert_string_equal(r.m[0].text,
			    "ip daddr @aegis_nets tcp dport @aegis_ports counter packets 0 bytes 0 "
			    "log prefix \"aegis \" reject with tcp reset comment \"block aegis\"");
}

static void test_text_simple(void **state)
{
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	nft_rules_attach_text(R1_TEXT, strlen(R1_TEXT), r.m, r.n);
	assert_string_equal(r.m[0].text,
			    "ip daddr 100.100.0.0/16 tcp dport 80 counter packets 0 bytes 0 drop");
}

static void test_text_long_anonymous_set(void **state)
{
	struct res r = run4(R3_JSON, "10.1.1.2", 40000, "10.1.1.1", 1010, UDP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	expect(&r.m[0], "inet", "vm", "o", "output", 17, "drop", true);
	nft_rules_attach_text(R3_TEXT, strlen(R3_TEXT), r.m, r.n);
	assert_non_null(strstr(r.m[0].text, "udp dport { 1000, 1001,"));
	assert_non_null(strstr(r.m[0].text, "1030 } drop"));
}

static void test_text_right_table(void **state)
{
	/* handle 3 is a chain of table aegis and a rule of table six: only the rule counts */
	struct res r = run4(R2_JSON, "2001:db8::5", 40000, "2001:db8::1:443", 443, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);
	nft_rules_attach_text(R2_TEXT, strlen(R2_TEXT), r.m, r.n);
	assert_string_equal(r.m[0].text, "ip6 daddr 2001:db8::/64 tcp dport 443 reject");
}

static void test_text_regular_chain_and_policy(void **state)
{
	struct res r = run4(IPT_JSON, "100.100.1.2", 80, "10.0.0.5", 40000, TCP, IN);
	struct res p = run4(R4_JSON, "1.2.3.4", 80, "10.0.0.5", 40000, TCP, IN);

	(void)state;
	nft_rules_attach_text(IPT_TEXT, strlen(IPT_TEXT), r.m, r.n);
	assert_string_equal(r.m[0].text, "ip saddr 100.100.0.0/16 counter packets 0 bytes 0 drop");
	nft_rules_attach_text(R4_TEXT, strlen(R4_TEXT), p.m, p.n);
	assert_string_equal(p.m[0].text, "policy drop");
}

static void test_text_hostile(void **state)
{
	static const char *const texts[] = {
		"", "}", "}}}}\n{{{{", "table", "table ip\n", "table ip aegisfw {\n\tchain out {\n",
		"table ip aegisfw {\n\tchain out {\n\t\tdrop # handle 3",
		"table ip aegisfw {\n\tchain out {\n\t\tdrop # handle 99999999999999999999999\n",
		"table ip aegisfw {\n\tchain out {\n\t\t\"}\" drop # handle 3\n",
		"table ip aegisfw {\n\tchain \"out {\n\t\tdrop # handle 3\n",
	};
	struct res r = run4(R1_JSON, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);
	char big[2048];
	size_t n;

	(void)state;
	assert_int_equal(r.n, 1);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		r.m[0].text[0] = '\0';
		nft_rules_attach_text(texts[i], strlen(texts[i]), r.m, r.n);
		if (i == 6)
			assert_string_equal(r.m[0].text, "drop");   /* last line, no newline */
		else if (i == 8)
			assert_string_equal(r.m[0].text, "\"}\" drop");
		else
			assert_string_equal(r.m[0].text, "");
	}
	/* a rule longer than the field is cut, not overflowed */
	n = (size_t)snprintf(big, sizeof(big), "table ip aegisfw {\n\tchain out {\n\t\t");
	memset(big + n, 'x', 1500);
	snprintf(big + n + 1500, sizeof(big) - n - 1500, " drop # handle 3\n}\n}\n");
	nft_rules_attach_text(big, strlen(big), r.m, r.n);
	assert_int_equal(strlen(r.m[0].text), sizeof(r.m[0].text) - 1);
	nft_rules_attach_text(NULL, 0, r.m, r.n);
	nft_rules_attach_text(big, strlen(big), NULL, 1);
}

/* ---------- malformed and hostile input ---------- */

static void test_malformed_json(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"nftables\": 5}", "{\"nftables\": [", "{\"x\": []}",
		"{\"nftables\": []} trailing", "\xff\xfe{}",
	};
	struct nft_tuple t = tuple("10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);
	struct nft_rule_match m[MAXM];
	size_t half = strlen(R2_JSON) / 2;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nft_rules_match(bad[i], strlen(bad[i]), &t, m, MAXM), -1);
	assert_int_equal(nft_rules_match(R2_JSON, half, &t, m, MAXM), -1);
	assert_int_equal(nft_rules_match("{\"nftables\": [1]}\0junk", 22, &t, m, MAXM), -1);
	assert_int_equal(nft_rules_match(NULL, 0, &t, m, MAXM), -1);
	assert_int_equal(nft_rules_match(R1_JSON, strlen(R1_JSON), NULL, m, MAXM), -1);
	assert_int_equal(nft_rules_match(R1_JSON, strlen(R1_JSON), &t, m, -1), -1);
	t.dir = (enum nft_hook_dir)42;
	assert_int_equal(nft_rules_match(R1_JSON, strlen(R1_JSON), &t, m, MAXM), -1);
}

static void test_wrong_types_tolerated(void **state)
{
	/* valid JSON, nonsense schema: skipped, never a crash */
	static const char json[] =
		"{\"nftables\": [1, \"x\", null, {\"chain\": 5}, {\"rule\": []},"
		" {\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"c\", \"hook\": \"output\","
		"  \"prio\": \"x\", \"policy\": 7}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"handle\": -4,"
		"  \"expr\": [5, {}, {\"match\": 3}, {\"match\": {\"left\": 1, \"right\": {}}},"
		"  {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\","
		"   \"field\": \"daddr\"}}, \"right\": {\"prefix\": {\"addr\": 5, \"len\": 99}}}},"
		"  {\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\","
		"   \"field\": \"dport\"}}, \"right\": {\"range\": [1]}}},"
		"  {\"vmap\": {\"key\": 1, \"data\": 2}}, {\"jump\": {\"target\": 9}}]}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\","
		"  \"expr\": [{\"drop\": null}]}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"nochain\","
		"  \"expr\": [{\"drop\": null}]}}]}";
	struct res r = run4(json, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, OUT);

	(void)state;
	assert_int_equal(r.n, 1);   /* rule 1 ends in an unreadable vmap: opaque, no drop */
	expect(&r.m[0], "ip", "t", "c", "output", 0, "drop", true);
}

static void test_jump_loop_and_fanout_bounded(void **state)
{
	/* a self-jump and a 20-way fan-out 8 deep: bounded by depth and the work budget */
	char *json = malloc(1 << 20);
	size_t n = 0;
	struct res r;

	(void)state;
	assert_non_null(json);
	n += (size_t)sprintf(json + n, "{\"nftables\": [{\"chain\": {\"family\": \"ip\", "
			     "\"table\": \"t\", \"name\": \"c0\", \"hook\": \"output\", \"prio\": 0, "
			     "\"policy\": \"drop\"}}");
	for (int c = 1; c <= 9; c++)
		n += (size_t)sprintf(json + n, ", {\"chain\": {\"family\": \"ip\", \"table\": \"t\", "
				     "\"name\": \"c%d\"}}", c);
	for (int c = 0; c <= 9; c++)
		for (int j = 0; j < 20; j++)
			n += (size_t)sprintf(json + n, ", {\"rule\": {\"family\": \"ip\", \"table\": "
					     "\"t\", \"chain\": \"c%d\", \"handle\": %d, \"expr\": "
					     "[{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": "
					     "\"mark\"}}, \"right\": %d}}, {\"jump\": {\"target\": \"c%d\"}}]}}",
					     c, c * 100 + j + 1, j, j == 0 ? c : (c + 1) % 10);
	sprintf(json + n, "]}");
	r = run(json, &(struct nft_tuple){ .family = AF_INET, .l4proto = TCP, .dir = OUT });
	assert_true(r.n >= 0 && r.n <= 1);
	free(json);
}

static void test_max_limits_output(void **state)
{
	struct nft_tuple t = tuple("::1", 5000, "2001:db8:2::1", 5001, UDP, ANY);
	struct nft_rule_match m[1];

	(void)state;
	assert_int_equal(nft_rules_match(R2_JSON, strlen(R2_JSON), &t, m, 1), 1);
	assert_string_equal(m[0].chain, "input");
	assert_int_equal(nft_rules_match(R2_JSON, strlen(R2_JSON), &t, NULL, 0), 0);
}

static void test_empty_ruleset(void **state)
{
	static const char json[] = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", "
				   "\"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}]}\n";
	struct res r = run4(json, "10.0.0.5", 40000, "100.100.1.2", 80, TCP, ANY);

	(void)state;
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_drop_matches),
		cmocka_unit_test(test_output_drop_other_addr),
		cmocka_unit_test(test_output_drop_other_port),
		cmocka_unit_test(test_output_drop_not_udp),
		cmocka_unit_test(test_input_drop_synack),
		cmocka_unit_test(test_direction_selects_hooks),
		cmocka_unit_test(test_ip_table_ignores_ipv6),
		cmocka_unit_test(test_inet_named_sets_reject),
		cmocka_unit_test(test_named_set_single_element),
		cmocka_unit_test(test_port_set),
		cmocka_unit_test(test_accept_before_drop),
		cmocka_unit_test(test_jump_into_regular_chain),
		cmocka_unit_test(test_accept_in_regular_chain_stops),
		cmocka_unit_test(test_jump_ipv6_named_set_not_equal),
		cmocka_unit_test(test_udp_set_and_address_range),
		cmocka_unit_test(test_ip6_table_reject),
		cmocka_unit_test(test_policy_drop_after_uncertain_accept),
		cmocka_unit_test(test_forward_and_later_hooks),
		cmocka_unit_test(test_ct_state_uncertain),
		cmocka_unit_test(test_unknown_matches_uncertain),
		cmocka_unit_test(test_concat_set),
		cmocka_unit_test(test_set_element_with_timeout),
		cmocka_unit_test(test_not_in_set_with_range),
		cmocka_unit_test(test_verdict_maps),
		cmocka_unit_test(test_ipv6_set_range_and_nfproto),
		cmocka_unit_test(test_ip_protocol_and_return),
		cmocka_unit_test(test_netdev_ingress_uncertain),
		cmocka_unit_test(test_policy_drop_certain),
		cmocka_unit_test(test_jump_twice_reported_once),
		cmocka_unit_test(test_jump_again_certain),
		cmocka_unit_test(test_goto_does_not_come_back),
		cmocka_unit_test(test_priority_order_and_stop),
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_continue_is_not_a_verdict),
		cmocka_unit_test(test_older_spellings),
		cmocka_unit_test(test_iptables_nft),
		cmocka_unit_test(test_text_attached),
		cmocka_unit_test(test_text_simple),
		cmocka_unit_test(test_text_long_anonymous_set),
		cmocka_unit_test(test_text_right_table),
		cmocka_unit_test(test_text_regular_chain_and_policy),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_wrong_types_tolerated),
		cmocka_unit_test(test_jump_loop_and_fanout_bounded),
		cmocka_unit_test(test_max_limits_output),
		cmocka_unit_test(test_empty_ruleset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
