// @ts-check
'use strict';

const { bearerToken, sendJson } = require('./http');

/**
 * Authentication checks shared by the routes. Each check either returns the
 * caller's token entry or answers 401 itself and returns null.
 */

const NO_CREDENTIALS = 'Authentication credentials were not provided.';
const INVALID_TOKEN = 'Invalid token.';
/** OAuth JWTs: a client's (client credentials) and a signed-in user's (authorization code + PKCE). */
const OAUTH_KINDS = /** @type {const} */ (['oauth', 'user']);

/**
 * @param {import('./context').RouteContext} ctx
 * @param {string} detail
 */
function unauthorized(ctx, detail) {
	sendJson(ctx.res, 401, { detail }, { 'www-authenticate': 'Bearer realm="api"' });
}

/**
 * Agent Studio and the credentials API take only an OAuth JWT as a bearer: an
 * OAuth client's (client credentials) or a signed-in user's (authorization
 * code; `kind: 'user'`, which /api/v2/auth/credentials/ then refuses itself).
 * The SDK sends `TOKEN` alongside the bearer; a TOKEN header alone is refused
 * with a message that says why.
 *
 * @param {import('./context').RouteContext} ctx
 * @param {string} [tokenOnlyDetail]
 * @returns {import('./tokens').TokenEntry | null}
 */
function requireOAuthBearer(ctx, tokenOnlyDetail = 'Agent Studio endpoints require an OAuth bearer token.') {
	const token = bearerToken(ctx.req);
	if (!token) {
		unauthorized(ctx, ctx.req.headers.token ? tokenOnlyDetail : NO_CREDENTIALS);
		return null;
	}
	const found = ctx.sim.tokens.lookup(token, OAUTH_KINDS);
	if (found.status !== 'valid') {
		unauthorized(ctx, INVALID_TOKEN);
		return null;
	}
	return found.entry;
}

/**
 * The catalog's /integration API: a `TOKEN` header (API access token) takes
 * precedence over the bearer, as on Alation; the bearer must be an OAuth JWT
 * (a client's or a signed-in user's).
 *
 * @param {import('./context').RouteContext} ctx
 * @returns {import('./tokens').TokenEntry | null}
 */
function requireCatalogCaller(ctx) {
	const header = ctx.req.headers.token;
	const tokenHeader = Array.isArray(header) ? header[0] : header;
	const bearer = bearerToken(ctx.req);
	if (!tokenHeader && !bearer) {
		unauthorized(ctx, NO_CREDENTIALS);
		return null;
	}
	// The SDK puts the OAuth JWT in TOKEN too, so TOKEN accepts both kinds.
	const found = tokenHeader
		? ctx.sim.tokens.lookup(tokenHeader.trim(), ['apiAccess', ...OAUTH_KINDS])
		: ctx.sim.tokens.lookup(bearer, OAUTH_KINDS);
	if (found.status !== 'valid') {
		unauthorized(ctx, INVALID_TOKEN);
		return null;
	}
	return found.entry;
}

/**
 * DataClarity resources behind Keycloak.
 *
 * @param {import('./context').RouteContext} ctx
 * @returns {import('./tokens').TokenEntry | null}
 */
function requireKeycloakBearer(ctx) {
	const found = ctx.sim.tokens.lookup(bearerToken(ctx.req), ['keycloak']);
	if (found.status !== 'valid') {
		sendJson(ctx.res, 401, { error: 'invalid_token', error_description: 'Token is not active' }, {
			'www-authenticate': 'Bearer realm="demo", error="invalid_token"',
		});
		return null;
	}
	return found.entry;
}

module.exports = { requireOAuthBearer, requireCatalogCaller, requireKeycloakBearer };
