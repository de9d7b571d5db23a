/**
 * n8n's SSRF protection, switched on for a test as an administrator would with N8N_SSRF_* settings:
 * n8n's own SsrfProtectionConfig, SsrfProtectionService and OutboundHttp, put into n8n's container,
 * so that `helpers.getSecureEgressFilter()` of every real n8n-core context hands out n8n's real filter.
 * Each call makes a new service (a new egress policy, as a restarted n8n would have).
 */
import type { LookupAddress } from 'node:dns';

import { Logger } from '@n8n/backend-common';
import { DnsResolver, OutboundHttp, SsrfProtectionService } from '@n8n/backend-network';
import { SsrfProtectionConfig } from '@n8n/config';
import { Container } from '@n8n/di';

export interface SsrfSettings {
	/** N8N_SSRF_BLOCKED_IP_RANGES; default: n8n's `default` list (loopback and private ranges included). */
	blockedIpRanges?: string[];
	/** N8N_SSRF_ALLOWED_IP_RANGES */
	allowedIpRanges?: string[];
	/** N8N_SSRF_ALLOWED_HOSTNAMES */
	allowedHostnames?: string[];
	/** N8N_SSRF_BLOCKED_HOSTNAMES */
	blockedHostnames?: string[];
	/** N8N_SSRF_PROTECTION_ENABLED (default true here). */
	enabled?: boolean;
	/** The DNS n8n asks (default: n8n's own resolver, i.e. the machine's). */
	dns?: Pick<DnsResolver, 'lookup'>;
}

export function setSsrfProtection(settings: SsrfSettings = {}): void {
	const config = new SsrfProtectionConfig();
	config.enabled = settings.enabled ?? true;
	if (settings.blockedIpRanges) config.blockedIpRanges = settings.blockedIpRanges;
	config.allowedIpRanges = settings.allowedIpRanges ?? [];
	config.allowedHostnames = settings.allowedHostnames ?? [];
	config.blockedHostnames = settings.blockedHostnames ?? [];
	const logger = Container.get(Logger);
	const service = new SsrfProtectionService(config, (settings.dns ?? Container.get(DnsResolver)) as DnsResolver, logger);
	Container.set(SsrfProtectionConfig, config);
	Container.set(SsrfProtectionService, service);
	Container.set(OutboundHttp, new OutboundHttp(service, config, logger));
}

/** Protection off again (n8n's default). */
export function clearSsrfProtection(): void {
	setSsrfProtection({ enabled: false });
}

/** A DNS that answers from a script, one answer per lookup (the last repeats): a name that changes its address. */
export function scriptedDns(answers: Record<string, string[]>): Pick<DnsResolver, 'lookup'> & { calls: string[] } {
	const seen = new Map<string, number>();
	const calls: string[] = [];
	return {
		calls,
		async lookup(hostname: string): Promise<LookupAddress[]> {
			const script = answers[hostname];
			if (!script) return await Container.get(DnsResolver).lookup(hostname, { all: true });
			const n = seen.get(hostname) ?? 0;
			seen.set(hostname, n + 1);
			const address = script[Math.min(n, script.length - 1)];
			calls.push(`${hostname}→${address}`);
			return [{ address, family: address.includes(':') ? 6 : 4 }];
		},
	};
}
