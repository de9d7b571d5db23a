// @ts-check
'use strict';

const crypto = require('node:crypto');

/**
 * Token store. Tokens are opaque to the simulator: a request is authorised by
 * looking its token up here, never by checking a signature, which is what lets
 * the simulator invalidate, expire and revoke tokens exactly like Alation does.
 *
 * @typedef {'oauth' | 'apiAccess' | 'keycloak' | 'user'} TokenKind  'user': user-initiated OAuth (authorization code)
 *
 * @typedef {object} TokenEntry
 * @property {TokenKind} kind
 * @property {string} owner      client id (oauth, keycloak client_credentials), user id (apiAccess, user) or username
 * @property {number} issuedAt   epoch ms
 * @property {number} expiresAt  epoch ms
 * @property {string} [family]   user tokens: the sign-in they descend from (revoked together)
 * @property {string} [clientId] user tokens: the OAuth client they were issued to
 *
 * @typedef {object} RefreshTokenEntry
 * @property {number} userId
 * @property {string} name
 * @property {number} createdAt  epoch ms
 * @property {number} expiresAt  epoch ms
 *
 * @typedef {{ status: 'valid', entry: TokenEntry } | { status: 'unknown' | 'expired' | 'wrong-kind' }} Lookup
 */

/** Bounds memory when benchmarks mint tokens in a loop. */
const MAX_ACCESS_TOKENS = 10_000;
const MAX_REFRESH_TOKENS = 1_000;

class TokenStore {
	/** @type {Map<string, TokenEntry>} */
	#access = new Map();
	/** The newest token per kind and owner, for the invalidate-previous rule. @type {Map<string, string>} */
	#latest = new Map();
	/** @type {Map<string, RefreshTokenEntry>} */
	#refresh = new Map();
	/** Refresh tokens that survive eviction (the demo account's). @type {Set<string>} */
	#pinnedRefresh = new Set();

	/**
	 * Stores a new access token.
	 *
	 * @param {object} spec
	 * @param {string} spec.token
	 * @param {TokenKind} spec.kind
	 * @param {string} spec.owner
	 * @param {number} spec.lifetimeSeconds
	 * @param {boolean} spec.invalidatePrevious Alation's rule: a new token for the same owner kills the old one
	 * @param {number} [spec.now]
	 * @param {string} [spec.family]
	 * @param {string} [spec.clientId]
	 * @returns {TokenEntry}
	 */
	add({ token, kind, owner, lifetimeSeconds, invalidatePrevious, now = Date.now(), family, clientId }) {
		const key = `${kind}\u0000${owner}`;
		if (invalidatePrevious) {
			const previous = this.#latest.get(key);
			if (previous !== undefined) this.#access.delete(previous);
		}
		/** @type {TokenEntry} */
		const entry = { kind, owner, issuedAt: now, expiresAt: now + lifetimeSeconds * 1000 };
		if (family !== undefined) entry.family = family;
		if (clientId !== undefined) entry.clientId = clientId;
		this.#access.set(token, entry);
		this.#latest.set(key, token);
		evictOldest(this.#access, MAX_ACCESS_TOKENS);
		evictOldest(this.#latest, MAX_ACCESS_TOKENS);
		return entry;
	}

	/**
	 * @param {string | null | undefined} token
	 * @param {readonly TokenKind[]} kinds the kinds this caller accepts
	 * @returns {Lookup}
	 */
	lookup(token, kinds) {
		if (!token) return { status: 'unknown' };
		const entry = this.#access.get(token);
		if (!entry) return { status: 'unknown' };
		if (Date.now() >= entry.expiresAt) {
			this.#access.delete(token);
			return { status: 'expired' };
		}
		if (!kinds.includes(entry.kind)) return { status: 'wrong-kind' };
		return { status: 'valid', entry };
	}

	/** Every access token issued so far becomes invalid (an admin revoke). Refresh tokens survive. */
	revokeAllAccessTokens() {
		this.#access.clear();
		this.#latest.clear();
	}

	/**
	 * Every access token of one user OAuth sign-in becomes invalid.
	 *
	 * @param {string} family
	 * @returns {number} how many were still stored
	 */
	revokeFamily(family) {
		let count = 0;
		for (const [token, entry] of this.#access) {
			if (entry.family !== family) continue;
			this.#access.delete(token);
			count += 1;
		}
		return count;
	}

	/**
	 * @param {string} token
	 * @param {RefreshTokenEntry} entry
	 * @param {{ pinned?: boolean }} [options]
	 */
	addRefreshToken(token, entry, { pinned = false } = {}) {
		this.#refresh.set(token, entry);
		if (pinned) this.#pinnedRefresh.add(token);
		if (this.#refresh.size > MAX_REFRESH_TOKENS) {
			for (const candidate of this.#refresh.keys()) {
				if (this.#refresh.size <= MAX_REFRESH_TOKENS) break;
				if (!this.#pinnedRefresh.has(candidate)) this.#refresh.delete(candidate);
			}
		}
	}

	/**
	 * @param {string} token
	 * @param {number} userId
	 * @returns {RefreshTokenEntry | null} null if unknown, for another user, or expired
	 */
	findRefreshToken(token, userId) {
		const entry = this.#refresh.get(token);
		if (!entry || entry.userId !== userId || Date.now() >= entry.expiresAt) return null;
		return entry;
	}
}

/**
 * Drops the oldest entries (Map keeps insertion order) until `max` remain.
 *
 * @param {Map<string, unknown>} map
 * @param {number} max
 */
function evictOldest(map, max) {
	for (const key of map.keys()) {
		if (map.size <= max) break;
		map.delete(key);
	}
}

/** @param {unknown} value */
function base64url(value) {
	const buffer = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value), 'utf8');
	return buffer.toString('base64url');
}

/**
 * A token that looks like a JWT (clients may decode the payload for `exp`)
 * but whose "signature" is random bytes: the store, not a key, makes it valid.
 *
 * @param {Record<string, unknown>} claims
 */
function jwtShaped(claims) {
	const header = { alg: 'RS256', typ: 'JWT', kid: 'alation-simulator' };
	return `${base64url(header)}.${base64url(claims)}.${base64url(crypto.randomBytes(32))}`;
}

/** @param {number} bytes */
function randomHex(bytes) {
	return crypto.randomBytes(bytes).toString('hex');
}

module.exports = { TokenStore, jwtShaped, randomHex };
