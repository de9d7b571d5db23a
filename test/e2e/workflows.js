// @ts-check
'use strict';

/**
 * The e2e suite's own workflows (the examples in examples/ are run too). Built in code so the
 * simulator's address and the credential ids are filled in at run time; the node parameters are the
 * ones a user would set in the editor.
 */

/**
 * @typedef {{ id: string, name: string }} CredentialRef
 * @typedef {Record<string, any>} WorkflowNode
 */

const SIM = Object.freeze({ id: 'alationSimulator', name: 'Alation API (simulator)' });
/** Webhook id of the e2e chat: POST /webhook/<id>/chat once the workflow is published. */
const CHAT_WEBHOOK_ID = '0b6f8a2e-3c1d-4e5f-8a9b-1c2d3e4f5a6b';

let counter = 0;

/**
 * @param {string} name
 * @param {string} type
 * @param {number} typeVersion
 * @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [extra]  credentials, onError…
 * @returns {WorkflowNode}
 */
function node(name, type, typeVersion, parameters, extra = {}) {
	counter += 1;
	return { id: `e2e-node-${counter}`, name, type, typeVersion, position: [counter * 220, 0], parameters, ...extra };
}

/** @param {Record<string, string[]>} edges  node → the nodes its (first) output feeds */
function connect(edges) {
	/** @type {Record<string, any>} */
	const connections = {};
	for (const [from, to] of Object.entries(edges)) {
		connections[from] = { main: [to.map((target) => ({ node: target, type: 'main', index: 0 }))] };
	}
	return connections;
}

/**
 * @param {string} id  at most 21 characters
 * @param {string} name
 * @param {WorkflowNode[]} nodes
 * @param {Record<string, any>} connections
 */
function workflow(id, name, nodes, connections) {
	return { id, name, nodes, connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

const start = () => node('Start', 'n8n-nodes-base.manualTrigger', 1, {});

/** @param {CredentialRef} ref */
const alationCredential = (ref) => ({ credentials: { alationApi: ref } });

/**
 * Agent Chat asking the catalog search agent.
 *
 * @param {string} name
 * @param {string} message
 * @param {CredentialRef} ref
 * @param {Record<string, unknown>} [options]
 * @param {Record<string, unknown>} [extra]
 */
function agentChat(name, message, ref, options = {}, extra = {}) {
	return node(
		name,
		'n8n-nodes-alation.alationAgentChat',
		1,
		{ agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message, options },
		{ ...alationCredential(ref), ...extra },
	);
}

/**
 * HTTP Request node with Authentication → Predefined Credential Type → Alation API.
 *
 * @param {string} name
 * @param {string} url
 * @param {CredentialRef} ref
 * @param {Record<string, unknown>} [extra]
 */
function httpWithAlationCredential(name, url, ref, extra = {}) {
	return node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{ method: 'GET', url, authentication: 'predefinedCredentialType', nodeCredentialType: 'alationApi', options: {} },
		{ ...alationCredential(ref), ...extra },
	);
}

/**
 * A node that runs as the person signed in on an Alation User Sign-In credential: the node's
 * Authentication parameter set to that credential type, as the editor sets it.
 *
 * @param {string} name
 * @param {string} type  e.g. n8n-nodes-alation.alationAgentChat
 * @param {Record<string, unknown>} parameters
 * @param {CredentialRef} ref
 */
function asSignedInUser(name, type, parameters, ref) {
	return node(name, type, 1, { authentication: 'alationOAuth2Api', ...parameters }, { credentials: { alationOAuth2Api: ref } });
}

/**
 * HTTP Request node with Authentication → Predefined Credential Type → Alation User Sign-In: n8n's own
 * OAuth2 request path signs and, on a 401, renews.
 *
 * @param {string} name
 * @param {string} url
 * @param {CredentialRef} ref
 * @param {Record<string, unknown>} [extra]
 */
function httpAsSignedInUser(name, url, ref, extra = {}) {
	return node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{ method: 'GET', url, authentication: 'predefinedCredentialType', nodeCredentialType: 'alationOAuth2Api', options: {} },
		{ credentials: { alationOAuth2Api: ref }, ...extra },
	);
}

/**
 * A Set node that outputs one item holding `list`, and a Split Out that makes one item per entry.
 *
 * @param {string} prefix
 * @param {object[]} list
 * @returns {[WorkflowNode, WorkflowNode]}
 */
function itemsFrom(prefix, list) {
	return [
		node(`${prefix} list`, 'n8n-nodes-base.set', 3.4, { mode: 'raw', jsonOutput: JSON.stringify({ list }), options: {} }),
		node(`${prefix} items`, 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'list', options: {} }),
	];
}

/** @param {number} seconds */
const wait = (seconds, name = 'Wait') => node(name, 'n8n-nodes-base.wait', 1.1, { amount: seconds, unit: 'seconds' });

/** Names of the nodes of the SSRF check's workflow, per credential: every node of the package, and n8n's HTTP Request. */
const SSRF_NODES = Object.freeze(['Token', 'Chat', 'Run Tool', 'Messages', 'Warehouse', 'HTTP']);

/**
 * Every node of the package, and n8n's HTTP Request node, with one credential; each continues on
 * failure so that every refusal is seen. Node names end in ` (<suffix>)`.
 *
 * @param {string} suffix
 * @param {string} baseUrl  the credential's base URL
 * @param {CredentialRef} ref
 * @param {string} password  the warehouse password sent (must never reach a blocked address)
 * @returns {{ nodes: WorkflowNode[], edges: Record<string, string[]> }}
 */
function everyNode(suffix, baseUrl, ref, password) {
	const name = (/** @type {string} */ n) => `${n} (${suffix})`;
	const onError = { onError: 'continueRegularOutput' };
	const nodes = [
		node(name('Token'), 'n8n-nodes-alation.alationCreateAccessToken', 1, { authentication: 'alationApi', operation: 'getAccessToken' }, { ...alationCredential(ref), ...onError }),
		agentChat(name('Chat'), 'ssrf', ref, {}, onError),
		node(name('Run Tool'), 'n8n-nodes-alation.alationRunTool', 1, { tool: { __rl: true, mode: 'id', value: 'list_data_products_tool' }, toolInput: '{"search_term": "sales"}', options: {} }, { ...alationCredential(ref), ...onError }),
		node(
			name('Messages'),
			'n8n-nodes-alation.alationAgentChat',
			1,
			{ chatOperation: 'getMessages', chatId: '={{ $json.chatId || "3f1c2b8e-6a4d-4f0e-9c1b-2d7e5a8f9b10" }}', returnAll: true },
			{ ...alationCredential(ref), ...onError },
		),
		node(name('Warehouse'), 'n8n-nodes-alation.alationSetWarehouseCredentials', 1, { dataProductId: 'ssrf_check', username: 'svc_ssrf', secretType: 'password', password }, { ...alationCredential(ref), ...onError }),
		httpWithAlationCredential(name('HTTP'), `${baseUrl}/integration/v1/userinfo/`, ref, onError),
	];
	return { nodes, edges: { [name('Chat')]: [name('Messages')] } };
}

/**
 * @param {{ url: string, creds: Record<string, CredentialRef>, questions: string[], expirySeconds: number,
 *   warehouse: { passwords: string[] }, ssrf: { allowedUrl: string }, signIn: { waitSeconds: number, items: number } }} p
 */
function e2eWorkflows(p) {
	const { url, creds } = p;
	const blocked = everyNode('blocked', url, creds.ssrfBlocked, p.warehouse.passwords[0]);
	const allowed = everyNode('allowed', p.ssrf.allowedUrl, creds.ssrfAllowed, p.warehouse.passwords[1]);
	const userinfo = `${url}/integration/v1/userinfo/`;

	const [questionsList, questionsItems] = itemsFrom('Questions', p.questions.map((question) => ({ question })));
	const [cofQuestions, cofQuestionItems] = itemsFrom('Mixed questions', [{ question: 'first' }, { question: '__error_500__' }, { question: 'third' }]);
	const [cofProducts, cofProductItems] = itemsFrom('Mixed products', [
		{ dataProductId: 'cof_ok_one', username: 'svc_one', password: p.warehouse.passwords[0] },
		{ dataProductId: 'missing_two', username: 'svc_two', password: p.warehouse.passwords[1] },
		{ dataProductId: 'forbidden_three', username: 'svc_three', password: p.warehouse.passwords[2] },
		{ dataProductId: 'cof_ok_four', username: 'svc_four', password: p.warehouse.passwords[3] },
	]);

	const [doorItems, doorItemList] = itemsFrom('Failing requests', [0, 1, 2, 3, 4].map((i) => ({ i })));
	const [refreshItems, refreshItemList] = itemsFrom('Refresh-token questions', [0, 1, 2, 3, 4].map((i) => ({ question: `refresh ${i}` })));
	const [signInItems, signInItemList] = itemsFrom('Ada questions', Array.from({ length: p.signIn.items }, (_, i) => ({ question: `Who am I? (${i})` })));
	const byId = (/** @type {string} */ value) => ({ __rl: true, mode: 'id', value });

	return [
		workflow(
			'e2eDoors',
			'e2e: failing requests through the HTTP Request node',
			[
				start(),
				doorItems,
				doorItemList,
				httpWithAlationCredential('HTTP 404', `={{ "${url}/integration/v1/no-such-endpoint/" + $json.i }}`, creds.doors, { onError: 'continueRegularOutput' }),
				httpWithAlationCredential('HTTP 500', `${url}/ai/api/v1/config/agent`, creds.doors, { onError: 'continueRegularOutput' }),
			],
			connect({ Start: [doorItems.name], [doorItems.name]: [doorItemList.name], [doorItemList.name]: ['HTTP 404'], 'HTTP 404': ['HTTP 500'] }),
		),
		workflow(
			'e2eRefreshChat',
			'e2e: Agent Chat with a refresh-token credential',
			[start(), refreshItems, refreshItemList, agentChat('Chat (refresh token)', '={{ $json.question }}', creds.refresh, {}, { onError: 'continueRegularOutput' })],
			connect({ Start: [refreshItems.name], [refreshItems.name]: [refreshItemList.name], [refreshItemList.name]: ['Chat (refresh token)'] }),
		),
		workflow(
			'e2eRedirect',
			'e2e: a redirecting token endpoint',
			[start(), httpWithAlationCredential('HTTP (redirect)', userinfo, creds.redirect, { onError: 'continueRegularOutput' })],
			connect({ Start: ['HTTP (redirect)'] }),
		),
		workflow(
			'e2eLoad',
			'e2e: every node and credential type loads',
			[
				start(),
				node('Token (Alation)', 'n8n-nodes-alation.alationCreateAccessToken', 1, { authentication: 'alationApi', operation: 'getAccessToken' }, alationCredential(SIM)),
				node(
					'Token (DataClarity)',
					'n8n-nodes-alation.alationCreateAccessToken',
					1,
					{ authentication: 'dataClarityApi', operation: 'getAccessToken' },
					{ credentials: { dataClarityApi: creds.dataClarity } },
				),
				node(
					'Warehouse',
					'n8n-nodes-alation.alationSetWarehouseCredentials',
					1,
					{ dataProductId: 'load_check', username: 'svc_load', secretType: 'password', password: p.warehouse.passwords[4] },
					alationCredential(SIM),
				),
				agentChat('Chat', 'ping', SIM),
				node(
					'Run Tool',
					'n8n-nodes-alation.alationRunTool',
					1,
					{ tool: { __rl: true, mode: 'id', value: 'list_data_products_tool' }, toolInput: '{"search_term": "sales"}', options: {} },
					alationCredential(SIM),
				),
				node('Messages', 'n8n-nodes-alation.alationAgentChat', 1, { chatOperation: 'getMessages', chatId: '={{ $json.chatId }}', returnAll: true }, alationCredential(SIM)),
				node(
					'Run Tool (unknown)',
					'n8n-nodes-alation.alationRunTool',
					1,
					{ tool: { __rl: true, mode: 'id', value: 'no_such_tool' }, toolInput: '{}', options: {} },
					{ ...alationCredential(SIM), onError: 'continueRegularOutput' },
				),
			],
			connect({ Start: ['Token (Alation)', 'Token (DataClarity)', 'Warehouse', 'Chat', 'Run Tool', 'Run Tool (unknown)'], Chat: ['Messages'] }),
		),
		workflow(
			'e2eItems',
			'e2e: Agent Chat over 3 items',
			[start(), questionsList, questionsItems, agentChat('Chat', '={{ $json.question }}', SIM, { concurrency: 3 })],
			connect({ Start: [questionsList.name], [questionsList.name]: [questionsItems.name], [questionsItems.name]: ['Chat'] }),
		),
		workflow(
			'e2eHttpCred',
			'e2e: HTTP Request with the Alation API credential',
			[start(), httpWithAlationCredential('HTTP (OAuth client)', userinfo, creds.httpOauth), httpWithAlationCredential('HTTP (refresh token)', userinfo, creds.refresh)],
			connect({ Start: ['HTTP (OAuth client)'], 'HTTP (OAuth client)': ['HTTP (refresh token)'] }),
		),
		workflow(
			'e2eReuse',
			'e2e: a stored token is reused by a new execution',
			[
				start(),
				httpWithAlationCredential('HTTP', userinfo, creds.httpOauth),
				agentChat('Chat', 'reuse', creds.httpOauth),
				node('Token', 'n8n-nodes-alation.alationCreateAccessToken', 1, { authentication: 'alationApi', operation: 'getAccessToken' }, alationCredential(creds.httpOauth)),
			],
			connect({ Start: ['HTTP'], HTTP: ['Chat'], Chat: ['Token'] }),
		),
		workflow(
			'e2eExpiry',
			'e2e: token expires between two agent calls',
			[start(), agentChat('Chat 1', 'before the wait', creds.expiryChat), wait(p.expirySeconds), agentChat('Chat 2', 'after the wait', creds.expiryChat)],
			connect({ Start: ['Chat 1'], 'Chat 1': ['Wait'], Wait: ['Chat 2'] }),
		),
		workflow(
			'e2eHttpExpiry',
			'e2e: HTTP Request, token expiring',
			[start(), httpWithAlationCredential('HTTP 1', userinfo, creds.expiryHttp), wait(p.expirySeconds), httpWithAlationCredential('HTTP 2', userinfo, creds.expiryHttp)],
			connect({ Start: ['HTTP 1'], 'HTTP 1': ['Wait'], Wait: ['HTTP 2'] }),
		),
		workflow(
			'e2eContinue',
			'e2e: Continue On Fail',
			[
				start(),
				cofQuestions,
				cofQuestionItems,
				agentChat('Chat (continue)', '={{ $json.question }}', SIM, {}, { onError: 'continueRegularOutput' }),
				agentChat('Chat (error output)', '={{ $json.question }}', SIM, {}, { onError: 'continueErrorOutput' }),
				cofProducts,
				cofProductItems,
				node(
					'Warehouse (continue)',
					'n8n-nodes-alation.alationSetWarehouseCredentials',
					1,
					{ dataProductId: '={{ $json.dataProductId }}', username: '={{ $json.username }}', secretType: 'password', password: '={{ $json.password }}' },
					{ ...alationCredential(SIM), onError: 'continueRegularOutput' },
				),
			],
			connect({
				Start: [cofQuestions.name, cofProducts.name],
				[cofQuestions.name]: [cofQuestionItems.name],
				[cofQuestionItems.name]: ['Chat (continue)', 'Chat (error output)'],
				[cofProducts.name]: [cofProductItems.name],
				[cofProductItems.name]: ['Warehouse (continue)'],
			}),
		),
		workflow(
			'e2eChatStream',
			'e2e: public chat, streaming',
			[
				node(
					'Chat',
					'@n8n/n8n-nodes-langchain.chatTrigger',
					1.3,
					{ public: true, mode: 'webhook', options: { responseMode: 'streaming' } },
					{ webhookId: CHAT_WEBHOOK_ID },
				),
				agentChat('Agent Chat', '={{ $json.chatInput }}', SIM),
			],
			connect({ Chat: ['Agent Chat'] }),
		),
		workflow(
			'e2eBadSecret',
			'e2e: wrong client secret',
			[
				start(),
				httpWithAlationCredential('HTTP (wrong secret)', userinfo, creds.badSecret, { onError: 'continueRegularOutput' }),
				agentChat('Chat (wrong secret)', 'hello', creds.badSecret),
			],
			connect({ Start: ['HTTP (wrong secret)'], 'HTTP (wrong secret)': ['Chat (wrong secret)'] }),
		),
		workflow(
			'e2eSignIn',
			'e2e: every node as the signed-in person, across a token expiry',
			[
				start(),
				httpAsSignedInUser('Ada: userinfo', userinfo, creds.signIn),
				asSignedInUser('Ada asks', 'n8n-nodes-alation.alationAgentChat', { agent: byId('catalog_search_agent'), message: 'Who am I?', options: {} }, creds.signIn),
				asSignedInUser('Ada runs a tool', 'n8n-nodes-alation.alationRunTool', { tool: byId('list_data_products_tool'), toolInput: '{"search_term": "sales"}', options: {} }, creds.signIn),
				wait(p.signIn.waitSeconds),
				signInItems,
				signInItemList,
				asSignedInUser('Ada asks after the wait', 'n8n-nodes-alation.alationAgentChat', { agent: byId('catalog_search_agent'), message: '={{ $json.question }}', options: {} }, creds.signIn),
				httpAsSignedInUser('Ada: userinfo after the wait', userinfo, creds.signIn, { executeOnce: true }),
			],
			connect({
				Start: ['Ada: userinfo'],
				'Ada: userinfo': ['Ada asks'],
				'Ada asks': ['Ada runs a tool'],
				'Ada runs a tool': ['Wait'],
				Wait: ['Ada questions list'],
				'Ada questions list': ['Ada questions items'],
				'Ada questions items': ['Ada asks after the wait'],
				'Ada asks after the wait': ['Ada: userinfo after the wait'],
			}),
		),
		workflow(
			'e2eSsrfWarm',
			'e2e: a token stored in the credential before SSRF protection is on',
			[start(), node('Token', 'n8n-nodes-alation.alationCreateAccessToken', 1, { authentication: 'alationApi', operation: 'getAccessToken' }, alationCredential(creds.ssrfBlocked))],
			connect({ Start: ['Token'] }),
		),
		workflow(
			'e2eSsrf',
			"e2e: every node under the instance's SSRF protection",
			[start(), ...blocked.nodes, ...allowed.nodes],
			connect({
				Start: [...blocked.nodes, ...allowed.nodes].map((n) => n.name).filter((n) => !n.startsWith('Messages')),
				...blocked.edges,
				...allowed.edges,
			}),
		),
	];
}

module.exports = { e2eWorkflows, SIM, CHAT_WEBHOOK_ID, SSRF_NODES };
