#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run test:e2e [-- --json --outputFile=<file>] [--keep]`: this package in a real n8n (2.41.1 on
 * Node 24, installed on first use; N8N_VERSION=1.123.81 tests n8n 1.x on the machine's Node 20 with
 * N8N_EXPRESSION_ENGINE=legacy, see scripts/lib/install-n8n.js), against the loopback Alation
 * simulator. Every check is one or more real `n8n execute` runs of workflows that use the package as
 * users do: the packed tarball installed into a fresh n8n user folder's .n8n/nodes, credentials and
 * workflows imported with the n8n CLI. Prints a summary table (with the token mints and 401s the
 * simulator counted per check) and, with --json, writes results in jest's --json shape for .ci/run's
 * summary. The last line names the n8n version and the Node that ran it.
 */

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { forSimulator, loadExamples, SIMULATOR_CREDENTIAL, signInSimulatorCredential, simulatorCredential } = require('../../scripts/lib/examples');
const { argValue } = require('../../scripts/lib/args');
const { ensureN8n } = require('../../scripts/lib/install-n8n');
const { freshFolder, prepareInstance } = require('../../scripts/lib/instance');
const { formatDuration, info, step } = require('../../scripts/lib/log');
const { activateWorkflow, freePort } = require('../../scripts/lib/n8n');
const { PACKAGE } = require('../../scripts/lib/package');
const { WORK_ROOT } = require('../../scripts/lib/paths');
const { onCleanup, runCleanups, stopAll } = require('../../scripts/lib/proc');
const { connectAccount } = require('../../scripts/lib/oauth-connect');
const { login, startServer } = require('../../scripts/lib/server');
const { itemsOf } = require('../../scripts/lib/run-data');
const { startLocalSimulator } = require('../../scripts/lib/simulator');
const { FOLLOW_UP, fakeModelCredential, startFakeModel, withFakeModel } = require('../../scripts/lib/fake-model');
const { answerText, DEMO } = require('../simulator');
const { crashResults, scanForSecrets, writeResults } = require('../../scripts/lib/report');
const { Harness } = require('./harness');
const { descriptionsFromServed, loadDescriptions, validateExample } = require('./validate-examples');
const { CHAT_WEBHOOK_ID, e2eWorkflows, SSRF_NODES } = require('./workflows');

/** The whole suite, first n8n install excluded, must finish in this time. */
const SUITE_TIMEOUT_MS = 15 * 60 * 1000;
/** Token lifetime for the expiry checks, and the Wait between the calls (longer). */
const SHORT_LIFETIME_S = 4;
const WAIT_S = 6;
/** User sign-in: the access token's lifetime (the package renews 5 s early), a Wait longer than it, and the items asking after it. */
const SIGN_IN_LIFETIME_S = 20;
const SIGN_IN_WAIT_S = 22;
const SIGN_IN_ITEMS = 5;
/** Example 04's Chat Trigger. */
const EXAMPLE_04_WEBHOOK_ID = 'a4f9ff02-fd32-46e5-a95d-3309c877ea48';
/** Example 06's Chat Trigger. */
const EXAMPLE_06_WEBHOOK_ID = '6289ddc2-de06-4469-9159-c7b3bd8b68ee';
const [ADA] = DEMO.oauthUsers;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (argValue(args, '--outputFile') ?? path.join('.ci-results', 'e2e.json')) : argValue(args, '--outputFile');
const keep = args.includes('--keep') || process.env.E2E_KEEP === '1';

/** A random secret for an extra OAuth client of the simulator (scanned for like the demo ones). */
const secret = () => `e2e-${crypto.randomBytes(12).toString('hex')}`;

/**
 * Example 04's chat is the editor's (its Chat Trigger is not public); the suite talks to it over the
 * hosted chat's webhook, as a public chat would. Changes the workflow in place.
 *
 * @template {{ id: string, nodes: Array<Record<string, any>> }} W
 * @param {W} workflow
 * @returns {W}
 */
function publicChat(workflow) {
	if (workflow.id !== 'alationAiAgentTool' && workflow.id !== 'alationAiAgentRunTool') return workflow;
	for (const n of workflow.nodes) {
		if (n.type === '@n8n/n8n-nodes-langchain.chatTrigger') n.parameters = { ...n.parameters, public: true, mode: 'webhook' };
	}
	return workflow;
}

/**
 * Sends one message to a published Chat Trigger in streaming mode and reads the chunks it streams back.
 *
 * @param {string} base
 * @param {string} webhookId
 * @param {string} sessionId
 * @param {string} text
 */
async function chatTurn(base, webhookId, sessionId, text) {
	const started = Date.now();
	const response = await fetch(`${base}/webhook/${webhookId}/chat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ action: 'sendMessage', sessionId, chatInput: text }),
		signal: AbortSignal.timeout(90000),
	});
	assert.equal(response.status, 200);
	/** @type {Array<{ at: number, chunk: Record<string, any> }>} */
	const chunks = [];
	let buffered = '';
	const decoder = new TextDecoder();
	for await (const bytes of /** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (response.body))) {
		buffered += decoder.decode(bytes, { stream: true });
		const lines = buffered.split('\n');
		buffered = lines.pop() ?? '';
		for (const line of lines) if (line.trim()) chunks.push({ at: Date.now() - started, chunk: JSON.parse(line) });
	}
	return chunks;
}

async function main() {
	const startTime = Date.now();
	info(`${PACKAGE.name} end-to-end suite: the package in a real n8n, against the Alation simulator\n`);
	const runtime = await ensureN8n();
	/** Which n8n and which Node ran the checks (n8n 1.x runs on the machine's Node, see install-n8n.js). */
	const ranOn = `n8n ${runtime.version} on Node ${runtime.nodeVersion}${Object.entries(runtime.env)
		.map(([k, v]) => ` with ${k}=${v}`)
		.join('')}`;
	const suiteStarted = Date.now();
	const watchdog = setTimeout(() => {
		process.stderr.write(`\nThe e2e suite did not finish within ${formatDuration(SUITE_TIMEOUT_MS)}: stopping.\n`);
		void stopAll(3000).then(runCleanups).finally(() => process.exit(1));
	}, SUITE_TIMEOUT_MS);
	watchdog.unref();

	// OAuth clients of their own for the checks that count tokens: Alation invalidates a client's
	// previous token on every mint, so sharing one client between checks would mix their counts.
	const clients = {
		httpOauth: { clientId: 'e2e-http', clientSecret: secret() },
		expiryChat: { clientId: 'e2e-expiry-chat', clientSecret: secret() },
		expiryHttp: { clientId: 'e2e-expiry-http', clientSecret: secret() },
		doors: { clientId: 'e2e-doors', clientSecret: secret() },
		redirect: { clientId: 'e2e-redirect', clientSecret: secret() },
		ssrfBlocked: { clientId: 'e2e-ssrf-blocked', clientSecret: secret() },
		ssrfAllowed: { clientId: 'e2e-ssrf-allowed', clientSecret: secret() },
	};
	const badSecret = secret();
	const sim = await startLocalSimulator({
		oauthClients: { [DEMO.clientId]: DEMO.clientSecret, ...Object.fromEntries(Object.values(clients).map((c) => [c.clientId, c.clientSecret])) },
	});
	info(`Alation simulator on ${sim.url}`);
	// The SSRF check's allowed address: a second simulator on 127.0.0.2 (loopback too, so blocked by
	// n8n's `default` list unless allowed), while the first one, on 127.0.0.1, stays blocked.
	const allowedSim = await startLocalSimulator({ host: '127.0.0.2', oauthClients: { [clients.ssrfAllowed.clientId]: clients.ssrfAllowed.clientSecret } });
	// Example 04's AI Agent needs a chat model: an OpenAI-compatible one on loopback (scripts/lib/fake-model.js).
	const model = await startFakeModel();
	onCleanup(() => model.close());

	/** Every secret that must never appear in any output of n8n. */
	const secrets = [
		DEMO.clientSecret,
		DEMO.refreshToken,
		DEMO.password,
		DEMO.keycloakClientSecret,
		DEMO.keycloakPassword,
		DEMO.userOauthClientSecret,
		badSecret,
		...Object.values(clients).map((c) => c.clientSecret),
	];
	const warehousePasswords = Array.from({ length: 5 }, (_, i) => `wh-password-${i}-${crypto.randomBytes(6).toString('hex')}`);

	const oauth = (/** @type {string} */ id, /** @type {string} */ name, /** @type {{ clientId: string, clientSecret: string }} */ client) => ({
		id,
		name,
		type: 'alationApi',
		data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: client.clientId, clientSecret: client.clientSecret },
	});
	const credentials = [
		simulatorCredential(sim.url, DEMO),
		signInSimulatorCredential(sim.url, DEMO),
		oauth('e2eHttpOauth', 'e2e Alation (HTTP, OAuth)', clients.httpOauth),
		oauth('e2eExpiryChat', 'e2e Alation (expiry, agent)', clients.expiryChat),
		oauth('e2eExpiryHttp', 'e2e Alation (expiry, HTTP)', clients.expiryHttp),
		oauth('e2eBadSecret', 'e2e Alation (wrong secret)', { clientId: DEMO.clientId, clientSecret: badSecret }),
		oauth('e2eDoors', 'e2e Alation (doors)', clients.doors),
		oauth('e2eRedirect', 'e2e Alation (redirect)', clients.redirect),
		oauth('e2eSsrfBlocked', 'e2e Alation (SSRF: blocked address)', clients.ssrfBlocked),
		{ ...oauth('e2eSsrfAllowed', 'e2e Alation (SSRF: allowed address)', clients.ssrfAllowed), data: { ...oauth('', '', clients.ssrfAllowed).data, baseUrl: allowedSim.url } },
		{
			id: 'e2eRefresh',
			name: 'e2e Alation (refresh token)',
			type: 'alationApi',
			data: { baseUrl: sim.url, authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken },
		},
		{
			id: 'e2eDataClarity',
			name: 'e2e DataClarity',
			type: 'dataClarityApi',
			data: { serverUrl: sim.url, tenant: DEMO.tenant, flow: 'clientCredentials', clientId: DEMO.keycloakClientId, clientSecret: DEMO.keycloakClientSecret },
		},
		{
			// Connected by "Connect my account" (check 11f) before it is used (check 12).
			id: 'e2eSignIn',
			name: 'e2e Alation (user sign-in)',
			type: 'alationOAuth2Api',
			data: { baseUrl: sim.url, clientId: DEMO.userOauthClientId, clientSecret: DEMO.userOauthClientSecret },
		},
		fakeModelCredential(model.url),
	];
	/** @param {string} id */
	const ref = (id) => {
		const c = credentials.find((x) => x.id === id);
		if (!c) throw new Error(`no credential ${id}`);
		return { id: c.id, name: c.name };
	};

	const questions = ['Which tables hold revenue?', 'Où sont les clients ?', 'List the owners of sales data'];
	const examples = loadExamples();
	const workflows = [
		...examples.map((example) => publicChat(withFakeModel(forSimulator(example.workflow, sim.url)))),
		...e2eWorkflows({
			url: sim.url,
			questions,
			expirySeconds: WAIT_S,
			warehouse: { passwords: warehousePasswords },
			ssrf: { allowedUrl: allowedSim.url },
			signIn: { waitSeconds: SIGN_IN_WAIT_S, items: SIGN_IN_ITEMS },
			creds: {
				signIn: ref('e2eSignIn'),
				httpOauth: ref('e2eHttpOauth'),
				refresh: ref('e2eRefresh'),
				dataClarity: ref('e2eDataClarity'),
				expiryChat: ref('e2eExpiryChat'),
				expiryHttp: ref('e2eExpiryHttp'),
				badSecret: ref('e2eBadSecret'),
				doors: ref('e2eDoors'),
				redirect: ref('e2eRedirect'),
				ssrfBlocked: ref('e2eSsrfBlocked'),
				ssrfAllowed: ref('e2eSsrfAllowed'),
			},
		}),
	];

	const workDir = freshFolder(WORK_ROOT, 'e2e');
	const userFolder = path.join(workDir, 'n8n');
	let passed = false;
	onCleanup(() => {
		if (passed && !keep) fs.rmSync(workDir, { recursive: true, force: true });
	});

	const setupStarted = Date.now();
	/** @type {Array<{ label: string, text: string }>} */
	const setupOutputs = [];
	const ctx = await prepareInstance({
		runtime,
		userFolder,
		credentials,
		workflows,
		onOutput: (label, text) => setupOutputs.push({ label, text }),
	});
	info(`  set-up took ${formatDuration(Date.now() - setupStarted)}`);
	const h = new Harness({ ctx, sim, outputDir: path.join(workDir, 'outputs') });
	for (const o of setupOutputs) h.record(o.label, o.text);

	step(`Checks (each "n8n execute" starts a fresh n8n process)`);

	// 1. The package loads: each node type and both credential types work in one workflow.
	await h.check('every node and credential type loads (4 nodes, 2 credentials)', async () => {
		const run = await h.executeOk('e2eLoad');
		const alation = itemsOf(run, 'Token (Alation)')[0].json;
		assert.equal(alation.headerName, 'Authorization');
		assert.ok(typeof alation.accessToken === 'string' && alation.accessToken.length > 0, 'Alation token output');
		const dataClarity = itemsOf(run, 'Token (DataClarity)')[0].json;
		assert.equal(dataClarity.tokenType, 'Bearer');
		const warehouse = itemsOf(run, 'Warehouse')[0].json;
		assert.equal(warehouse.configured, true);
		assert.ok(!JSON.stringify(warehouse).includes(warehousePasswords[4]), 'warehouse password in the output');
		const chat = itemsOf(run, 'Chat')[0].json;
		assert.equal(chat.answer, answerText('ping', 'Catalog Search Agent', 1));
		const tool = itemsOf(run, 'Run Tool')[0].json;
		assert.equal(tool.tool, 'list_data_products_tool');
		assert.equal(tool.status, 'completed');
		const products = /** @type {{ results?: Array<{ product_id?: string }> }} */ (tool.result).results ?? [];
		assert.ok(products.length > 0 && products.every((p) => typeof p.product_id === 'string'), `Run Tool result parsed: ${JSON.stringify(tool.result).slice(0, 200)}`);
		const messages = itemsOf(run, 'Messages').map((i) => i.json);
		assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant'], 'Get Messages: the question and the answer of the Chat node\'s chat');
		assert.equal(messages[1].text, chat.answer);
		const unknown = itemsOf(run, 'Run Tool (unknown)')[0].json;
		assert.match(String(unknown.error), /404/, `an unknown tool: ${JSON.stringify(unknown).slice(0, 300)}`);
		assert.match(JSON.stringify(unknown.details ?? unknown.message ?? ''), /Tool or chat not found/);
		return `loaded from .n8n/nodes as ${PACKAGE.name}.*; Run Tool → ${products.length} data products, an unknown tool → "${String(unknown.error).slice(0, 80)}"; Get Messages → ${messages.length} messages; ${ranOn}`;
	});

	// 2. Agent Chat over 3 items: exact answers in input order, pairedItem, a chat per item.
	await h.check('Agent Chat over 3 items (answers, order, pairedItem, chatId)', async () => {
		const run = await h.executeOk('e2eItems');
		const items = itemsOf(run, 'Chat');
		assert.equal(items.length, 3);
		assert.deepEqual(
			items.map((i) => i.json.answer),
			questions.map((q) => answerText(q, 'Catalog Search Agent', 1)),
		);
		assert.deepEqual(
			items.map((i) => i.pairedItem),
			[{ item: 0 }, { item: 1 }, { item: 2 }],
		);
		for (const item of items) assert.match(String(item.json.chatId), UUID);
		assert.equal(new Set(items.map((i) => i.json.chatId)).size, 3, 'one chat per item');
		assert.ok(items.every((i) => i.json.status === 'completed'));
		return 'concurrency 3, answers in input order';
	});

	// 3. Multi-turn (example 02): the second question continues the chat of the first.
	await h.check('multi-turn chat → IF → Set (examples/02)', async () => {
		const since = Date.now();
		const run = await h.executeOk('alationMultiTurn');
		const first = itemsOf(run, 'Ask')[0].json;
		const second = itemsOf(run, 'Follow up')[0].json;
		assert.equal(first.answer, answerText('Which tables hold customer revenue?', 'Catalog Search Agent', 1));
		assert.equal(second.answer, answerText('Who owns the largest of them?', 'Catalog Search Agent', 2));
		assert.equal(second.chatId, first.chatId);
		const streams = sim.requestLog.filter((r) => r.at >= since && r.path.endsWith('/stream'));
		assert.equal(streams.length, 2);
		assert.equal(streams[1].query.chat_id, first.chatId, 'turn 2 sent ?chat_id=');
		const summary = itemsOf(run, 'Summary');
		assert.equal(summary.length, 1, 'IF took the "true" branch');
		assert.equal(summary[0].json.followUp, second.answer);
		assert.equal(run.data.resultData.runData['Needs attention'], undefined);
		return 'turn 2 in the same chat';
	});

	// 4. n8n's HTTP Request node with Predefined Credential Type = Alation API: n8n calls the
	// credential's preAuthentication, stores the token and sends it (Bearer / TOKEN header).
	await h.check('HTTP Request + predefined credential alationApi (OAuth and refresh token)', async () => {
		const since = Date.now();
		const run = await h.executeOk('e2eHttpCred');
		const oauthUser = itemsOf(run, 'HTTP (OAuth client)')[0].json;
		assert.match(String(oauthUser.display_name), /e2e-http/);
		const refreshUser = itemsOf(run, 'HTTP (refresh token)')[0].json;
		assert.equal(refreshUser.id, DEMO.userId);
		const calls = sim.requestLog.filter((r) => r.at >= since && r.path.startsWith('/integration/v1/userinfo'));
		assert.equal(calls.length, 2);
		assert.equal(calls[0].headers.authorization, '[present]', 'OAuth: Authorization header');
		assert.equal(calls[1].headers.token, '[present]', 'refresh token: TOKEN header');
		return 'token fetched by preAuthentication in n8n; Bearer and TOKEN headers';
	});

	// 4b. A new execution (a new n8n process here) reuses the token n8n stored in the credential in
	// check 4, on n8n's request path and in the nodes' own path (they seed their cache from it).
	await h.check('a new execution reuses the token stored in the credential', async () => {
		const mintsBefore = sim.counters.tokensMinted;
		const run = await h.executeOk('e2eReuse');
		assert.match(String(itemsOf(run, 'HTTP')[0].json.display_name), /e2e-http/);
		assert.equal(itemsOf(run, 'Chat')[0].json.answer, answerText('reuse', 'Catalog Search Agent', 1));
		const token = itemsOf(run, 'Token')[0].json;
		assert.equal(sim.counters.tokensMinted - mintsBefore, 0, 'no new token: HTTP Request, Agent Chat and Create Access Token use the stored one');
		return `HTTP Request, Agent Chat, Create Access Token: 0 mints (token valid until ${String(token.expiresAt)})`;
	});

	// 5. Example 01: Create Access Token chained into an HTTP Request node using its header.
	await h.check('Create Access Token → HTTP Request (examples/01)', async () => {
		const run = await h.executeOk('alationScheduledJob');
		const token = itemsOf(run, 'Create Access Token')[0].json;
		assert.equal(token.tokenType, 'Bearer');
		assert.equal(token.headerName, 'Authorization');
		assert.ok(Date.parse(String(token.expiresAt)) > Date.now(), 'expiresAt in the future');
		assert.ok(Number(token.expiresIn) > 0);
		const result = itemsOf(run, 'Result')[0].json;
		assert.equal(result.user, `OAuth client ${DEMO.clientId}`);
		assert.equal(result.tokenExpiresAt, token.expiresAt);
		return `token valid ${String(token.expiresIn)} s; userinfo as ${String(result.user)}`;
	});

	// 6. Example 05: warehouse credentials for three data products, then the SQL agent per product.
	await h.check('Set Warehouse Credentials ×3 → SQL agent (examples/05)', async () => {
		const since = Date.now();
		const run = await h.executeOk('alationWarehouseSql');
		const set = itemsOf(run, 'Set Warehouse Credentials');
		const ids = ['sales_orders', 'marketing_leads', 'finance_ledger'];
		assert.deepEqual(
			set.map((i) => i.json.dataProductId),
			ids,
		);
		assert.ok(set.every((i) => i.json.configured === true && i.json.httpStatus === 201));
		assert.deepEqual(
			set.map((i) => i.pairedItem),
			[{ item: 0 }, { item: 1 }, { item: 2 }],
		);
		assert.ok(!/change-me-/.test(JSON.stringify(set)), 'a warehouse password in the node output');
		for (const id of ids) assert.ok(sim.warehouseCredentials.some((c) => c.dp_id === id && c.auth_type === 'basic'), `simulator has ${id}`);
		const answers = itemsOf(run, 'Ask the SQL agent');
		assert.deepEqual(
			answers.map((i) => i.json.answer),
			ids.map((id) => answerText(`How many rows were added to ${id} last week?`, 'SQL Query Agent', 1)),
		);
		assert.ok(answers.every((i) => Array.isArray(i.json.toolCalls) && i.json.toolCalls[0]?.name === 'sql_execution_tool'));
		const bodies = sim.requestLog.filter((r) => r.at >= since && r.path.endsWith('/stream')).map((r) => JSON.parse(r.body));
		assert.deepEqual(
			bodies.map((b) => b.data_product_id),
			ids,
		);
		return '3 data products configured, no password in the output';
	});

	// 7. A token that expires during a Wait, between two Agent Chat nodes of one execution.
	await h.check(`token expires during a Wait (${WAIT_S} s > lifetime ${SHORT_LIFETIME_S} s) between 2 Agent Chats`, async () => {
		sim.options.tokenLifetimeSeconds = SHORT_LIFETIME_S;
		try {
			const oauthBefore = sim.counters.oauthMints;
			const run = await h.executeOk('e2eExpiry');
			assert.equal(itemsOf(run, 'Chat 1')[0].json.answer, answerText('before the wait', 'Catalog Search Agent', 1));
			assert.equal(itemsOf(run, 'Chat 2')[0].json.answer, answerText('after the wait', 'Catalog Search Agent', 1));
			return `both calls succeeded; OAuth mints ${sim.counters.oauthMints - oauthBefore} (expected 2)`;
		} finally {
			sim.options.tokenLifetimeSeconds = 3600;
		}
	});

	// 8. n8n's own request path across two executions further apart than the token lifetime.
	await h.check(`HTTP Request (alationApi) in 2 executions, token lifetime ${SHORT_LIFETIME_S} s, Wait ${WAIT_S} s`, async () => {
		sim.options.tokenLifetimeSeconds = SHORT_LIFETIME_S;
		try {
			/** @type {string[]} */
			const perRun = [];
			for (let i = 1; i <= 2; i += 1) {
				const before = { mints: sim.counters.oauthMints, refused: sim.counters.unauthorized };
				if (i === 2) await new Promise((resolve) => setTimeout(resolve, (WAIT_S + 1) * 1000)); // the stored token expires
				const run = await h.executeOk('e2eHttpExpiry');
				for (const name of ['HTTP 1', 'HTTP 2']) assert.match(String(itemsOf(run, name)[0].json.display_name), /e2e-expiry-http/);
				perRun.push(`run ${i}: ${sim.counters.oauthMints - before.mints} mints, ${sim.counters.unauthorized - before.refused}×401`);
			}
			return `4 calls succeeded; ${perRun.join('; ')}`;
		} finally {
			sim.options.tokenLifetimeSeconds = 3600;
		}
	});

	// 9. Continue On Fail, over failing and passing items, in both "continue" modes (one execution;
	// 9b reads the error-output half of it).
	/** @type {import('../../scripts/lib/run-data').RunData | null} */
	let continueRun = null;
	await h.check('Continue On Fail over failing and passing items', async () => {
		const run = await h.executeOk('e2eContinue');
		continueRun = run;
		const chat = itemsOf(run, 'Chat (continue)');
		assert.equal(chat.length, 3);
		assert.equal(chat[0].json.answer, answerText('first', 'Catalog Search Agent', 1));
		assert.equal(chat[2].json.answer, answerText('third', 'Catalog Search Agent', 1));
		assert.equal(typeof chat[1].json.error, 'string', 'item 1 carries the error');
		assert.equal(String(chat[1].json.details?.httpCode), '500');
		assert.deepEqual(
			chat.map((i) => i.pairedItem),
			[{ item: 0 }, { item: 1 }, { item: 2 }],
		);

		const warehouse = itemsOf(run, 'Warehouse (continue)');
		assert.equal(warehouse.length, 4);
		assert.equal(warehouse[0].json.configured, true);
		assert.equal(warehouse[3].json.configured, true);
		assert.equal(String(warehouse[1].json.details?.httpCode), '404');
		assert.equal(String(warehouse[2].json.details?.httpCode), '403');
		assert.equal(warehouse[1].json.details?.dataProductId, 'missing_two', 'the error item names its data product');
		const text = JSON.stringify(warehouse);
		for (const password of warehousePasswords.slice(0, 4)) assert.ok(!text.includes(password), 'a warehouse password in the node output');
		return `agent 500 → error item; warehouse 404/403 → error items`;
	});

	// 9b. "Continue (using error output)": n8n moves an item to the error output by the shape of its
	// JSON. n8n 2.x accepts { error, message, details }; n8n 1.x (n8n-core WorkflowExecute
	// .handleNodeErrorOutput) only { error } or { error, message } — the package writes that shape
	// there (nodes/shared/items.ts errorItemShape). Found by this check on 1.123.81.
	await h.check('Continue (using error output): the failed item goes to the error output', async () => {
		if (!continueRun) throw new Error('the execution of check 9 failed');
		const ok = itemsOf(continueRun, 'Chat (error output)', { output: 0 });
		const failed = itemsOf(continueRun, 'Chat (error output)', { output: 1 });
		const misrouted = ok.filter((i) => i.json.error !== undefined);
		if (misrouted.length > 0) {
			const keys = Object.keys(misrouted[0].json).join(', ');
			throw new Error(`failed item on the success output: item ${JSON.stringify(misrouted[0].pairedItem)} with JSON { ${keys} }; error output: ${failed.length} items`);
		}
		assert.deepEqual(
			ok.map((i) => i.pairedItem),
			[{ item: 0 }, { item: 2 }],
		);
		assert.equal(failed.length, 1);
		assert.deepEqual(failed[0].pairedItem, { item: 1 });
		assert.match(String(failed[0].json.error), /500/);
		return `error output gets item 1 as { ${Object.keys(failed[0].json).join(', ')} }, success output items 0 and 2 (run of check 9)`;
	});

	// 10. A wrong client secret: a clear error, from the node and from n8n's own request path.
	/** @type {string} */
	let badMessage = '';
	await h.check('wrong client secret → clear error', async () => {
		const since = Date.now();
		const execution = await h.execute('e2eBadSecret');
		assert.notEqual(execution.code, 0, 'the execution fails');
		assert.ok(execution.run, 'run data of the failed execution');
		const error = execution.run.data.resultData.error;
		assert.ok(error, 'the execution has an error');
		badMessage = String(error.message);
		assert.match(badMessage, /401/);
		assert.match(`${badMessage} ${String(error.description)}`, /Client Secret/i);
		assert.equal(execution.run.data.resultData.lastNodeExecuted, 'Chat (wrong secret)');
		const http = itemsOf(execution.run, 'HTTP (wrong secret)')[0].json;
		const httpMessage = JSON.stringify(http.error);
		assert.match(httpMessage, /Client Secret/i, 'HTTP Request node (preAuthentication) error names the client secret');
		// Token requests per node, from the simulator's log and the nodes' start times.
		const chatStarted = execution.run.data.resultData.runData['Chat (wrong secret)']?.[0]?.startTime ?? Infinity;
		const tokenCalls = sim.requestLog.filter((r) => r.at >= since && r.path.startsWith('/oauth/v2/token'));
		const byHttp = tokenCalls.filter((r) => r.at < chatStarted).length;
		return `"${badMessage}"; token requests: HTTP node ${byHttp}, Agent Chat ${tokenCalls.length - byHttp}`;
	});

	// 10b. The doors n8n opens into the credential (nodes/shared/credentialDoors.ts). The HTTP Request node uses
	// n8n's older requestWithAuthentication, which calls preAuthentication after *any* error: five
	// 404s and five 500s must cost no mint (only the credential's first token) and no second request.
	await h.check('HTTP Request: five 404s and five 500s → no extra mint, each request sent once', async () => {
		const since = Date.now();
		const mintsBefore = sim.counters.oauthMints;
		const removeFault = sim.faults.add({ route: 'agentList', status: 500, times: 5 });
		try {
			const run = await h.executeOk('e2eDoors');
			const failed404 = itemsOf(run, 'HTTP 404').filter((i) => i.json.error !== undefined).length;
			const failed500 = itemsOf(run, 'HTTP 500').filter((i) => i.json.error !== undefined).length;
			assert.equal(failed404, 5, 'five 404 error items');
			assert.equal(failed500, 5, 'five 500 error items');
			const log = sim.requestLog.filter((r) => r.at >= since);
			const sent404 = log.filter((r) => r.path.startsWith('/integration/v1/no-such-endpoint/')).length;
			const sent500 = log.filter((r) => r.path === '/ai/api/v1/config/agent').length;
			const checks = log.filter((r) => r.path.startsWith('/integration/v1/userinfo')).length;
			const mints = sim.counters.oauthMints - mintsBefore;
			assert.equal(sent404, 5, 'each 404 request sent once');
			assert.equal(sent500, 5, 'each 500 request sent once');
			assert.equal(mints, 1, 'one mint: the credential\'s first token, none for the failures');
			return `${sent404} + ${sent500} requests, ${mints} mint (the first token), ${checks} token checks, 0 resent`;
		} finally {
			removeFault();
		}
	});

	// 10c. A 401 a new token cannot cure: Agent Studio refuses a refresh-token credential's TOKEN header.
	await h.check('Agent Chat with a refresh-token credential over 5 items → ≤ 2 mints, a clear error per item', async () => {
		const mintsBefore = sim.counters.apiAccessTokenMints;
		const run = await h.executeOk('e2eRefreshChat');
		const items = itemsOf(run, 'Chat (refresh token)');
		assert.equal(items.length, 5);
		for (const item of items) {
			assert.match(JSON.stringify(item.json), /401/);
			assert.match(JSON.stringify(item.json), /OAuth Client Credentials/);
		}
		const mints = sim.counters.apiAccessTokenMints - mintsBefore;
		assert.ok(mints <= 2, `${mints} API access token mints`);
		return `${mints} mint(s) for 5 items; "${String(items[0].json.error).slice(0, 100)}…"`;
	});

	// 10d. A token endpoint that redirects to another origin: the form (with the secret) is not re-posted there.
	await h.check('a redirecting token endpoint → the secret never reaches the other origin', async () => {
		/** @type {string[]} */
		const received = [];
		const other = http.createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += String(chunk)));
			req.on('end', () => {
				received.push(`${req.method} ${req.url} ${body}`);
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ access_token: 'from-the-other-origin', expires_in: 3600 }));
			});
		});
		await new Promise((resolve) => other.listen(0, '127.0.0.1', () => resolve(undefined)));
		const origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (other.address()).port}`;
		const removeFault = sim.faults.add({ route: 'oauthToken', status: 307, headers: { location: `${origin}/collect` }, times: Infinity });
		try {
			const run = await h.executeOk('e2eRedirect');
			const message = JSON.stringify(itemsOf(run, 'HTTP (redirect)')[0].json.error);
			assert.match(message, new RegExp(`redirects to ${origin.replace(/[.:/]/g, '\\$&')}`));
			assert.deepEqual(received, [], 'nothing reached the other origin');
			return `"${message.slice(0, 140)}…"; the other origin received ${received.length} requests`;
		} finally {
			removeFault();
			await new Promise((resolve) => other.close(() => resolve(undefined)));
		}
	});

	// 10b. The instance's SSRF protection (n8n 2.x: N8N_SSRF_*): a credential on a blocked address that
	// already holds a valid token, and one on an allowed address, through every node and n8n's own
	// HTTP Request node. n8n 1.x has no such protection: the same run shows the package as before.
	await h.check('SSRF protection on (default ranges blocked, 127.0.0.2 allowed): a blocked address gets 0 requests, an allowed one works with 1 mint', async () => {
		const warm = await h.executeOk('e2eSsrfWarm');
		assert.ok(typeof itemsOf(warm, 'Token')[0].json.accessToken === 'string', 'the blocked credential holds a token, stored before protection was on');
		const connectionsBefore = sim.counters.connections;
		const warehouseBefore = sim.counters.requests.warehouseCredentials;
		const allowedMintsBefore = allowedSim.counters.oauthMints;
		const run = await h.executeOk('e2eSsrf', {
			N8N_SSRF_PROTECTION_ENABLED: 'true',
			N8N_SSRF_BLOCKED_IP_RANGES: 'default',
			N8N_SSRF_ALLOWED_IP_RANGES: '127.0.0.2/32',
		});
		const reached = sim.counters.connections - connectionsBefore;
		const first = (/** @type {string} */ name) => itemsOf(run, name)[0]?.json ?? {};
		for (const n of SSRF_NODES) {
			const ok = first(`${n} (allowed)`);
			assert.equal(ok.error, undefined, `${n} on the allowed address: ${JSON.stringify(ok).slice(0, 300)}`);
		}
		assert.equal(allowedSim.counters.oauthMints - allowedMintsBefore, 1, 'one mint for every node on the allowed address');
		if (runtime.major === 1) {
			// n8n 1.x: no egress filter for nodes, and no SSRF settings: requests go out as before.
			assert.ok(reached > 0, 'on n8n 1.x the package sends as before');
			return `n8n 1.x has no SSRF protection: the blocked-address credential was used as before (${reached} connections); the allowed one worked with 1 mint`;
		}
		for (const n of SSRF_NODES) {
			const refused = first(`${n} (blocked)`);
			// n8n's HTTP Request node keeps its error as an object; the package's nodes as { error, details }.
			const said = JSON.stringify(refused);
			assert.match(said, /127\.0\.0\.1/, `${n} names the host: ${said.slice(0, 300)}`);
			assert.match(said, n === 'HTTP' ? /restricted IP address|SSRF/ : /blocked by this n8n instance's SSRF protection/, `${n}: ${said.slice(0, 300)}`);
			if (n !== 'HTTP') assert.match(said, /N8N_SSRF_ALLOWED_HOSTNAMES|N8N_SSRF_ALLOWED_IP_RANGES/, `${n} names the setting`);
		}
		assert.equal(reached, 0, `${reached} connections reached the blocked address`);
		assert.equal(sim.counters.requests.warehouseCredentials - warehouseBefore, 0, 'the warehouse password was not delivered');
		return `blocked (127.0.0.1, a valid token held): ${SSRF_NODES.length} nodes refused, 0 connections; allowed (127.0.0.2): ${SSRF_NODES.length} nodes worked, 1 mint`;
	});

	// 11. `n8n start`, as `npm run dev` runs it: what the editor is offered, the credential's Test
	// button, and a Chat Trigger in streaming mode (published, called on its webhook) → Agent Chat.
	/** @type {Array<{ name: string }> | null} */
	let servedTypes = null;
	// n8n 2.x publishes the workflow (publish:workflow); 1.x activates it (update:workflow --active=true).
	const publish = await activateWorkflow(ctx, 'e2eChatStream');
	h.record('publish-e2eChatStream', `${publish.stdout}\n${publish.stderr}`);
	const publishAgent = await activateWorkflow(ctx, 'alationAiAgentTool');
	h.record('publish-alationAiAgentTool', `${publishAgent.stdout}\n${publishAgent.stderr}`);
	const publishRunTool = await activateWorkflow(ctx, 'alationAiAgentRunTool');
	h.record('publish-alationAiAgentRunTool', `${publishRunTool.stdout}\n${publishRunTool.stderr}`);
	/** @type {import('../../scripts/lib/server').Server | null} */
	let server = null;
	/** When "Connect my account" stored Ada's sign-in (null: not connected). */
	/** @type {number | null} */
	let signInConnectedAt = null;
	try {
		server = await startServer(ctx, { port: await freePort() });
	} catch (error) {
		await h.check('n8n start: the editor starts', async () => {
			throw error;
		});
	}
	if (server) {
		const s = server;
		const session = await login(s.base);
		await h.check('n8n start: editor offers the 4 nodes, the AI-tool variants, 3 credentials', async () => {
			const nodes = /** @type {Array<{ name: string }>} */ (await session.request('GET', '/types/nodes.json'));
			servedTypes = nodes;
			const ours = nodes.map((n) => n.name).filter((n) => n.startsWith(`${PACKAGE.name}.`)).sort();
			assert.deepEqual(ours, ['alationAgentChat', 'alationAgentChatTool', 'alationCreateAccessToken', 'alationRunTool', 'alationRunToolTool', 'alationSetWarehouseCredentials'].map((n) => `${PACKAGE.name}.${n}`));
			const credentialTypes = /** @type {Array<{ name: string }>} */ (await session.request('GET', '/types/credentials.json')).map((c) => c.name);
			for (const name of ['alationApi', 'alationOAuth2Api', 'dataClarityApi']) assert.ok(credentialTypes.includes(name), `credential type ${name}`);
			return `${nodes.length} node types served, ours: ${ours.map((n) => n.split('.')[1]).join(', ')}`;
		});

		await h.check('Run Tool "From list", as the editor asks n8n for it: built-in and custom tools, search', async () => {
			const ask = async (/** @type {string | undefined} */ filter) =>
				/** @type {{ results: Array<{ name: string, value: string }> }} */ (
					await session.request('POST', '/rest/dynamic-node-parameters/resource-locator-results', {
						path: 'parameters.tool',
						methodName: 'searchTools',
						nodeTypeAndVersion: { name: `${PACKAGE.name}.alationRunTool`, version: 1 },
						currentNodeParameters: { tool: { __rl: true, mode: 'list', value: '' }, toolInput: '{}', options: {} },
						credentials: { alationApi: { id: SIMULATOR_CREDENTIAL.id, name: SIMULATOR_CREDENTIAL.name } },
						...(filter ? { filter } : {}),
					})
				);
			const all = await ask(undefined);
			const values = all.results.map((r) => r.value);
			for (const ref of ['alation_context_tool', 'list_data_products_tool']) assert.ok(values.includes(ref), `${ref} listed: ${values.join(', ')}`);
			assert.ok(values.some((v) => UUID.test(v)), 'a custom tool listed by its UUID');
			const lineage = await ask('lineage');
			assert.ok(lineage.results.length > 0 && lineage.results.length < all.results.length, `"lineage" filters: ${lineage.results.map((r) => r.name).join(', ')}`);
			return `${all.results.length} tools (${values.filter((v) => UUID.test(v)).length} custom); "lineage" → ${lineage.results.map((r) => r.name).join(', ')}`;
		});

		await h.check('credential Test button: simulator OK; wrong secret → clear message', async () => {
			// As the editor does: load the credential (secrets come back blanked), send it to /test.
			const stored = await session.request('GET', '/rest/credentials/alationSimulator?includeData=true');
			const ok = await session.request('POST', '/rest/credentials/test', { credentials: { id: stored.id, name: stored.name, type: stored.type, data: stored.data } });
			if (ok.status !== 'OK') throw new Error(`the Test button reported ${JSON.stringify(ok)}`);
			const bad = await session.request('POST', '/rest/credentials/test', {
				credentials: { id: stored.id, name: stored.name, type: stored.type, data: { ...stored.data, clientSecret: badSecret } },
			});
			assert.equal(bad.status, 'Error');
			assert.match(String(bad.message), /Client Secret/i);
			h.record('credential-test', JSON.stringify({ ok, bad }));
			return `wrong secret: "${String(bad.message).slice(0, 120)}…"`;
		});

		await h.check('Test button pressed twice on a saved credential holding a valid token → no mint', async () => {
			// e2eDoors holds the token stored by check 10b. As the editor does: load, then /test, twice.
			const mintsBefore = sim.counters.oauthMints;
			const stored = await session.request('GET', '/rest/credentials/e2eDoors?includeData=true');
			for (let press = 1; press <= 2; press++) {
				const result = await session.request('POST', '/rest/credentials/test', { credentials: { id: stored.id, name: stored.name, type: stored.type, data: stored.data } });
				if (result.status !== 'OK') throw new Error(`press ${press}: the Test button reported ${JSON.stringify(result)}`);
			}
			const mints = sim.counters.oauthMints - mintsBefore;
			assert.equal(mints, 0, `${mints} mints`);
			return '2 presses: OK, OK; 0 mints';
		});

		await h.check('Chat Trigger (streaming) → Agent Chat: the answer streams in', async () => {
			sim.options.chunkDelayMs = 250;
			try {
				const chunks = await chatTurn(s.base, CHAT_WEBHOOK_ID, 'e2e-session', 'Stream the answer');
				h.record('chat-stream', JSON.stringify(chunks));
				const types = chunks.map((c) => c.chunk.type);
				assert.equal(types[0], 'begin');
				assert.equal(types[types.length - 1], 'end');
				const items = chunks.filter((c) => c.chunk.type === 'item');
				assert.ok(items.length >= 3, `${items.length} text chunks`);
				assert.equal(items.map((c) => c.chunk.content).join(''), answerText('Stream the answer', 'Catalog Search Agent', 1));
				const spread = items[items.length - 1].at - items[0].at;
				assert.ok(spread >= 500, `text chunks arrived over ${spread} ms: streamed, not buffered`);
				return `${items.length} text chunks over ${spread} ms, then "end"`;
			} finally {
				sim.options.chunkDelayMs = 0;
			}
		});

		// User sign-in: "Connect my account" on the Alation User Sign-In credential, over HTTP as the
		// editor and its popup drive it (scripts/lib/oauth-connect.js); used by check 12.
		await h.check('Connect my account (user sign-in, driven over REST as the editor does): Ada connected through n8n\'s OAuth callback', async () => {
			const before = { authorizations: sim.counters.userAuthorizations, mints: sim.counters.userTokenMints };
			sim.options.userAccessTokenLifetimeSeconds = SIGN_IN_LIFETIME_S;
			const { authUrl } = await connectAccount({ base: s.base, session, credentialId: 'e2eSignIn', userId: ADA.id });
			signInConnectedAt = Date.now();
			// The URL n8n built from the Base URL alone: the derived authorize endpoint, PKCE S256, the callback.
			assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${sim.url}/oauth/v1/authorize/`);
			assert.equal(authUrl.searchParams.get('client_id'), DEMO.userOauthClientId);
			assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
			assert.match(String(authUrl.searchParams.get('redirect_uri')), /^http:\/\/localhost:\d+\/rest\/oauth2-credential\/callback$/);
			// What the editor then shows: the credential holds a connection ("Account connected").
			const stored = await session.request('GET', '/rest/credentials/e2eSignIn?includeData=true');
			assert.ok(stored.data?.oauthTokenData, `the credential holds oauthTokenData: ${JSON.stringify(Object.keys(stored.data ?? {}))}`);
			assert.equal(sim.counters.userAuthorizations - before.authorizations, 1, 'one sign-in');
			assert.equal(sim.counters.userTokenMints - before.mints, 1, 'one code exchange');
			return `${ADA.displayName} signed in on the simulator's page; n8n swapped the code (PKCE S256) and stored the tokens; the form reads the credential as connected`;
		});

		await h.check('Chat Trigger → Agent Chat: a follow-up in the same chat session continues the Alation chat', async () => {
			const text = (/** @type {Array<{ chunk: Record<string, any> }>} */ chunks) => chunks.filter((c) => c.chunk.type === 'item').map((c) => c.chunk.content).join('');
			const followUp = await chatTurn(s.base, CHAT_WEBHOOK_ID, 'e2e-session', 'Which of them changed?');
			h.record('chat-follow-up', JSON.stringify(followUp));
			assert.equal(text(followUp), answerText('Which of them changed?', 'Catalog Search Agent', 2));
			const other = await chatTurn(s.base, CHAT_WEBHOOK_ID, 'e2e-other-session', 'Which of them changed?');
			assert.equal(text(other), answerText('Which of them changed?', 'Catalog Search Agent', 1));
			return 'the second message of session e2e-session is turn 2 of its Alation chat; another session starts at turn 1';
		});

		await h.check('AI Agent with Agent Chat as a tool (examples/04, fake model): only the AI Agent answers in the chat', async () => {
			const before = model.requests.length;
			const streamsBefore = sim.requestLog.filter((r) => r.path.endsWith('/stream')).length;
			const chunks = await chatTurn(s.base, EXAMPLE_04_WEBHOOK_ID, 'e2e-agent', 'Which tables hold churn data? Ask a follow-up too.');
			h.record('ai-agent-chat', JSON.stringify(chunks));
			const seen = model.requests.slice(before);
			const toolResults = seen.flatMap((r) => r.messages.filter((m) => m.role === 'tool').map((m) => String(m.content)));
			h.record('ai-agent-tool-results', JSON.stringify(toolResults));
			const streams = sim.requestLog.filter((r) => r.path.endsWith('/stream')).length - streamsBefore;
			assert.equal(streams, 2, `${streams} Alation agent runs (a question and its follow-up)`);
			const nodes = [...new Set(chunks.map((c) => c.chunk.metadata?.nodeName))];
			assert.deepEqual(nodes, ['AI Agent'], `chunks came from ${nodes.join(', ')}`);
			const said = chunks.filter((c) => c.chunk.type === 'item').map((c) => c.chunk.content).join('');
			const first = answerText('Which tables hold churn data? Ask a follow-up too.', 'Catalog Search Agent', 1);
			const second = answerText(FOLLOW_UP, 'Catalog Search Agent', 2);
			assert.ok(said.includes(first) && said.includes(second), `the AI Agent's answer quotes both of Alation's: ${said.slice(0, 300)}`);
			const last = toolResults[toolResults.length - 1] ?? '';
			for (const key of ['toolCalls', 'durationMs', 'assets']) assert.ok(!last.includes(key), `the model got the compact result, not ${key}`);
			return `${seen.length} model calls, ${streams} Alation runs (the follow-up in the same chat), ${chunks.filter((c) => c.chunk.type === 'item').length} chunks, all from the AI Agent`;
		});

		await h.check('AI Agent with Run Tool as a tool (examples/06, fake model): the model\'s input reaches the tool, its result the model', async () => {
			const since = Date.now();
			const chunks = await chatTurn(s.base, EXAMPLE_06_WEBHOOK_ID, 'e2e-run-tool', 'List data products: sales');
			h.record('ai-agent-run-tool-chat', JSON.stringify(chunks));
			const runs = sim.requestLog.filter((r) => r.at >= since && r.path.endsWith('/stream')).map((r) => r.path);
			assert.deepEqual(runs, ['/ai/api/v1/chats/tool/default/list_data_products_tool/stream']);
			const nodes = [...new Set(chunks.map((c) => c.chunk.metadata?.nodeName))];
			assert.deepEqual(nodes, ['AI Agent'], `chunks came from ${nodes.join(', ')}`);
			const said = chunks.filter((c) => c.chunk.type === 'item').map((c) => c.chunk.content).join('');
			assert.ok(said.includes('sales_analytics') && !said.includes('finance_ledger'), `the answer quotes the tool's result for "sales": ${said.slice(0, 300)}`);
			return `1 tool run (list_data_products_tool, search_term from $fromAI); answer: "${said.slice(0, 100)}…"`;
		});
		await s.close();
		h.record('n8n-start', s.log());
	}

	// 12. Every node as the signed-in person, in `n8n execute`, across two expiries: the connected
	// token has expired when the run starts (n8n's HTTP Request node meets a 401 and renews it), and
	// expires again during a Wait (Agent Chat's items renew it once, before they ask).
	await h.check(`user sign-in: HTTP Request, Agent Chat, Run Tool as Ada; token lifetime ${SIGN_IN_LIFETIME_S} s, Wait ${SIGN_IN_WAIT_S} s, ${SIGN_IN_ITEMS} items after it`, async () => {
		try {
			if (signInConnectedAt === null) throw new Error('the account was not connected (see "Connect my account")');
			const untilExpired = signInConnectedAt + (SIGN_IN_LIFETIME_S + 1) * 1000 - Date.now();
			if (untilExpired > 0) await new Promise((resolve) => setTimeout(resolve, untilExpired));
			const before = { refreshes: sim.counters.userRefreshes, refused: sim.counters.unauthorized, revoked: sim.counters.userFamiliesRevoked };
			const run = await h.executeOk('e2eSignIn');
			// n8n 2.x stores when the access token expires (n8n_expires_at), and the package renews before it.
			const knowsExpiry = (runtime.major ?? 2) >= 2;
			for (const name of ['Ada: userinfo', 'Ada: userinfo after the wait']) assert.equal(itemsOf(run, name)[0].json.display_name, ADA.displayName, name);
			assert.match(String(itemsOf(run, 'Ada asks')[0].json.answer), new RegExp(ADA.displayName));
			assert.equal(itemsOf(run, 'Ada runs a tool')[0].json.status, 'completed');
			const after = itemsOf(run, 'Ada asks after the wait');
			assert.equal(after.length, SIGN_IN_ITEMS);
			for (const item of after) assert.match(String(item.json.answer), new RegExp(ADA.displayName));
			const refreshes = sim.counters.userRefreshes - before.refreshes;
			const refused = sim.counters.unauthorized - before.refused;
			assert.equal(sim.counters.userFamiliesRevoked - before.revoked, 0, 'the sign-in was revoked');
			assert.equal(refreshes, 2, `${refreshes} refreshes for 2 expiries`);
			if (knowsExpiry) {
				assert.equal(refused, 1, `${refused}×401 (only the HTTP Request node's first call, with the expired token)`);
				return `every answer names ${ADA.displayName}; 2 refreshes for 2 expiries (the first by n8n after 1×401, the second by Agent Chat's ${SIGN_IN_ITEMS} items, once, before sending); the sign-in kept`;
			}
			// n8n 1.x stores no expiry with the tokens (no n8n_expires_at): a 401 is how anyone learns one expired.
			assert.ok(refused >= 2 && refused <= 1 + SIGN_IN_ITEMS, `${refused}×401 (one per expiry, at most one per item after the Wait)`);
			return `every answer names ${ADA.displayName}; 2 refreshes for 2 expiries (n8n 1.x stores no expiry: each found by a 401, ${refused}×401 in all; the second renewal shared by Agent Chat's ${SIGN_IN_ITEMS} items); the sign-in kept`;
		} finally {
			sim.options.userAccessTokenLifetimeSeconds = 3600;
		}
	});

	// 13. The examples: import cleanly (done in the set-up) and open without editor warnings.
	const byType = servedTypes
		? descriptionsFromServed(servedTypes)
		: loadDescriptions(runtime.dir, path.join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE.name));
	const credentialIds = new Set(credentials.map((c) => c.id));
	for (const example of examples) {
		await h.check(`${example.file}: imports, opens without warnings`, async () => {
			const source = servedTypes ? 'node types served by n8n' : 'node types from the installed packages';
			const { problems, expected, nodes } = validateExample(example, {
				runtimeDir: runtime.dir,
				byType,
				credentialIds,
				// Examples 04 and 06 ship without an LLM credential on purpose: users pick their own.
				expected: {
					alationAiAgentTool: [/^OpenAI Chat Model: credential "openAiApi" is not set$/],
					alationAiAgentRunTool: [/^OpenAI Chat Model: credential "openAiApi" is not set$/],
				},
			});
			assert.deepEqual(problems, [], problems.join('; '));
			return `${nodes} nodes checked against the ${source}: no warnings${expected.length ? ` except the expected ${expected.join('; ')}` : ''}`;
		});
	}

	// 14. No secret in any raw output of any n8n command (imports and executions, stdout and stderr).
	await h.check('no secret in the raw output of any n8n run', async () => {
		const { problems, bytes } = scanForSecrets(h.outputs.map((o) => ({ label: `the output of ${o.label}`, text: o.text })), secrets);
		assert.deepEqual(problems, []);
		return `${h.outputs.length} outputs, ${Math.round(bytes / 1024)} KB scanned for ${secrets.length} secrets`;
	});

	const durationMs = Date.now() - suiteStarted;
	const c = sim.counters;
	info(`\n${ranOn}; simulator totals: ${c.tokensMinted} tokens minted (${c.oauthMints} OAuth, ${c.apiAccessTokenMints} API, ${c.keycloakMints} Keycloak), ${c.unauthorized}×401\n`);
	info(h.table());
	const failed = h.results.filter((r) => r.status !== 'pass').length;
	const counts = [`${h.results.length - failed} passed`, `${failed} failed`];
	if (badMessage) info(`\nWrong-secret error as users see it: ${badMessage}`);
	if (jsonOut) {
		writeResults(jsonOut, h.jestJson(startTime));
		info(`results: ${jsonOut}`);
	}
	passed = failed === 0;
	if (!passed || keep) info(`n8n user folder and raw outputs kept in ${path.relative(process.cwd(), workDir)}`);
	info(`\n${counts.join(', ')}; suite ${formatDuration(durationMs)} (set-up included, n8n install excluded); ${ranOn}`);
	clearTimeout(watchdog);
	await runCleanups();
	process.exitCode = passed ? 0 : 1;
}

main().catch(async (error) => {
	process.stderr.write(`\ne2e suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	if (jsonOut) writeResults(jsonOut, crashResults());
	await runCleanups();
	process.exit(1);
});
