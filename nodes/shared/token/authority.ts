import { setTimeout as sleep } from 'node:timers/promises';

import { LoggerProxy } from 'n8n-workflow';

import { identityKey, identityOf, isIdentityOf } from '../auth/identity';
import { TokenCache } from '../auth/tokenCache';
import type { AccessToken, PostFn, TokenGrant } from '../auth/types';
import { fleetCall } from '../fleetRedis';
import { sharedRedisFleet } from './fleet';
import type { Fleet, Release } from './fleet';
import { requestToken, TOKEN_REQUEST_DEADLINE_MS } from './requestToken';

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
 *
 * In n8n queue mode the processes of the fleet (main + workers) share one token per lifetime through
 * a Fleet (token/fleet.ts, the fleet's Redis): a token is looked for there before minting, and a
 * mint happens under the fleet's lock, after reading the shared token again — only if nothing newer
 * is there; the new token is published for the others. Without a fleet (regular mode), or while its
 * Redis is unreachable (a warning in n8n's log), each process keeps its own token as before.
 *
 * The public surface, which the nodes' session (session.ts), the credential doors (../credentialDoors.ts), the
 * storing request (storingRequest.ts) and the user sign-in (signIn.ts) use:
 *
 *   looking up — never mints:
 *     find(grant, stored?, { askFleet })  a fresh token: held, else the fleet's, else the credential's
 *     replacementFor(grant, refused, …)   after a 401: a fresh token other than the refused one
 *     held(grant, { fresh? })             what this process holds (with fresh: only if fit to send)
 *     tokenIn(grant, stored)              the token a credential holds for this identity, fresh or not
 *   getting — may mint:
 *     get(grant, post, { forceNew, stored })   find, else one mint shared by every caller
 *   refusals:
 *     refuse(grant, sent) · isRefused(token) · check(grant, token, send)
 *   running once at a time:
 *     singleFlight(key, work)             once per key at a time in this process; callers meanwhile share it
 *     oneAtATime(grant, work)             once at a time in the whole fleet, under the identity's lock
 *   storing:
 *     credentialFields(grant, token, …)   the fields written to the n8n credential for a token
 *     lastFailure(grant)                  why the last mint failed (for callers that see n8n's wrapping)
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

/** Every call to the fleet's Redis has this long (a slow Redis counts as an unreachable one). */
const FLEET_CALL_TIMEOUT_MS = 2_500;
/**
 * How long the fleet's keys for an identity may take to derive (scrypt, once per process, on libuv's
 * thread pool, which n8n shares with file, DNS and crypto work): a busy pool is waited for this
 * long, apart from the Redis deadline, before the process mints alone.
 */
const KEY_DERIVATION_TIMEOUT_MS = 30_000;
/**
 * How long a caller waits for a token that a living holder of the fleet's lock is minting: the
 * longest a token request can take (its overall deadline), and a little more.
 */
const MAX_WAIT_FOR_HOLDER_MS = TOKEN_REQUEST_DEADLINE_MS + 15_000;
const MAX_WAIT_ROUNDS = 3_000;
/** A stored mint time this far ahead of this process's clock comes from a clock that runs ahead. */
const FUTURE_TOLERANCE_MS = 1_000;

export interface AuthorityStats {
	/** Token requests started (each may send up to 3 HTTP requests: requestToken retries). */
	mints: number;
	/** Refusals applied (a held or remembered token marked refused). */
	refusals: number;
	/** Checks sent (one authenticated GET each). */
	checks: number;
}

export interface AuthorityOptions {
	/** The token request's overall deadline (default TOKEN_REQUEST_DEADLINE_MS; tests shorten it). */
	tokenDeadlineMs?: number;
}

export class TokenAuthority {
	private readonly cache: TokenCache;
	/** Work in flight per key (mints, checks, a node's storing request): later callers share it. */
	private readonly flights = new Map<string, Promise<unknown>>();
	/** Why the last mint per identity failed, for callers that only see a wrapped error. */
	private readonly failures = new Map<string, unknown>();
	readonly stats: AuthorityStats = { mints: 0, refusals: 0, checks: 0 };
	private fleetWarnedAt = -Infinity;

	/**
	 * @param fleet the fleet's shared store, or a function that makes it on first use (the process-wide
	 *   authority: from n8n's queue settings); none for a process on its own.
	 */
	constructor(
		private readonly now: () => number = Date.now,
		private fleet?: Fleet | (() => Fleet | undefined),
		private readonly options: AuthorityOptions = {},
	) {
		this.cache = new TokenCache(now);
	}

	/**
	 * The newest fresh token known without minting: held; else the fleet's (queue mode: the fleet's
	 * order does not depend on any process's clock, so it is asked before the credential, whose mint
	 * times come from the clock of whichever process stored them); else the one stored in the
	 * credential (`stored`). `askFleet: false` for a caller that asked the fleet a moment ago.
	 */
	async find(grant: TokenGrant, stored?: StoredToken, options: { askFleet?: boolean } = {}): Promise<AccessToken | undefined> {
		const key = identityKey(grant);
		const fromFleet = async () => (options.askFleet === false ? undefined : await this.fromFleet(grant, key));
		return this.cache.fresh(key) ?? (await fromFleet()) ?? (await this.adopt(grant, key, stored));
	}

	/**
	 * After `refused` (the token sent) was answered 401: a fresh token other than it that another
	 * process minted since (which is why `refused` died). The fleet's is taken whatever its mint time
	 * says — the fleet's order is its lock's, not a clock's; the credential's only if minted after
	 * `refused`. Never a token refused here. Never fetches.
	 */
	async replacementFor(grant: TokenGrant, refused: AccessToken, stored?: StoredToken): Promise<AccessToken | undefined> {
		const key = identityKey(grant);
		const usable = (token: AccessToken | undefined) => (token && token.value !== refused.value && this.cache.isFresh(token) ? token : undefined);
		const held = usable(this.cache.fresh(key));
		if (held) return held;
		const fleet = this.fleetOf();
		const shared = fleet ? await this.ask(fleet.read(grant)) : undefined;
		const fromFleet = usable(shared === UNAVAILABLE ? undefined : shared);
		const fromCredential = usable(await this.tokenIn(grant, stored));
		const candidate = fromFleet ?? (fromCredential && fromCredential.mintedAt > refused.mintedAt ? fromCredential : undefined);
		if (candidate) this.cache.offer(key, candidate, true);
		return candidate;
	}

	/**
	 * The token held in this process for this identity; never fetches. With `fresh`, only if it is fit to
	 * send; without, also one due for renewal or expired.
	 */
	held(grant: TokenGrant, options: { fresh?: boolean } = {}): AccessToken | undefined {
		const key = identityKey(grant);
		return options.fresh ? this.cache.fresh(key) : this.cache.current(key);
	}

	/** A token fit to send: held, adopted from `stored`, or one shared mint. */
	async get(grant: TokenGrant, post: PostFn, options: GetOptions = {}): Promise<AccessToken> {
		const key = identityKey(grant);
		if (!options.forceNew) {
			const ready = await this.find(grant, options.stored);
			if (ready) return ready;
		}
		return await this.mint(key, grant, post, options.forceNew === true);
	}

	/** The token a credential holds (`stored`) if it is this identity's and readable (fresh or not); never fetches. */
	async tokenIn(grant: TokenGrant, stored: StoredToken | undefined): Promise<AccessToken | undefined> {
		if (!stored) return undefined;
		const { accessToken: value } = stored;
		const expiresAt = toNumber(stored.expiresAt);
		const mintedAt = toNumber(stored.mintedAt);
		// No mint time (stored by an earlier version): its place in the order is unknown, so it is not reused.
		if (typeof value !== 'string' || value === '' || expiresAt === undefined || mintedAt === undefined) return undefined;
		if (!(await isIdentityOf(grant, stored.tokenIdentity))) return undefined;
		// Stored by a process whose clock runs ahead (no token was minted in the future): its age, and so
		// its expiry, cannot be told in this clock. Not reused — the fleet's copy (clock-free) or one
		// mint instead; taken as minted now, it would outlive its real expiry here by up to the skew,
		// and outrank every token minted after it (measured: 8 × 401 with a worker 2 minutes fast).
		// Under a second ahead is within what clocks on one network disagree by.
		if (mintedAt - this.now() > FUTURE_TOLERANCE_MS) return undefined;
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
		return await this.singleFlight(`check|${identityKey(grant)}|${token}`, async () => {
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
	async singleFlight<T>(key: string, work: () => Promise<T>): Promise<T> {
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

	/**
	 * Runs `work` once at a time for this identity in the whole fleet — under the identity's lock (the
	 * mint lock), or alone when the fleet cannot be asked — and once at a time in this process (callers
	 * meanwhile share the run). For a renewal the package does not send itself: a user sign-in renewed
	 * through n8n (token/signIn.ts), where two renewals at once would spend a rotating refresh token twice.
	 */
	async oneAtATime<T>(grant: TokenGrant, work: () => Promise<T>): Promise<T> {
		return await this.singleFlight(`oneAtATime|${identityKey(grant)}`, async () => {
			const fleet = this.fleetOf();
			// Another process holding the lock: its renewal lands in the credential within moments, which
			// `work` reads first. The fleet unable to help: alone.
			const outcome = fleet ? await this.underFleetLock(fleet, grant, work) : UNAVAILABLE;
			return outcome === UNAVAILABLE ? await work() : outcome;
		});
	}

	/** What the n8n credential stores for `token` (keeps the salt of the identity already stored). */
	async credentialFields(grant: TokenGrant, token: AccessToken, current?: StoredToken): Promise<StoredTokenFields> {
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
		return await this.singleFlight(flight, async () => {
			const fleet = this.fleetOf();
			return fleet ? await this.mintInFleet(fleet, key, grant, post, forceNew) : await this.mintHere(key, grant, post);
		});
	}

	/**
	 * A mint for the whole fleet: under the fleet's lock, and only if the fleet has nothing newer than
	 * what this process holds; the new token is published. A process that does not get the lock
	 * waits for the token the holder publishes — as long as a living holder keeps its lock (the
	 * longest a token request can take). If Redis fails or is too slow (every call has a deadline),
	 * this process mints alone and offers its token to the fleet.
	 */
	private async mintInFleet(fleet: Fleet, key: string, grant: TokenGrant, post: PostFn, forceNew: boolean): Promise<AccessToken> {
		const askedAt = this.now();
		const heldWhenAsked = this.cache.current(key)?.value;
		// For Force New, a token another process minted after this caller asked is new enough (the
		// fleet's tokens come in this process's clock: fleet.ts).
		const usable = (token: AccessToken | undefined) =>
			token && (!forceNew || (token.value !== heldWhenAsked && token.mintedAt > askedAt)) ? token : undefined;
		const outcome = await this.underFleetLock(
			fleet,
			grant,
			// The lock's holder: the fleet's token if it is newer than what this process holds, else one mint, published.
			async () => {
				const newer = await this.readFleet(fleet, grant, key);
				if (newer === UNAVAILABLE) return UNAVAILABLE;
				if (usable(newer)) return newer as AccessToken;
				const token = await this.mintHere(key, grant, post);
				await this.ask(fleet.publish(grant, token, true));
				return token;
			},
			// Another process is minting: its token appears in the fleet within milliseconds.
			async () => {
				const published = await this.readFleet(fleet, grant, key);
				return published === UNAVAILABLE ? UNAVAILABLE : usable(published);
			},
		);
		if (outcome !== UNAVAILABLE) return outcome;
		// The fleet cannot help (Redis is down or too slow, or a holder kept the lock past the longest
		// possible mint): mint alone, and offer the token to the fleet.
		const token = await this.mintHere(key, grant, post);
		await this.ask(fleet.publish(grant, token, false));
		return token;
	}

	/**
	 * Runs `asHolder` under the identity's fleet lock (the one lock loop of the package: mints and
	 * `oneAtATime` both use it). While another process holds the lock, waits a moment and asks
	 * `whileWaiting` whether the holder's result is there yet — for as long as a living holder may keep
	 * it (the longest a token request can take). UNAVAILABLE when the fleet cannot help: Redis down or
	 * too slow, its keys not derived in time, or a holder that kept the lock past that bound.
	 */
	private async underFleetLock<T>(
		fleet: Fleet,
		grant: TokenGrant,
		asHolder: () => Promise<T | typeof UNAVAILABLE>,
		whileWaiting?: () => Promise<T | undefined | typeof UNAVAILABLE>,
	): Promise<T | typeof UNAVAILABLE> {
		const askedAt = this.now();
		const prepared = await fleetCall(fleet.prepare(grant).then(() => true), KEY_DERIVATION_TIMEOUT_MS, false, (error) => this.fleetUnavailable(error));
		if (!prepared) return UNAVAILABLE;
		for (let round = 0; round < MAX_WAIT_ROUNDS && this.now() < askedAt + MAX_WAIT_FOR_HOLDER_MS; round++) {
			const release = await this.takeLock(fleet, grant);
			if (release === UNAVAILABLE) return UNAVAILABLE;
			if (release) {
				try {
					return await asHolder();
				} finally {
					await this.ask(release());
				}
			}
			await sleep(100 + Math.floor(Math.random() * 100));
			const found = whileWaiting ? await whileWaiting() : undefined;
			if (found !== undefined) return found;
		}
		return UNAVAILABLE;
	}

	/**
	 * The identity's mint lock, within the Redis deadline. A lock that is granted after the caller
	 * gave up waiting (Redis answered late) is released at once: nobody would renew it out of use, and
	 * every later mint for this identity anywhere in the fleet would wait for it.
	 */
	private async takeLock(fleet: Fleet, grant: TokenGrant): Promise<Release | undefined | typeof UNAVAILABLE> {
		const asking = fleet.lock(grant);
		const release = await this.ask(asking);
		if (release === UNAVAILABLE) {
			void asking.then(
				async (late) => await late?.(),
				() => undefined,
			);
		}
		return release;
	}

	/**
	 * A fleet call with a deadline: Redis that is down or too slow must not hold a token request.
	 * UNAVAILABLE (and a warning in n8n's log) when it failed or took too long.
	 */
	private async ask<T>(work: Promise<T>): Promise<T | typeof UNAVAILABLE> {
		return await fleetCall(work, FLEET_CALL_TIMEOUT_MS, UNAVAILABLE, (error) => this.fleetUnavailable(error));
	}

	/** The fleet's token offered to the held one (moves forward only); the fresh held token after. */
	private async readFleet(fleet: Fleet, grant: TokenGrant, key: string): Promise<AccessToken | undefined | typeof UNAVAILABLE> {
		const token = await this.ask(fleet.read(grant));
		if (token === UNAVAILABLE) return UNAVAILABLE;
		if (token) this.cache.offer(key, token);
		return this.cache.fresh(key);
	}

	/** The token request itself, from this process; the result is held. */
	private async mintHere(key: string, grant: TokenGrant, post: PostFn): Promise<AccessToken> {
		this.stats.mints++;
		return await requestToken(grant, post, { now: this.now, deadlineMs: this.options.tokenDeadlineMs }).then(
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
	}

	/**
	 * Takes a token stored elsewhere (the n8n credential, written by this or another process) if it
	 * belongs to this identity, is fresh, was never refused here, and was minted after the held one.
	 * Returns the held token afterwards if it is fresh.
	 */
	private async adopt(grant: TokenGrant, key: string, stored: StoredToken | undefined): Promise<AccessToken | undefined> {
		const token = await this.tokenIn(grant, stored);
		if (token) this.cache.offer(key, token);
		return this.cache.fresh(key);
	}

	/** The fleet's token for this identity, if it can be asked; the fresh held token after. */
	private async fromFleet(grant: TokenGrant, key: string): Promise<AccessToken | undefined> {
		const fleet = this.fleetOf();
		if (fleet) await this.readFleet(fleet, grant, key);
		return this.cache.fresh(key);
	}

	private fleetOf(): Fleet | undefined {
		if (typeof this.fleet === 'function') {
			try {
				this.fleet = this.fleet();
			} catch (error) {
				this.fleet = undefined;
				this.fleetUnavailable(error);
			}
		}
		return this.fleet;
	}

	/** The fleet could not be asked: a warning in n8n's log (at most once a minute), and this process goes on alone. */
	private fleetUnavailable(error: unknown): void {
		if (this.now() - this.fleetWarnedAt < 60_000) return;
		this.fleetWarnedAt = this.now();
		const why = error instanceof Error ? error.message : String(error);
		LoggerProxy.warn(`n8n-nodes-alation: could not use the fleet's Redis to share the Alation token (${why}); this process mints its own meanwhile.`);
	}
}

/** What a fleet call gives when Redis failed or was too slow: the authority goes on without the fleet. */
const UNAVAILABLE = Symbol('fleet unavailable');

function toNumber(value: unknown): number | undefined {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/**
 * The one authority of this process, shared by both credentials and every node. In n8n queue mode
 * it shares tokens with the rest of the fleet through n8n's own Redis (made on first use).
 */
export const tokenAuthority = new TokenAuthority(Date.now, () => sharedRedisFleet());
