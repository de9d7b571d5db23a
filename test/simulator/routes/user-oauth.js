// @ts-check
'use strict';

const crypto = require('node:crypto');
const { DEMO } = require('../demo');
const { clientCredentials, mediaType, parseForm, sendJson } = require('../http');
const { jwtShaped } = require('../tokens');
const { CHALLENGE_PATTERN, verifierMatches } = require('../user-oauth');

/**
 * User-initiated OAuth, as Alation documents it: a Server Admin registers a
 * confidential client (client_id + client_secret, PKCE required, redirect URIs
 * listed); a user signs in on GET /oauth/v1/authorize/ and the client swaps the
 * code at POST /oauth/v1/token/ for an access token (kind 'user') and a
 * rotating refresh token.
 */

/** OAuth responses must not be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
/** n8n's OAuth2 callback: `{instance}/rest/oauth2-credential/callback`. */
const N8N_CALLBACK_SUFFIX = '/rest/oauth2-credential/callback';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** @param {number} id */
function findUser(id) {
	return DEMO.oauthUsers.find((user) => user.id === id) ?? null;
}

/**
 * Whether a user OAuth client may redirect to `uri`: exactly one of
 * `userOauthRedirectUris` when that option is set, else an n8n callback on a
 * loopback host (any port).
 *
 * @param {import('../context').SimState} sim
 * @param {string} uri
 */
function redirectAllowed(sim, uri) {
	const listed = sim.options.userOauthRedirectUris;
	if (listed !== undefined) return listed.includes(uri);
	let url;
	try {
		url = new URL(uri);
	} catch {
		return false;
	}
	return url.protocol === 'http:'
		&& LOOPBACK_HOSTS.has(url.hostname)
		&& url.username === '' && url.password === ''
		&& url.search === '' && url.hash === '' && !uri.includes('#')
		&& url.pathname.endsWith(N8N_CALLBACK_SUFFIX);
}

/** @param {string} text */
function escapeHtml(text) {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} title
 * @param {string} bodyHtml
 */
function sendHtml(res, status, title, bodyHtml) {
	if (res.headersSent || res.destroyed) return;
	const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${bodyHtml}\n</body></html>\n`;
	res.writeHead(status, {
		'content-type': 'text/html; charset=utf-8',
		'content-length': String(Buffer.byteLength(html)),
		'x-frame-options': 'DENY',
		...NO_STORE,
	});
	res.end(html);
}

/**
 * The 400 page of a bad authorization request: never a redirect, since the
 * redirect URI itself may be the problem (RFC 6749 §4.1.2.1).
 *
 * @param {import('node:http').ServerResponse} res
 * @param {string} error
 * @param {string} description
 */
function authorizeError(res, error, description) {
	sendHtml(res, 400, 'Alation sign-in: bad request',
		`<h1>Sign-in request refused</h1>\n<p id="error" data-error="${escapeHtml(error)}"><code>${escapeHtml(error)}</code>: ${escapeHtml(description)}</p>`);
}

/**
 * @typedef {object} AuthorizeRequest
 * @property {string} clientId
 * @property {string} redirectUri
 * @property {string | undefined} state
 * @property {string} codeChallenge
 * @property {string | null} scope
 */

/**
 * Checks an authorization request (query of the GET, fields of the POST);
 * answers the 400 page itself and returns null when it is not acceptable.
 *
 * @param {import('../context').RouteContext} ctx
 * @param {Record<string, string>} params
 * @returns {AuthorizeRequest | null}
 */
function checkAuthorizeRequest(ctx, params) {
	const { res, sim } = ctx;
	const clientId = params.client_id ?? '';
	if (clientId === '') {
		authorizeError(res, 'invalid_request', 'Missing client_id parameter.');
		return null;
	}
	if (!Object.hasOwn(sim.options.userOauthClients, clientId)) {
		authorizeError(res, 'invalid_client', `Unknown OAuth client "${clientId}".`);
		return null;
	}
	const redirectUri = params.redirect_uri ?? '';
	if (redirectUri === '') {
		authorizeError(res, 'invalid_request', 'Missing redirect_uri parameter.');
		return null;
	}
	if (!redirectAllowed(sim, redirectUri)) {
		authorizeError(res, 'invalid_request', `redirect_uri "${redirectUri}" is not registered for this client.`);
		return null;
	}
	if (params.response_type !== 'code') {
		authorizeError(res, 'unsupported_response_type', 'response_type must be "code".');
		return null;
	}
	const codeChallenge = params.code_challenge ?? '';
	if (codeChallenge === '') {
		authorizeError(res, 'invalid_request', 'PKCE is required: missing code_challenge.');
		return null;
	}
	if (params.code_challenge_method !== 'S256') {
		authorizeError(res, 'invalid_request', 'PKCE is required with code_challenge_method=S256.');
		return null;
	}
	if (!CHALLENGE_PATTERN.test(codeChallenge)) {
		authorizeError(res, 'invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters, no padding).');
		return null;
	}
	const scope = params.scope === undefined || params.scope === '' ? null : params.scope;
	return { clientId, redirectUri, state: params.state, codeChallenge, scope };
}

/**
 * GET /oauth/v1/authorize/?response_type=code&client_id&redirect_uri&state&code_challenge&code_challenge_method=S256[&scope]
 * — the sign-in page: one form per demo user, each POSTing back here.
 *
 * @type {import('../context').RouteHandler}
 */
function authorizePage(ctx) {
	const request = checkAuthorizeRequest(ctx, Object.fromEntries(ctx.url.searchParams));
	if (!request) return;
	/** @type {Record<string, string>} */
	const carried = {
		response_type: 'code',
		client_id: request.clientId,
		redirect_uri: request.redirectUri,
		code_challenge: request.codeChallenge,
		code_challenge_method: 'S256',
	};
	if (request.state !== undefined) carried.state = request.state;
	if (request.scope !== null) carried.scope = request.scope;
	const hidden = Object.entries(carried)
		.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
		.join('');
	const action = escapeHtml(ctx.url.pathname);
	const users = DEMO.oauthUsers.map((user) => `<li><form method="post" action="${action}">${hidden}`
		+ `<button type="submit" id="sign-in-${user.id}" name="user_id" value="${user.id}">Sign in as ${escapeHtml(user.displayName)}</button>`
		+ ` <small>${escapeHtml(user.username)} · ${escapeHtml(user.role)}</small></form></li>`).join('\n');
	const scope = request.scope === null ? '' : ` (scope <code>${escapeHtml(request.scope)}</code>)`;
	sendHtml(ctx.res, 200, 'Sign in to Alation (simulator)', [
		'<h1>Sign in to Alation</h1>',
		`<p>OAuth client <code>${escapeHtml(request.clientId)}</code> asks to act on your behalf${scope}. Who are you?</p>`,
		`<ul>\n${users}\n</ul>`,
		`<form method="post" action="${action}">${hidden}<button type="submit" id="deny" name="decision" value="deny">Deny</button></form>`,
	].join('\n'));
}

/**
 * POST /oauth/v1/authorize/ — the sign-in page's answer (form: the request's
 * fields plus `user_id`, or `decision=deny`). 302 to redirect_uri with `code`
 * (or `error=access_denied`) and the same `state`.
 *
 * @type {import('../context').RouteHandler}
 */
function authorizeSubmit(ctx) {
	const { res, sim } = ctx;
	const form = parseForm(ctx.body);
	const request = checkAuthorizeRequest(ctx, form);
	if (!request) return;
	const target = new URL(request.redirectUri);
	if (form.decision === 'deny') {
		target.searchParams.set('error', 'access_denied');
		target.searchParams.set('error_description', 'The user denied the request.');
	} else {
		const user = findUser(Number(form.user_id));
		if (!user || !/^\d+$/.test(form.user_id ?? '')) {
			authorizeError(res, 'invalid_request', 'Choose one of the listed users.');
			return;
		}
		const code = sim.userOauth.issueCode({
			clientId: request.clientId,
			redirectUri: request.redirectUri,
			userId: user.id,
			codeChallenge: request.codeChallenge,
			scope: request.scope,
		}, sim.options.userCodeLifetimeSeconds);
		sim.counters.userAuthorizations += 1;
		target.searchParams.set('code', code);
	}
	if (request.state !== undefined) target.searchParams.set('state', request.state);
	res.writeHead(302, { location: target.toString(), 'content-length': '0', ...NO_STORE });
	res.end();
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} error
 * @param {string} description
 * @param {Record<string, string>} [headers]
 */
function oauthError(res, status, error, description, headers = {}) {
	sendJson(res, status, { error, error_description: description }, { ...NO_STORE, ...headers });
}

/**
 * Mints an access token (kind 'user') and a refresh token for one sign-in.
 *
 * @param {import('../context').SimState} sim
 * @param {{ clientId: string, userId: number, family: string, scope: string | null }} grant
 */
function mintPair(sim, { clientId, userId, family, scope }) {
	const lifetime = sim.options.userAccessTokenLifetimeSeconds;
	const now = Date.now();
	const user = findUser(userId);
	const accessToken = jwtShaped({
		sub: String(userId),
		user_id: userId,
		username: user?.username,
		name: user?.displayName,
		client_id: clientId,
		...(scope === null ? {} : { scope }),
		iat: Math.floor(now / 1000),
		exp: Math.floor((now + lifetime * 1000) / 1000),
		jti: crypto.randomUUID(),
	});
	sim.tokens.add({
		token: accessToken, kind: 'user', owner: String(userId), lifetimeSeconds: lifetime,
		invalidatePrevious: false, now, family, clientId,
	});
	sim.counters.tokensMinted += 1;
	const refreshLifetime = sim.options.userRefreshTokenLifetimeSeconds;
	const refresh = sim.userOauth.addRefreshToken({ family, clientId, userId, scope }, refreshLifetime);
	return {
		access_token: accessToken,
		token_type: 'Bearer',
		expires_in: lifetime,
		refresh_token: refresh.token,
		refresh_token_expires_in: refreshLifetime,
		...(scope === null ? {} : { scope }),
	};
}

/**
 * POST /oauth/v1/token/ — form-encoded; the client authenticates with
 * client_secret in the body or HTTP Basic.
 *
 * @type {import('../context').RouteHandler}
 */
function userToken(ctx) {
	const { req, res, sim } = ctx;
	if (mediaType(req) !== 'application/x-www-form-urlencoded') {
		oauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
		return;
	}
	const form = parseForm(ctx.body);
	const grant = form.grant_type;
	if (grant !== 'authorization_code' && grant !== 'refresh_token') {
		oauthError(res, 400, grant ? 'unsupported_grant_type' : 'invalid_request', grant ? 'Unsupported grant type.' : 'Missing grant_type parameter.');
		return;
	}
	const client = clientCredentials(req, form);
	const clients = sim.options.userOauthClients;
	const conflicting = client?.via === 'basic' && form.client_id !== undefined && form.client_id !== client.id;
	if (!client || conflicting || !Object.hasOwn(clients, client.id) || clients[client.id] !== client.secret) {
		const challenge = client?.via === 'basic' ? { 'www-authenticate': 'Basic realm="oauth"' } : undefined;
		oauthError(res, 401, 'invalid_client', 'Client authentication failed', challenge);
		return;
	}
	if (grant === 'authorization_code') exchangeCode(ctx, form, client.id);
	else refresh(ctx, form, client.id);
}

/**
 * @param {import('../context').RouteContext} ctx
 * @param {Record<string, string>} form
 * @param {string} clientId
 */
function exchangeCode(ctx, form, clientId) {
	const { res, sim } = ctx;
	for (const field of ['code', 'redirect_uri', 'code_verifier']) {
		if (!form[field]) {
			oauthError(res, 400, 'invalid_request', `Missing ${field} parameter.`);
			return;
		}
	}
	const code = sim.userOauth.takeCode(form.code);
	if (!code) {
		oauthError(res, 400, 'invalid_grant', 'Authorization code is invalid, expired or already used.');
		return;
	}
	if (code.clientId !== clientId) {
		oauthError(res, 400, 'invalid_grant', 'Authorization code was issued to another client.');
		return;
	}
	if (code.redirectUri !== form.redirect_uri) {
		oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
		return;
	}
	if (!verifierMatches(form.code_verifier, code.codeChallenge)) {
		oauthError(res, 400, 'invalid_grant', 'PKCE verification failed: code_verifier does not match code_challenge.');
		return;
	}
	const family = sim.userOauth.startFamily(clientId, code.userId);
	const body = mintPair(sim, { clientId, userId: code.userId, family, scope: code.scope });
	sim.counters.userTokenMints += 1;
	sendJson(res, 200, body, NO_STORE);
}

/**
 * Rotation: a refresh token works once. Presenting a spent one again revokes
 * the whole sign-in (every access and refresh token descended from it).
 *
 * @param {import('../context').RouteContext} ctx
 * @param {Record<string, string>} form
 * @param {string} clientId
 */
function refresh(ctx, form, clientId) {
	const { res, sim } = ctx;
	if (!form.refresh_token) {
		oauthError(res, 400, 'invalid_request', 'Missing refresh_token parameter.');
		return;
	}
	const entry = sim.userOauth.refreshToken(form.refresh_token);
	if (!entry) {
		oauthError(res, 400, 'invalid_grant', 'Refresh token is invalid.');
		return;
	}
	if (entry.clientId !== clientId) {
		oauthError(res, 400, 'invalid_grant', 'Refresh token was issued to another client.');
		return;
	}
	const family = sim.userOauth.family(entry.family);
	if (!family || family.revoked) {
		oauthError(res, 400, 'invalid_grant', 'Refresh token has been revoked. Sign in again.');
		return;
	}
	if (entry.spent) {
		sim.userOauth.revokeFamily(entry.family);
		sim.tokens.revokeFamily(entry.family);
		sim.counters.userFamiliesRevoked += 1;
		oauthError(res, 400, 'invalid_grant',
			'Refresh token was already used: every token of this sign-in has been revoked. Sign in again.');
		return;
	}
	if (Date.now() >= entry.expiresAt) {
		oauthError(res, 400, 'invalid_grant', 'Refresh token has expired. Sign in again.');
		return;
	}
	entry.spent = true;
	const body = mintPair(sim, { clientId, userId: entry.userId, family: entry.family, scope: entry.scope });
	sim.counters.userRefreshes += 1;
	sendJson(res, 200, body, NO_STORE);
}

module.exports = { authorizePage, authorizeSubmit, userToken, findUser, redirectAllowed };
