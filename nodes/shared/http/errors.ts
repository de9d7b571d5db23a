import { serverErrorText } from '../serverMessage';
import { parseJsonObject } from '../json';

/**
 * A non-2xx answer from an Alation/DataClarity endpoint. Carries what the server said (bounded)
 * and never the request's headers: those hold the token.
 */
export class HttpStatusError extends Error {
	readonly status: number;
	/** Method and URL without query string, e.g. `POST https://acme.alationcloud.com/api/v2/auth/credentials/`. */
	readonly target: string;
	/** The server's own message (`detail`, `error_description`, …), when it sent one. */
	readonly serverMessage?: string;
	/** Up to 500 characters of the body as received. */
	readonly bodySnippet: string;
	/** Seconds to wait, from `Retry-After` (seconds or HTTP date). */
	readonly retryAfterSeconds?: number;
	readonly json?: unknown;

	constructor(init: {
		status: number;
		method: string;
		url: string;
		bodyText: string;
		retryAfter?: string | string[];
	}) {
		const json = parseJsonObject(init.bodyText);
		const serverMessage = serverErrorText(json);
		const target = `${init.method} ${stripQuery(init.url)}`;
		super(`${target} answered ${init.status}${serverMessage ? `: ${serverMessage}` : ''}`);
		this.name = 'HttpStatusError';
		this.status = init.status;
		this.target = target;
		this.serverMessage = serverMessage;
		this.bodySnippet = init.bodyText.slice(0, BODY_SNIPPET_CHARS);
		this.json = json;
		this.retryAfterSeconds = parseRetryAfter(init.retryAfter);
	}
}

export const BODY_SNIPPET_CHARS = 500;

export function stripQuery(url: string): string {
	const q = url.search(/[?#]/);
	return q === -1 ? url : url.slice(0, q);
}

/** `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` → seconds from now (≥ 0). */
export function parseRetryAfter(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
	const value = Array.isArray(header) ? header[0] : header;
	if (value === undefined || value.trim() === '') return undefined;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
	const at = Date.parse(trimmed);
	if (!Number.isFinite(at)) return undefined;
	return Math.max(0, (at - now) / 1000);
}

/** An error's `code`, looking through up to 4 levels of `cause` (fetch and axios wrap the socket's error). */
export function errorCode(error: unknown): string | undefined {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		const code = (e as { code?: unknown }).code;
		if (typeof code === 'string') return code;
		e = (e as { cause?: unknown }).cause;
	}
	return undefined;
}

/**
 * The status a proxy answered instead of opening a tunnel (undici: a RequestAbortedError "Proxy
 * response (407) !== 200 when HTTP Tunneling"), or undefined. It is not an abort: nobody stopped it.
 */
export function proxyRefusalStatus(error: unknown): number | undefined {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		const match = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(String((e as { message?: unknown }).message ?? ''));
		if (match) return Number(match[1]);
		e = (e as { cause?: unknown }).cause;
	}
	return undefined;
}

/**
 * A request ended by an AbortSignal: the execution's cancel signal, or a deadline built on one
 * (whose reason is a `TimeoutError`, as `AbortSignal.timeout` gives).
 */
export function isAbortError(error: unknown): boolean {
	const e = error as { name?: unknown; code?: unknown };
	if (proxyRefusalStatus(error) !== undefined) return false;
	return e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'UND_ERR_ABORTED' || e?.code === 'ABORT_ERR';
}
