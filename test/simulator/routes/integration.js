// @ts-check
'use strict';

const { DEMO } = require('../demo');
const { requireCatalogCaller } = require('../auth');
const { parseJsonOrForm, sendJson } = require('../http');
const { randomHex } = require('../tokens');
const { findUser } = require('./user-oauth');

/**
 * The catalog's token API (/integration/v1): refresh tokens for a user, API
 * access tokens from a refresh token, and the identity check.
 */

const REFRESH_TOKEN_LIFETIME_MS = 60 * 24 * 60 * 60 * 1000; // Alation's default: 60 days

/**
 * Returns the first required field that is missing or empty, else null.
 *
 * @param {Record<string, unknown>} body
 * @param {readonly string[]} names
 */
function missingField(body, names) {
	return names.find((name) => body[name] === undefined || body[name] === null || body[name] === '') ?? null;
}

/**
 * POST /integration/v1/createRefreshToken/ — username/password login. The
 * password is checked and then forgotten: no response or log line echoes it.
 *
 * @type {import('../context').RouteHandler}
 */
function createRefreshToken(ctx) {
	const { res, sim } = ctx;
	const body = parseJsonOrForm(ctx.req, ctx.body);
	if (!body) {
		sendJson(res, 400, { detail: 'Malformed request body.' });
		return;
	}
	const missing = missingField(body, ['username', 'password', 'name']);
	if (missing) {
		sendJson(res, 400, { detail: `Missing required field: ${missing}.` });
		return;
	}
	if (body.username !== DEMO.username || body.password !== DEMO.password) {
		sendJson(res, 401, { detail: 'Invalid username or password.' });
		return;
	}
	const now = Date.now();
	const refreshToken = randomHex(32);
	const name = String(body.name);
	const expiresAt = now + REFRESH_TOKEN_LIFETIME_MS;
	sim.tokens.addRefreshToken(refreshToken, { userId: DEMO.userId, name, createdAt: now, expiresAt });
	sim.counters.refreshTokensCreated += 1;
	sendJson(res, 201, {
		refresh_token: refreshToken,
		user_id: DEMO.userId,
		created_at: new Date(now).toISOString(),
		name,
		token_expires_at: new Date(expiresAt).toISOString(),
		token_status: 'active',
		last_used_at: null,
	});
}

/**
 * POST /integration/v1/createAPIAccessToken/ — `{ refresh_token, user_id }`.
 * `user_id` may be a number or a numeric string (n8n stores it as a string).
 * A new token invalidates the user's previous one.
 *
 * @type {import('../context').RouteHandler}
 */
function createAPIAccessToken(ctx) {
	const { res, sim } = ctx;
	const body = parseJsonOrForm(ctx.req, ctx.body);
	if (!body) {
		sendJson(res, 400, { detail: 'Malformed request body.' });
		return;
	}
	const missing = missingField(body, ['refresh_token', 'user_id']);
	if (missing) {
		sendJson(res, 400, { detail: `Missing required field: ${missing}.` });
		return;
	}
	const userId = Number(body.user_id);
	if (!Number.isInteger(userId) || (typeof body.user_id !== 'number' && typeof body.user_id !== 'string')) {
		sendJson(res, 400, { detail: 'user_id must be an integer.' });
		return;
	}
	if (typeof body.refresh_token !== 'string' || !sim.tokens.findRefreshToken(body.refresh_token, userId)) {
		sendJson(res, 401, { detail: 'Refresh token provided is invalid.', code: '401000' });
		return;
	}
	const lifetime = sim.options.tokenLifetimeSeconds;
	const now = Date.now();
	const token = randomHex(28);
	const entry = sim.tokens.add({
		token, kind: 'apiAccess', owner: String(userId), lifetimeSeconds: lifetime, invalidatePrevious: true, now,
	});
	sim.counters.tokensMinted += 1;
	sim.counters.apiAccessTokenMints += 1;
	sendJson(res, 201, {
		api_access_token: token,
		user_id: userId,
		created_at: new Date(now).toISOString(),
		token_expires_at: new Date(entry.expiresAt).toISOString(),
		token_status: 'active',
	});
}

/**
 * GET /integration/v1/userinfo/ — who the token belongs to. OAuth clients act
 * as a service user; API access tokens as the demo user; user OAuth tokens as
 * the user who signed in.
 *
 * @type {import('../context').RouteHandler}
 */
function userinfo(ctx) {
	const caller = requireCatalogCaller(ctx);
	if (!caller) return;
	const user = caller.kind === 'user' ? findUser(Number(caller.owner)) : null;
	if (user) {
		sendJson(ctx.res, 200, {
			id: user.id,
			username: user.username,
			email: user.username,
			role: user.role,
			display_name: user.displayName,
		});
		return;
	}
	if (caller.kind === 'oauth') {
		sendJson(ctx.res, 200, {
			id: 1000,
			username: `${caller.owner}@oauth.alation.invalid`,
			email: `${caller.owner}@oauth.alation.invalid`,
			role: 'Server Admin',
			display_name: `OAuth client ${caller.owner}`,
		});
		return;
	}
	sendJson(ctx.res, 200, {
		id: Number(caller.owner),
		username: DEMO.username,
		email: DEMO.username,
		role: 'Server Admin',
		display_name: 'Demo User',
	});
}

module.exports = { createRefreshToken, createAPIAccessToken, userinfo };
