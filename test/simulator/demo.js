// @ts-check
'use strict';

/**
 * The fixed accounts the simulator knows. Tests, the demo and the docs all
 * use these values, so they are frozen: a test that changed them would
 * silently break every other test sharing the module.
 *
 * @type {Readonly<import('./types').Demo>}
 */
const DEMO = Object.freeze({
	clientId: 'demo-client',
	clientSecret: 'demo-secret',
	userId: 7,
	refreshToken: 'demo-refresh-token',
	username: 'demo@example.com',
	password: 'demo-password',
	tenant: 'demo',
	keycloakClientId: 'dc-client',
	keycloakClientSecret: 'dc-secret',
	keycloakUsername: 'analyst',
	keycloakPassword: 'analyst-password',
	userOauthClientId: 'demo-user-oauth-client',
	userOauthClientSecret: 'demo-user-oauth-secret',
	oauthUsers: Object.freeze([
		Object.freeze({ id: 2001, username: 'ada@example.com', displayName: 'Ada Analyst', role: 'Explorer' }),
		Object.freeze({ id: 2002, username: 'sam@example.com', displayName: 'Sam Steward', role: 'Steward' }),
	]),
});

module.exports = { DEMO };
