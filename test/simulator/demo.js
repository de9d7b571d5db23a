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
});

module.exports = { DEMO };
