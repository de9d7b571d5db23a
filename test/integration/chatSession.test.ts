/**
 * Agent Chat in a Chat Trigger's workflow (each chat message is a new execution with the session's
 * `sessionId`) and as an AI Agent's tool: real n8n-core executions against the simulator, and the
 * session memory on a real redis-server as in queue mode.
 */
import { randomUUID } from 'node:crypto';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { LoggerProxy } from 'n8n-workflow';
import type { IDataObject } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import type { RunNodeOptions } from '../helpers/n8n';
import { startRedisServer } from '../helpers/redisServer';
import type { RedisServer } from '../helpers/redisServer';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { answerText } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { ChatMemory, MAX_SESSIONS, SESSION_IDLE_MS } from '../../nodes/AlationAgentChat/chatMemory';
import type { SessionKey } from '../../nodes/AlationAgentChat/chatMemory';
import { TOOL_OUTPUT_CHARS as TOOL_ANSWER_CHARS } from '../../nodes/shared/agentStudio/toolOutput';
import { alationClientCredentialsGrant } from '../../nodes/shared/auth/grants';
import { fleetRedisFromEnvironment } from '../../nodes/shared/fleetRedis';

const sim = useSimulator();
const node = new AlationAgentChat();
const CHAT_TRIGGER = '@n8n/n8n-nodes-langchain.chatTrigger';
const CATALOG_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const alation = () => simulatorOauthCredential(sim.url);
const byId = (value: string) => ({ __rl: true, mode: 'id', value });

async function ask(parameters: IDataObject, options: Partial<RunNodeOptions> = {}) {
	return await runNode({
		nodeType: node,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: { agent: byId('catalog_search_agent'), message: '={{ $json.chatInput }}', ...parameters } as RunNodeOptions['parameters'],
		...options,
	});
}

/** One chat message as n8n's Chat Trigger delivers it: a new execution of the same node. */
async function chatMessage(nodeId: string, sessionId: string, text: string, parameters: IDataObject = {}, options: Partial<RunNodeOptions> = {}) {
	const result = await ask(parameters, { nodeId, startNodeType: CHAT_TRIGGER, items: [{ json: { sessionId, action: 'sendMessage', chatInput: text } }], ...options });
	expect(result.error).toBeUndefined();
	return result.items[0].json;
}

describe('in a Chat Trigger workflow: the n8n chat session continues its Alation chat', () => {
	test('a follow-up in the same session is turn 2 of the same Alation chat', async () => {
		const nodeId = randomUUID();
		const first = await chatMessage(nodeId, 'session-a', 'Which tables hold churn data?');
		const second = await chatMessage(nodeId, 'session-a', 'Which of them changed this week?');
		expect(first.chatId).toMatch(UUID);
		expect(second.chatId).toBe(first.chatId);
		expect(second.answer).toBe(answerText('Which of them changed this week?', 'Catalog Search Agent', 2));
	});

	test('another session, another Alation chat', async () => {
		const nodeId = randomUUID();
		const a = await chatMessage(nodeId, 'session-a', 'Hello');
		const b = await chatMessage(nodeId, 'session-b', 'Hello');
		expect(b.chatId).not.toBe(a.chatId);
		expect(b.answer).toBe(answerText('Hello', 'Catalog Search Agent', 1));
	});

	test('a Chat ID that is set wins over the session', async () => {
		const nodeId = randomUUID();
		const remembered = await chatMessage(nodeId, 'session-a', 'First');
		const other = await chatMessage(randomUUID(), 'session-x', 'Elsewhere');
		const explicit = await chatMessage(nodeId, 'session-a', 'Into the other chat', { chatId: other.chatId as string });
		expect(explicit.chatId).toBe(other.chatId);
		expect(explicit.chatId).not.toBe(remembered.chatId);
		expect(explicit.answer).toBe(answerText('Into the other chat', 'Catalog Search Agent', 2));
	});

	test('Continue Chat Session off: every message starts a new chat', async () => {
		const nodeId = randomUUID();
		const off = { options: { continueChatSession: false } };
		const a = await chatMessage(nodeId, 'session-a', 'One', off);
		const b = await chatMessage(nodeId, 'session-a', 'Two', off);
		expect(b.chatId).not.toBe(a.chatId);
		expect(b.answer).toBe(answerText('Two', 'Catalog Search Agent', 1));
	});

	test('items with a sessionId but no Chat Trigger upstream (a scheduled job) do not continue chats', async () => {
		const nodeId = randomUUID();
		const run = async () => (await ask({}, { nodeId, items: [{ json: { sessionId: 'from-a-sheet', chatInput: 'Hi' } }] })).items[0].json;
		const a = await run();
		const b = await run();
		expect(b.chatId).not.toBe(a.chatId);
	});

	test('a remembered chat Alation no longer knows (404) is forgotten: the message starts a new chat, sent once more', async () => {
		const nodeId = randomUUID();
		const first = await chatMessage(nodeId, 'session-a', 'First');
		let refused = 0;
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			refused++;
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end('{"detail":"Chat not found"}');
		});
		const second = await chatMessage(nodeId, 'session-a', 'Still there?');
		expect(refused).toBe(1);
		expect(second.chatId).toMatch(UUID);
		expect(second.chatId).not.toBe(first.chatId);
		expect(second.answer).toBe(answerText('Still there?', 'Catalog Search Agent', 1));
		const third = await chatMessage(nodeId, 'session-a', 'And now?');
		expect(third.chatId).toBe(second.chatId);
	});
});

describe('in a Chat Trigger workflow: what must not change', () => {
	test('a 404 after the answer (an asset download) is an error, not an unknown chat: the agent runs once, the session keeps its chat', async () => {
		const nodeId = randomUUID();
		const first = await chatMessage(nodeId, 'session-a', 'First');
		let streams = 0;
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			streams++;
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			const toolReturn = { part_kind: 'tool-return', tool_name: 'sql', tool_call_id: 't1', content: 'ok', metadata: [{ kind: 'sql', id: 'gone-asset' }] };
			res.write(`data: ${JSON.stringify({ id: 'm1', chat_id: first.chatId, model_message: { kind: 'request', parts: [toolReturn] } })}\n\n`);
			res.write(`data: ${JSON.stringify({ id: 'm2', chat_id: first.chatId, model_message: { kind: 'response', parts: [{ part_kind: 'text', content: 'Here.' }] } })}\n\n`);
			res.end('data: [DONE]\n\n');
		});
		sim.intercept('GET', '/ai/api/v1/assets/gone-asset', (_req, res) => {
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end('{"detail":"Asset not found"}');
		});
		const failed = await ask({ options: { downloadAssets: true } }, { nodeId, startNodeType: CHAT_TRIGGER, items: [{ json: { sessionId: 'session-a', chatInput: 'With a file' } }] });
		expect(failed.error?.message).toMatch(/404/);
		expect(streams).toBe(1);
		const next = await chatMessage(nodeId, 'session-a', 'Still the same chat?');
		expect(next.chatId).toBe(first.chatId);
	});

	test('several items from one chat message (split into questions) each get a chat of their own, as before chat sessions', async () => {
		const nodeId = randomUUID();
		const run = async () =>
			(
				await ask({}, { nodeId, startNodeType: CHAT_TRIGGER, items: [{ json: { sessionId: 's-multi', chatInput: 'One' } }, { json: { sessionId: 's-multi', chatInput: 'Two' } }] })
			).items.map((i) => i.json);
		const first = await run();
		const second = await run();
		const chats = new Set([...first, ...second].map((j) => j.chatId));
		expect(chats.size).toBe(4);
		expect(second.map((j) => j.answer)).toEqual([answerText('One', 'Catalog Search Agent', 1), answerText('Two', 'Catalog Search Agent', 1)]);
	});
});

describe('the session memory', () => {
	const key = (sessionId: string): SessionKey => ({ workflowId: 'w', nodeId: 'n', credentialId: 'c', agent: 'a', sessionId });
	/** The credential's grant: its secret keys the MAC of what the fleet's Redis holds. A new value each time, as each execution reads it. */
	const grant = (clientSecret = 'chat-memory-secret-1') => alationClientCredentialsGrant({ baseUrl: 'https://alation.example', clientId: 'client-1', clientSecret });

	test('a session silent for longer than SESSION_IDLE_MS starts a new chat; using it keeps it', async () => {
		let now = 0;
		const memory = new ChatMemory(() => undefined, () => now);
		await memory.remember(key('s'), 'chat-1', grant());
		now += SESSION_IDLE_MS - 1;
		expect(await memory.recall(key('s'), grant())).toBe('chat-1');
		await memory.remember(key('s'), 'chat-1', grant());
		now += SESSION_IDLE_MS - 1;
		expect(await memory.recall(key('s'), grant())).toBe('chat-1');
		now += 2;
		expect(await memory.recall(key('s'), grant())).toBeUndefined();
	});

	test(`bounded: the least recently used session goes first (default ${MAX_SESSIONS})`, async () => {
		const memory = new ChatMemory(() => undefined, Date.now, 3);
		for (const s of ['a', 'b', 'c']) await memory.remember(key(s), `chat-${s}`, grant());
		await memory.remember(key('a'), 'chat-a', grant());
		await memory.remember(key('d'), 'chat-d', grant());
		expect(await memory.recall(key('b'), grant())).toBeUndefined();
		for (const s of ['a', 'c', 'd']) expect(await memory.recall(key(s), grant())).toBe(`chat-${s}`);
	});

	describe('in queue mode, on the fleet\'s Redis', () => {
		let redis: RedisServer;
		beforeAll(async () => {
			redis = await startRedisServer();
		}, 60_000);
		afterAll(async () => {
			await redis?.stop();
		});
		const queueEnv = (port: number, prefix = 'chat-test') => ({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port), QUEUE_BULL_PREFIX: prefix });

		test('a session remembered by one process is continued by another; nothing secret is stored', async () => {
			const [one, two] = [fleetRedisFromEnvironment(queueEnv(redis.port), [])!, fleetRedisFromEnvironment(queueEnv(redis.port), [])!];
			try {
				const main = new ChatMemory(() => one);
				const worker = new ChatMemory(() => two);
				await main.remember(key('shared'), 'chat-42', grant());
				expect(await worker.recall(key('shared'), grant())).toBe('chat-42');
				const keys = await one.client.keys('chat-test:n8n-nodes-alation:chat:*');
				expect(keys).toHaveLength(1);
				expect(keys[0]).not.toContain('shared');
				expectNoSecrets(`${keys[0]} ${await one.client.get(keys[0])}`, ['chat-memory-secret-1']);
				const ttl = await one.client.pttl(keys[0]);
				expect(ttl).toBeGreaterThan(SESSION_IDLE_MS - 60_000);
				await worker.forget(key('shared'));
				expect(await main.recall(key('shared'), grant())).toBe('chat-42'); // the main process's own memory…
				expect(await new ChatMemory(() => one).recall(key('shared'), grant())).toBeUndefined(); // …but the fleet forgot it
			} finally {
				one.client.disconnect();
				two.client.disconnect();
			}
		});

		describe('a value in Redis is bound to its session by a MAC keyed from the credential\'s secret', () => {
			let clients: Array<{ client: { disconnect(): void } }> = [];
			let warn: jest.SpyInstance;
			const connect = (prefix: string) => {
				const fleet = fleetRedisFromEnvironment(queueEnv(redis.port, prefix), [])!;
				clients.push(fleet);
				return fleet;
			};
			const warnings = () => warn.mock.calls.map((call) => String(call[0]));
			beforeEach(() => {
				warn = jest.spyOn(LoggerProxy, 'warn').mockImplementation(() => undefined);
			});
			afterEach(() => {
				warn.mockRestore();
				for (const { client } of clients) client.disconnect();
				clients = [];
			});

			test('two sessions\' values swapped in Redis: each session starts a new chat, never the other\'s; a warning without ids', async () => {
				const fleet = connect('swap-test');
				const main = new ChatMemory(() => fleet);
				await main.remember(key('alice'), 'chat-of-alice', grant());
				const [aliceKey] = await fleet.client.keys('swap-test:n8n-nodes-alation:chat:*');
				await main.remember(key('bob'), 'chat-of-bob', grant());
				const [bobKey] = (await fleet.client.keys('swap-test:n8n-nodes-alation:chat:*')).filter((k) => k !== aliceKey);
				const [aliceValue, bobValue] = [await fleet.client.get(aliceKey), await fleet.client.get(bobKey)];
				await fleet.client.set(aliceKey, bobValue!, 'PX', SESSION_IDLE_MS);
				await fleet.client.set(bobKey, aliceValue!, 'PX', SESSION_IDLE_MS);

				const worker = new ChatMemory(() => connect('swap-test'));
				expect(await worker.recall(key('alice'), grant())).toBeUndefined();
				expect(await worker.recall(key('bob'), grant())).toBeUndefined();
				expect(await main.recall(key('alice'), grant())).toBeUndefined();
				expect(warnings().some((m) => /did not verify/.test(m))).toBe(true);
				expectNoSecrets(JSON.stringify(warn.mock.calls), ['chat-of-alice', 'chat-of-bob', 'chat-memory-secret-1', 'alice', 'bob']);
				// The session's next chat is remembered again, verifiably.
				await worker.remember(key('alice'), 'chat-of-alice-2', grant());
				expect(await new ChatMemory(() => fleet).recall(key('alice'), grant())).toBe('chat-of-alice-2');
			});

			test('a value written with another credential secret does not verify', async () => {
				const fleet = connect('secret-test');
				await new ChatMemory(() => fleet).remember(key('s'), 'chat-1', grant('chat-memory-secret-1'));
				expect(await new ChatMemory(() => fleet).recall(key('s'), grant('chat-memory-secret-2'))).toBeUndefined();
				expect(warnings()).toHaveLength(1);
				expect(await new ChatMemory(() => fleet).recall(key('s'), grant('chat-memory-secret-1'))).toBe('chat-1');
			});

			test('a plain chat id (the earlier format) or a malformed value is not trusted', async () => {
				const fleet = connect('plain-test');
				await new ChatMemory(() => fleet).remember(key('s'), 'chat-1', grant());
				const [stored] = await fleet.client.keys('plain-test:n8n-nodes-alation:chat:*');
				for (const value of ['chat-plain', 'm1.Y2hhdC0x', 'm1..', `${await fleet.client.get(stored)}x`, 'm1.Y2hhdC0x.AAAA.extra']) {
					await fleet.client.set(stored, value, 'PX', SESSION_IDLE_MS);
					expect(await new ChatMemory(() => fleet).recall(key('s'), grant())).toBeUndefined();
				}
				expect(warnings().length).toBeGreaterThanOrEqual(1);
				expectNoSecrets(JSON.stringify(warn.mock.calls), ['chat-plain', 'chat-1', 'chat-memory-secret-1']);
			});

			test('a valid value round-trips between two processes sharing the Redis and the secret, within its TTL', async () => {
				const [one, two] = [connect('trip-test'), connect('trip-test')];
				const main = new ChatMemory(() => one);
				const worker = new ChatMemory(() => two);
				await main.remember(key('s'), 'chat-9', grant());
				expect(await worker.recall(key('s'), grant())).toBe('chat-9');
				await worker.remember(key('s'), 'chat-10', grant());
				expect(await new ChatMemory(() => one).recall(key('s'), grant())).toBe('chat-10');
				const [stored] = await one.client.keys('trip-test:n8n-nodes-alation:chat:*');
				expect(await one.client.pttl(stored)).toBeGreaterThan(SESSION_IDLE_MS - 60_000);
				expect(warnings()).toEqual([]);
			});
		});

		test('Redis unreachable: the process remembers alone, and no call waits long', async () => {
			const gone = fleetRedisFromEnvironment(queueEnv(1), [])!;
			try {
				const memory = new ChatMemory(() => gone);
				const started = Date.now();
				await memory.remember(key('alone'), 'chat-7', grant());
				expect(await memory.recall(key('alone'), grant())).toBe('chat-7');
				expect(Date.now() - started).toBeLessThan(10_000);
			} finally {
				gone.client.disconnect();
			}
		});
	});
});

describe("as an AI Agent's tool", () => {
	const asTool = { nodeTypeName: 'n8n-nodes-alation.alationAgentChatTool' };

	test('never streams into the chat, and the model gets the compact result', async () => {
		const chunks: string[] = [];
		const result = await ask({ message: 'Find sales tables' }, { ...asTool, onChunk: (c) => chunks.push(c.type) });
		expect(result.error).toBeUndefined();
		expect(chunks).toEqual([]);
		const json = result.items[0].json;
		expect(Object.keys(json).sort()).toEqual(['answer', 'chatId', 'status']);
		expect(json.answer).toBe(answerText('Find sales tables', 'Catalog Search Agent', 1));
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
	});

	test('Tool Result: Full Item gives the whole output item', async () => {
		const result = await ask({ message: 'Find sales tables', options: { toolResult: 'full' } }, asTool);
		expect(result.items[0].json).toMatchObject({ agent: 'catalog_search_agent', toolCalls: [], durationMs: expect.any(Number) });
	});

	test(`a long answer is cut to ${TOOL_ANSWER_CHARS} characters, and the model is told`, async () => {
		const long = 'x'.repeat(TOOL_ANSWER_CHARS + 5_000);
		sim.intercept('POST', CATALOG_PATH, (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			const chatId = '11111111-2222-4333-8444-555555555555';
			res.write(`data: ${JSON.stringify({ id: 'm1', chat_id: chatId, model_message: { kind: 'response', parts: [{ part_kind: 'text', content: long }] } })}\n\n`);
			res.end('data: [DONE]\n\n');
		});
		const json = (await ask({ message: 'Everything' }, asTool)).items[0].json;
		expect((json.answer as string).length).toBe(TOOL_ANSWER_CHARS);
		expect(json.answerTruncated).toMatch(new RegExp(`had ${long.length} characters`));
	});

	test.each(['null', 'None', 'undefined', '', 'new', 'N/A'])('a placeholder Chat ID from the model (%j) means a new chat', async (placeholder) => {
		const result = await ask({ message: 'Hello', chatId: placeholder }, asTool);
		expect(result.items[0].json.error).toBeUndefined();
		expect(result.items[0].json.chatId).toMatch(UUID);
		expect(result.items[0].json.answer).toBe(answerText('Hello', 'Catalog Search Agent', 1));
	});

	test('a follow-up with the chatId the model got continues the chat', async () => {
		const first = (await ask({ message: 'First' }, asTool)).items[0].json;
		const second = (await ask({ message: 'Second', chatId: first.chatId as string }, asTool)).items[0].json;
		expect(second.chatId).toBe(first.chatId);
		expect(second.answer).toBe(answerText('Second', 'Catalog Search Agent', 2));
	});

	test('a failure goes back to the model as {error, hint}, and is a warning in n8n\'s log without secrets', async () => {
		const logger = Container.get(Logger);
		const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
		try {
			const result = await ask({ message: 'Hello', chatId: 'chat-1' }, asTool);
			expect(result.error).toBeUndefined();
			const json = result.items[0].json;
			expect(Object.keys(json).sort()).toEqual(['error', 'hint']);
			expect(json.error).toMatch(/chatId "chat-1" is not a chat ID/);
			expect(json.hint).toMatch(/empty chatId to start a new one/);
			const unknownAgent = await ask({ agent: byId('no_such_agent'), message: 'Hello' }, asTool);
			expect(unknownAgent.items[0].json.error).toMatch(/404/);
			const warnings = warn.mock.calls.map((call) => String(call[0])).filter((m) => m.includes('failed as an AI Agent tool'));
			expect(warnings).toHaveLength(2);
			expect(warnings[1]).toMatch(/404/);
			expectNoSecrets(JSON.stringify(warn.mock.calls), DEMO_SECRETS);
			expectNoSecrets(visibleRunData(unknownAgent), DEMO_SECRETS);
		} finally {
			warn.mockRestore();
		}
	});

	test('as a tool, a Chat Trigger upstream does not make it remember sessions (the model passes chatId)', async () => {
		const nodeId = randomUUID();
		const run = async () => (await ask({}, { ...asTool, nodeId, startNodeType: CHAT_TRIGGER, items: [{ json: { sessionId: 's', chatInput: 'Hi' } }] })).items[0].json;
		const a = await run();
		const b = await run();
		expect(b.chatId).not.toBe(a.chatId);
	});
});
