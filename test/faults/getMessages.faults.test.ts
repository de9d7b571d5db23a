/**
 * Fault suite, Agent Chat's Get Messages against servers that page oddly or answer too much: short
 * pages with a `total`, pages over the client's 1 MiB body bound, answers that are not JSON, a server
 * that ignores `offset`, a history larger than Max Bytes, tool call args sent as JSON text. Each case
 * runs the real node in a real n8n-core execution against the simulator (its intercepts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { IDataObject } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { loadOptionsContext, runNode } from '../helpers/n8n';
import type { RunNodeOptions, RunNodeResult } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationRunTool } from '../../nodes/AlationRunTool/AlationRunTool.node';
import { searchTools } from '../../nodes/AlationRunTool/listTools';

const sim = useSimulator();

const chatNode = new AlationAgentChat();
const CHAT_ID = '11111111-2222-4333-8444-555555555555';
const MESSAGES_PATH = `/ai/api/v1/chats/${CHAT_ID}/messages`;
const MiB = 1024 * 1024;

const alation = () => simulatorOauthCredential(sim.url);

async function getMessages(parameters: IDataObject, options: Partial<RunNodeOptions> = {}): Promise<RunNodeResult> {
	return await runNode({
		nodeType: chatNode,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: { chatOperation: 'getMessages', chatId: CHAT_ID, ...parameters } as RunNodeOptions['parameters'],
		...options,
	});
}

/** Message `i` of the served chat: a user prompt or an assistant text, `text` its content. */
function message(i: number, text = `message ${i}`): IDataObject {
	const kind = i % 2 === 0 ? 'request' : 'response';
	const part = kind === 'request' ? { part_kind: 'user-prompt', content: text } : { part_kind: 'text', content: text };
	return { id: `m${i}`, chat_id: CHAT_ID, model_message: { kind, parts: [part] }, created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() };
}

interface Served {
	/** Most messages a page holds, whatever `limit` asks. */
	maxPage?: number;
	/** Send `total` (the number of messages). */
	total?: boolean;
	/** Answer every page from offset 0. */
	ignoreOffset?: boolean;
}

/** Serves `messages` at the messages endpoint, as long as the test runs; returns the pages asked for. */
function serve(messages: IDataObject[], { maxPage = 100, total = true, ignoreOffset = false }: Served = {}): Array<{ limit: number; offset: number }> {
	const asked: Array<{ limit: number; offset: number }> = [];
	sim.intercept('GET', MESSAGES_PATH, (req: IncomingMessage, res: ServerResponse) => {
		const query = new URL(req.url ?? '/', 'http://x').searchParams;
		const limit = Number(query.get('limit'));
		const offset = Number(query.get('offset'));
		asked.push({ limit, offset });
		const from = ignoreOffset ? 0 : offset;
		const data = messages.slice(from, from + Math.min(limit, maxPage));
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(total ? { data, total: messages.length } : { data }));
	}, { times: Infinity });
	return asked;
}

/** Answers every messages request with this status, content type and body. */
function answer(status: number, contentType: string, body: string): void {
	sim.intercept('GET', MESSAGES_PATH, (_req: IncomingMessage, res: ServerResponse) => {
		res.writeHead(status, { 'content-type': contentType });
		res.end(body);
	}, { times: Infinity });
}

const chat = (n: number, text?: (i: number) => string) => Array.from({ length: n }, (_, i) => message(i, text?.(i)));
const texts = (result: RunNodeResult) => result.items.map((i) => i.json.text);
const description = (error: Error | undefined) => (error as (Error & { description?: string }) | undefined)?.description ?? '';

describe('(a) paging: by `total` when the server sends one', () => {
	test('pages of at most 2 with total 8: Return All reads all 8, asking from each offset', async () => {
		const asked = serve(chat(8), { maxPage: 2 });
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(texts(result)).toEqual(chat(8).map((_, i) => `message ${i}`));
		expect(asked.map((p) => p.offset)).toEqual([0, 2, 4, 6]);
	});

	test('pages of at most 2 with total 8: Limit 3 gives 3', async () => {
		const asked = serve(chat(8), { maxPage: 2 });
		const result = await getMessages({ limit: 3 });
		expect(result.error).toBeUndefined();
		expect(texts(result)).toEqual(['message 0', 'message 1', 'message 2']);
		expect(asked).toEqual([{ limit: 3, offset: 0 }, { limit: 1, offset: 2 }]);
	});

	test('without a total a short page is the last one', async () => {
		const asked = serve(chat(8), { maxPage: 2, total: false });
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2);
		expect(asked).toHaveLength(1);
	});

	test('a total larger than what the server has: an empty page ends it (no loop)', async () => {
		const messages = chat(3);
		const asked: number[] = [];
		sim.intercept('GET', MESSAGES_PATH, (req: IncomingMessage, res: ServerResponse) => {
			const offset = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset'));
			asked.push(offset);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ data: messages.slice(offset, offset + 2), total: 10 }));
		}, { times: Infinity });
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(asked).toEqual([0, 2, 3]);
	});
});

describe('(b) a page over the 1 MiB body bound, or not JSON, fails clearly — never an empty chat', () => {
	test('150 messages of 11 KB (a 100-message page is 1.1 MB): every message is read, in smaller pages', async () => {
		const asked = serve(chat(150, (i) => `${i}:`.padEnd(11_000, 'x')));
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(150);
		expect(result.items[149].json.text).toMatch(/^149:x+$/);
		// The first page was too large and was asked again, smaller.
		expect(asked[0]).toEqual({ limit: 100, offset: 0 });
		expect(asked[1]).toEqual({ limit: 50, offset: 0 });
	});

	test('one message over 1 MiB: the item fails naming the operation, the endpoint and the bound', async () => {
		serve([message(0, 'x'.repeat(MiB + 10))]);
		const result = await getMessages({ returnAll: true });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/^Reading the chat messages failed: /);
		expect(result.error?.message).toMatch(/\/messages/);
		expect(result.error?.message).toMatch(/larger than 1 MiB.*single message \(offset 0\)/);
	});

	test('a 200 whose body is not JSON (a proxy login page): the item fails saying so', async () => {
		answer(200, 'text/html', '<!DOCTYPE html><html><body>Sign in</body></html>');
		const result = await getMessages({ returnAll: true });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/^Reading the chat messages failed: .*\/messages.* not JSON/);
		expect(description(result.error)).toMatch(/base URL|proxy/);
	});

	test('a 200 with broken JSON (the simulator’s malformJson fault, on a real chat) fails too; Continue On Fail keeps it on its item', async () => {
		const ask = await getMessages({ chatOperation: 'ask', agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: 'Find sales tables', chatId: '' });
		expect(ask.error).toBeUndefined();
		const chatId = ask.items[0].json.chatId as string;
		sim.faults.add({ route: 'chatMessages', malformJson: true });
		const result = await getMessages({ chatId, returnAll: true }, { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(String(result.items[0].json.error)).toMatch(/not JSON/);
	});

	test('204 (no content) is an empty chat, not an error', async () => {
		answer(204, 'application/json', '');
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(0);
	});

	test('the tool list ("From list") over 1 MiB fails clearly instead of showing an empty list', async () => {
		const tools = Array.from({ length: 100 }, (_, i) => ({ id: `t${i}`, name: `Tool ${i}`, function_name: `tool_${i}`, description: 'd'.repeat(11_000) }));
		sim.intercept('GET', '/ai/api/v1/config/tool', (_req: IncomingMessage, res: ServerResponse) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ data: tools, total: 100 }));
		}, { times: Infinity });
		const context = loadOptionsContext({ nodeType: new AlationRunTool(), parameters: {}, credentials: { alationApi: alation() }, credentialTypes: [new AlationApi()] });
		const error = (await searchTools.call(context).catch((e: unknown) => e)) as Error & { description?: string };
		expect(error.message).toMatch(/^Loading the tool list failed: GET .*\/ai\/api\/v1\/config\/tool answered 200 with a body larger than 1 MiB/);
		expect(error.description).toMatch(/"By ID" mode/);
	});
});

describe('(c) a server that ignores offset, and the Max Bytes budget', () => {
	test('offset ignored, no total: the repeated page fails the item (not 1,000 pages)', async () => {
		const asked = serve(chat(100), { total: false, ignoreOffset: true });
		const result = await getMessages({ returnAll: true }, { continueOnFail: true });
		expect(result.items).toHaveLength(1);
		expect(String(result.items[0].json.error)).toMatch(/same messages again .*offset 100/);
		expect(asked).toHaveLength(2);
	}, 120_000);

	test('offset ignored, Limit 150: the second (shorter) page starts with the first page’s first message → fails too', async () => {
		serve(chat(100), { total: false, ignoreOffset: true });
		const result = await getMessages({ limit: 150 });
		expect(result.error?.message).toMatch(/same messages again/);
	});

	test('more than 1,000 pages (a server that serves one message a page): the item fails instead of stopping silently', async () => {
		const asked = serve(chat(1200), { maxPage: 1 });
		const result = await getMessages({ returnAll: true });
		expect(result.error?.message).toMatch(/more messages than 1,000 pages hold \(1,000 read\)/);
		expect(asked).toHaveLength(1000);
	}, 60_000);

	test('Max Bytes: a history larger than the budget fails the item naming the option', async () => {
		const asked = serve(chat(2000, (i) => `${i}:`.padEnd(1000, 'y')), { total: false });
		const result = await getMessages({ returnAll: true, messageOptions: { maxBytes: MiB } });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/Max Bytes/);
		expect(result.error?.message).toMatch(/1,048,576 bytes/);
		expect(description(result.error)).toMatch(/Raise Max Bytes|Limit/);
		expect(asked.length).toBeLessThan(20);
	}, 60_000);

	test('the default budget (64 MiB) reads the same 2,000 messages', async () => {
		serve(chat(2000, (i) => `${i}:`.padEnd(1000, 'y')), { total: false });
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2000);
	}, 60_000);

	test('Max Bytes that is not a whole number is refused before any request', async () => {
		const asked = serve(chat(2));
		const result = await getMessages({ returnAll: true, messageOptions: { maxBytes: -1 } });
		expect(result.error?.message).toMatch(/Max Bytes must be a whole number/);
		expect(asked).toHaveLength(0);
	});
});

describe('(d) tool call args', () => {
	test('args sent as JSON text become an object (as Agent Chat outputs them); other text stays text', async () => {
		const call = (id: string, args: unknown) => ({ part_kind: 'tool-call', tool_call_id: id, tool_name: 'sql_execution_tool', args });
		const response: IDataObject = {
			id: 'r1',
			chat_id: CHAT_ID,
			model_message: { kind: 'response', parts: [call('c1', '{"sql": "SELECT 1"}'), call('c2', '[1, 2]'), call('c3', 'not json'), call('c4', { sql: 'SELECT 2' }), call('c5', '42')] },
		};
		serve([response]);
		const result = await getMessages({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect((result.items[0].json.toolCalls as IDataObject[]).map((c) => c.args)).toEqual([{ sql: 'SELECT 1' }, [1, 2], 'not json', { sql: 'SELECT 2' }, '42']);
	});
});
