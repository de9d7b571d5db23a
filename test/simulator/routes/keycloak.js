// @ts-check
'use strict';

const crypto = require('node:crypto');
const { DEMO } = require('../demo');
const { requireKeycloakBearer } = require('../auth');
const { clientCredentials, mediaType, parseForm, sendJson } = require('../http');
const { jwtShaped } = require('../tokens');

/**
 * DataClarity's Keycloak (OpenID Connect) token endpoint and one protected
 * resource. Unlike Alation, Keycloak does not invalidate earlier tokens.
 */

const KEYCLOAK_DEFAULT_LIFETIME_SECONDS = 1800; // DataClarity: "30 minutes by default"
const REFRESH_EXPIRES_IN = 1800;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const AI_CONNECTION_TYPES = Object.freeze([
	{ type: 'openai', label: 'OpenAI' },
	{ type: 'azure_openai', label: 'Azure OpenAI' },
	{ type: 'anthropic', label: 'Anthropic' },
	{ type: 'bedrock', label: 'Amazon Bedrock' },
	{ type: 'ollama', label: 'Ollama' },
]);

/**
 * POST /auth/realms/{tenant}/protocol/openid-connect/token
 *
 * @type {import('../context').RouteHandler}
 */
function keycloakToken(ctx) {
	const { req, res, sim } = ctx;
	if (ctx.params.tenant !== DEMO.tenant) {
		sendJson(res, 404, { error: 'Realm does not exist' });
		return;
	}
	if (mediaType(req) !== 'application/x-www-form-urlencoded') {
		sendJson(res, 400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded.' });
		return;
	}
	const form = parseForm(ctx.body);
	const grant = form.grant_type;
	if (grant !== 'client_credentials' && grant !== 'password') {
		sendJson(res, 400, {
			error: 'unsupported_grant_type',
			error_description: grant ? 'Unsupported grant_type' : 'Missing form parameter: grant_type',
		});
		return;
	}
	const client = clientCredentials(req, form);
	if (!client || client.id !== DEMO.keycloakClientId || client.secret !== DEMO.keycloakClientSecret) {
		sendJson(res, 401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
		return;
	}
	if (grant === 'password' && (form.username !== DEMO.keycloakUsername || form.password !== DEMO.keycloakPassword)) {
		sendJson(res, 401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
		return;
	}

	const lifetime = sim.options.keycloakTokenLifetimeSeconds ?? KEYCLOAK_DEFAULT_LIFETIME_SECONDS;
	const now = Date.now();
	const iat = Math.floor(now / 1000);
	const sessionState = crypto.randomUUID();
	const subject = grant === 'password' ? DEMO.keycloakUsername : `service-account-${client.id}`;
	const issuer = `${sim.baseUrl()}/auth/realms/${DEMO.tenant}`;
	const common = { iat, iss: issuer, sub: subject, azp: client.id, session_state: sessionState, scope: 'profile email' };
	const accessToken = jwtShaped({
		...common, exp: Math.floor((now + lifetime * 1000) / 1000), jti: crypto.randomUUID(), typ: 'Bearer',
		aud: 'account', preferred_username: subject,
	});
	const refreshToken = jwtShaped({
		...common, exp: iat + REFRESH_EXPIRES_IN, jti: crypto.randomUUID(), typ: 'Refresh', aud: issuer,
	});
	sim.tokens.add({ token: accessToken, kind: 'keycloak', owner: subject, lifetimeSeconds: lifetime, invalidatePrevious: false, now });
	sim.counters.tokensMinted += 1;
	sim.counters.keycloakMints += 1;
	sendJson(res, 200, {
		access_token: accessToken,
		expires_in: lifetime,
		refresh_expires_in: REFRESH_EXPIRES_IN,
		refresh_token: refreshToken,
		token_type: 'Bearer',
		'not-before-policy': 0,
		session_state: sessionState,
		scope: 'profile email',
	}, NO_STORE);
}

/**
 * GET /dp/api/v1/aiconnections/types — DataClarity's cheap authenticated call
 * (the credential test).
 *
 * @type {import('../context').RouteHandler}
 */
function aiConnectionTypes(ctx) {
	if (!requireKeycloakBearer(ctx)) return;
	sendJson(ctx.res, 200, AI_CONNECTION_TYPES);
}

module.exports = { keycloakToken, aiConnectionTypes };
