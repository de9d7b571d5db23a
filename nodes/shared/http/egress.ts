import type { LookupFunction } from 'node:net';

/*
 * The n8n instance's egress rules (its SSRF protection) as they apply to the package's own client.
 *
 * n8n's own request helpers enforce them; a node that brings its own client gets them from
 * `this.helpers.getSecureEgressFilter()` (n8n 2.x) and must apply them itself, in three places:
 *   1. before a request: the URL (an IP literal is checked as is, a host name is resolved and every
 *      address checked) — `assertEgressAllowed`, in `send` before every hop;
 *   2. at connect time: the socket's DNS lookup is n8n's secure lookup, so a name that resolves to an
 *      allowed address when checked and to a blocked one when connecting cannot slip through
 *      (dispatcher.ts);
 *   3. an IP-literal proxy host, which no lookup sees, is checked before connecting (dispatcher.ts).
 * With protection off, n8n hands out a pass-through filter; n8n 1.x has none (no filter: as before).
 */

/** n8n-workflow's `Result<void, Error>`. */
export type EgressResult = { ok: true } | { ok: false; error: Error };

/** n8n-workflow's `NodeEgressFilter` (2.x), restated so that this module needs no n8n import. */
export interface EgressFilter {
	validateUrl(url: string | URL): Promise<EgressResult>;
	validateConnectionHost(host: string): EgressResult;
	createSecureLookup(): LookupFunction;
	validateRedirectSync(url: string): void;
}

/** The n8n settings an administrator changes to let a blocked destination through. */
export const SSRF_ALLOW_SETTINGS = 'N8N_SSRF_ALLOWED_HOSTNAMES or N8N_SSRF_ALLOWED_IP_RANGES';

/**
 * A request the instance's SSRF protection does not allow. Nothing was sent. Carries the host
 * (never a URL's path, query or credentials) and, when known, the address that was refused.
 */
export class EgressRefusedError extends Error {
	constructor(
		/** The host name or IP literal the request was for (or the proxy's, when `proxy`). */
		readonly host: string,
		/** The address refused, when n8n named one (a host name that resolves to a blocked address). */
		readonly address: string | undefined,
		/** 'address': a blocked IP range; 'hostname': a blocked host name. */
		readonly rule: 'address' | 'hostname',
		/** The proxy variable through which the request would have gone, when the proxy is what is blocked. */
		readonly proxyVariable?: string,
	) {
		const what = proxyVariable ? `the proxy ${host} (${proxyVariable})` : host;
		// `host` may carry a port (a proxy's host:port): an address it starts with is the host itself.
		const isLiteral = address === undefined || host === address || host.startsWith(`${address}:`) || host.startsWith(`[${address}]`);
		const why = rule === 'hostname' ? 'its host name is on the blocked list' : isLiteral ? 'it is a restricted address' : `it resolves to ${address}, a restricted address`;
		super(`The request to ${what} was blocked by this n8n instance's SSRF protection: ${why}`);
		this.name = 'EgressRefusedError';
	}

	/** What an administrator can do, in n8n's terms. */
	get hint(): string {
		const which =
			this.rule === 'hostname'
				? `remove it from N8N_SSRF_BLOCKED_HOSTNAMES or add it to N8N_SSRF_ALLOWED_HOSTNAMES`
				: `allow it with N8N_SSRF_ALLOWED_HOSTNAMES=${this.host} or with N8N_SSRF_ALLOWED_IP_RANGES (the address range)`;
		return `Nothing was sent. If ${this.host} is a server this instance may reach, ask your n8n administrator to ${which}; otherwise correct the base URL in the credential.`;
	}
}

/** n8n's own refusal errors (SsrfBlockedIpError, SsrfBlockedHostnameError), as they come out of its filter. */
interface N8nRefusal {
	name?: unknown;
	ip?: unknown;
	hostname?: unknown;
}

/**
 * The refusal inside `error` (n8n's, from the filter or from the secure lookup at connect time,
 * possibly wrapped by undici), as an EgressRefusedError for `host`; undefined if it is no refusal.
 */
export function egressRefusal(error: unknown, host: string, proxyVariable?: string): EgressRefusedError | undefined {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		if (e instanceof EgressRefusedError) return e;
		const { name, ip } = e as N8nRefusal;
		if (name === 'SsrfBlockedIpError') return new EgressRefusedError(host, typeof ip === 'string' ? ip : undefined, 'address', proxyVariable);
		if (name === 'SsrfBlockedHostnameError') return new EgressRefusedError(host, undefined, 'hostname', proxyVariable);
		e = (e as { cause?: unknown }).cause;
	}
	return undefined;
}

/** The host of a URL as a person reads it (IPv6 without brackets' noise is not worth it: kept as URL gives it). */
function hostOf(url: string | URL): string {
	return (typeof url === 'string' ? new URL(url) : url).hostname;
}

/**
 * Refuses `url` if the instance's rules forbid it: throws EgressRefusedError (nothing sent). A DNS
 * failure while checking is thrown as it came (the callers name it as a DNS problem). No filter
 * (n8n 1.x, or a caller outside n8n): allowed.
 */
export async function assertEgressAllowed(filter: EgressFilter | undefined, url: string | URL): Promise<void> {
	if (!filter) return;
	const result = await filter.validateUrl(url);
	if (result.ok) return;
	throw egressRefusal(result.error, hostOf(url)) ?? result.error;
}
