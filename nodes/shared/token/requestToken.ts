import { clearTimeout, setTimeout } from 'node:timers';

import { TokenRequestError } from '../auth/errors';
import { parseTokenResponse, tokenBodyText } from '../auth/tokenResponse';
import type { AccessToken, PostFn, TokenGrant } from '../auth/types';
import { parseRetryAfter } from '../http/errors';
import { isRetryableNetworkError, isRetryableStatus, retryDelayMs, waitForRetry } from '../http/retry';

/** Token requests sent again after a passing failure (so at most 3 in all), as Agent Chat's default. */
export const TOKEN_RETRIES = 2;

/**
 * The longest one token request may take, its retries and the waits between them included. A
 * token endpoint that answers slowly or drips its answer a byte at a time would otherwise hold the
 * request — and every caller sharing it, in every process of a fleet waiting on its lock — forever.
 */
export const TOKEN_REQUEST_DEADLINE_MS = 120_000;

export interface RequestTokenOptions {
	now?: () => number;
	retries?: number;
	/** The wait between attempts (tests and benchmarks shorten it); it ends early when the deadline passes. */
	wait?: (ms: number, signal: AbortSignal) => Promise<void>;
	/** Default TOKEN_REQUEST_DEADLINE_MS (tests shorten it). */
	deadlineMs?: number;
}

/**
 * Sends the grant's request and validates the answer. A passing failure — 429 (not a used-up
 * quota), 502, 503, 504, or a connection refused or dropped — is retried after the server's
 * `Retry-After` or a jittered backoff (shared/http/retry.ts), `TOKEN_RETRIES` times: a scheduled
 * run should not fail because the identity provider restarted. Asking again is safe: a mint has no
 * other effect than invalidating the previous token, which nobody received. Callers wait together:
 * the token authority holds one request per identity, retries included, and all of it ends at
 * `deadlineMs` with a TokenRequestError ('timedOut') for every caller.
 */
export async function requestToken(grant: TokenGrant, post: PostFn, options: RequestTokenOptions = {}): Promise<AccessToken> {
	const { now = Date.now, retries = TOKEN_RETRIES, wait = waitForRetry, deadlineMs = TOKEN_REQUEST_DEADLINE_MS } = options;
	const deadline = new AbortController();
	const timer = setTimeout(() => deadline.abort(), deadlineMs);
	timer.unref();
	const attempts = async (): Promise<AccessToken> => {
		for (let attempt = 0; ; attempt++) {
			const canRetry = attempt < retries;
			const sent = await post(grant.buildRequest(), deadline.signal).then(
				(response) => ({ response }),
				(error: unknown) => ({ error }),
			);
			if (deadline.signal.aborted) throw timedOut(grant, deadlineMs);
			if ('error' in sent) {
				// The transport's own error, unchanged: the callers' error mappers name it (network, TLS, timeout).
				if (!canRetry || !isRetryableNetworkError(sent.error)) throw sent.error;
				await wait(retryDelayMs(attempt), deadline.signal);
				continue;
			}
			const { response } = sent;
			if (canRetry && isRetryableStatus(response.status, tokenBodyText(response.body))) {
				await wait(retryDelayMs(attempt, parseRetryAfter(response.retryAfter)), deadline.signal);
				continue;
			}
			return parseTokenResponse(grant, response, now(), attempt + 1);
		}
	};
	try {
		// Whatever was under way when the deadline passed (a read, a wait) ends as the deadline's error.
		return await attempts().catch((error: unknown) => {
			throw deadline.signal.aborted ? timedOut(grant, deadlineMs) : error;
		});
	} finally {
		clearTimeout(timer);
	}
}

function timedOut(grant: TokenGrant, deadlineMs: number): TokenRequestError {
	let host = 'the token endpoint';
	try {
		host = new URL(grant.tokenUrl).host;
	} catch {
		// keep the generic name
	}
	return new TokenRequestError({
		failure: 'timedOut',
		message: `${grant.label}: the token request to ${host} did not complete within ${Math.round(deadlineMs / 1000)} s`,
		tokenUrl: grant.tokenUrl,
		hint: 'The token endpoint (or a proxy in front of it) answers too slowly or never finishes its answer. Try again later; if it keeps happening, check the base URL and any proxy between n8n and Alation.',
	});
}
