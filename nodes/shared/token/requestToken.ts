import { parseTokenResponse, tokenBodyText } from '../auth/tokenResponse';
import type { AccessToken, PostFn, TokenGrant } from '../auth/types';
import { parseRetryAfter } from '../http/errors';
import { isRetryableNetworkError, isRetryableStatus, retryDelayMs, waitForRetry } from '../http/retry';

/** Token requests sent again after a passing failure (so at most 3 in all), as Agent Chat's default. */
export const TOKEN_RETRIES = 2;

export interface RequestTokenOptions {
	now?: () => number;
	retries?: number;
	/** The wait between attempts (tests and benchmarks shorten it). */
	wait?: (ms: number) => Promise<void>;
}

/**
 * Sends the grant's request and validates the answer. A passing failure — 429 (not a used-up
 * quota), 502, 503, 504, or a connection refused or dropped — is retried after the server's
 * `Retry-After` or a jittered backoff (shared/http/retry.ts), `TOKEN_RETRIES` times: a scheduled
 * run should not fail because the identity provider restarted. Asking again is safe: a mint has no
 * other effect than invalidating the previous token, which nobody received. Callers wait together:
 * the token authority holds one request per identity, retries included.
 */
export async function requestToken(grant: TokenGrant, post: PostFn, options: RequestTokenOptions = {}): Promise<AccessToken> {
	const { now = Date.now, retries = TOKEN_RETRIES, wait = waitForRetry } = options;
	for (let attempt = 0; ; attempt++) {
		const canRetry = attempt < retries;
		const sent = await post(grant.buildRequest()).then(
			(response) => ({ response }),
			(error: unknown) => ({ error }),
		);
		if ('error' in sent) {
			// The transport's own error, unchanged: the callers' error mappers name it (network, TLS, timeout).
			if (!canRetry || !isRetryableNetworkError(sent.error)) throw sent.error;
			await wait(retryDelayMs(attempt));
			continue;
		}
		const { response } = sent;
		if (canRetry && isRetryableStatus(response.status, tokenBodyText(response.body))) {
			await wait(retryDelayMs(attempt, parseRetryAfter(response.retryAfter)));
			continue;
		}
		return parseTokenResponse(grant, response, now(), attempt + 1);
	}
}
