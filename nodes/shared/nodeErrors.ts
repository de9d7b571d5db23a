import { env as processEnv } from 'node:process';

import { NodeApiError, NodeOperationError, UserError } from 'n8n-workflow';
import type { ICredentialDataDecryptedObject, INode, JsonObject } from 'n8n-workflow';

import { credentialSecrets } from './auth/credentialGrants';
import { TokenRequestError } from './auth/errors';
import { CredentialInputError } from './credentialInputError';
import { RedirectRefusedError } from './http/client';
import { CONNECT_TIMEOUT_MS } from './http/dispatcher';
import { egressRefusal, EgressRefusedError } from './http/egress';
import { errorCode, HttpStatusError, isAbortError, proxyRefusalStatus } from './http/errors';
import { redactDeep, redactSecrets } from './redact';
import { oneLine, serverErrorText } from './serverMessage';
import { SignInExpiredError } from './token/signIn';

/**
 * The boundary on the credential side (preAuthentication, authenticate: the credential dialog and
 * the HTTP Request node show it): a message with the fix in it and no secret.
 */
export function credentialError(error: unknown, credentials: ICredentialDataDecryptedObject): Error {
	const secrets = credentialSecrets(credentials);
	if (error instanceof TokenRequestError) return new UserError(redactSecrets(`${error.message}. ${error.hint}`, secrets));
	if (error instanceof CredentialInputError) return new UserError(redactSecrets(error.message, secrets));
	// n8n's own helper (the token request inside preAuthentication) refused by the instance's SSRF protection.
	const refused = egressRefusal(error, hostOf(error));
	if (refused) return new UserError(redactSecrets(`${refused.message}. ${refused.hint}`, secrets));
	const network = describeNetworkError(error);
	const message = network ? `${network.message}. ${network.hint}` : error instanceof Error ? error.message : String(error);
	return new UserError(redactSecrets(`Could not get an access token: ${message}`, secrets));
}

/**
 * The one error mapper: whatever failed (a token grant, an HTTP status, the network, TLS, a timeout,
 * bad input) becomes a NodeApiError or NodeOperationError whose message names the cause and whose
 * description says what to do. Every string passes through `redactSecrets` with the credential's
 * secrets, and no raw error object (which could hold request headers) is attached.
 */

export interface ErrorContext {
	node: INode;
	itemIndex: number;
	/** Every secret in play (credential secrets, tokens, passwords typed in parameters). */
	secrets: readonly string[];
	/** What we were doing, as the start of a sentence: "Getting an access token". */
	action: string;
	/** Advice per HTTP status that fits the node better than the defaults. */
	statusHints?: Partial<Record<number, string>>;
	/** Extra redaction after the secrets' (e.g. quotes of a private key's body). */
	redact?: (text: string) => string;
	/** Timeouts in force, to name them in messages (ms). */
	headersTimeoutMs?: number;
	bodyTimeoutMs?: number;
}

export const PROXY_AUTH_HINT =
	'A proxy between n8n and the server asks for credentials: put them in the proxy variable n8n uses (HTTPS_PROXY=http://user:password@proxy:port; HTTP_PROXY for http:// addresses).';

/**
 * The configured proxy a refused connection was for: the refused socket's address and port are the
 * proxy's (from HTTPS_PROXY / HTTP_PROXY). Only host and port are named — never the proxy's credentials.
 */
function refusedProxy(error: unknown): { address: string; variable: string } | undefined {
	let socket: { address?: unknown; port?: unknown } | undefined;
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		if (typeof (e as { address?: unknown }).address === 'string') {
			socket = e as { address?: unknown; port?: unknown };
			break;
		}
		e = (e as { cause?: unknown }).cause;
	}
	if (!socket) return undefined;
	for (const variable of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
		const value = processEnv[variable];
		if (!value || !URL.canParse(value)) continue;
		const url = new URL(value);
		const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
		const host = url.hostname.replace(/^\[|\]$/g, '');
		const sameHost = host === socket.address || (host === 'localhost' && (socket.address === '127.0.0.1' || socket.address === '::1'));
		if (sameHost && port === socket.port) return { address: `${url.hostname}:${port}`, variable };
	}
	return undefined;
}

const DEFAULT_STATUS_HINTS: Record<number, string> = {
	400: 'The server rejected the request as invalid. Check the values you entered.',
	401: 'The server refused the access token. If the OAuth client or refresh token was revoked or expired, check the credential; if the credential works elsewhere (its Test button), this endpoint does not accept its kind of token or its identity.',
	403: 'The identity behind the credential is not allowed to do this. Check the role of the OAuth client (Alation: Admin Settings → Authentication → OAuth Client Applications) or of the user.',
	404: 'Not found. Check the base URL in the credential and the ids you entered.',
	407: PROXY_AUTH_HINT,
	408: 'The server timed out waiting for the request. Try again.',
	409: 'The server reports a conflict with the current state. Try again in a moment.',
	413: 'The request is too large for the server. Send less data.',
	422: 'The server could not process the values sent. Check the values you entered.',
	429: 'The server is rate limiting requests. Wait and try again, or send fewer requests at once.',
};

function statusHint(status: number, overrides: ErrorContext['statusHints']): string {
	const override = overrides?.[status];
	if (override) return override;
	if (DEFAULT_STATUS_HINTS[status]) return DEFAULT_STATUS_HINTS[status];
	if (status >= 500) return 'The server had a problem. Try again later; if it persists, contact your Alation administrator.';
	return 'Check the credential and the values you entered.';
}

interface NetworkCause {
	message: string;
	hint: string;
}

const TLS_TRUST_CODES = new Set([
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'UNABLE_TO_GET_ISSUER_CERT',
	'CERT_UNTRUSTED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'CERT_NOT_YET_VALID',
]);


function hostOf(error: unknown): string {
	const e = error as { requestHost?: unknown; hostname?: unknown; host?: unknown; address?: unknown; port?: unknown; cause?: unknown };
	if (typeof e?.requestHost === 'string') return e.requestHost;
	const host = e?.hostname ?? e?.host ?? e?.address;
	if (typeof host === 'string') return typeof e.port === 'number' ? `${host}:${e.port}` : host;
	return e?.cause ? hostOf(e.cause) : 'the server';
}

function seconds(ms: number | undefined): string {
	return ms === undefined ? '' : ` ${Math.round(ms / 1000)} s`;
}

/** Names network, TLS and timeout failures; undefined when `error` is none of those. */
export function describeNetworkError(error: unknown, ctx: Pick<ErrorContext, 'headersTimeoutMs' | 'bodyTimeoutMs'> = {}): NetworkCause | undefined {
	const proxyStatus = proxyRefusalStatus(error);
	if (proxyStatus !== undefined) {
		return {
			message: `The proxy refused to connect to ${hostOf(error)} (it answered ${proxyStatus}${proxyStatus === 407 ? ' Proxy Authentication Required' : ''})`,
			hint: proxyStatus === 407 ? PROXY_AUTH_HINT : 'Check that the proxy n8n uses (HTTPS_PROXY, HTTP_PROXY) allows connections to this host, or exclude the host with NO_PROXY.',
		};
	}
	let code = errorCode(error);
	// axios (n8n's own request helper, which fetches the credentials' tokens) reports a body cut mid-way
	// as ERR_BAD_RESPONSE "stream has been aborted": the connection was closed.
	if (code === 'ERR_BAD_RESPONSE' && /aborted/i.test((error as Error)?.message ?? '')) code = 'ECONNRESET';
	if (code === undefined) return undefined;
	const host = hostOf(error);
	switch (code) {
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return {
				message: `Could not resolve the host name ${host} (DNS)`,
				hint: 'Check the base URL in the credential for typos, and that the n8n server can resolve that host (DNS, VPN).',
			};
		case 'ECONNREFUSED': {
			const proxy = refusedProxy(error);
			if (proxy) {
				return {
					message: `The connection to the proxy ${proxy.address} (${proxy.variable}) was refused`,
					hint: `The proxy n8n is set to use is not accepting connections. Check that it is running and that ${proxy.variable} points at it.`,
				};
			}
			return {
				message: `The connection to ${host} was refused`,
				hint: 'Check the base URL and port, and that the server is running and reachable from the n8n server. If you need a proxy, set HTTPS_PROXY for n8n.',
			};
		}
		case 'ECONNRESET':
		case 'EPIPE':
		case 'UND_ERR_SOCKET':
			return {
				message: `The connection to ${host} was closed unexpectedly`,
				hint: 'The server or a proxy in between closed the connection. Try again; if it keeps happening, check proxies and load balancers between n8n and the server.',
			};
		case 'ECONNABORTED': // axios: its timeout (60 s for token requests) ran out
			return {
				message: `The request to ${host} timed out`,
				hint: 'The server is slow or unreachable. Try again later; check the base URL and whether a proxy is needed (HTTPS_PROXY).',
			};
		case 'ETIMEDOUT':
		case 'UND_ERR_CONNECT_TIMEOUT':
			return {
				message: `Timed out connecting to ${host} after${seconds(CONNECT_TIMEOUT_MS)}`,
				hint: 'A firewall may be dropping the connection, or a proxy is needed (set HTTPS_PROXY for n8n). Check the base URL.',
			};
		case 'UND_ERR_HEADERS_TIMEOUT':
			return {
				message: `${host} did not answer within${seconds(ctx.headersTimeoutMs)}`,
				hint: 'The server is slow or overloaded. Try again later, or raise the timeout if the node offers one.',
			};
		case 'UND_ERR_BODY_TIMEOUT':
			return {
				message: `${host} stopped sending data for${seconds(ctx.bodyTimeoutMs)}`,
				hint: 'The answer stalled. Try again, or raise the idle timeout if the node offers one.',
			};
		case 'ERR_SSL_WRONG_VERSION_NUMBER':
		case 'EPROTO':
			return {
				message: `${host} did not answer with TLS (HTTPS)`,
				hint: 'The server may be plain HTTP on this port: check whether the base URL should start with http:// or use another port.',
			};
		default:
			if (TLS_TRUST_CODES.has(code)) {
				return {
					message: `The TLS certificate of ${host} is not trusted (${code})`,
					hint: 'For an on-premise instance with a self-signed or private-CA certificate, turn on "Ignore SSL Issues" in the credential, or give n8n the CA with NODE_EXTRA_CA_CERTS.',
				};
			}
			return undefined;
	}
}

/** A short plain-text body (e.g. "upstream connect error") is worth showing; an HTML page is not. */
function plainText(body: string, clean: (text: string) => string): string | undefined {
	if (/^\s*</.test(body)) return undefined;
	return oneLine(clean(body));
}


function cleaner(ctx: ErrorContext): (text: string) => string {
	return (text) => {
		const withoutSecrets = redactSecrets(text, ctx.secrets);
		return ctx.redact ? ctx.redact(withoutSecrets) : withoutSecrets;
	};
}

/** A NodeApiError built from words only, redacted: no raw error object (which could hold headers) is attached. */
export function nodeApiError(ctx: ErrorContext, message: string, description: string, httpCode?: number): NodeApiError {
	const clean = cleaner(ctx);
	const m = clean(message);
	const d = clean(description);
	const code = httpCode === undefined ? undefined : String(httpCode);
	// A fresh, minimal object: NodeApiError keeps what it is given, and we give it nothing but words.
	const response: JsonObject = code === undefined ? { message: m } : { message: m, httpCode: code };
	return new NodeApiError(ctx.node, response, { message: m, description: d, httpCode: code, itemIndex: ctx.itemIndex });
}

export function nodeOperationError(ctx: ErrorContext, message: string, description: string): NodeOperationError {
	const clean = cleaner(ctx);
	return new NodeOperationError(ctx.node, clean(message), {
		description: clean(description),
		itemIndex: ctx.itemIndex,
	});
}

export function toNodeError(error: unknown, ctx: ErrorContext): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const api = (message: string, description: string, httpCode?: number) => nodeApiError(ctx, message, description, httpCode);
	const operation = (message: string, description: string) => nodeOperationError(ctx, message, description);

	if (error instanceof CredentialInputError) {
		return operation(`${ctx.action} failed: ${error.message}`, 'Open the credential and correct the field named above.');
	}
	if (error instanceof TokenRequestError) {
		return api(`${ctx.action} failed: ${error.message}`, error.hint, error.status);
	}
	if (error instanceof HttpStatusError) {
		// Rebuilt from the redacted body: the stored message is already shortened, and a secret cut
		// in half by shortening would no longer be found by redaction.
		const clean = cleaner(ctx);
		const serverMessage = error.json !== undefined ? serverErrorText(redactDeep(error.json, clean)) : plainText(error.bodySnippet, clean);
		const said = serverMessage ? `: ${serverMessage}` : '';
		return api(
			`${ctx.action} failed: the server answered ${error.status}${said}`,
			statusHint(error.status, ctx.statusHints),
			error.status,
		);
	}
	if (error instanceof SignInExpiredError) return operation(`${ctx.action} failed: ${error.message}`, error.hint);
	const refused = error instanceof EgressRefusedError ? error : egressRefusal(error, hostOf(error));
	if (refused) return operation(`${ctx.action} failed: ${refused.message}`, refused.hint);
	if (error instanceof RedirectRefusedError) {
		return api(`${ctx.action} failed: ${error.message}`, 'Check the base URL in the credential.', error.status);
	}
	if (isAbortError(error)) {
		return operation(`${ctx.action} was cancelled`, 'The execution was stopped, or its time limit was reached.');
	}
	const network = describeNetworkError(error, ctx);
	if (network) return api(`${ctx.action} failed: ${network.message}`, network.hint);

	const message = error instanceof Error ? error.message : String(error);
	return operation(`${ctx.action} failed: ${message}`, 'An unexpected error occurred. If it persists, report it with the steps that lead to it.');
}
