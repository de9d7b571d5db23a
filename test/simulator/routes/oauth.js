// @ts-check
'use strict';

const crypto = require('node:crypto');
const { clientCredentials, mediaType, parseForm, sendJson } = require('../http');
const { jwtShaped } = require('../tokens');

/** OAuth responses must not be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * POST /oauth/v2/token/ — client credentials grant, credentials in the form
 * body or as HTTP Basic. Minting a token invalidates the client's previous one.
 *
 * @type {import('../context').RouteHandler}
 */
function oauthToken(ctx) {
	const { req, res, sim } = ctx;
	if (mediaType(req) !== 'application/x-www-form-urlencoded') {
		sendJson(res, 400, {
			error: 'invalid_request',
			error_description: 'Content-Type must be application/x-www-form-urlencoded.',
		});
		return;
	}
	const form = parseForm(ctx.body);
	if (form.grant_type !== 'client_credentials') {
		sendJson(res, 400, {
			error: 'unsupported_grant_type',
			error_description: form.grant_type ? 'Unsupported grant type.' : 'Missing grant_type parameter.',
		});
		return;
	}
	const client = clientCredentials(req, form);
	const clients = sim.options.oauthClients;
	if (!client || !Object.hasOwn(clients, client.id) || clients[client.id] !== client.secret) {
		const challenge = client?.via === 'basic' ? { 'www-authenticate': 'Basic realm="oauth"' } : undefined;
		sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' }, challenge);
		return;
	}

	const lifetime = sim.options.tokenLifetimeSeconds;
	const now = Date.now();
	const token = jwtShaped({
		sub: client.id,
		client_id: client.id,
		role: 'Server Admin',
		iat: Math.floor(now / 1000),
		exp: Math.floor((now + lifetime * 1000) / 1000),
		jti: crypto.randomUUID(),
	});
	sim.tokens.add({ token, kind: 'oauth', owner: client.id, lifetimeSeconds: lifetime, invalidatePrevious: true, now });
	sim.counters.tokensMinted += 1;
	sim.counters.oauthMints += 1;
	sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope: 'openid' }, NO_STORE);
}

module.exports = { oauthToken };
