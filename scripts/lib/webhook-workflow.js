// @ts-check
'use strict';

const crypto = require('node:crypto');

const { PACKAGE } = require('./package');

/**
 * An n8n Webhook node taking POSTs on `/webhook/<webhookPath>`.
 *
 * @param {{ id: string, name: string, webhookPath: string, position: [number, number],
 *   responseMode?: 'lastNode' | 'onReceived' }} options  lastNode (default): the call is answered with the last node's output
 */
function webhookNode({ id, name, webhookPath, position, responseMode = 'lastNode' }) {
	return {
		id,
		name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position,
		webhookId: crypto.randomUUID(),
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode, options: {} },
	};
}

/**
 * Webhook (POST, answers with the last node's output) → Agent Chat asking the catalog search agent the
 * question in the request body: how the queue-mode and install suites call the package in a running n8n.
 *
 * @param {{ id?: string, name: string, webhookPath: string, credential: { id: string, name: string }, signIn?: boolean }} options
 *   signIn: the credential is an Alation User Sign-In one (Authentication → User Sign-In)
 */
function webhookAgentChatWorkflow({ id, name, webhookPath, credential, signIn = false }) {
	const auth = signIn ? 'alationOAuth2Api' : 'alationApi';
	const nodeId = (/** @type {string} */ suffix) => (id ? `${id}-${suffix}` : crypto.randomUUID());
	return {
		...(id ? { id } : {}),
		name,
		settings: { executionOrder: 'v1' },
		nodes: [
			webhookNode({ id: nodeId('webhook'), name: 'Webhook', webhookPath, position: [0, 0] }),
			{
				id: nodeId('chat'),
				name: 'Agent Chat',
				type: `${PACKAGE.name}.alationAgentChat`,
				typeVersion: 1,
				position: [220, 0],
				parameters: { authentication: auth, agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: '={{ $json.body.question }}', options: {} },
				credentials: { [auth]: credential },
			},
		],
		connections: { Webhook: { main: [[{ node: 'Agent Chat', type: 'main', index: 0 }]] } },
	};
}

module.exports = { webhookAgentChatWorkflow, webhookNode };
