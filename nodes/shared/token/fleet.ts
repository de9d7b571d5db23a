import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { argv as processArgv, env as processEnv } from 'node:process';
import { clearInterval, setInterval } from 'node:timers';

import { identityKey, slowDigest } from '../auth/identity';
import type { AccessToken, TokenGrant } from '../auth/types';
import { fleetRedisFromEnvironment, sharedFleetRedis, untilReady } from '../fleetRedis';
import type { RedisClient } from '../fleetRedis';
import { isRecord, parseJson } from '../json';

export { isQueueMode } from '../fleetRedis';

/*
 * What the processes of an n8n fleet (queue mode: main + workers) share about a credential's token,
 * so that the fleet mints once per token lifetime: each process alone would mint its own token and
 * invalidate its neighbours'. Two things, in the fleet's own Redis:
 *
 *   - the token, encrypted (AES-256-GCM) with a key derived from the credential's own secret
 *     (scrypt), so only holders of the secret can read it; the Redis key names are derived the same
 *     way (no secret, and no fast hash of one, in any key or value);
 *   - a short-lived mint lock per identity (SET NX PX, renewed by its living holder, released only
 *     by its owner): a holder that dies blocks minting for at most LOCK_TTL_MS.
 *
 * A Fleet never decides anything: token/authority.ts asks it, under its own rules.
 */

/** A mint lock lives this long unless its holder renews it (every LOCK_RENEW_MS while it mints). */
export const LOCK_TTL_MS = 5_000;
const LOCK_RENEW_MS = 2_000;
const FORMAT = 'v1';

/** Releases a mint lock (only if this process still holds it). */
export type Release = () => Promise<void>;

export interface Fleet {
	/**
	 * Derives what the fleet needs for this identity (key names, cipher key: scrypt, on libuv's thread
	 * pool) once per process. Callers run it apart from the deadline of Redis calls: a busy thread
	 * pool is not a slow Redis.
	 */
	prepare(grant: TokenGrant): Promise<void>;
	/**
	 * The token the fleet holds for this identity, in this process's clock (its expiry from the time
	 * Redis has left on it, its mint time from its lifetime: no wall clock of another process is
	 * compared); undefined when there is none or it cannot be read.
	 */
	read(grant: TokenGrant): Promise<AccessToken | undefined>;
	/**
	 * Publishes a token. `holdingLock`: this process minted it under the identity's lock, so it is the
	 * newest whatever the clocks say, and replaces what is there. Otherwise a token minted earlier
	 * than the one published is ignored (tokens only move forward).
	 */
	publish(grant: TokenGrant, token: AccessToken, holdingLock: boolean): Promise<void>;
	/** Takes the identity's mint lock: a release function, or undefined while another process holds it. */
	lock(grant: TokenGrant): Promise<Release | undefined>;
	close(): Promise<void>;
}

interface Keys {
	token: string;
	lock: string;
	cipherKey: Buffer;
}

// Compare-and-set on the mint time, kept in clear before the ciphertext (it is not secret).
const PUBLISH_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and ARGV[4] ~= '1' then
  local minted = tonumber(string.match(current, '^(%d+)%.'))
  if minted and minted >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// The token and the time Redis has left on it, read at once.
const READ_SCRIPT = `return { redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }`;
const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export class RedisFleet implements Fleet {
	private readonly keys = new Map<string, Promise<Keys>>();

	constructor(
		private readonly client: RedisClient,
		private readonly prefix: string,
		private readonly now: () => number = Date.now,
	) {}

	async prepare(grant: TokenGrant): Promise<void> {
		await this.keysOf(grant);
	}

	async read(grant: TokenGrant): Promise<AccessToken | undefined> {
		const keys = await this.keysOf(grant);
		await untilReady(this.client);
		const [stored, remainingMs] = (await this.client.eval(READ_SCRIPT, 1, keys.token)) as [string | null, number];
		const token = stored === null ? undefined : open(stored, keys);
		if (!token || typeof remainingMs !== 'number' || remainingMs <= 0) return token;
		// Into this process's clock: Redis counts down the token's remaining life for everyone alike.
		const expiresAt = this.now() + remainingMs;
		return { value: token.value, expiresAt, mintedAt: expiresAt - (token.expiresAt - token.mintedAt) };
	}

	async publish(grant: TokenGrant, token: AccessToken, holdingLock: boolean): Promise<void> {
		const keys = await this.keysOf(grant);
		await untilReady(this.client);
		const ttl = Math.max(1_000, Math.round(token.expiresAt - this.now()));
		// Under the lock the mint time is not compared: processes' clocks may disagree.
		const mintedAt = holdingLock ? '0' : String(token.mintedAt);
		await this.client.eval(PUBLISH_SCRIPT, 1, keys.token, seal(token, keys), mintedAt, String(ttl), holdingLock ? '1' : '0');
	}

	async lock(grant: TokenGrant): Promise<Release | undefined> {
		const keys = await this.keysOf(grant);
		await untilReady(this.client);
		const owner = randomBytes(12).toString('base64url');
		const taken = await this.client.set(keys.lock, owner, 'PX', LOCK_TTL_MS, 'NX');
		if (taken !== 'OK') return undefined;
		const renew = setInterval(() => {
			this.client.eval(RENEW_SCRIPT, 1, keys.lock, owner, String(LOCK_TTL_MS)).catch(() => undefined);
		}, LOCK_RENEW_MS);
		renew.unref();
		return async () => {
			clearInterval(renew);
			await this.client.eval(RELEASE_SCRIPT, 1, keys.lock, owner);
		};
	}

	/** Closes the connection at once (tests; n8n ends its processes itself). */
	async close(): Promise<void> {
		this.client.disconnect();
	}

	/** Key names and cipher key, derived once per process and identity (scrypt: slow on purpose). */
	private async keysOf(grant: TokenGrant): Promise<Keys> {
		const id = identityKey(grant);
		let keys = this.keys.get(id);
		if (!keys) {
			keys = deriveKeys(grant, this.prefix);
			keys.catch(() => this.keys.delete(id));
			this.keys.set(id, keys);
			if (this.keys.size > 1_000) this.keys.delete(this.keys.keys().next().value as string);
		}
		return await keys;
	}
}

async function deriveKeys(grant: TokenGrant, prefix: string): Promise<Keys> {
	// Salted with what identifies the credential without being secret: each credential gets its own.
	const salt = `n8n-nodes-alation fleet ${FORMAT}\u0000${grant.tokenUrl}\u0000${grant.principal}`;
	const bytes = await slowDigest(grant, salt, 48);
	const name = bytes.subarray(32).toString('base64url');
	const keyName = (kind: 'token' | 'lock') => [prefix, 'n8n-nodes-alation', kind, name].join(':');
	return { token: keyName('token'), lock: keyName('lock'), cipherKey: bytes.subarray(0, 32) };
}

/** `<mintedAt>.v1.<iv>.<ciphertext>.<tag>`; the key name is authenticated with it. */
function seal(token: AccessToken, keys: Keys): string {
	const iv = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', keys.cipherKey, iv);
	cipher.setAAD(Buffer.from(keys.token));
	const body = Buffer.concat([cipher.update(JSON.stringify({ v: token.value, e: token.expiresAt, m: token.mintedAt }), 'utf8'), cipher.final()]);
	return [String(token.mintedAt), FORMAT, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

function open(stored: string, keys: Keys): AccessToken | undefined {
	const [, format, iv, body, tag] = stored.split('.');
	if (format !== FORMAT || !iv || !body || !tag) return undefined;
	try {
		const decipher = createDecipheriv('aes-256-gcm', keys.cipherKey, Buffer.from(iv, 'base64url'));
		decipher.setAAD(Buffer.from(keys.token));
		decipher.setAuthTag(Buffer.from(tag, 'base64url'));
		const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
		const data = parseJson(text);
		if (!isRecord(data) || typeof data.v !== 'string' || typeof data.e !== 'number' || typeof data.m !== 'number') return undefined;
		return { value: data.v, expiresAt: data.e, mintedAt: data.m };
	} catch {
		// Another secret (the credential was changed) or tampered data: as if there were none.
		return undefined;
	}
}

/**
 * The fleet's token sharing, on the process's one connection to n8n's own Redis — only in queue mode
 * (shared/fleetRedis.ts). Anywhere else: undefined, and each process keeps its token alone.
 */
export function redisFleetFromEnvironment(env: NodeJS.ProcessEnv = processEnv, argv: readonly string[] = processArgv): RedisFleet | undefined {
	const redis = fleetRedisFromEnvironment(env, argv);
	return redis ? new RedisFleet(redis.client, redis.prefix) : undefined;
}

/** The same, on the connection this process shares with the package's other fleet-wide state. */
export function sharedRedisFleet(): RedisFleet | undefined {
	const redis = sharedFleetRedis();
	return redis ? new RedisFleet(redis.client, redis.prefix) : undefined;
}
