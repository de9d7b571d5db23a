/**
 * The Run Tool node and Agent Chat's Get Messages operation inside a real n8n-core execution,
 * against the simulator.
 */
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { loadOptionsContext, runNode } from '../helpers/n8n';
import type { RunNodeOptions } from '../helpers/n8n';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { TOOLS, answerText } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationRunTool } from '../../nodes/AlationRunTool/AlationRunTool.node';
import { searchTools } from '../../nodes/AlationRunTool/listTools';
import { TOOL_OUTPUT_CHARS } from '../../nodes/shared/agentStudio/toolOutput';

const sim = useSimulator();
let testStartedAt = 0;
beforeEach(() => {
	testStartedAt = Date.now();
});

const node = new AlationRunTool();
const chatNode = new AlationAgentChat();
const TICKET_LOOKUP = TOOLS.find((t) => t.name === 'Ticket Lookup')!.id;

const alation = (data: IDataObject = {}) => simulatorOauthCredential(sim.url, data);
const items = (n: number, json: (i: number) => IDataObject = (i) => ({ i })): INodeExecutionData[] => Array.from({ length: n }, (_, i) => ({ json: json(i) }));
const byId = (value: string) => ({ __rl: true, mode: 'id', value });

async function runTool(parameters: IDataObject, options: Partial<RunNodeOptions> = {}) {
	return await runNode({
		nodeType: node,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: { tool: byId('list_data_products_tool'), toolInput: '{"search_term": "sales"}', ...parameters } as RunNodeOptions['parameters'],
		...options,
	});
}

async function runChat(parameters: IDataObject, options: Partial<RunNodeOptions> = {}) {
	return await runNode({
		nodeType: chatNode,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: parameters as RunNodeOptions['parameters'],
		...options,
	});
}

const toolRequests = () => sim.requestLog.filter((r) => r.at >= testStartedAt && r.path.startsWith('/ai/api/v1/chats/tool/'));
const description = (error: Error | undefined) => (error as (Error & { description?: string }) | undefined)?.description;

describe('running a tool', () => {
	test('JSON result parsed; output { result, tool, chatId, status, durationMs } per item, in order, paired', async () => {
		const result = await runTool({ toolInput: '={{ JSON.stringify({ search_term: $json.term, limit: 2 }) }}' }, { items: items(3, (i) => ({ term: ['sales', 'finance', ''][i] })) });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const [sales, finance, all] = result.items.map((i) => i.json);
		expect(sales).toEqual({
			result: { instructions: expect.any(String), results: [expect.objectContaining({ product_id: 'sales_analytics' })] },
			tool: 'list_data_products_tool',
			chatId: expect.stringMatching(/^[0-9a-f-]{36}$/),
			status: 'completed',
			durationMs: expect.any(Number),
		});
		expect((finance.result as IDataObject).results).toEqual([expect.objectContaining({ product_id: 'finance_ledger' })]);
		expect((all.result as IDataObject).results).toHaveLength(2);
		const [request] = toolRequests();
		expect(request.path).toBe('/ai/api/v1/chats/tool/default/list_data_products_tool/stream');
		expect(request.headers.accept).toBe('text/event-stream');
		expect(request.headers.authorization).toBe('[present]');
		expect(JSON.parse(request.body)).toEqual({ search_term: 'sales', limit: 2 });
		expect(sim.counters.oauthMints).toBe(1);
		expectNoSecrets(visibleRunData(result), DEMO_SECRETS);
	});

	test('a result that is not JSON stays text; Parse JSON Result off keeps JSON as text', async () => {
		const text = await runTool({ tool: byId('analyze_catalog_question_tool'), toolInput: { question: 'Where are orders?' } });
		expect(text.items[0].json.result).toMatch(/^## Workflow for: Where are orders\?\n1\. /);
		const raw = await runTool({ options: { parseJsonResult: false } });
		expect(typeof raw.items[0].json.result).toBe('string');
		expect(JSON.parse(raw.items[0].json.result as string).results[0].product_id).toBe('sales_analytics');
	});

	test("the SDK's tool names are accepted (alation_context → alation_context_tool); a tool with no input takes {}", async () => {
		const context = await runTool({ tool: byId('alation_context'), toolInput: '{"question": "sales tables"}' });
		expect(context.error).toBeUndefined();
		expect(context.items[0].json.tool).toBe('alation_context_tool');
		expect((context.items[0].json.result as IDataObject).relevant_catalog_objects).toHaveLength(2);
		const none = await runTool({ tool: byId('get_custom_fields_definitions_tool'), toolInput: '' });
		expect(none.items[0].json.result).toEqual([expect.objectContaining({ name_singular: 'Steward' }), expect.anything()]);
		expect(toolRequests().map((r) => r.path)).toEqual([
			'/ai/api/v1/chats/tool/default/alation_context_tool/stream',
			'/ai/api/v1/chats/tool/default/get_custom_fields_definitions_tool/stream',
		]);
	});

	test('a custom tool by UUID goes to /chats/tool/{uuid}/stream; Tool Input as an object from an expression', async () => {
		const result = await runTool({ tool: { __rl: true, mode: 'list', value: TICKET_LOOKUP, cachedResultName: 'Ticket Lookup (custom)' }, toolInput: '={{ { ticket_id: $json.ticket } }}' }, { items: [{ json: { ticket: 'INC-7' } }] });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.result).toEqual({ ticket_id: 'INC-7', status: 'open', assignee: 'data-platform' });
		expect(toolRequests()[0].path).toBe(`/ai/api/v1/chats/tool/${TICKET_LOOKUP}/stream`);
	});

	test('Chat ID runs the tool in that chat (?chat_id=); Include Events adds the raw events', async () => {
		const first = await runTool({});
		const chatId = first.items[0].json.chatId as string;
		const second = await runTool({ chatId, tool: byId('get_data_product_spec_tool'), toolInput: { data_product_id: 'sales_analytics' }, options: { includeEvents: true } });
		expect(second.items[0].json.chatId).toBe(chatId);
		expect(toolRequests()[1].query).toEqual({ chat_id: chatId });
		expect(second.items[0].json.events).toHaveLength(2);
		expect(second.items[0].json.eventsTruncated).toBe(false);
	});
});

describe('errors', () => {
	test('unknown tool → 404 naming the tool hint', async () => {
		const result = await runTool({ tool: byId('no_such_tool') });
		expect(result.error?.message).toMatch(/^Running the tool failed: the server answered 404/);
		expect(description(result.error)).toMatch(/Tool or chat not found/);
	});

	test('input that does not match the schema → 422 with the fields; not JSON → the node refuses', async () => {
		const bad = await runTool({ toolInput: '{"limit": "five"}' });
		expect(bad.error?.message).toMatch(/422/);
		expect(bad.error?.message).toMatch(/search_term/);
		expect(description(bad.error)).toMatch(/Tool Input/);
	});

	test('400 from the tool (data quality without tables or query)', async () => {
		const result = await runTool({ tool: byId('get_data_quality_tool'), toolInput: '{}' });
		expect(result.error?.message).toBe('Running the tool failed: the server answered 400: Either table_ids or sql_query is required.');
	});

	test('500 is not retried; 503 is retried Max Retries times', async () => {
		const failed = await runTool({ toolInput: '{"search_term": "__error_500__"}' });
		expect(failed.error?.message).toMatch(/500/);
		expect(sim.counters.requests.toolStream).toBe(1);
		sim.resetCounters();
		sim.faults.add({ route: 'toolStream', status: 503, retryAfter: 0, times: 2 });
		const recovered = await runTool({ options: { maxRetries: 2 } });
		expect(recovered.error).toBeUndefined();
		expect(sim.counters.requests.toolStream).toBe(3);
	});

	test('bad input is refused before any request, naming the field, on its item', async () => {
		const cases: Array<[IDataObject, RegExp]> = [
			[{ toolInput: '[1, 2]' }, /^Tool Input must be a JSON object$/],
			[{ toolInput: '{"search_term": ' }, /^Tool Input must be a JSON object$/],
			[{ tool: byId('..') }, /^Tool "\.\." is not a name$/],
			[{ tool: byId('.') }, /^Tool "\." is not a name$/],
			[{ tool: byId('../config/tool') }, /^Tool "\.\.\/config\/tool" may hold only/],
			[{ tool: byId(' ') }, /^Tool is empty$/],
			[{ chatId: 'not-a-chat' }, /^Chat ID "not-a-chat" is not a chat ID$/],
			[{ options: { maxRetries: 11 } }, /^Max Retries must be a whole number from 0 to 10$/],
		];
		for (const [parameters, message] of cases) {
			const result = await runTool(parameters);
			expect(result.error?.message).toMatch(message);
		}
		expect(toolRequests()).toHaveLength(0);
	});

	test('Continue On Fail: failing items become error items, the others go on, in order', async () => {
		const result = await runTool(
			{ tool: '={{ $json.tool }}' },
			{ items: items(5, (i) => ({ tool: byId(i % 2 === 1 ? 'no_such_tool' : 'list_data_products_tool') })), continueOnFail: true },
		);
		expect(result.items).toHaveLength(5);
		result.items.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			if (i % 2 === 1) expect(item.json.error).toMatch(/404/);
			else expect(item.json.tool).toBe('list_data_products_tool');
		});
		expectNoSecrets(visibleRunData(result), DEMO_SECRETS);
	});
});

describe('tokens, Stop, timeouts', () => {
	test('token revoked mid-run → one new token, one retry', async () => {
		await runTool({});
		sim.revokeAllTokens();
		sim.resetCounters();
		const result = await runTool({});
		expect(result.error).toBeUndefined();
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.requests.toolStream).toBe(2);
	});

	test('"Stop" aborts a running tool at once', async () => {
		Object.assign(sim.options, { chunkDelayMs: 5000 });
		const abort = new AbortController();
		const started = Date.now();
		setTimeout(() => abort.abort(), 300);
		const result = await runTool({}, { abortSignal: abort.signal });
		expect(Date.now() - started).toBeLessThan(2500);
		expect(result.canceled).toBe(true);
		expect(result.error?.message).toMatch(/cancel/i);
	});

	test('a result past the memory bound fails the item without pointing at an option Run Tool does not have', async () => {
		const text = 'z'.repeat(4 * 1024 * 1024);
		sim.intercept('POST', '/ai/api/v1/chats/tool/default/list_data_products_tool/stream', async (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			for (let i = 0; i < 10; i++) {
				const line = `data: ${JSON.stringify({ id: `m${i}`, chat_id: '11111111-2222-4333-8444-555555555555', model_message: { kind: 'response', parts: [{ part_kind: 'text', content: text }] } })}\n\n`;
				if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
				if (res.destroyed) return;
			}
			res.end('data: [DONE]\n\n');
		});
		const result = await runTool({ options: { parseJsonResult: false } }, { continueOnFail: true });
		const json = result.items[0].json;
		expect(json.error).toMatch(/more than 64 MiB of memory; reading stopped/);
		expect(json.error).not.toMatch(/Max Answer Bytes/);
		expect(String((json.details as IDataObject).description)).toMatch(/Ask the tool for less/);
	}, 60_000);

	test('Timeout bounds the run and names the tool', async () => {
		Object.assign(sim.options, { chunkDelayMs: 3000 });
		const result = await runTool({ options: { timeout: 1 } }, { continueOnFail: true });
		expect(result.items[0].json.error).toBe('The tool did not finish within 1 s (Timeout option)');
		expect((result.items[0].json.details as IDataObject).tool).toBe('list_data_products_tool');
	});
});

describe('as an AI Agent tool', () => {
	test('a failed run is returned as the tool output instead of failing the workflow, and is a warning in n8n\'s log', async () => {
		const warn = jest.spyOn(Container.get(Logger), 'warn').mockImplementation(() => undefined);
		try {
			const result = await runTool({ toolInput: '{"limit": 1}' }, { nodeTypeName: 'n8n-nodes-alation.alationRunToolTool' });
			expect(result.error).toBeUndefined();
			expect(result.items[0].json.error).toMatch(/422/);
			expect(Object.keys(result.items[0].json).sort()).toEqual(['error', 'hint']);
			expect(result.items[0].json.hint).toMatch(/Tool Input/);
			const warnings = warn.mock.calls.map((call) => String(call[0])).filter((m) => m.includes('failed as an AI Agent tool'));
			expect(warnings).toHaveLength(1);
			expect(warnings[0]).toMatch(/422/);
			expectNoSecrets(JSON.stringify(warn.mock.calls), DEMO_SECRETS);
		} finally {
			warn.mockRestore();
		}
	});

	test('the model gets result, tool, chatId and status, the result bounded and said so', async () => {
		const small = await runTool({}, { nodeTypeName: 'n8n-nodes-alation.alationRunToolTool' });
		expect(Object.keys(small.items[0].json)).toEqual(['result', 'tool', 'chatId', 'status']);
		expect(small.items[0].pairedItem).toEqual({ item: 0 });
		const big = 'r'.repeat(TOOL_OUTPUT_CHARS + 1_000);
		sim.intercept('POST', '/ai/api/v1/chats/tool/default/list_data_products_tool/stream', (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			res.write(`data: ${JSON.stringify({ id: 'm1', chat_id: '11111111-2222-4333-8444-555555555555', model_message: { kind: 'response', parts: [{ part_kind: 'text', content: big }] } })}\n\n`);
			res.end('data: [DONE]\n\n');
		});
		const json = (await runTool({ options: { parseJsonResult: false } }, { nodeTypeName: 'n8n-nodes-alation.alationRunToolTool' })).items[0].json;
		expect((json.result as string).length).toBe(TOOL_OUTPUT_CHARS);
		expect(json.resultTruncated).toMatch(new RegExp(`had ${big.length} characters`));
	});

	test('the node is usable as a tool', () => {
		expect(node.description.usableAsTool).toBe(true);
	});
});

describe('the tool list ("From list" mode)', () => {
	const context = (data: IDataObject = {}) => loadOptionsContext({ nodeType: node, parameters: {}, credentials: { alationApi: alation(data) }, credentialTypes: [new AlationApi()] });

	test('built-in tools by ref and the custom tool by UUID, each with its inputs', async () => {
		const result = await searchTools.call(context());
		expect(result.results).toHaveLength(TOOLS.length);
		expect(result.results).toContainEqual({
			name: 'List Data Products',
			value: 'list_data_products_tool',
			description: expect.stringContaining('Input: {"search_term": string*, "limit": integer, "marketplace_id": string}'),
		});
		expect(result.results).toContainEqual({ name: 'Ticket Lookup (custom)', value: TICKET_LOOKUP, description: expect.stringContaining('"ticket_id": string*') });
		expect(result.results).toContainEqual(expect.objectContaining({ value: 'generate_data_product_tool', description: expect.stringContaining('Input: {} (none)') }));
		expect(result.paginationToken).toBeUndefined();
	});

	test('search filters by name, ref or description', async () => {
		expect((await searchTools.call(context(), 'lineage')).results.map((r) => r.value)).toEqual(['lineage_tool']);
		expect((await searchTools.call(context(), 'ticket')).results.map((r) => r.value)).toEqual([TICKET_LOOKUP]);
		expect((await searchTools.call(context(), 'DATA PRODUCT')).results.map((r) => r.value)).toEqual(
			expect.arrayContaining(['list_data_products_tool', 'get_data_product_spec_tool', 'generate_data_product_tool']),
		);
	});

	test('a list that cannot be loaded gives a clear error', async () => {
		sim.faults.add({ route: 'toolList', status: 403, body: { detail: 'forbidden' } });
		await expect(searchTools.call(context())).rejects.toThrow(/Loading the tool list failed: the server answered 403/);
	});
});

describe('Agent Chat: Get Messages', () => {
	async function chatWithTurns(turns: number): Promise<string> {
		let chatId = '';
		for (let i = 0; i < turns; i++) {
			const result = await runChat({ agent: byId('sql_query_agent'), message: `Question ${i}`, chatId });
			expect(result.error).toBeUndefined();
			chatId = result.items[0].json.chatId as string;
		}
		return chatId;
	}

	test('as an AI Agent\'s tool the model gets each message without its raw payload', async () => {
		const chatId = await chatWithTurns(1);
		const result = await runChat({ chatOperation: 'getMessages', chatId, returnAll: true }, { nodeTypeName: 'n8n-nodes-alation.alationAgentChatTool' });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(4);
		for (const item of result.items) expect(Object.keys(item.json)).toEqual(['role', 'text', 'toolCalls', 'createdAt']);
		expect(result.items[0].json.text).toBe('Question 0');
	});

	test('one item per message in order: role, text, toolCalls, createdAt, raw', async () => {
		const chatId = await chatWithTurns(1);
		const result = await runChat({ chatOperation: 'getMessages', chatId, returnAll: true });
		expect(result.error).toBeUndefined();
		const messages = result.items.map((i) => i.json);
		expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
		expect(messages[0].text).toBe('Question 0');
		expect(messages[1].toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'sql_execution_tool', args: { sql: 'SELECT 1' } }]);
		expect(messages[2].text).toMatch(/"row_count":2/);
		expect(messages[3].text).toBe(answerText('Question 0', 'SQL Query Agent', 1));
		expect(messages[3].createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect((messages[3].raw as IDataObject).chat_id).toBe(chatId);
		expect(result.items.map((i) => i.pairedItem)).toEqual(result.items.map(() => ({ item: 0 })));
	});

	test('Return All reads every page (limit/offset); Limit stops early', async () => {
		const chatId = await chatWithTurns(26); // 4 messages a turn: 104 messages, two pages
		sim.resetCounters();
		const all = await runChat({ chatOperation: 'getMessages', chatId, returnAll: true });
		expect(all.items).toHaveLength(104);
		expect(all.items[103].json.text).toBe(answerText('Question 25', 'SQL Query Agent', 26));
		const pages = sim.requestLog.filter((r) => r.path === `/ai/api/v1/chats/${chatId}/messages`).map((r) => r.query);
		expect(pages).toEqual([{ limit: '100', offset: '0' }, { limit: '100', offset: '100' }]);

		const some = await runChat({ chatOperation: 'getMessages', chatId, limit: 5 });
		expect(some.items.map((i) => i.json.text)[0]).toBe('Question 0');
		expect(some.items).toHaveLength(5);
	}, 60_000);

	test('tool runs are recorded in the chat too', async () => {
		const run = await runTool({});
		const result = await runChat({ chatOperation: 'getMessages', chatId: run.items[0].json.chatId });
		expect(result.items.map((i) => [i.json.role, (i.json.toolCalls as IDataObject[]).length])).toEqual([['assistant', 1], ['tool', 0]]);
	});

	test('unknown chat → 404 with a hint; not a UUID → refused before any request', async () => {
		const missing = await runChat({ chatOperation: 'getMessages', chatId: '00000000-0000-4000-8000-000000000000' });
		expect(missing.error?.message).toMatch(/^Reading the chat messages failed: the server answered 404/);
		expect(description(missing.error)).toMatch(/check the Chat ID/);
		const bad = await runChat({ chatOperation: 'getMessages', chatId: 'abc' });
		expect(bad.error?.message).toBe('Chat ID "abc" is not a chat ID');
	});

	test('Ask Agent is still the default operation (no operation parameter)', async () => {
		const result = await runChat({ agent: byId('catalog_search_agent'), message: 'Find sales tables' });
		expect(result.items[0].json.answer).toBe(answerText('Find sales tables', 'Catalog Search Agent', 1));
	});
});
