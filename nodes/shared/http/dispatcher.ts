import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';

/** How long to wait for a TCP + TLS connection. Answers may take minutes; connecting may not. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One dispatcher per TLS setting, created on first use and kept for the life of the process, so
 * connections (and TLS sessions) are reused across items and executions.
 *
 * `EnvHttpProxyAgent` honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and their lower-case forms), the
 * variables n8n users already set for n8n itself. It reads them when created.
 * We never call `setGlobalDispatcher`: that would change the HTTP client of n8n and every other
 * package in the process.
 */
const dispatchers = new Map<boolean, Dispatcher>();

export function getDispatcher(allowUnauthorizedCerts: boolean): Dispatcher {
	let dispatcher = dispatchers.get(allowUnauthorizedCerts);
	if (!dispatcher) {
		const tls = { rejectUnauthorized: !allowUnauthorizedCerts, timeout: CONNECT_TIMEOUT_MS };
		dispatcher = new EnvHttpProxyAgent({
			connect: tls,
			// Through a proxy, the TLS session to the instance is `requestTls`; to the proxy, `proxyTls`.
			requestTls: tls,
			// Idle keep-alive sockets are closed after 30 s, well before typical load balancers drop them.
			keepAliveTimeout: 4_000,
			keepAliveMaxTimeout: 30_000,
		});
		dispatchers.set(allowUnauthorizedCerts, dispatcher);
	}
	return dispatcher;
}
