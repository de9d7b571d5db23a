// @ts-check
'use strict';

const { requireOAuthBearer } = require('../auth');
const { isPlainObject, parseJson, sendJson } = require('../http');

const USER_TOKEN_REFUSED = 'Warehouse credentials can only be configured with an OAuth client (client credentials) token; '
	+ 'this is a user OAuth token (authorization code sign-in). Use a credential with the OAuth client ID and secret.';

/** Bounds memory when a benchmark posts credentials in a loop. */
const MAX_CREDENTIALS = 1000;

/** @param {unknown} value */
function isGiven(value) {
	return value !== undefined && value !== null && value !== '';
}

/**
 * POST /api/v2/auth/credentials/ — stores warehouse credentials for a data
 * product (per OAuth client on Alation). The store and the response keep no
 * password, key or passphrase. A signed-in user's token (user OAuth) gets 403.
 *
 * Data product ids starting with `missing` or `forbidden` trigger the 404 and
 * 403 answers, so clients can test those paths without intercepts.
 *
 * @type {import('../context').RouteHandler}
 */
function warehouseCredentials(ctx) {
	const { res, sim } = ctx;
	const caller = requireOAuthBearer(ctx, 'This endpoint requires an OAuth bearer token.');
	if (!caller) return;
	if (caller.kind === 'user') {
		// Alation's machine-to-machine docs: this endpoint is for OAuth clients (client credentials).
		sendJson(res, 403, { detail: USER_TOKEN_REFUSED, code: 'user_token_not_allowed' });
		return;
	}
	const parsed = parseJson(ctx.body);
	if (!parsed.ok || !isPlainObject(parsed.value)) {
		sendJson(res, 400, { detail: 'Request body must be a JSON object.' });
		return;
	}
	const body = parsed.value;
	for (const field of ['state', 'username', 'dp_id']) {
		const value = body[field];
		if (!isGiven(value) || (typeof value !== 'string' && typeof value !== 'number')) {
			sendJson(res, 400, { detail: `${field} is required.` });
			return;
		}
	}
	const hasPassword = isGiven(body.password);
	const hasKey = isGiven(body.private_key);
	if (hasPassword === hasKey) {
		sendJson(res, 400, { detail: 'Provide either password or private_key, but not both.' });
		return;
	}
	const dpId = String(body.dp_id);
	if (dpId.startsWith('missing')) {
		sendJson(res, 404, { detail: 'Data product not found.' });
		return;
	}
	if (dpId.startsWith('forbidden')) {
		sendJson(res, 403, { detail: 'You do not have permission to perform this action.' });
		return;
	}

	/** @type {import('../types').WarehouseCredential} */
	const record = {
		dp_id: dpId,
		username: String(body.username),
		state: String(body.state),
		auth_type: hasKey ? 'key_pair' : 'basic',
	};
	// One configuration per data product: a new one replaces the old.
	const list = sim.warehouse.list;
	const existing = list.findIndex((c) => c.dp_id === dpId);
	if (existing >= 0) list.splice(existing, 1);
	list.push(record);
	if (list.length > MAX_CREDENTIALS) list.splice(0, list.length - MAX_CREDENTIALS);
	sim.warehouse.nextId += 1;
	sendJson(res, 201, { id: sim.warehouse.nextId, ...record });
}

module.exports = { warehouseCredentials };
