import { createHash } from 'node:crypto';

import type { AccessToken } from './types';

/*
 * The in-process memory of tokens — state and rules only, no I/O. `token/authority.ts` is the one
 * that uses it; read its header before changing anything here.
 *
 *   - one held token per identity, reused until `expiresAt − skew`;
 *   - tokens only move forward: a token minted later replaces an earlier one, never the reverse
 *     (Alation invalidates every earlier token at each mint, so the later one is the live one);
 *   - a refused token is remembered and never held or handed out again.
 */

/** Skew before expiry: 10 % of the lifetime, at least 5 s, at most 5 min. */
const SKEW_SHARE = 0.1;
const MIN_SKEW_MS = 5_000;
const MAX_SKEW_MS = 5 * 60_000;
/** Bounds on process-wide state: one entry per credential identity, a short memory of refused tokens. */
const MAX_ENTRIES = 1_000;
const MAX_REFUSED = 256;

export function skewMs(token: Pick<AccessToken, 'expiresAt' | 'mintedAt'>): number {
	const lifetime = Math.max(0, token.expiresAt - token.mintedAt);
	const skew = Math.min(MAX_SKEW_MS, Math.max(MIN_SKEW_MS, lifetime * SKEW_SHARE));
	// A token shorter-lived than 2 × 5 s would be stale on arrival and every call would mint (and
	// invalidate the previous token): never let the skew eat more than half of the lifetime.
	return Math.min(skew, lifetime / 2);
}

export class TokenCache {
	private readonly held = new Map<string, AccessToken>();
	/**
	 * The mint time of the newest token ever held per identity — kept when that token is refused and
	 * dropped, so that an older token (already invalidated by that newer mint) is never taken again.
	 */
	private readonly newest = new Map<string, number>();
	private readonly refused = new Set<string>();

	constructor(private readonly now: () => number = Date.now) {}

	/** Fit to send: not refused and not within the skew of its expiry. */
	isFresh(token: AccessToken): boolean {
		return this.now() < token.expiresAt - skewMs(token) && !this.isRefused(token.value);
	}

	/** The held token if it is fit to send. */
	fresh(key: string): AccessToken | undefined {
		const token = this.held.get(key);
		return token && this.isFresh(token) ? token : undefined;
	}

	/** The held token, fresh or not (to tell whether another token is older than it). */
	current(key: string): AccessToken | undefined {
		return this.held.get(key);
	}

	/**
	 * Offers a token. A token just minted (`minted`) always replaces the held one: the server has
	 * invalidated every other. Any other token (stored by another process) is kept only if it is
	 * fresh and minted after every token held here so far. Returns the token held afterwards.
	 */
	offer(key: string, token: AccessToken, minted = false): AccessToken | undefined {
		const newest = this.newest.get(key) ?? -Infinity;
		if (minted || (this.isFresh(token) && token.mintedAt > newest)) {
			this.held.delete(key);
			this.held.set(key, token);
			this.newest.delete(key);
			this.newest.set(key, Math.max(newest, token.mintedAt));
			if (this.held.size > MAX_ENTRIES) this.held.delete(this.held.keys().next().value as string);
			if (this.newest.size > MAX_ENTRIES) this.newest.delete(this.newest.keys().next().value as string);
			return token;
		}
		return this.held.get(key);
	}

	/** The server refused `value`: remember it, and drop it if it is the held token. */
	refuse(key: string, value: string): void {
		this.refused.add(fingerprint(value));
		if (this.refused.size > MAX_REFUSED) this.refused.delete(this.refused.values().next().value as string);
		if (this.held.get(key)?.value === value) this.held.delete(key);
	}

	isRefused(value: string): boolean {
		return this.refused.has(fingerprint(value));
	}

	clear(): void {
		this.held.clear();
		this.newest.clear();
		this.refused.clear();
	}
}

/** A token's SHA-256, to remember it (refused, spent) without keeping the token itself. */
export function fingerprint(token: string): string {
	return createHash('sha256').update(token).digest('base64url');
}
