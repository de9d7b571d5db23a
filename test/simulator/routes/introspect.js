// @ts-check
'use strict';

const { clientCredentials, mediaType, parseForm, sendJson } = require('../http');

/**
 * POST /oauth/v2/introspect/ — token introspection (RFC 7662), as Alation's Python SDK calls it before
 * every request: form `token`, `token_type_hint`, `client_id`, `client_secret` (or HTTP Basic).
 * Answers `{ active: false }` for an unknown, expired, revoked or replaced token, and for another
 * client's token; `{ active: true, client_id, exp, iat, token_type }` otherwise. Used by the
 * benchmarks' reference client.
 *
 * @type {import('../context').RouteHandler}
 */
function introspect(ctx) {
	const { req, res, sim } = ctx;
	if (mediaType(req) !== 'application/x-www-form-urlencoded') {
		sendJson(res, 400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded.' });
		return;
	}
	const form = parseForm(ctx.body);
	const client = clientCredentials(req, form);
	const clients = sim.options.oauthClients;
	if (!client || !Object.hasOwn(clients, client.id) || clients[client.id] !== client.secret) {
		sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
		return;
	}
	if (typeof form.token !== 'string' || form.token === '') {
		sendJson(res, 400, { error: 'invalid_request', error_description: 'Missing token parameter.' });
		return;
	}
	const found = sim.tokens.lookup(form.token, ['oauth']);
	if (found.status !== 'valid' || found.entry.owner !== client.id) {
		sendJson(res, 200, { active: false }, { 'cache-control': 'no-store' });
		return;
	}
	const { entry } = found;
	sendJson(res, 200, {
		active: true,
		client_id: entry.owner,
		token_type: 'Bearer',
		iat: Math.floor(entry.issuedAt / 1000),
		exp: Math.floor(entry.expiresAt / 1000),
	}, { 'cache-control': 'no-store' });
}

module.exports = { introspect };
