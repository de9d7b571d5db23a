// @ts-check
'use strict';

const crypto = require('node:crypto');

/**
 * State of user-initiated OAuth (authorization code + PKCE): the codes the
 * sign-in page issued, the refresh tokens, and the sign-ins ("families") they
 * belong to. Access tokens live in the TokenStore (kind 'user', with their
 * family), so every API route finds them the usual way.
 *
 * @typedef {object} AuthorizationCode
 * @property {string} clientId
 * @property {string} redirectUri
 * @property {number} userId
 * @property {string} codeChallenge  S256, base64url without padding
 * @property {string | null} scope
 * @property {number} expiresAt      epoch ms
 *
 * @typedef {object} UserRefreshToken
 * @property {string} family
 * @property {string} clientId
 * @property {number} userId
 * @property {string | null} scope
 * @property {number} expiresAt  epoch ms
 * @property {boolean} spent     used once already (rotation): a second use revokes the family
 *
 * @typedef {object} Family
 * @property {string} clientId
 * @property {number} userId
 * @property {boolean} revoked
 */

/** Bounds memory when a benchmark signs in in a loop. */
const MAX_CODES = 1_000;
const MAX_REFRESH_TOKENS = 10_000;
const MAX_FAMILIES = 10_000;

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;
/** A S256 challenge: SHA-256 (32 bytes) as base64url without padding = 43 characters. */
const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

class UserOAuthStore {
	/** @type {Map<string, AuthorizationCode>} */
	#codes = new Map();
	/** @type {Map<string, UserRefreshToken>} */
	#refresh = new Map();
	/** @type {Map<string, Family>} */
	#families = new Map();

	/**
	 * @param {Omit<AuthorizationCode, 'expiresAt'>} spec
	 * @param {number} lifetimeSeconds
	 * @returns {string} the code
	 */
	issueCode(spec, lifetimeSeconds) {
		const code = crypto.randomBytes(24).toString('base64url');
		this.#codes.set(code, { ...spec, expiresAt: Date.now() + lifetimeSeconds * 1000 });
		evictOldest(this.#codes, MAX_CODES);
		return code;
	}

	/**
	 * Takes a code out of the store: a code is good for one exchange attempt,
	 * whatever its outcome.
	 *
	 * @param {string} code
	 * @returns {AuthorizationCode | null} null if unknown, spent or expired
	 */
	takeCode(code) {
		const entry = this.#codes.get(code);
		if (!entry) return null;
		this.#codes.delete(code);
		return Date.now() >= entry.expiresAt ? null : entry;
	}

	/**
	 * @param {string} clientId
	 * @param {number} userId
	 * @returns {string} the new family id
	 */
	startFamily(clientId, userId) {
		const family = crypto.randomUUID();
		this.#families.set(family, { clientId, userId, revoked: false });
		evictOldest(this.#families, MAX_FAMILIES);
		return family;
	}

	/** @param {string} family */
	family(family) {
		return this.#families.get(family) ?? null;
	}

	/**
	 * @param {Omit<UserRefreshToken, 'expiresAt' | 'spent'>} spec
	 * @param {number} lifetimeSeconds
	 * @returns {{ token: string, entry: UserRefreshToken }}
	 */
	addRefreshToken(spec, lifetimeSeconds) {
		const token = crypto.randomBytes(32).toString('base64url');
		/** @type {UserRefreshToken} */
		const entry = { ...spec, expiresAt: Date.now() + lifetimeSeconds * 1000, spent: false };
		this.#refresh.set(token, entry);
		evictOldest(this.#refresh, MAX_REFRESH_TOKENS);
		return { token, entry };
	}

	/** @param {string} token */
	refreshToken(token) {
		return this.#refresh.get(token) ?? null;
	}

	/**
	 * Revokes a sign-in: its refresh tokens stop working (access tokens are revoked by the caller,
	 * in the TokenStore).
	 *
	 * @param {string} family
	 * @returns {boolean} false if it was revoked already
	 */
	revokeFamily(family) {
		const entry = this.#families.get(family);
		if (!entry || entry.revoked) return false;
		entry.revoked = true;
		return true;
	}
}

/**
 * The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))), no padding.
 *
 * @param {string} verifier
 */
function s256(verifier) {
	return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Whether `verifier` is well formed and hashes to `challenge` (compared in constant time).
 *
 * @param {string} verifier
 * @param {string} challenge
 */
function verifierMatches(verifier, challenge) {
	if (!VERIFIER_PATTERN.test(verifier)) return false;
	const expected = Buffer.from(s256(verifier));
	const given = Buffer.from(challenge);
	return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

/**
 * @param {Map<string, unknown>} map
 * @param {number} max
 */
function evictOldest(map, max) {
	for (const key of map.keys()) {
		if (map.size <= max) break;
		map.delete(key);
	}
}

module.exports = { UserOAuthStore, s256, verifierMatches, CHALLENGE_PATTERN };
