import { createHash } from 'node:crypto';

import { requestToken } from './grants';
import type { AccessToken, PostFn, TokenGrant } from './types';

/*
 * Why this cache exists — read before changing it.
 *
 * Alation invalidates the previous access token of an OAuth client (and of a refresh token) every
 * time a new one is minted. A "harmless" extra token request is therefore never harmless: it breaks
 * every request still in flight with the old token — another item of the same execution, another
 * workflow, the HTTP Request node using the same credential. So, process-wide:
 *
 *   - a token is reused until `expiresAt − skew`, never re-fetched just because a new execution began;
 *   - at most one token request per key is in flight: N concurrent callers share it;
 *   - after a 401, the token is dropped only if it is still the cached one. A late 401 for a token
 *     that was already replaced must not throw away the newer token (that would mint again and
 *     invalidate the token the other callers just received);
 *   - the token stored in the n8n credential seeds the cache when it is still valid, so a process
 *     restart does not mint (and so does not invalidate the token other n8n workers hold).
 */

/** Skew before expiry: 10 % of the lifetime, at least 5 s, at most 5 min. */
const SKEW_SHARE = 0.1;
const MIN_SKEW_MS = 5_000;
const MAX_SKEW_MS = 5 * 60_000;
/** A stored token whose lifetime we cannot know must have at least this long left to be reused. */
const SEED_MARGIN_MS = 30_000;
/** Bounds on process-wide state: one entry per credential identity, a short memory of refused tokens. */
const MAX_ENTRIES = 1_000;
const MAX_REFUSED = 256;

export function skewMs(token: AccessToken): number {
	const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
	const skew = Math.min(MAX_SKEW_MS, Math.max(MIN_SKEW_MS, lifetime * SKEW_SHARE));
	// A token shorter-lived than 2 × 5 s would be stale on arrival and every call would mint (and
	// invalidate the previous token): never let the skew eat more than half of the lifetime.
	return Math.min(skew, lifetime / 2);
}

export interface StoredToken {
	accessToken?: unknown;
	expiresAt?: unknown;
	/**
	 * `TokenCache.identityOf` the grant the token was minted for. A stored token is reused only by
	 * the same identity: after the secret, client or base URL of a credential is changed, its stored
	 * token is not used (so the credential test checks the new secret, and no token goes to another
	 * instance).
	 */
	tokenIdentity?: unknown;
}

export interface GetTokenOptions {
	/** Mint a new token even if a valid one is cached. A fetch already in flight is joined instead. */
	forceNew?: boolean;
	/** The token the n8n credential holds, reused when the cache has nothing valid. */
	seed?: StoredToken;
}

export interface TokenCacheStats {
	/** Token fetches started (successful or not); each may send up to 3 requests (grants.ts retries). */
	fetches: number;
	/** Callers served from the cache or from a shared in-flight request. */
	reused: number;
	/** 401s reported through `tokenRefused`. */
	refusals: number;
}

export class TokenCache {
	private readonly tokens = new Map<string, AccessToken>();
	private readonly inFlight = new Map<string, Promise<AccessToken>>();
	private readonly refused = new Set<string>();
	/** Why the last token request per key failed, for callers that only see a wrapped error. */
	private readonly failures = new Map<string, unknown>();
	readonly stats: TokenCacheStats = { fetches: 0, reused: 0, refusals: 0 };

	constructor(private readonly now: () => number = Date.now) {}

	/** A short, non-secret fingerprint of the identity behind `keyOf`, stored beside the token in the credential. */
	static identityOf(grant: TokenGrant): string {
		return createHash('sha256').update(TokenCache.keyOf(grant)).digest('hex').slice(0, 32);
	}

	static keyOf(grant: TokenGrant): string {
		const secretHash = createHash('sha256').update(grant.secrets.join('\u0000')).digest('hex').slice(0, 32);
		return `${grant.tokenUrl}|${grant.principal}|${secretHash}`;
	}

	/** A valid token for the grant: cached, seeded from the credential, shared in flight, or fetched once. */
	async getToken(grant: TokenGrant, post: PostFn, options: GetTokenOptions = {}): Promise<AccessToken> {
		const key = TokenCache.keyOf(grant);
		const pending = this.inFlight.get(key);
		if (pending) {
			this.stats.reused++;
			return await pending;
		}
		if (!options.forceNew) {
			const cached = this.tokens.get(key);
			if (cached && this.isFresh(cached)) {
				this.stats.reused++;
				return cached;
			}
			const seeded = this.fromSeed(grant, options.seed);
			if (seeded) {
				this.store(key, seeded);
				this.stats.reused++;
				return seeded;
			}
		}
		return await this.fetch(key, grant, post);
	}

	/**
	 * The server refused `refusedToken` (401). Drop it only if it is still the cached token: if it was
	 * already replaced, the replacement stays. Either way the next `getToken` yields a different token.
	 */
	tokenRefused(grant: TokenGrant, refusedToken: string | undefined): void {
		if (typeof refusedToken !== 'string' || refusedToken === '') return;
		this.stats.refusals++;
		this.rememberRefused(refusedToken);
		const key = TokenCache.keyOf(grant);
		if (this.tokens.get(key)?.value === refusedToken) this.tokens.delete(key);
	}

	/**
	 * Takes over a token stored elsewhere (the n8n credential, written by another process) if it is
	 * still valid and was never refused here; never fetches.
	 */
	adopt(grant: TokenGrant, stored: StoredToken | undefined): AccessToken | undefined {
		const key = TokenCache.keyOf(grant);
		const token = this.fromSeed(grant, stored);
		if (!token) return undefined;
		const cached = this.tokens.get(key);
		if (cached && this.isFresh(cached) && cached.value !== token.value) return cached;
		this.store(key, token);
		return token;
	}

	/** The error of the last failed token request for this grant, if the last one failed. */
	lastFailure(grant: TokenGrant): unknown {
		return this.failures.get(TokenCache.keyOf(grant));
	}

	/** The cached token if it is still fresh; never fetches. */
	peek(grant: TokenGrant): AccessToken | undefined {
		const cached = this.tokens.get(TokenCache.keyOf(grant));
		return cached && this.isFresh(cached) ? cached : undefined;
	}

	isFresh(token: AccessToken): boolean {
		return this.now() < token.expiresAt - skewMs(token);
	}

	/** For tests and benchmarks: forget every token. */
	clear(): void {
		this.tokens.clear();
		this.inFlight.clear();
		this.refused.clear();
		this.failures.clear();
		this.stats.fetches = 0;
		this.stats.reused = 0;
		this.stats.refusals = 0;
	}

	private fromSeed(grant: TokenGrant, seed: StoredToken | undefined): AccessToken | undefined {
		if (!seed || seed.tokenIdentity !== TokenCache.identityOf(grant)) return undefined;
		const { accessToken, expiresAt } = seed;
		const expiry = typeof expiresAt === 'string' && expiresAt.trim() !== '' ? Number(expiresAt) : expiresAt;
		if (typeof accessToken !== 'string' || accessToken === '' || typeof expiry !== 'number' || !Number.isFinite(expiry)) {
			return undefined;
		}
		if (this.refused.has(fingerprint(accessToken))) return undefined;
		const now = this.now();
		if (expiry - SEED_MARGIN_MS <= now) return undefined;
		// Its real lifetime is unknown: count it from now, so the skew is taken from what is left.
		return { value: accessToken, expiresAt: expiry, obtainedAt: now };
	}

	private async fetch(key: string, grant: TokenGrant, post: PostFn): Promise<AccessToken> {
		this.stats.fetches++;
		const request = requestToken(grant, post, { now: this.now }).then(
			(token) => {
				this.failures.delete(key);
				this.store(key, token);
				return token;
			},
			(error: unknown) => {
				this.failures.delete(key);
				this.failures.set(key, error);
				if (this.failures.size > MAX_ENTRIES) this.failures.delete(this.failures.keys().next().value as string);
				throw error;
			},
		);
		this.inFlight.set(key, request);
		try {
			return await request;
		} finally {
			this.inFlight.delete(key);
		}
	}

	private store(key: string, token: AccessToken): void {
		this.tokens.delete(key);
		this.tokens.set(key, token);
		if (this.tokens.size > MAX_ENTRIES) {
			const oldest = this.tokens.keys().next().value;
			if (oldest !== undefined) this.tokens.delete(oldest);
		}
	}

	private rememberRefused(token: string): void {
		this.refused.add(fingerprint(token));
		if (this.refused.size > MAX_REFUSED) {
			const oldest = this.refused.values().next().value;
			if (oldest !== undefined) this.refused.delete(oldest);
		}
	}
}

function fingerprint(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

/** The token a credential holds, as n8n stored it (see the credentials' hidden properties). */
export function storedToken(credentials: Record<string, unknown>): StoredToken {
	return { accessToken: credentials.accessToken, expiresAt: credentials.expiresAt, tokenIdentity: credentials.tokenIdentity };
}

/** The one cache of this process, shared by both credentials and every node. */
export const tokenCache = new TokenCache();

/**
 * Runs `call` with a valid token; if the server answers 401, reports the token as refused, gets a
 * new one (or the one another caller already got) and runs `call` exactly once more.
 */
export async function withTokenRetry<T>(input: {
	/** A valid token: from the cache, the credential, or one new token request. */
	getToken: () => Promise<AccessToken>;
	/** Tells the cache that this token was refused (it drops it only if it is still the current one). */
	tokenRefused: (token: string) => void;
	call: (token: AccessToken) => Promise<T>;
	isUnauthorized: (result: T) => boolean;
	/** Releases a refused result (e.g. drains its body) before the retry. */
	discard?: (result: T) => Promise<void>;
}): Promise<T> {
	const token = await input.getToken();
	const first = await input.call(token);
	if (!input.isUnauthorized(first)) return first;
	await input.discard?.(first);
	input.tokenRefused(token.value);
	return await input.call(await input.getToken());
}
