import { setTimeout as delay } from 'node:timers/promises';

import { errorCode } from './errors';

/**
 * When a request that has not produced a response may be sent again, and how long to wait.
 * Only the caller knows whether a request is safe to repeat: an agent run whose stream has started
 * is never replayed (the agent may already have done the work) — this module only decides for
 * failures that happened before any response byte.
 */

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** A server may ask for longer; we wait at most this long per retry. */
export const MAX_RETRY_WAIT_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;

/** A 429 that is about a used-up licence or entitlement: waiting will not help. */
export function isQuotaExhausted(status: number, bodyText: string): boolean {
	return status === 429 && /entitlement|licen[cs]e|quota/i.test(bodyText);
}

export function isRetryableStatus(status: number, bodyText: string): boolean {
	return RETRYABLE_STATUSES.has(status) && !isQuotaExhausted(status, bodyText);
}

/** Failures where the server cannot have started the work: nothing was accepted, or the socket died before any answer. */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function isRetryableNetworkError(error: unknown): boolean {
	const code = errorCode(error);
	return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * The wait before retry number `attempt` (0-based): the server's `Retry-After` (capped at 60 s), or an
 * exponential backoff with jitter (0.5 s, 1 s, 2 s … up to 10 s, each between half and all of it) so
 * that many clients refused at once do not come back at once.
 */
export function retryDelayMs(attempt: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
	if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
		return Math.min(MAX_RETRY_WAIT_MS, Math.round(retryAfterSeconds * 1000));
	}
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits, but not past an abort (execution stopped, total timeout): then it rejects at once. */
export async function waitForRetry(ms: number, signal?: AbortSignal): Promise<void> {
	await delay(ms, undefined, { signal });
}
