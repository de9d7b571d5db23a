import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';

import { getDispatcher } from './dispatcher';
import { assertEgressAllowed, egressRefusal } from './egress';
import type { EgressFilter } from './egress';
import { HttpStatusError, stripQuery } from './errors';
import { USER_AGENT } from './userAgent';
import { parseJson, textOf } from '../json';

/**
 * The package's one HTTP client (undici). Every request of every node goes through `send`, so
 * timeouts, proxy, TLS, cancellation, redirects, the instance's egress rules and the User-Agent are
 * decided here once.
 */

/** Default wait for response headers and for each gap between body chunks on plain JSON calls. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
/** Bodies we buffer (JSON answers, error pages) are capped: a misbehaving server cannot fill memory. */
export const MAX_BUFFERED_BODY_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;

export type HttpMethod = 'GET' | 'POST';

export interface SendOptions {
	method: HttpMethod;
	url: string;
	headers?: Record<string, string>;
	body?: string;
	allowUnauthorizedCerts?: boolean;
	/** The execution's cancel signal (and any deadline): aborts connect, headers and body reads. */
	signal?: AbortSignal;
	headersTimeoutMs?: number;
	/** Longest silence between two body chunks; 0 disables. For streams this is the idle timeout. */
	bodyTimeoutMs?: number;
	/** false: a redirect is returned as it came, never followed (token requests: they carry a secret). */
	followRedirects?: boolean;
	/**
	 * The n8n instance's egress rules (`helpers.getSecureEgressFilter()` of the context that sends):
	 * every hop's URL is checked before it is sent and every socket's DNS lookup is n8n's (egress.ts).
	 * Absent where n8n has none (1.x).
	 */
	egress?: EgressFilter;
}

export interface HttpResponse {
	status: number;
	headers: IncomingHttpHeaders;
	body: Dispatcher.ResponseData['body'];
	/** The URL that answered (after same-origin redirects). */
	url: string;
}

/** Raised instead of following a redirect to another host: our auth header must not go there. */
export class RedirectRefusedError extends Error {
	constructor(
		readonly status: number,
		readonly from: string,
		readonly to: string,
	) {
		super(
			`${stripQuery(from)} answered ${status} and redirects to another host (${safeOrigin(to)}). Requests carrying your token are not sent to another host: if that is your instance, use ${safeOrigin(to)} as the base URL.`,
		);
		this.name = 'RedirectRefusedError';
	}
}

function safeOrigin(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return 'an invalid address';
	}
}

/**
 * Sends one request. Follows up to 3 redirects on the same origin — for POST only 307/308, which
 * keep method and body (Alation's AI endpoints redirect to add or drop a trailing slash).
 * The caller owns the returned body: read it, or `discard` it.
 */
export async function send(options: SendOptions): Promise<HttpResponse> {
	let url = options.url;
	const { egress } = options;
	for (let hop = 0; ; hop++) {
		const target = url;
		await assertEgressAllowed(egress, target).catch((error: unknown) => {
			throw withTarget(error, target);
		});
		const response = await request(url, {
			method: options.method,
			headers: { 'user-agent': USER_AGENT, ...options.headers },
			body: options.body,
			dispatcher: getDispatcher(options.allowUnauthorizedCerts === true, egress),
			signal: options.signal,
			headersTimeout: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
			bodyTimeout: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
		}).catch((error: unknown) => {
			// Refused at connect time (n8n's secure lookup: the name now resolves to a blocked address).
			throw withTarget((egress && egressRefusal(error, new URL(target).hostname)) || error, target);
		});
		const location = header(response.headers, 'location');
		if (options.followRedirects === false || !isFollowableRedirect(options.method, response.statusCode) || location === undefined || hop >= MAX_REDIRECTS) {
			return { status: response.statusCode, headers: response.headers, body: response.body, url };
		}
		await discard(response.body);
		const next = new URL(location, url).toString();
		if (new URL(next).origin !== new URL(url).origin) throw new RedirectRefusedError(response.statusCode, url, next);
		// Same origin, so the same host: the next hop's check (above) and lookup apply to it as to the first.
		url = next;
	}
}

/**
 * Notes on a failed request's error which host it was for (`host:port`), so messages can name it:
 * undici's TLS, timeout and socket errors do not. The error itself is unchanged otherwise.
 */
export function withTarget(error: unknown, url: string): unknown {
	if (error !== null && typeof error === 'object' && !('requestHost' in error)) {
		Object.defineProperty(error, 'requestHost', { value: new URL(url).host, enumerable: false });
	}
	return error;
}

function isFollowableRedirect(method: HttpMethod, status: number): boolean {
	if (status === 307 || status === 308) return true;
	return method === 'GET' && (status === 301 || status === 302 || status === 303);
}

export function header(headers: IncomingHttpHeaders | Record<string, unknown> | undefined, name: string): string | undefined {
	const value = headers?.[name.toLowerCase()];
	return textOf(Array.isArray(value) ? value[0] : value, { trim: false });
}

/**
 * Reads a body as UTF-8 text, at most `maxBytes`; the rest is dropped and the socket released.
 * `report.truncated` (when given) is set to whether the body was longer than `maxBytes`.
 */
export async function readText(body: HttpResponse['body'], maxBytes = MAX_BUFFERED_BODY_BYTES, report?: { truncated?: boolean }): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	let truncated = false;
	for await (const chunk of body) {
		const buffer = chunk as Buffer;
		const room = maxBytes - size;
		if (buffer.length > room) {
			// One byte past the bound is enough to know the body is longer: stop here.
			chunks.push(buffer.subarray(0, room));
			size = maxBytes;
			truncated = true;
			body.destroy();
			break;
		}
		chunks.push(buffer);
		size += buffer.length;
	}
	if (report) report.truncated = truncated;
	return Buffer.concat(chunks).toString('utf8');
}

/** Reads a body as bytes, failing (not truncating) past `maxBytes`: for files, a cut copy is worse than none. */
export async function readBuffer(body: HttpResponse['body'], maxBytes: number): Promise<Buffer | undefined> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > maxBytes) {
			body.destroy();
			return undefined;
		}
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}

/** Releases a body we do not need, so the connection goes back to the pool (or is closed). */
export async function discard(body: HttpResponse['body']): Promise<void> {
	try {
		await body.dump({ limit: 64 * 1024 });
	} catch {
		body.destroy();
	}
}

export interface JsonResponse {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
	json: unknown;
}

/**
 * A JSON call: non-2xx becomes an HttpStatusError carrying the server's message.
 * `sender` lets an authorized sender (token header, 401 retry) carry it; by default plain `send`.
 *
 * A 2xx answer to a GET (a read: its body is the point) whose body was longer than the buffer bound
 * (`MAX_BUFFERED_BODY_BYTES`, 1 MiB) or is not JSON throws an Error naming the endpoint, with `code`
 * `ERR_BODY_TOO_LARGE` or `ERR_BODY_NOT_JSON` and `maxBytes`: a cut or foreign body must never read
 * as an empty answer. An empty body (204) is `json: undefined`, not an error. For a POST the 2xx
 * status is the answer (the action was done; the caller must not resend it), so its body is read as
 * before: `json` is undefined when it is cut or not JSON.
 */
export async function requestJson(
	options: SendOptions,
	sender: (options: SendOptions) => Promise<HttpResponse> = send,
): Promise<JsonResponse> {
	const response = await sender({ ...options, headers: { accept: 'application/json', ...options.headers } });
	const read: { truncated?: boolean } = {};
	const text = await readText(response.body, MAX_BUFFERED_BODY_BYTES, read);
	if (response.status < 200 || response.status >= 300) {
		throw new HttpStatusError({
			status: response.status,
			method: options.method,
			url: response.url,
			bodyText: text,
			retryAfter: response.headers['retry-after'],
		});
	}
	const json = read.truncated === true ? undefined : parseJson(text);
	if (options.method === 'GET' && (read.truncated === true || (json === undefined && text.trim() !== ''))) {
		const target = `${options.method} ${stripQuery(response.url)}`;
		const bound = `${MAX_BUFFERED_BODY_BYTES / (1024 * 1024)} MiB`;
		const tooLarge = read.truncated === true;
		const error = new Error(
			tooLarge
				? `${target} answered ${response.status} with a body larger than ${bound}, the most a JSON answer may be`
				: `${target} answered ${response.status} with a body that is not JSON (content type ${header(response.headers, 'content-type') ?? 'none'})`,
		);
		throw Object.assign(error, { name: 'JsonBodyError', code: tooLarge ? 'ERR_BODY_TOO_LARGE' : 'ERR_BODY_NOT_JSON', maxBytes: MAX_BUFFERED_BODY_BYTES });
	}
	return { status: response.status, headers: response.headers, text, json };
}
