// @ts-check
'use strict';

/** @type {readonly import('./types').RouteName[]} */
const ROUTE_NAMES = Object.freeze([
	'oauthToken',
	'createRefreshToken',
	'createAPIAccessToken',
	'userinfo',
	'agentList',
	'agentStream',
	'asset',
	'toolList',
	'toolStream',
	'chatMessages',
	'warehouseCredentials',
	'keycloakToken',
	'aiConnectionTypes',
	'introspect',
	'userAuthorize',
	'userToken',
	'notFound',
]);

/**
 * Every route starts at 0 so `counters.requests.agentStream` is a number even
 * before the first call.
 *
 * @returns {import('./types').Counters}
 */
function createCounters() {
	const counters = /** @type {import('./types').Counters} */ ({ requests: {} });
	resetCounters(counters);
	return counters;
}

/**
 * Resets in place: tests may hold a reference to `sim.counters`.
 *
 * @param {import('./types').Counters} counters
 */
function resetCounters(counters) {
	counters.tokensMinted = 0;
	counters.oauthMints = 0;
	counters.apiAccessTokenMints = 0;
	counters.keycloakMints = 0;
	counters.refreshTokensCreated = 0;
	counters.userAuthorizations = 0;
	counters.userTokenMints = 0;
	counters.userRefreshes = 0;
	counters.userFamiliesRevoked = 0;
	counters.unauthorized = 0;
	counters.connections = 0;
	for (const name of ROUTE_NAMES) counters.requests[name] = 0;
}

module.exports = { ROUTE_NAMES, createCounters, resetCounters };
