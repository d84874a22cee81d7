#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The local-drop causes again without the kfree_skb drop reason, as on a
# kernel before 5.17: AEGISMON_FORCE_NO_DROP_REASON=1. A netfilter drop is
# then told by the function that freed the packet (nft_do_chain,
# nf_hook_slow); the scenarios assert the same causes, hooks and rules.
set -u
export AEGISMON_FORCE_NO_DROP_REASON=1 FALLBACK="drops told by site"
"$(dirname "$0")/scenarios.sh" test_net_blocked test_dns_paths test_net_timeout || exit 1
echo "ok [test_fallback_drop_site] connect_blocked_local, dns_blocked_local without the drop reason"
