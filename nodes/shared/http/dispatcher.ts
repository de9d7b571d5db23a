import { env as processEnv } from 'node:process';

import { EnvHttpProxyAgent, Pool } from 'undici';
import type { buildConnector, Dispatcher } from 'undici';

import { egressRefusal } from './egress';
import type { EgressFilter } from './egress';

/** How long to wait for a TCP + TLS connection. Answers may take minutes; connecting may not. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One dispatcher per (TLS setting, egress policy), created on first use and kept for the life of
 * the process, so connections (and TLS sessions) are reused across items and executions. The egress
 * policy is the filter object n8n hands out (one per process: its SSRF service, or its pass-through
 * when protection is off); no filter (n8n 1.x) has dispatchers of its own.
 *
 * `EnvHttpProxyAgent` honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and their lower-case forms), the
 * variables n8n users already set for n8n itself. It reads them when created.
 * We never call `setGlobalDispatcher`: that would change the HTTP client of n8n and every other
 * package in the process.
 */
const unfiltered = new Map<boolean, Dispatcher>();
const filtered = new WeakMap<EgressFilter, Map<boolean, Dispatcher>>();

export function getDispatcher(allowUnauthorizedCerts: boolean, egress?: EgressFilter): Dispatcher {
	let byTls = egress ? filtered.get(egress) : unfiltered;
	if (!byTls) {
		byTls = new Map();
		filtered.set(egress as EgressFilter, byTls);
	}
	let dispatcher = byTls.get(allowUnauthorizedCerts);
	if (!dispatcher) {
		dispatcher = createDispatcher(allowUnauthorizedCerts, egress);
		byTls.set(allowUnauthorizedCerts, dispatcher);
	}
	return dispatcher;
}

function createDispatcher(allowUnauthorizedCerts: boolean, egress: EgressFilter | undefined): Dispatcher {
	const tls = { rejectUnauthorized: !allowUnauthorizedCerts, timeout: CONNECT_TIMEOUT_MS };
	// The instance's secure lookup for every socket this dispatcher opens: to the server, and to a
	// proxy named by host name. Through a proxy the proxy resolves the server's name; the URL was
	// checked before the request (client.ts), as n8n's own client does.
	const lookup = egress ? { lookup: egress.createSecureLookup() } : {};
	return new EnvHttpProxyAgent({
		connect: { ...tls, ...lookup },
		// Through a proxy, the TLS session to the instance is `requestTls`; the socket to the proxy is `proxyTls`'s.
		requestTls: tls,
		proxyTls: { timeout: CONNECT_TIMEOUT_MS, ...lookup },
		...(egress ? { clientFactory: guardedProxyClient(egress) } : {}),
		// Idle keep-alive sockets are closed after 30 s, well before typical load balancers drop them.
		keepAliveTimeout: 4_000,
		keepAliveMaxTimeout: 30_000,
	});
}

type Connector = buildConnector.connector;

/**
 * The client to a proxy (undici's ProxyAgent makes one per proxy), whose every connection first asks
 * the instance whether the proxy's host may be reached: an IP literal is seen by no DNS lookup.
 */
function guardedProxyClient(egress: EgressFilter) {
	return (origin: URL, options: { connect: Connector }): Dispatcher => {
		const host = origin.hostname.replace(/^\[|\]$/g, '');
		const connectToProxy = options.connect;
		const connect: Connector = (connectOptions, callback) => {
			const verdict = egress.validateConnectionHost(host);
			if (!verdict.ok) {
				callback(egressRefusal(verdict.error, origin.host, proxyVariable(origin)) ?? verdict.error, null);
				return;
			}
			connectToProxy(connectOptions, callback);
		};
		return new Pool(origin, { ...options, connect });
	};
}

/** Which of n8n's proxy variables names this proxy (for messages; never its credentials). */
function proxyVariable(origin: URL): string {
	for (const variable of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
		const value = processEnv[variable];
		if (value && URL.canParse(value) && new URL(value).host === origin.host) return variable.toUpperCase();
	}
	return 'HTTPS_PROXY';
}
