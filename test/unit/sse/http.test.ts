/**
 * The reader on real sockets: undici response bodies from a tiny loopback server (delayed small
 * chunks, a stream that never closes after [DONE], a dropped connection, a stalled stream, an
 * abort) and from the project's Alation simulator in snapshot and delta style.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

import { parseJsonAnswer } from '../../../nodes/shared/json';
import { AnswerAssembler } from '../../../nodes/shared/sse/assembler';
import type { AssembledAnswer } from '../../../nodes/shared/sse/assembler';
import { readAgentStream } from '../../../nodes/shared/sse/reader';
import type { AgentStreamStats } from '../../../nodes/shared/sse/reader';
import type { Simulator, StreamStyle } from '../../simulator';
import { AGENTS, DEMO, answerText, startSimulator } from '../../simulator';
import { FIXTURE, fromChunks, mulberry32, readAll } from './helpers';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let handler: Handler = (_req, res) => void res.end();
const sockets = new Set<Socket>();
const dispatcher = new Agent({ keepAliveTimeout: 10 });

beforeAll(async () => {
	server = createServer((req, res) => void handler(req, res));
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	for (const socket of sockets) socket.destroy();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	await dispatcher.close();
});

function startEventStream(res: ServerResponse): void {
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	res.flushHeaders();
	res.socket?.setNoDelay(true);
}

interface Consumed {
	assembled: AssembledAnswer;
	streamed: string;
	stats: AgentStreamStats;
	activity: number;
}

/** POSTs/GETs with undici and feeds the body to reader + assembler; always destroys the body. */
async function consume(
	url: string,
	init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; bodyTimeout?: number; signal?: AbortSignal } = {},
): Promise<Consumed> {
	const response = await request(url, {
		method: init.method ?? 'GET',
		headers: { accept: 'text/event-stream', ...init.headers },
		body: init.body,
		dispatcher,
		bodyTimeout: init.bodyTimeout,
		signal: init.signal,
	});
	expect(response.statusCode).toBe(200);
	expect(response.headers['content-type']).toBe('text/event-stream');
	const assembler = new AnswerAssembler();
	let streamed = '';
	let activity = 0;
	try {
		const stats = await readAgentStream(response.body, {
			onEvent: (json) => void (streamed += assembler.add(json)),
			onActivity: () => activity++,
		});
		return { assembled: assembler.result(), streamed, stats, activity };
	} finally {
		response.body.destroy();
	}
}

describe('undici body from a loopback server', () => {
	test('the transcript in small delayed chunks gives the same events as the file', async () => {
		const expected = await readAll(fromChunks([FIXTURE]));
		const rng = mulberry32(42);
		handler = async (_req, res) => {
			startEventStream(res);
			for (let i = 0; i < FIXTURE.length; ) {
				const size = 1 + Math.floor(rng() * 40);
				res.write(FIXTURE.subarray(i, i + size));
				i += size;
				await sleep(1);
			}
			res.end();
		};
		const response = await request(baseUrl, { dispatcher });
		let activity = 0;
		const got = await readAll(response.body, { onActivity: () => activity++ });
		response.body.destroy();
		expect(JSON.stringify(got.events)).toBe(JSON.stringify(expected.events));
		expect(got.stats.done).toBe(true);
		expect(activity).toBeGreaterThan(10);
	});

	test('returns at [DONE] although the server keeps the connection open', async () => {
		let closed!: () => void;
		const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
		handler = (_req, res) => {
			startEventStream(res);
			res.write(FIXTURE);
			res.on('close', () => closed());
			// never ends
		};
		const started = performance.now();
		const { assembled, stats } = await consume(baseUrl);
		expect(performance.now() - started).toBeLessThan(2000);
		expect(stats.done).toBe(true);
		expect(assembled.answer).toContain('EMEA');
		// Destroying the body closes the connection: the server sees it.
		await serverSawClose;
	});

	test('a dropped connection: the undici error propagates, the events before it were read', async () => {
		const cut = FIXTURE.indexOf('data: [DONE]') - 200;
		handler = async (_req, res) => {
			startEventStream(res);
			res.write(FIXTURE.subarray(0, cut));
			await sleep(20);
			res.socket?.destroy();
		};
		const assembler = new AnswerAssembler();
		const response = await request(baseUrl, { dispatcher });
		const error = await readAgentStream(response.body, { onEvent: (json) => void assembler.add(json) }).then(
			() => undefined,
			(e: unknown) => e,
		);
		response.body.destroy();
		expect(error).toMatchObject({ name: 'SocketError', code: 'UND_ERR_SOCKET' });
		expect(assembler.result().answer).toBe('Q3 revenue for "Café Europa" was €1.24M 📊 → up 12 % vs Q2.\n\n');
	});

	test('a stalled stream: undici body timeout propagates; pings count as activity', async () => {
		handler = async (_req, res) => {
			startEventStream(res);
			res.write(': ping\n\n');
			await sleep(50);
			res.write('data: {"id":"m","model_message":{"kind":"response","parts":[{"part_kind":"text","content":"hi"}]}}\n\n');
			// then silence
		};
		const events: unknown[] = [];
		let activity = 0;
		const response = await request(baseUrl, { dispatcher, bodyTimeout: 300 });
		const error = await readAgentStream(response.body, {
			onEvent: (json) => void events.push(json),
			onActivity: () => activity++,
		}).then(
			() => undefined,
			(e: unknown) => e,
		);
		response.body.destroy();
		expect(error).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
		expect(events).toHaveLength(1);
		expect(activity).toBe(2);
	});

	test('an abort signal: the abort error propagates', async () => {
		handler = (_req, res) => {
			startEventStream(res);
			res.write(': ping\n\n');
		};
		const controller = new AbortController();
		const response = await request(baseUrl, { dispatcher, signal: controller.signal });
		const reading = readAgentStream(response.body, {
			onEvent: () => undefined,
			onActivity: () => controller.abort(new Error('cancelled by the user')),
		});
		await expect(reading).rejects.toThrow('cancelled by the user');
		response.body.destroy();
	});
});

describe('against the Alation simulator', () => {
	let sim: Simulator;
	let token: string;
	const SQL_AGENT = 'SQL Query Agent';

	beforeAll(async () => {
		sim = await startSimulator({ quiet: true, chunkDelayMs: 5, pingIntervalMs: 3 });
		const response = await request(`${sim.url}/oauth/v2/token/`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: DEMO.clientId,
				client_secret: DEMO.clientSecret,
			}).toString(),
			dispatcher,
		});
		expect(response.statusCode).toBe(200);
		token = ((await response.body.json()) as { access_token: string }).access_token;
	});

	afterAll(async () => {
		await sim.close();
	});

	function agentStream(path: string, payload: Record<string, unknown>, chatId?: string): Promise<Consumed> {
		const query = chatId === undefined ? '' : `?chat_id=${chatId}`;
		return consume(`${sim.url}/ai/api/v1/chats/agent/${path}/stream${query}`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify(payload),
		});
	}

	test.each(['snapshot', 'delta'] satisfies StreamStyle[])('%s style: answer, tools, assets, chat id', async (style) => {
		sim.options.streamStyle = style;
		const message = 'Top 5 cafés by revenue → 2025?';
		const { assembled, streamed, stats } = await agentStream('default/sql_query_agent', { message, data_product_id: 'dp1' });
		const expected = answerText(message, SQL_AGENT, 1);
		expect(stats.done).toBe(true);
		expect(stats.skippedNonJson).toBe(0);
		expect(stats.comments).toBeGreaterThan(0);
		expect(assembled.answer).toBe(expected);
		expect(streamed).toBe(expected);
		expect(assembled.status).toBe('completed');
		expect(assembled.chatId).toMatch(/^[0-9a-f-]{36}$/);
		expect(assembled.agentId).toBe(AGENTS.find((a) => a.default_ref === 'sql_query_agent')?.id);
		expect(assembled.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'sql_execution_tool', args: { sql: 'SELECT 1' } }]);
		expect(assembled.toolResults).toEqual([
			{
				id: assembled.toolCalls[0].id,
				name: 'sql_execution_tool',
				content: { columns: ['id', 'name'], rows: [[1, 'alpha'], [2, 'beta']], row_count: 2 },
			},
		]);
		expect(assembled.assets).toEqual([{ kind: 'sql', id: expect.any(String) }]);
	});

	test.each(['snapshot', 'delta'] satisfies StreamStyle[])('%s style: approval pending, then approved', async (style) => {
		sim.options.streamStyle = style;
		const payload = { message: 'please approve this query', data_product_id: 'dp1' };
		const first = await agentStream('default/sql_query_agent', payload);
		expect(first.assembled.status).toBe('pending_approval');
		expect(first.assembled.answer).toBe('');
		const call = first.assembled.toolCalls[0];
		expect(call).toMatchObject({ name: 'sql_execution_tool', pendingApproval: true });

		const second = await agentStream('default/sql_query_agent', { ...payload, tool_approvals: { [call.id]: true } }, first.assembled.chatId);
		expect(second.assembled.status).toBe('completed');
		expect(second.assembled.chatId).toBe(first.assembled.chatId);
		expect(second.assembled.answer).toBe(answerText(payload.message, SQL_AGENT, 1));
		expect(second.assembled.toolCalls[0]).toEqual({ id: call.id, name: 'sql_execution_tool', args: { sql: 'SELECT 1' } });
	});

	test.each(['snapshot', 'delta'] satisfies StreamStyle[])('%s style: a JSON answer from a custom agent', async (style) => {
		sim.options.streamStyle = style;
		const agent = AGENTS.find((a) => a.name === 'JSON Agent');
		expect(agent).toBeDefined();
		const { assembled, streamed } = await agentStream(agent!.id, { message: 'hello' });
		expect(streamed).toBe(assembled.answer);
		expect(parseJsonAnswer(assembled.answer)).toEqual({ answer: answerText('hello', 'JSON Agent', 1), turn: 1 });
		expect(assembled.toolCalls).toEqual([]);
	});
});
