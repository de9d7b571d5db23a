import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

import type { TokenGrant } from './types';

/*
 * The fingerprint stored beside a token in the n8n credential (`tokenIdentity`): which identity
 * (token URL, client or user, secret) the token was minted for, so that a token is reused only by
 * that identity. Anyone who can read the credential's data can see it, so it must not let them test
 * guesses of the secret quickly: it is salted scrypt (N = 2^14, r = 8: ~30–60 ms and 16 MiB per
 * guess), computed once per process per credential and salt.
 *
 * Format: `s1.<salt>.<hash>` (base64url). A stored identity in any other format (the earlier fast
 * hash) never matches, so a token stored before the upgrade is not reused: one mint after upgrade.
 */

const VERSION = 's1';
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 24;
const SALT_BYTES = 16;
/** Bound on process-wide memory: one entry per identity and salt seen. */
const MAX_MEMO = 1_000;

/** What identifies the grant, secrets included. Kept in memory only, never stored or logged. */
function material(grant: TokenGrant): string {
	return [grant.tokenUrl, grant.principal, ...grant.secrets].join('\u0000');
}

/** An in-memory key for the grant (a fast hash is fine here: it never leaves the process). */
export function identityKey(grant: TokenGrant): string {
	return createHash('sha256').update(material(grant)).digest('base64url');
}

/**
 * The package's one slow derivation from a grant's secret material (scrypt, salted): the stored
 * fingerprint here, and the fleet's key names and cipher key (token/fleet.ts).
 */
export async function slowDigest(grant: TokenGrant, salt: Buffer | string, bytes: number): Promise<Buffer> {
	return await new Promise<Buffer>((resolve, reject) => {
		scrypt(material(grant), salt, bytes, SCRYPT, (error, derived) => (error ? reject(error) : resolve(derived)));
	});
}

const memo = new Map<string, Promise<Buffer>>();
/** The salt this process uses for an identity that has none stored yet (one per identity). */
const ownSalts = new Map<string, string>();

function derive(grant: TokenGrant, salt: string): Promise<Buffer> {
	const key = `${identityKey(grant)}|${salt}`;
	let pending = memo.get(key);
	if (!pending) {
		pending = slowDigest(grant, Buffer.from(salt, 'base64url'), HASH_BYTES);
		pending.catch(() => memo.delete(key));
		memo.set(key, pending);
		if (memo.size > MAX_MEMO) memo.delete(memo.keys().next().value as string);
	}
	return pending;
}

function parse(stored: unknown): { salt: string; hash: Buffer } | undefined {
	if (typeof stored !== 'string') return undefined;
	const [version, salt, hash, ...rest] = stored.split('.');
	if (version !== VERSION || rest.length > 0 || !salt || !hash) return undefined;
	if (!/^[A-Za-z0-9_-]+$/.test(salt) || !/^[A-Za-z0-9_-]+$/.test(hash)) return undefined;
	const bytes = Buffer.from(hash, 'base64url');
	return bytes.length === HASH_BYTES ? { salt, hash: bytes } : undefined;
}

/** Whether `stored` is the fingerprint of this grant. */
export async function isIdentityOf(grant: TokenGrant, stored: unknown): Promise<boolean> {
	const parsed = parse(stored);
	if (!parsed) return false;
	const hash = await derive(grant, parsed.salt);
	return timingSafeEqual(hash, parsed.hash);
}

/**
 * The fingerprint to store with a token of this grant. Keeps the salt of `current` when it is this
 * grant's fingerprint already (no new derivation, and the stored value does not change needlessly).
 */
export async function identityOf(grant: TokenGrant, current?: unknown): Promise<string> {
	if (typeof current === 'string' && (await isIdentityOf(grant, current))) return current;
	const key = identityKey(grant);
	let salt = ownSalts.get(key);
	if (!salt) {
		salt = randomBytes(SALT_BYTES).toString('base64url');
		ownSalts.set(key, salt);
		if (ownSalts.size > MAX_MEMO) ownSalts.delete(ownSalts.keys().next().value as string);
	}
	return `${VERSION}.${salt}.${(await derive(grant, salt)).toString('base64url')}`;
}
