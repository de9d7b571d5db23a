/**
 * The Agent Chat node's `execute` inside a real n8n-core execution, against the simulator.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { loadOptionsContext, runNode } from '../helpers/n8n';
import type { RunNodeOptions } from '../helpers/n8n';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { AGENTS, DEMO, answerText } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { searchAgents } from '../../nodes/AlationAgentChat/listAgents';
import { readText, send } from '../../nodes/shared/http/client';

const sim = useSimulator();
let testStartedAt = 0;
beforeEach(() => {
	testStartedAt = Date.now();
});

const node = new AlationAgentChat();
const SALES_HELPER = AGENTS.find((a) => a.name === 'Sales Helper')!.id;
const JSON_AGENT = AGENTS.find((a) => a.name === 'JSON Agent')!.id;

const alation = (data: IDataObject = {}) => simulatorOauthCredential(sim.url, data);
const items = (n: number, json: (i: number) => IDataObject = (i) => ({ i })): INodeExecutionData[] =>
	Array.from({ length: n }, (_, i) => ({ json: json(i) }));

const byId = (value: string) => ({ __rl: true, mode: 'id', value });

async function ask(parameters: IDataObject, options: Partial<RunNodeOptions> = {}) {
	return await runNode({
		nodeType: node,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: { agent: byId('catalog_search_agent'), message: 'Find sales tables', ...parameters } as RunNodeOptions['parameters'],
		...options,
	});
}

/** The stream requests the simulator received during this test, newest last. */
const streamRequests = () => sim.requestLog.filter((r) => r.at >= testStartedAt && r.path.endsWith('/stream'));

/** Answers the next stream request with a hand-written SSE body. */
function interceptStream(path: string, write: (res: ServerResponse, req: IncomingMessage) => void | Promise<void>, times = 1) {
	sim.intercept('POST', path, async (req, res) => {
		res.writeHead(200, { 'content-type': 'text/event-stream' });
		res.flushHeaders();
		await write(res, req);
	}, { times });
}

const CATALOG_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';
const event = (id: string, text: string, chatId = '11111111-2222-4333-8444-555555555555') =>
	`data: ${JSON.stringify({ id, chat_id: chatId, model_message: { kind: 'response', parts: [{ part_kind: 'text', content: text }] } })}\n\n`;

describe('asking an agent', () => {
	test('3 items → 3 exact answers in order with pairedItem, each a new chat; one token', async () => {
		const result = await ask({ message: '={{ $json.question }}' }, { items: items(3, (i) => ({ question: `Question ${i}` })) });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.answer)).toEqual([0, 1, 2].map((i) => answerText(`Question ${i}`, 'Catalog Search Agent', 1)));
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const first = result.items[0].json;
		expect(first).toMatchObject({ agent: 'catalog_search_agent', status: 'completed', toolCalls: [], toolResults: [], assets: [] });
		expect(first.chatId).toMatch(/^[0-9a-f-]{36}$/);
		expect(new Set(result.items.map((i) => i.json.chatId)).size).toBe(3);
		expect(first.durationMs).toEqual(expect.any(Number));
		expect(first.events).toBeUndefined();
		expect(sim.counters.oauthMints).toBe(1);
		expectNoSecrets(visibleRunData(result), DEMO_SECRETS);
	});

	test('the request: path, headers, body mapping with inputPayload last', async () => {
		await ask({
			agent: byId('sql_query_agent'),
			message: 'Top customers?',
			options: {
				dataProductId: 'dp-sales',
				marketplaceId: 'mkt-1',
				authId: 'auth-7',
				preExecSql: 'USE ROLE ANALYST',
				inputPayload: '{"region": "EMEA", "auth_id": "auth-override"}',
			},
		});
		const [request] = streamRequests();
		expect(request.path).toBe('/ai/api/v1/chats/agent/default/sql_query_agent/stream');
		expect(request.headers.accept).toBe('text/event-stream');
		expect(request.headers['content-type']).toBe('application/json');
		expect(request.headers.authorization).toBe('[present]');
		expect(request.headers['user-agent']).toMatch(/^n8n-nodes-alation\/\d+\.\d+\.\d+/);
		expect(JSON.parse(request.body)).toEqual({
			message: 'Top customers?',
			data_product_id: 'dp-sales',
			marketplace_id: 'mkt-1',
			auth_id: 'auth-override',
			pre_exec_sql: 'USE ROLE ANALYST',
			region: 'EMEA',
		});
	});

	test('a custom agent by UUID goes to /chats/agent/{uuid}/stream', async () => {
		const result = await ask({ agent: byId(SALES_HELPER), message: 'Sales in Q3?', options: { inputPayload: { region: 'EMEA' } } });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.answer).toBe(answerText('Sales in Q3?', 'Sales Helper', 1));
		expect(streamRequests()[0].path).toBe(`/ai/api/v1/chats/agent/${SALES_HELPER}/stream`);
	});

	test('agent chosen from the list (resource locator mode "list")', async () => {
		const result = await ask({ agent: { __rl: true, mode: 'list', value: 'deep_research_agent', cachedResultName: 'Deep Research Agent' } });
		expect(result.items[0].json.answer).toBe(answerText('Find sales tables', 'Deep Research Agent', 1));
	});

	test.each(['snapshot', 'delta'] as const)('%s streams give the same answer', async (style) => {
		sim.options.streamStyle = style;
		const result = await ask({ agent: byId('sql_query_agent'), message: 'Revenue by region → 2026' });
		expect(result.items[0].json.answer).toBe(answerText('Revenue by region → 2026', 'SQL Query Agent', 1));
	});

	test('multi-turn: the chatId of turn 1 continues the chat in turn 2', async () => {
		const first = await ask({ message: 'First question' });
		const chatId = first.items[0].json.chatId as string;
		const second = await ask({ message: 'Follow-up', chatId });
		expect(second.items[0].json.answer).toBe(answerText('Follow-up', 'Catalog Search Agent', 2));
		expect(second.items[0].json.chatId).toBe(chatId);
		expect(streamRequests()[1].query).toEqual({ chat_id: chatId });
	});

	test('tool calls, tool results and assets are collected; downloadAssets adds the files as binary', async () => {
		const result = await ask({ agent: byId('charting_agent'), message: 'Chart revenue', options: { downloadAssets: true } });
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(json.toolCalls).toEqual([{ id: expect.any(String), name: 'sql_execution_tool', args: expect.anything() }]);
		expect(json.toolResults).toEqual([{ id: (json.toolCalls as IDataObject[])[0].id, name: 'sql_execution_tool', content: expect.anything() }]);
		const assets = json.assets as IDataObject[];
		expect(assets.map((a) => a.kind)).toEqual(['sql', 'chart']);
		expect(assets.map((a) => a.binaryProperty)).toEqual(['asset_0', 'asset_1']);
		const binary = result.items[0].binary!;
		expect(binary.asset_0).toMatchObject({ mimeType: 'text/csv', fileExtension: 'csv' });
		expect(Buffer.from(binary.asset_0.data, 'base64').toString()).toBe('id,name\n1,alpha\n2,beta\n');
		expect(binary.asset_1.mimeType).toBe('image/png');
		expect(Buffer.from(binary.asset_1.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
		const assetRequests = sim.requestLog.filter((r) => r.at >= testStartedAt && r.path.startsWith('/ai/api/v1/assets/'));
		expect(assetRequests.map((r) => r.query.chat_id)).toEqual([json.chatId, json.chatId]);
	});

	test('Max Assets and Max Asset Bytes bound what is downloaded per item; what was left is listed in assetsSkipped', async () => {
		// A server that names 40 assets: only 3 are fetched.
		interceptStream(CATALOG_PATH, (res) => {
			const metadata = Array.from({ length: 40 }, (_, i) => ({ kind: 'sql', id: `a${i}` }));
			const toolReturn = { part_kind: 'tool-return', tool_name: 'sql', tool_call_id: 't1', content: 'ok', metadata };
			res.write(`data: ${JSON.stringify({ id: 'm1', chat_id: '11111111-2222-4333-8444-555555555555', model_message: { kind: 'request', parts: [toolReturn] } })}\n\n`);
			res.write(event('m2', 'Done.'));
			res.end('data: [DONE]\n\n');
		});
		const served: string[] = [];
		for (let i = 0; i < 40; i++) {
			sim.intercept('GET', `/ai/api/v1/assets/a${i}`, (_req, res) => {
				served.push(`a${i}`);
				res.writeHead(200, { 'content-type': 'text/csv' });
				res.end('x'.repeat(i === 1 ? 5_000 : 1_000));
			}, { times: 1 });
		}
		try {
			const result = await ask({ options: { downloadAssets: true, maxAssets: 3, maxAssetBytes: 4_000 } });
			expect(result.error).toBeUndefined();
			const json = result.items[0].json;
			// a0 (1,000 bytes) fits; a1 (5,000) does not fit the 3,000 left; a2 and a3 fit; then Max Assets.
			expect(Object.keys(result.items[0].binary ?? {}).sort()).toEqual(['asset_0', 'asset_2', 'asset_3']);
			const skipped = json.assetsSkipped as IDataObject[];
			expect(skipped[0]).toMatchObject({ id: 'a1', reason: expect.stringMatching(/Max Asset Bytes/) });
			expect(skipped.slice(1).map((s) => s.id)).toEqual(Array.from({ length: 36 }, (_, i) => `a${i + 4}`));
			expect(skipped[1].reason).toMatch(/Max Assets \(3\)/);
			expect(served).toEqual(['a0', 'a1', 'a2', 'a3']);
		} finally {
			sim.reset();
		}
	});

	test('a custom agent picked from the list: the output names it (agentName), not only by its UUID; typed by id: agentName is null', async () => {
		const picked = await ask({ agent: { __rl: true, mode: 'list', value: SALES_HELPER, cachedResultName: 'Sales Helper (custom)' } });
		expect(picked.items[0].json).toMatchObject({ agent: SALES_HELPER, agentName: 'Sales Helper' });
		const typed = await ask({ agent: byId('catalog_search_agent') });
		expect(typed.items[0].json).toMatchObject({ agent: 'catalog_search_agent', agentName: null });
		expect(node.description.subtitle).toContain('cachedResultName');
	});

	test('parseJsonAnswer decodes a JSON answer', async () => {
		const plain = await ask({ agent: byId(JSON_AGENT), message: 'Give JSON' });
		expect(typeof plain.items[0].json.answer).toBe('string');
		const parsed = await ask({ agent: byId(JSON_AGENT), message: 'Give JSON', options: { parseJsonAnswer: true } });
		expect(parsed.items[0].json.answer).toEqual({ answer: answerText('Give JSON', 'JSON Agent', 1), turn: 1 });
	});

	test('a tool call waiting for approval → status pending_approval; approving continues the chat', async () => {
		const waiting = await ask({ agent: byId('sql_query_agent'), message: 'Please approve the query' });
		const json = waiting.items[0].json;
		expect(json.status).toBe('pending_approval');
		const [call] = json.toolCalls as IDataObject[];
		expect(call.pendingApproval).toBe(true);
		const approved = await ask({
			agent: byId('sql_query_agent'),
			message: 'Please approve the query',
			chatId: json.chatId as string,
			options: { toolApprovals: JSON.stringify({ [call.id as string]: true }) },
		});
		expect(approved.items[0].json.status).toBe('completed');
		expect(JSON.parse(streamRequests()[1].body).tool_approvals).toEqual({ [call.id as string]: true });
		expect(approved.items[0].json.answer).toEqual(expect.stringContaining('Please approve the query'));
	});

	test('includeEvents adds the raw events, bounded to 1,000 with a flag', async () => {
		const small = await ask({ options: { includeEvents: true } });
		expect((small.items[0].json.events as unknown[]).length).toBeGreaterThan(2);
		expect(small.items[0].json.eventsTruncated).toBe(false);

		interceptStream(CATALOG_PATH, (res) => {
			let text = '';
			for (let i = 1; i <= 1500; i++) text += event('m1', 'x'.repeat(i % 50) + String(i));
			res.end(`${text}data: [DONE]\n\n`);
		});
		const big = await ask({ options: { includeEvents: true } });
		expect((big.items[0].json.events as unknown[]).length).toBe(1000);
		expect(big.items[0].json.eventsTruncated).toBe(true);
	});

	test('non-JSON data lines are skipped; CRLF, comments and multi-line data are read', async () => {
		interceptStream(CATALOG_PATH, (res) => {
			res.write(': ping\r\n\r\ndata: not json\r\n\r\n');
			res.write('event: message\r\ndata: {"id":"m1","chat_id":"11111111-2222-4333-8444-555555555555",\r\ndata: "model_message":{"kind":"response","parts":[{"part_kind":"text","content":"Héllo "}]}}\r\n\r\n');
			res.end(event('m1', 'Héllo wörld 📊') + 'data: [DONE]\n\n');
		});
		const result = await ask({});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.answer).toBe('Héllo wörld 📊');
		expect(result.items[0].json.chatId).toBe('11111111-2222-4333-8444-555555555555');
	});

	test('307 redirect is followed keeping method and body', async () => {
		sim.intercept('POST', '/ai/api/v1/chats/agent/default/catalog_search_agent/stream/', (_req, res) => {
			res.writeHead(307, { location: '/ai/api/v1/chats/agent/default/catalog_search_agent/stream' });
			res.end();
		});
		const url = `${sim.url}/ai/api/v1/chats/agent/default/catalog_search_agent/stream/`;
		// The node builds paths without a trailing slash; drive the redirect through the shared client directly.
		const tokenResponse = await fetch(`${sim.url}/oauth/v2/token/`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
		});
		const { access_token } = (await tokenResponse.json()) as { access_token: string };
		const response = await send({
			method: 'POST',
			url,
			headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
			body: JSON.stringify({ message: 'redirected' }),
		});
		expect(response.status).toBe(200);
		expect(response.url).toBe(`${sim.url}/ai/api/v1/chats/agent/default/catalog_search_agent/stream`);
		expect(await readText(response.body)).toContain('redirected');
	});
});

describe('errors, each on its item', () => {
	const errorOf = (result: Awaited<ReturnType<typeof ask>>) => result.error as Error & { description?: string; httpCode?: string };

	test.each([
		[400, { detail: 'Unsupported option: foo' }, /answered 400: Unsupported option: foo/, /Check Message and the options/],
		[402, { detail: 'Tool call quota exceeded' }, /answered 402: Tool call quota exceeded/, /tool-call quota/],
		[403, { detail: 'You do not have permission to perform this action.' }, /answered 403/, /System User Role of the OAuth client/],
		[409, { detail: 'Chat is busy.' }, /answered 409: Chat is busy\./, /Another run is using this chat/],
		[413, { detail: 'Input exceeds the context window' }, /answered 413/, /too long for the agent's model/],
		[422, { detail: [{ loc: ['body', 'message'], msg: 'Field required', type: 'missing' }] }, /answered 422: body\.message: Field required/, /could not process the input/],
		[500, { detail: 'Internal error' }, /answered 500: Internal error/, /server had a problem/],
	])('%i → NodeApiError with the server detail and what to do', async (status, body, message, hint) => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		});
		const error = errorOf(await ask({}));
		expect(error.message).toMatch(/^Asking the agent failed: /);
		expect(error.message).toMatch(message);
		expect(error.description).toMatch(hint);
		expect(error.httpCode).toBe(String(status));
		expect(sim.counters.requests.agentStream).toBe(1);
	});

	test.each(['..', '.'])('an Agent of dots alone (%p) is a path segment, not a ref: refused, no request', async (agent) => {
		const error = errorOf(await ask({ agent: byId(agent) }));
		expect(error.message).toMatch(/is not an agent ref or UUID/);
		expect(sim.requestLog.filter((r) => r.at >= testStartedAt && r.path.startsWith('/ai/'))).toHaveLength(0);
	});

	test('an asset id of dots alone: not downloaded (its URL would be another endpoint), the item says so', async () => {
		interceptStream(CATALOG_PATH, (res) => {
			const toolReturn = { part_kind: 'tool-return', tool_name: 'sql', tool_call_id: 't1', content: 'ok', metadata: [{ kind: 'sql', id: '..' }] };
			res.write(`data: ${JSON.stringify({ id: 'm1', chat_id: '11111111-2222-4333-8444-555555555555', model_message: { kind: 'request', parts: [toolReturn] } })}\n\n`);
			res.write(event('m2', 'Done.'));
			res.end('data: [DONE]\n\n');
		});
		const error = errorOf(await ask({ options: { downloadAssets: true } }));
		expect(error.message).toMatch(/asset whose id is not a name/);
		expect(sim.requestLog.filter((r) => r.at >= testStartedAt && !r.path.endsWith('/stream') && r.path.startsWith('/ai/'))).toHaveLength(0);
	});

	test('an option that resolves to a list is refused naming the field (read as empty, the agent would run without a data product), no request', async () => {
		const error = errorOf(await ask({ options: { dataProductId: '={{ ["sales", "finance"] }}' } }));
		expect(error.message).toBe('Data Product ID must be text');
		expect(error.description).toMatch(/resolved to a list/);
		expect(sim.counters.requests.agentStream).toBe(0);
		const chat = errorOf(await ask({ chatId: '={{ { id: 1 } }}' }));
		expect(chat.message).toBe('Chat ID must be text');
	});

	test('an Agent value that is no ref or UUID: checked by the node (no regex left to n8n, whose 250 ms limit fails busy workers), no request', async () => {
		const error = errorOf(await ask({ agent: byId('sales agent/../x') }));
		expect(error.message).toMatch(/is not an agent ref or UUID/);
		expect(error.description).toMatch(/catalog_search_agent/);
		expect(sim.counters.requests.agentStream).toBe(0);
		const agentProperty = node.description.properties.find((p) => p.name === 'agent');
		expect(JSON.stringify(agentProperty)).not.toContain('"validation"');
	});

	test('404 for an unknown agent', async () => {
		const error = errorOf(await ask({ agent: byId('no_such_agent') }));
		expect(error.message).toMatch(/answered 404: Agent not found/);
		expect(error.description).toMatch(/built-in agents by ref/);
	});

	test('a refresh-token credential: Agent Studio refuses the TOKEN header → says an OAuth client is needed', async () => {
		const result = await ask({}, { credentials: { alationApi: alation({ authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken }) } });
		const error = errorOf(result);
		expect(error.message).toMatch(/answered 401/);
		expect(error.description).toMatch(/Agent Studio endpoints need an OAuth client/);
		expectNoSecrets(visibleRunData(result), DEMO_SECRETS);
	});

	test('not an event stream (JSON error with 200) → shows the start of the body', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: 'agent disabled', pad: 'y'.repeat(2000) }));
		});
		const error = errorOf(await ask({}));
		expect(error.message).toMatch(/answered 200 with application\/json instead of an event stream: \{"error":"agent disabled"/);
		expect(error.message.length).toBeLessThan(700);
	});

	test('an HTML login page → shows it', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/html' });
			res.end('<html><body>Please sign in</body></html>');
		});
		expect(errorOf(await ask({})).message).toMatch(/text\/html instead of an event stream: <html><body>Please sign in/);
	});

	test('stream cut before [DONE]: error with the partial answer kept under Continue On Fail', async () => {
		interceptStream(CATALOG_PATH, async (res) => {
			res.write(event('m1', 'The partial'));
			res.write(event('m1', 'The partial answer'));
			// Let the bytes reach the client, then cut the connection mid-answer.
			await new Promise((resolve) => setTimeout(resolve, 100));
			res.socket?.destroy();
		});
		const result = await ask({}, { continueOnFail: true });
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(json.error).toMatch(/^Asking the agent failed|The answer stream/);
		expect(json.details).toMatchObject({ partialAnswer: 'The partial answer', chatId: '11111111-2222-4333-8444-555555555555', agent: 'catalog_search_agent' });
		expect(sim.counters.requests.agentStream).toBe(1);
	});

	test('stream ends cleanly but without [DONE] → stream cut', async () => {
		interceptStream(CATALOG_PATH, (res) => {
			res.end(event('m1', 'Half'));
		});
		const result = await ask({}, { continueOnFail: true });
		expect(result.items[0].json.error).toBe('The answer stream ended before it was complete (no [DONE])');
		expect((result.items[0].json.details as IDataObject).partialAnswer).toBe('Half');
	});

	test('invalid input is refused before any request, naming the field', async () => {
		const result = await ask(
			{ message: '={{ $json.message }}', chatId: '={{ $json.chatId }}', options: { inputPayload: '={{ $json.payload }}' } },
			{
				items: [
					{ json: { message: '   ', chatId: '', payload: '{}' } },
					{ json: { message: 'ok', chatId: 'not-a-chat', payload: '{}' } },
					{ json: { message: 'ok', chatId: '', payload: '[1,2]' } },
					{ json: { message: 'ok', chatId: '', payload: '{}' } },
				],
				continueOnFail: true,
			},
		);
		expect(result.items.map((i) => i.json.error)).toEqual([
			'Message is empty',
			'Chat ID "not-a-chat" is not a chat ID',
			'Input Payload must be a JSON object',
			undefined,
		]);
		expect(result.items[3].json.answer).toBe(answerText('ok', 'Catalog Search Agent', 1));
		expect(sim.counters.requests.agentStream).toBe(1);
	});

	test('tool approvals must be true/false', async () => {
		const result = await ask({ options: { toolApprovals: '{"call-1": "yes"}' } });
		expect(result.error?.message).toBe('Tool Approvals: the value for "call-1" must be true or false');
	});
});

describe('time, cancellation, retries', () => {
	test('idle timeout ends a silent stream, with the partial answer', async () => {
		interceptStream(CATALOG_PATH, (res) => {
			res.write(event('m1', 'Thinking'));
			// …then silence; the test ends the socket with the simulator.
		});
		const started = Date.now();
		const result = await ask({ options: { idleTimeout: 1 } }, { continueOnFail: true });
		expect(Date.now() - started).toBeLessThan(5000);
		expect(result.items[0].json.error).toBe('The agent sent nothing for 1 s (Idle Timeout option)');
		expect((result.items[0].json.details as IDataObject).partialAnswer).toBe('Thinking');
	});

	test('keep-alive pings count as activity: a slow answer with pings outlives the idle timeout', async () => {
		Object.assign(sim.options, { chunkDelayMs: 600, pingIntervalMs: 200 });
		const result = await ask({ options: { idleTimeout: 1 } });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.answer).toBe(answerText('Find sales tables', 'Catalog Search Agent', 1));
	});

	test('without pings the same slow answer hits the idle timeout', async () => {
		Object.assign(sim.options, { chunkDelayMs: 1500, pingIntervalMs: 0 });
		const result = await ask({ options: { idleTimeout: 1 } });
		expect(result.error?.message).toBe('The agent sent nothing for 1 s (Idle Timeout option)');
	});

	test('total timeout bounds the whole run even while bytes keep coming', async () => {
		Object.assign(sim.options, { chunkDelayMs: 700, pingIntervalMs: 100 });
		const started = Date.now();
		const result = await ask({ options: { timeout: 1, idleTimeout: 5 } }, { continueOnFail: true });
		expect(Date.now() - started).toBeLessThan(4000);
		expect(result.items[0].json.error).toBe('The agent did not finish within 1 s (Timeout option)');
	});

	test('"Stop" (the execution cancel signal) aborts the stream at once', async () => {
		Object.assign(sim.options, { chunkDelayMs: 5000 });
		const abort = new AbortController();
		const started = Date.now();
		setTimeout(() => abort.abort(), 300);
		const result = await ask({}, { abortSignal: abort.signal });
		expect(Date.now() - started).toBeLessThan(2500);
		expect(result.canceled).toBe(true);
		expect(result.error?.message).toMatch(/cancel/i);
	});

	test('429 with Retry-After is retried after the wait, then succeeds', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
			res.end('{"detail":"Too many requests"}');
		});
		const started = Date.now();
		const result = await ask({});
		expect(result.error).toBeUndefined();
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(sim.counters.requests.agentStream).toBe(2);
	});

	test('503 retried maxRetries times, then the error says how many attempts', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
			res.end('{"detail":"maintenance"}');
		}, { times: 3 });
		const result = await ask({ options: { maxRetries: 2 } });
		expect(result.error?.message).toBe('Asking the agent failed: the server answered 503: maintenance (after 3 attempts)');
		expect(sim.counters.requests.agentStream).toBe(3);
	});

	test('a 429 about the licence quota is not retried', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(429, { 'content-type': 'application/json' });
			res.end('{"error":"entitlement limit reached","message":"License Quota Exceeded"}');
		});
		const result = await ask({});
		expect((result.error as Error & { description?: string }).description).toMatch(/licence or entitlement quota/);
		expect(sim.counters.requests.agentStream).toBe(1);
	});

	test('connection refused is retried; the error names the refused connection after the last attempt', async () => {
		const result = await ask({ options: { maxRetries: 1 } }, { credentials: { alationApi: alation({ baseUrl: 'http://127.0.0.1:9' }) } });
		expect(result.error?.message).toMatch(/The connection to 127\.0\.0\.1:9 was refused/);
	});

	test('a started stream is never replayed: a cut after the first byte is not retried', async () => {
		interceptStream(CATALOG_PATH, (res) => {
			res.write(': ping\n\n');
			res.socket?.destroy();
		}, 5);
		const result = await ask({ options: { maxRetries: 3 } });
		expect(result.error?.message).toMatch(/The answer stream/);
		expect(sim.counters.requests.agentStream).toBe(1);
	});

	test('401 on the stream → one new token, one retry', async () => {
		await ask({});
		sim.revokeAllTokens();
		sim.resetCounters();
		const result = await ask({});
		expect(result.error).toBeUndefined();
		expect(sim.counters.unauthorized).toBe(2); // the stream, and the check that its token was refused
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.requests.agentStream).toBe(2);
	});
});

describe('items and concurrency', () => {
	test('concurrency 5 over 10 items: order kept, faster than one by one', async () => {
		sim.options.chunkDelayMs = 50;
		const started = Date.now();
		const result = await ask({ message: '={{ "Q" + $json.i }}', options: { concurrency: 5 } }, { items: items(10) });
		const elapsed = Date.now() - started;
		expect(result.items.map((i) => i.json.answer)).toEqual(Array.from({ length: 10 }, (_, i) => answerText(`Q${i}`, 'Catalog Search Agent', 1)));
		expect(result.items.map((i) => i.pairedItem)).toEqual(Array.from({ length: 10 }, (_, item) => ({ item })));
		// Not a timing assertion of performance: 10 sequential runs take ≥ 10 × 4 × 50 ms.
		expect(elapsed).toBeLessThan(10 * 4 * 50);
	});

	test('items sharing a chatId never run at the same time (no 409), turns in order', async () => {
		const first = await ask({ message: 'start' });
		const chatId = first.items[0].json.chatId as string;
		sim.options.chunkDelayMs = 30;
		const result = await ask({ message: '={{ "turn " + $json.i }}', chatId, options: { concurrency: 4 } }, { items: items(4) });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.answer)).toEqual([0, 1, 2, 3].map((i) => answerText(`turn ${i}`, 'Catalog Search Agent', i + 2)));
	});

	test('Continue On Fail: 20 items with failures in between → 20 items out, in order', async () => {
		const result = await ask(
			{ agent: '={{ $json.agent }}', message: '={{ "Q" + $json.i }}', options: { concurrency: 3 } },
			{ items: items(20, (i) => ({ i, agent: { __rl: true, mode: 'id', value: i % 7 === 3 ? 'no_such_agent' : 'catalog_search_agent' } })), continueOnFail: true },
		);
		expect(result.items).toHaveLength(20);
		result.items.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			if (i % 7 === 3) expect(item.json.error).toMatch(/404/);
			else expect(item.json.answer).toBe(answerText(`Q${i}`, 'Catalog Search Agent', 1));
		});
	});
});

describe('streaming to the chat', () => {
	test('begin, the text as it arrives, end — per item; the chunks add up to the answer', async () => {
		sim.options.streamStyle = 'snapshot';
		const chunks: Array<{ type: string; content?: string; itemIndex: number }> = [];
		const result = await ask({}, { onChunk: (c) => chunks.push({ type: c.type, content: c.content, itemIndex: c.metadata.itemIndex }) });
		expect(result.error).toBeUndefined();
		expect(chunks[0].type).toBe('begin');
		expect(chunks.at(-1)!.type).toBe('end');
		const items = chunks.filter((c) => c.type === 'item');
		expect(items.length).toBeGreaterThan(1);
		expect(items.map((c) => c.content).join('')).toBe(result.items[0].json.answer);
	});

	test('on failure: begin, error, end — the chat never hangs', async () => {
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(403, { 'content-type': 'application/json' });
			res.end('{"detail":"forbidden"}');
		});
		const chunks: string[] = [];
		await ask({}, { onChunk: (c) => chunks.push(c.type) });
		// n8n itself then sends one more 'error' chunk for the failed node.
		expect(chunks.slice(0, 3)).toEqual(['begin', 'error', 'end']);
	});

	test('without a streaming trigger nothing is sent', async () => {
		const result = await ask({});
		expect(result.error).toBeUndefined();
	});
});

describe('as an AI Agent tool', () => {
	test('a failed call is returned as the tool output instead of failing the workflow', async () => {
		const result = await ask({ agent: byId('no_such_agent') }, { nodeTypeName: 'n8n-nodes-alation.alationAgentChatTool' });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.error).toMatch(/404/);
	});

	test('the node is usable as a tool', () => {
		expect(node.description.usableAsTool).toBe(true);
	});
});

describe('the agent list ("From list" mode)', () => {
	const context = (data: IDataObject = {}) =>
		loadOptionsContext({ nodeType: node, parameters: {}, credentials: { alationApi: alation(data) }, credentialTypes: [new AlationApi()] });

	test('lists built-in agents by ref and custom agents by UUID, with descriptions', async () => {
		const result = await searchAgents.call(context());
		expect(result.results).toHaveLength(AGENTS.length);
		expect(result.results).toContainEqual({ name: 'Catalog Search Agent', value: 'catalog_search_agent', description: expect.stringContaining('Searches the catalog') });
		expect(result.results).toContainEqual({ name: 'Sales Helper (custom)', value: SALES_HELPER, description: expect.any(String) });
		expect(result.paginationToken).toBeUndefined();
		const [request] = sim.requestLog.filter((r) => r.at >= testStartedAt && r.path === '/ai/api/v1/config/agent');
		expect(request.query).toEqual({ limit: '100', offset: '0' });
	});

	test('search filters by name, ref or description', async () => {
		const result = await searchAgents.call(context(), 'chart');
		expect(result.results.map((r) => r.value)).toEqual(['charting_agent']);
	});

	test('pages with limit/offset: a full page gives a pagination token', async () => {
		const page = Array.from({ length: 100 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `Agent ${i}`, is_default: false, default_ref: null }));
		sim.intercept('GET', '/ai/api/v1/config/agent', (_req, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ data: page, total: 150 }));
		});
		const first = await searchAgents.call(context());
		expect(first.results).toHaveLength(100);
		expect(first.paginationToken).toBe('100');
		const second = await searchAgents.call(context(), undefined, '100');
		expect(second.paginationToken).toBeUndefined();
		expect(sim.requestLog.filter((r) => r.at >= testStartedAt && r.path === '/ai/api/v1/config/agent').map((r) => r.query.offset)).toEqual(['0', '100']);
	});

	test('a list that cannot be loaded gives a clear error', async () => {
		sim.intercept('GET', '/ai/api/v1/config/agent', (_req, res) => {
			res.writeHead(403, { 'content-type': 'application/json' });
			res.end('{"detail":"Agent Studio is not enabled"}');
		});
		const error = (await searchAgents.call(context()).catch((e: unknown) => e)) as Error & { description?: string };
		expect(error.message).toBe('Loading the agent list failed: the server answered 403: Agent Studio is not enabled');
		expect(error.description).toMatch(/"By ID" mode/);
	});

	test('with a refresh-token credential: says an OAuth client is needed', async () => {
		const error = (await searchAgents
			.call(context({ authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken }))
			.catch((e: unknown) => e)) as Error & { description?: string };
		expect(error.message).toMatch(/answered 401/);
		expect(error.description).toMatch(/Agent Studio needs an OAuth client credential/);
		expectNoSecrets({ message: error.message, description: error.description }, DEMO_SECRETS);
	});
});
