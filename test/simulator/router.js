// @ts-check
'use strict';

const { safeDecodeURIComponent } = require('./http');
const { agentList, agentStream, asset } = require('./routes/agent-studio');
const { createAPIAccessToken, createRefreshToken, userinfo } = require('./routes/integration');
const { aiConnectionTypes, keycloakToken } = require('./routes/keycloak');
const { introspect } = require('./routes/introspect');
const { notFound } = require('./routes/not-found');
const { oauthToken } = require('./routes/oauth');
const { authorizePage, authorizeSubmit, userToken } = require('./routes/user-oauth');
const { chatMessages, toolList, toolStream } = require('./routes/tools');
const { warehouseCredentials } = require('./routes/warehouse');

/**
 * The route table. A trailing slash is optional everywhere: Alation is strict
 * about it in places, but a simulator that 404s on a slash only hides the
 * real failure in a test.
 *
 * @typedef {object} Route
 * @property {import('./types').RouteName} name
 * @property {string} method
 * @property {RegExp} pattern  named groups become path parameters
 * @property {import('./context').RouteHandler} handler
 */

/** @type {readonly Route[]} */
const ROUTES = Object.freeze([
	{ name: 'oauthToken', method: 'POST', pattern: /^\/oauth\/v2\/token\/?$/, handler: oauthToken },
	{ name: 'userAuthorize', method: 'GET', pattern: /^\/oauth\/v1\/authorize\/?$/, handler: authorizePage },
	{ name: 'userAuthorize', method: 'POST', pattern: /^\/oauth\/v1\/authorize\/?$/, handler: authorizeSubmit },
	{ name: 'userToken', method: 'POST', pattern: /^\/oauth\/v1\/token\/?$/, handler: userToken },
	{ name: 'introspect', method: 'POST', pattern: /^\/oauth\/v2\/introspect\/?$/, handler: introspect },
	{ name: 'createRefreshToken', method: 'POST', pattern: /^\/integration\/v1\/createRefreshToken\/?$/, handler: createRefreshToken },
	{ name: 'createAPIAccessToken', method: 'POST', pattern: /^\/integration\/v1\/createAPIAccessToken\/?$/, handler: createAPIAccessToken },
	{ name: 'userinfo', method: 'GET', pattern: /^\/integration\/v1\/userinfo\/?$/, handler: userinfo },
	{ name: 'agentList', method: 'GET', pattern: /^\/ai\/api\/v1\/config\/agent\/?$/, handler: agentList },
	{ name: 'agentStream', method: 'POST', pattern: /^\/ai\/api\/v1\/chats\/agent\/default\/(?<ref>[^/]+)\/stream\/?$/, handler: agentStream },
	{ name: 'agentStream', method: 'POST', pattern: /^\/ai\/api\/v1\/chats\/agent\/(?<agentId>[^/]+)\/stream\/?$/, handler: agentStream },
	{ name: 'toolList', method: 'GET', pattern: /^\/ai\/api\/v1\/config\/tool\/?$/, handler: toolList },
	{ name: 'toolStream', method: 'POST', pattern: /^\/ai\/api\/v1\/chats\/tool\/default\/(?<ref>[^/]+)\/stream\/?$/, handler: toolStream },
	{ name: 'toolStream', method: 'POST', pattern: /^\/ai\/api\/v1\/chats\/tool\/(?<toolId>[^/]+)\/stream\/?$/, handler: toolStream },
	{ name: 'chatMessages', method: 'GET', pattern: /^\/ai\/api\/v1\/chats\/(?<chatId>[^/]+)\/messages\/?$/, handler: chatMessages },
	{ name: 'asset', method: 'GET', pattern: /^\/ai\/api\/v1\/assets\/(?<assetId>[^/]+)\/?$/, handler: asset },
	{ name: 'warehouseCredentials', method: 'POST', pattern: /^\/api\/v2\/auth\/credentials\/?$/, handler: warehouseCredentials },
	{ name: 'keycloakToken', method: 'POST', pattern: /^\/auth\/realms\/(?<tenant>[^/]+)\/protocol\/openid-connect\/token\/?$/, handler: keycloakToken },
	{ name: 'aiConnectionTypes', method: 'GET', pattern: /^\/dp\/api\/v1\/aiconnections\/types\/?$/, handler: aiConnectionTypes },
]);

/**
 * @param {string} method
 * @param {string} pathname
 * @returns {{ name: import('./types').RouteName, handler: import('./context').RouteHandler, params: Record<string, string> }}
 */
function matchRoute(method, pathname) {
	for (const route of ROUTES) {
		if (route.method !== method) continue;
		const match = route.pattern.exec(pathname);
		if (!match) continue;
		/** @type {Record<string, string>} */
		const params = {};
		for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = safeDecodeURIComponent(value);
		return { name: route.name, handler: route.handler, params };
	}
	return { name: 'notFound', handler: notFound, params: {} };
}

module.exports = { matchRoute };
