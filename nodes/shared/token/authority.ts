import { identityKey, identityOf, isIdentityOf } from '../auth/identity';
import { TokenCache } from '../auth/tokenCache';
import type { AccessToken, PostFn, TokenGrant } from '../auth/types';
import { requestToken } from './requestToken';

/*
 * The one owner of a credential's token — read before changing anything about tokens.
 *
 * Alation invalidates the previous access token of an OAuth client (and of a refresh token) every
 * time a new one is minted. A needless mint is an outage for whoever holds the old token: another
 * item, another workflow, the HTTP Request node, another n8n process. So every door n8n opens into
 * a credential — `preAuthentication` (empty token, after an error, the Test button), `authenticate`,
 * the nodes, Create Access Token — gets, refuses, stores and adopts tokens here and nowhere else:
 *
 *   - get:    the held token while it is fresh (until `expiresAt − skew`); else a newer token another
 *             process stored; else one mint, shared by every caller that needs it meanwhile;
 *   - refuse: only the token that was actually sent, and only on evidence (a 401 seen, or a check);
 *   - check:  "was this token refused?" asked once, by one cheap authenticated GET, shared by every
 *             caller asking about the same token;
 *   - adopt:  a token stored elsewhere is taken only if it was minted later than the one held
 *             (tokens only move forward) and was never refused here;
 *   - store:  `stored()` is the one shape written to the n8n credential, mint time included.
 */

/** The token as the n8n credential stores it (hidden properties of both credential types). */
export interface StoredToken {
	accessToken?: unknown;
	expiresAt?: unknown;
	mintedAt?: unknown;
	/** `auth/identity.ts`: the identity the token was minted for (salted, slow hash). */
	tokenIdentity?: unknown;
}

export interface StoredTokenFields {
	accessToken: string;
	expiresAt: number;
	mintedAt: number;
	tokenIdentity: string;
	[key: string]: string | number;
}

/** The token a credential holds, as n8n stored it. */
export function storedToken(credentials: Record<string, unknown>): StoredToken {
	return {
		accessToken: credentials.accessToken,
		expiresAt: credentials.expiresAt,
		mintedAt: credentials.mintedAt,
		tokenIdentity: credentials.tokenIdentity,
	};
}

/** Sends one authenticated GET to `grant.checkUrl` with `token`; the answer's status, or undefined when there was none. */
export type CheckFn = (grant: TokenGrant, token: string) => Promise<number | undefined>;

/** 401: the token is refused. 2xx: accepted. Anything else (5xx, no answer) tells nothing. */
export type Verdict = 'refused' | 'accepted' | 'unknown';

export interface GetOptions {
	/** Mint even if a fresh token is held (Create Access Token's Force New). A mint in flight is joined. */
	forceNew?: boolean;
	/** The token the n8n credential holds: adopted if it is newer than the held one. */
	stored?: StoredToken;
}

export interface AuthorityStats {
	/** Token requests started (each may send up to 3 HTTP requests: requestToken retries). */
	mints: number;
	/** Refusals applied (a held or remembered token marked refused). */
	refusals: number;
	/** Checks sent (one authenticated GET each). */
	checks: number;
}

export class TokenAuthority {
	private readonly cache: TokenCache;
	/** Work in flight per key (mints, checks, a node's storing request): later callers share it. */
	private readonly flights = new Map<string, Promise<unknown>>();
	/** Why the last mint per identity failed, for callers that only see a wrapped error. */
	private readonly failures = new Map<string, unknown>();
	readonly stats: AuthorityStats = { mints: 0, refusals: 0, checks: 0 };

	constructor(private readonly now: () => number = Date.now) {
		this.cache = new TokenCache(now);
	}

	/** The held token if it is fit to send; never fetches. */
	peek(grant: TokenGrant): AccessToken | undefined {
		return this.cache.fresh(identityKey(grant));
	}

	/** A token fit to send: held, adopted from `stored`, or one shared mint. */
	async get(grant: TokenGrant, post: PostFn, options: GetOptions = {}): Promise<AccessToken> {
		const key = identityKey(grant);
		if (!options.forceNew) {
			const ready = this.cache.fresh(key) ?? (await this.adopt(grant, options.stored));
			if (ready) return ready;
		}
		return await this.mint(key, grant, post, options.forceNew === true);
	}

	/**
	 * Takes a token stored elsewhere (the n8n credential, written by this or another process) if it
	 * belongs to this identity, is fresh, was never refused here, and was minted after the held one.
	 * Returns the held token afterwards if it is fresh.
	 */
	async adopt(grant: TokenGrant, stored: StoredToken | undefined): Promise<AccessToken | undefined> {
		const key = identityKey(grant);
		const token = await this.ownToken(grant, stored);
		if (token) this.cache.offer(key, token);
		return this.cache.fresh(key);
	}

	/** The token in `stored` if it is this identity's and readable (fresh or not); never fetches. */
	async ownToken(grant: TokenGrant, stored: StoredToken | undefined): Promise<AccessToken | undefined> {
		if (!stored) return undefined;
		const { accessToken: value } = stored;
		const expiresAt = toNumber(stored.expiresAt);
		const mintedAt = toNumber(stored.mintedAt);
		// No mint time (stored by an earlier version): its place in the order is unknown, so it is not reused.
		if (typeof value !== 'string' || value === '' || expiresAt === undefined || mintedAt === undefined) return undefined;
		if (!(await isIdentityOf(grant, stored.tokenIdentity))) return undefined;
		return { value, expiresAt, mintedAt };
	}

	/** The server refused `sent` (the token that was actually sent). A newer held token stays. */
	refuse(grant: TokenGrant, sent: string | undefined): void {
		if (typeof sent !== 'string' || sent === '') return;
		this.stats.refusals++;
		this.cache.refuse(identityKey(grant), sent);
	}

	isRefused(token: string): boolean {
		return this.cache.isRefused(token);
	}

	/**
	 * Was `token` refused? A token already refused here is; otherwise one check request (shared by
	 * every caller asking about the same token at the same time) decides. A 401 marks it refused.
	 */
	async check(grant: TokenGrant, token: string, send: CheckFn): Promise<Verdict> {
		if (this.cache.isRefused(token)) return 'refused';
		return await this.shared(`check|${identityKey(grant)}|${token}`, async () => {
			this.stats.checks++;
			const status = await send(grant, token).catch(() => undefined);
			const verdict: Verdict = status === 401 ? 'refused' : status !== undefined && status >= 200 && status < 300 ? 'accepted' : 'unknown';
			if (verdict === 'refused') this.refuse(grant, token);
			return verdict;
		});
	}

	/**
	 * The package's one single-flight: `work` runs once per `key` at a time, and every caller that
	 * comes meanwhile gets its result. Used for mints and checks here, and for a node's storing
	 * request (session.ts), keyed by identity.
	 */
	async shared<T>(key: string, work: () => Promise<T>): Promise<T> {
		const pending = this.flights.get(key) as Promise<T> | undefined;
		if (pending) return await pending;
		const started = work();
		this.flights.set(key, started);
		try {
			return await started;
		} finally {
			if (this.flights.get(key) === started) this.flights.delete(key);
		}
	}

	/** What the n8n credential stores for `token` (keeps the salt of the identity already stored). */
	async stored(grant: TokenGrant, token: AccessToken, current?: StoredToken): Promise<StoredTokenFields> {
		return {
			accessToken: token.value,
			expiresAt: token.expiresAt,
			mintedAt: token.mintedAt,
			tokenIdentity: await identityOf(grant, current?.tokenIdentity),
		};
	}

	/** The error of the last failed mint for this grant, if the last one failed. */
	lastFailure(grant: TokenGrant): unknown {
		return this.failures.get(identityKey(grant));
	}

	/** For tests and benchmarks (and to stand for a new process): forget every token. */
	clear(): void {
		this.cache.clear();
		this.flights.clear();
		this.failures.clear();
		this.stats.mints = 0;
		this.stats.refusals = 0;
		this.stats.checks = 0;
	}

	/** One mint per identity at a time: every caller meanwhile (forced or not) shares it. */
	private async mint(key: string, grant: TokenGrant, post: PostFn, forceNew: boolean): Promise<AccessToken> {
		const flight = `mint|${key}`;
		// Another caller may have finished a mint while this one was checking a stored token.
		const ready = forceNew || this.flights.has(flight) ? undefined : this.cache.fresh(key);
		if (ready) return ready;
		return await this.shared(flight, async () => {
			this.stats.mints++;
			return await requestToken(grant, post, { now: this.now }).then(
				(token) => {
					this.failures.delete(key);
					this.cache.offer(key, token, true);
					return token;
				},
				(error: unknown) => {
					// Kept for callers that only see n8n's wrapping of it (session.ts), then passed on unchanged.
					this.failures.delete(key);
					this.failures.set(key, error);
					if (this.failures.size > 1_000) this.failures.delete(this.failures.keys().next().value as string);
					throw error;
				},
			);
		});
	}
}

function toNumber(value: unknown): number | undefined {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/** The one authority of this process, shared by both credentials and every node. */
export const tokenAuthority = new TokenAuthority();
