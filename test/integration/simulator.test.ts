/**
 * Self-test of the loopback Alation simulator (test/simulator), through real HTTP with Node's fetch.
 * Other suites rely on the behaviour pinned down here: token invalidation, expiry, stream shapes,
 * counters and intercepts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ClientOAuth2 } from '@n8n/client-oauth2';
import type { Simulator } from '../simulator';
import { AGENTS, DEMO, answerText, startSimulator } from '../simulator';

interface Part {
	part_kind: string;
	content?: unknown;
	tool_name?: string;
	tool_call_id?: string;
	args?: unknown;
	pending_approval?: boolean;
	metadata?: Array<{ kind: string; id: string }>;
}

interface StreamEvent {
	id: string;
	chat_id: string;
	agent_id: string;
	input_payload?: Record<string, unknown>;
	model_message: {
		kind: 'request' | 'response';
		parts: Part[];
	};
}

interface ParsedStream {
	events: StreamEvent[];
	comments: string[];
	done: boolean;
}

/** Simple SSE split: the simulator writes one `data:` line per event. */
function parseSse(text: string): ParsedStream {
	const result: ParsedStream = { events: [], comments: [], done: false };
	for (const block of text.split('\n\n')) {
		for (const line of block.split('\n')) {
			if (line.startsWith(':')) result.comments.push(line.slice(1).trim());
			else if (line === 'data: [DONE]') result.done = true;
			else if (line.startsWith('data: ')) result.events.push(JSON.parse(line.slice(6)) as StreamEvent);
		}
	}
	return result;
}

function textOf(event: StreamEvent): string {
	return event.model_message.parts
		.filter((part) => part.part_kind === 'text')
		.map((part) => String(part.content))
		.join('');
}

function decodeJwtPayload(token: string): Record<string, unknown> {
	const parts = token.split('.');
	expect(parts).toHaveLength(3);
	return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

let sim: Simulator;

beforeAll(async () => {
	sim = await startSimulator({ quiet: true });
});

afterAll(async () => {
	await sim.close();
});

beforeEach(() => {
	sim.options.tokenLifetimeSeconds = 3600;
	sim.options.streamStyle = 'snapshot';
	sim.options.chunkDelayMs = 0;
	sim.options.pingIntervalMs = 0;
	sim.resetCounters();
});

async function oauthToken(
	body: Record<string, string> = {
		grant_type: 'client_credentials',
		client_id: DEMO.clientId,
		client_secret: DEMO.clientSecret,
	},
	headers: Record<string, string> = FORM,
	path = '/oauth/v2/token/',
): Promise<Response> {
	return fetch(`${sim.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(body).toString() });
}

async function mintOAuth(): Promise<string> {
	const res = await oauthToken();
	expect(res.status).toBe(200);
	return ((await res.json()) as { access_token: string }).access_token;
}

function bearer(token: string): Record<string, string> {
	return { authorization: `Bearer ${token}` };
}

async function stream(
	token: string,
	agentPath: string,
	body: unknown,
	chatId?: string,
): Promise<Response> {
	const query = chatId ? `?chat_id=${chatId}` : '';
	return fetch(`${sim.url}/ai/api/v1/chats/agent/${agentPath}/stream${query}`, {
		method: 'POST',
		headers: { ...bearer(token), ...JSON_TYPE, accept: 'text/event-stream' },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}

async function runStream(token: string, agentPath: string, body: unknown, chatId?: string): Promise<ParsedStream> {
	const res = await stream(token, agentPath, body, chatId);
	expect(res.status).toBe(200);
	return parseSse(await res.text());
}

async function userinfo(headers: Record<string, string>): Promise<Response> {
	return fetch(`${sim.url}/integration/v1/userinfo/`, { headers });
}

describe('OAuth client credentials', () => {
	it('mints a JWT-shaped token from form-body credentials', async () => {
		const res = await oauthToken();
		expect(res.status).toBe(200);
		expect(res.headers.get('cache-control')).toBe('no-store');
		const body = (await res.json()) as Record<string, unknown>;
		expect(body).toEqual({
			access_token: expect.any(String),
			token_type: 'Bearer',
			expires_in: 3600,
			scope: 'openid',
		});
		const claims = decodeJwtPayload(body.access_token as string);
		expect(claims).toMatchObject({ sub: DEMO.clientId, client_id: DEMO.clientId, role: 'Server Admin' });
		expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
		expect(typeof claims.jti).toBe('string');
		expect(sim.counters).toMatchObject({ tokensMinted: 1, oauthMints: 1 });
		expect(sim.counters.requests.oauthToken).toBe(1);
	});

	it('accepts HTTP Basic client authentication and a path without the trailing slash', async () => {
		const basic = Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64');
		const res = await oauthToken(
			{ grant_type: 'client_credentials' },
			{ ...FORM, authorization: `Basic ${basic}` },
			'/oauth/v2/token',
		);
		expect(res.status).toBe(200);
		const { access_token } = (await res.json()) as { access_token: string };
		expect((await userinfo(bearer(access_token))).status).toBe(200);
	});

	it('invalidates the previous token of the client when a new one is minted', async () => {
		const first = await mintOAuth();
		expect((await userinfo(bearer(first))).status).toBe(200);
		const second = await mintOAuth();
		expect(second).not.toBe(first);

		const old = await userinfo(bearer(first));
		expect(old.status).toBe(401);
		expect(await old.json()).toEqual({ detail: 'Invalid token.' });
		const list = await fetch(`${sim.url}/ai/api/v1/config/agent`, { headers: bearer(first) });
		expect(list.status).toBe(401);
		expect((await userinfo(bearer(second))).status).toBe(200);
		expect(sim.counters.unauthorized).toBe(2);
	});

	it('refuses a wrong client, a wrong grant type and a non-form body', async () => {
		const wrong = await oauthToken({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: 'nope' });
		expect(wrong.status).toBe(401);
		expect(await wrong.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });

		const grant = await oauthToken({ grant_type: 'password', client_id: DEMO.clientId, client_secret: DEMO.clientSecret });
		expect(grant.status).toBe(400);
		expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });

		const missingGrant = await oauthToken({ client_id: DEMO.clientId, client_secret: DEMO.clientSecret });
		expect(missingGrant.status).toBe(400);
		expect(await missingGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });

		const json = await fetch(`${sim.url}/oauth/v2/token/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
		});
		expect(json.status).toBe(400);
		expect(sim.counters.tokensMinted).toBe(0);
		expect(sim.counters.unauthorized).toBe(1);
	});

	it('expires tokens after tokenLifetimeSeconds (read at mint time)', async () => {
		sim.options.tokenLifetimeSeconds = 1;
		const res = await oauthToken();
		const body = (await res.json()) as { access_token: string; expires_in: number };
		expect(body.expires_in).toBe(1);
		sim.options.tokenLifetimeSeconds = 3600; // later changes do not extend an issued token
		expect((await userinfo(bearer(body.access_token))).status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 1100));
		const expired = await userinfo(bearer(body.access_token));
		expect(expired.status).toBe(401);
		expect(await expired.json()).toEqual({ detail: 'Invalid token.' });
	});

	it('revokeAllTokens() invalidates every issued access token', async () => {
		const token = await mintOAuth();
		sim.revokeAllTokens();
		expect((await userinfo(bearer(token))).status).toBe(401);
		expect((await userinfo(bearer(await mintOAuth()))).status).toBe(200);
	});
});

describe('refresh tokens and API access tokens', () => {
	async function createAccessToken(body: unknown): Promise<Response> {
		return fetch(`${sim.url}/integration/v1/createAPIAccessToken/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify(body),
		});
	}

	it('creates an API access token from the demo refresh token (user_id as number or string)', async () => {
		const res = await createAccessToken({ refresh_token: DEMO.refreshToken, user_id: String(DEMO.userId) });
		expect(res.status).toBe(201);
		const body = (await res.json()) as Record<string, unknown>;
		expect(body).toEqual({
			api_access_token: expect.stringMatching(/^[0-9a-f]+$/),
			user_id: DEMO.userId,
			created_at: expect.any(String),
			token_expires_at: expect.any(String),
			token_status: 'active',
		});
		const lifetimeMs = Date.parse(body.token_expires_at as string) - Date.parse(body.created_at as string);
		expect(lifetimeMs).toBe(3600 * 1000);

		const info = await userinfo({ token: body.api_access_token as string });
		expect(info.status).toBe(200);
		expect(await info.json()).toMatchObject({ id: DEMO.userId, username: DEMO.username, role: expect.any(String) });
		expect(sim.counters).toMatchObject({ tokensMinted: 1, apiAccessTokenMints: 1 });
	});

	it('invalidates the previous API access token of the user', async () => {
		const first = (await (await createAccessToken({ refresh_token: DEMO.refreshToken, user_id: DEMO.userId })).json()) as {
			api_access_token: string;
		};
		const second = (await (await createAccessToken({ refresh_token: DEMO.refreshToken, user_id: DEMO.userId })).json()) as {
			api_access_token: string;
		};
		expect((await userinfo({ token: first.api_access_token })).status).toBe(401);
		expect((await userinfo({ token: second.api_access_token })).status).toBe(200);
	});

	it('refuses an invalid refresh token and missing fields', async () => {
		const invalid = await createAccessToken({ refresh_token: 'nope', user_id: DEMO.userId });
		expect(invalid.status).toBe(401);
		expect(await invalid.json()).toEqual({ detail: 'Refresh token provided is invalid.', code: '401000' });

		const otherUser = await createAccessToken({ refresh_token: DEMO.refreshToken, user_id: 8 });
		expect(otherUser.status).toBe(401);

		const missing = await createAccessToken({ refresh_token: DEMO.refreshToken });
		expect(missing.status).toBe(400);
		expect(await missing.json()).toEqual({ detail: expect.stringContaining('user_id') });
	});

	it('creates refresh tokens from username/password (JSON or form) that then mint access tokens', async () => {
		const json = await fetch(`${sim.url}/integration/v1/createRefreshToken/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ username: DEMO.username, password: DEMO.password, name: 'n8n' }),
		});
		expect(json.status).toBe(201);
		const created = (await json.json()) as Record<string, unknown>;
		expect(created).toMatchObject({ user_id: DEMO.userId, name: 'n8n', token_status: 'active' });
		expect(JSON.stringify(created)).not.toContain(DEMO.password);
		const days = (Date.parse(created.token_expires_at as string) - Date.parse(created.created_at as string)) / 86_400_000;
		expect(days).toBe(60);

		const form = await fetch(`${sim.url}/integration/v1/createRefreshToken/`, {
			method: 'POST',
			headers: FORM,
			body: new URLSearchParams({ username: DEMO.username, password: DEMO.password, name: 'form' }).toString(),
		});
		expect(form.status).toBe(201);
		const second = (await form.json()) as { refresh_token: string };
		expect(second.refresh_token).not.toBe(created.refresh_token);

		// Both new refresh tokens and the demo one are valid side by side.
		for (const refresh of [created.refresh_token, second.refresh_token, DEMO.refreshToken]) {
			expect((await createAccessToken({ refresh_token: refresh, user_id: DEMO.userId })).status).toBe(201);
		}
		expect(sim.counters.refreshTokensCreated).toBe(2);
	});

	it('refuses a wrong password and missing fields without echoing the password', async () => {
		const wrong = await fetch(`${sim.url}/integration/v1/createRefreshToken/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ username: DEMO.username, password: 'secret-guess', name: 'n8n' }),
		});
		expect(wrong.status).toBe(401);
		const text = await wrong.text();
		expect(JSON.parse(text)).toEqual({ detail: 'Invalid username or password.' });
		expect(text).not.toContain('secret-guess');

		const missing = await fetch(`${sim.url}/integration/v1/createRefreshToken/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ username: DEMO.username, password: DEMO.password }),
		});
		expect(missing.status).toBe(400);
		expect(await missing.json()).toEqual({ detail: expect.stringContaining('name') });
	});
});

describe('userinfo', () => {
	it('accepts an OAuth bearer and reports the service identity', async () => {
		const res = await userinfo(bearer(await mintOAuth()));
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ id: expect.any(Number), role: 'Server Admin', display_name: expect.any(String) });
		expect(sim.counters.requests.userinfo).toBe(1);
	});

	it('answers 401 without credentials or with an unknown token', async () => {
		const none = await userinfo({});
		expect(none.status).toBe(401);
		expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
		const unknown = await userinfo({ token: 'not-a-token' });
		expect(unknown.status).toBe(401);
		expect(await unknown.json()).toEqual({ detail: 'Invalid token.' });
		expect(sim.counters.unauthorized).toBe(2);
	});
});

describe('agent list', () => {
	async function list(token: string, query = ''): Promise<{ data: Array<Record<string, unknown>>; total: number }> {
		const res = await fetch(`${sim.url}/ai/api/v1/config/agent${query}`, { headers: bearer(token) });
		expect(res.status).toBe(200);
		return (await res.json()) as { data: Array<Record<string, unknown>>; total: number };
	}

	it('lists built-in and custom agents with their schema', async () => {
		const token = await mintOAuth();
		const all = await list(token);
		expect(all.total).toBe(8);
		expect(all.data).toHaveLength(8);
		expect(all.data).toEqual(AGENTS);
		const refs = all.data.filter((a) => a.is_default).map((a) => a.default_ref);
		expect(refs).toEqual([
			'catalog_search_agent',
			'catalog_context_search_agent',
			'sql_query_agent',
			'charting_agent',
			'deep_research_agent',
			'data_product_query_agent',
		]);
		const custom = all.data.filter((a) => !a.is_default);
		expect(custom).toHaveLength(2);
		for (const agent of custom) expect(agent.default_ref).toBeNull();
		for (const agent of all.data) {
			expect(Object.keys(agent).sort()).toEqual(
				['default_ref', 'description', 'id', 'input_json_schema', 'is_default', 'name'],
			);
		}
	});

	it('honours limit, offset and search', async () => {
		const token = await mintOAuth();
		const page1 = await list(token, '?limit=3&offset=0');
		const page3 = await list(token, '?limit=3&offset=6');
		expect(page1.data).toHaveLength(3);
		expect(page3.data).toHaveLength(2);
		expect(page1.total).toBe(8);
		expect(page3.data[1].name).toBe('JSON Agent');
		expect((await list(token, '?limit=1000')).data).toHaveLength(8);

		const sql = await list(token, '?search=SQL');
		expect(sql.data.map((a) => a.default_ref)).toContain('sql_query_agent');
		expect(sql.total).toBe(sql.data.length);
		expect((await list(token, '?search=json')).data.map((a) => a.name)).toEqual(['JSON Agent']);
		expect((await list(token, '?search=zzz-nothing')).total).toBe(0);
	});

	it('refuses a TOKEN header: Agent Studio takes OAuth bearers only', async () => {
		const res = await fetch(`${sim.url}/ai/api/v1/config/agent`, { headers: { token: 'whatever' } });
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({ detail: 'Agent Studio endpoints require an OAuth bearer token.' });
	});
});

describe('agent streams', () => {
	let token: string;
	beforeEach(async () => {
		token = await mintOAuth();
	});

	it('streams snapshots: echoed input, then the whole answer so far in every event', async () => {
		const res = await stream(token, 'default/catalog_search_agent', { message: 'Find sales tables' });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/event-stream');
		expect(res.headers.get('cache-control')).toBe('no-cache');
		const { events, done } = parseSse(await res.text());
		expect(done).toBe(true);

		const [echo, ...answer] = events;
		expect(echo.input_payload).toEqual({ message: 'Find sales tables' });
		expect(echo.model_message).toEqual({
			kind: 'request',
			parts: [{ part_kind: 'user-prompt', content: 'Find sales tables' }],
		});
		const agent = AGENTS.find((a) => a.default_ref === 'catalog_search_agent');
		for (const event of events) {
			expect(event.chat_id).toBe(echo.chat_id);
			expect(event.agent_id).toBe(agent?.id);
			expect(typeof event.id).toBe('string');
		}
		expect(answer.length).toBeGreaterThanOrEqual(3);
		expect(new Set(answer.map((e) => e.id)).size).toBe(1);
		expect(answer[0].id).not.toBe(echo.id);
		const texts = answer.map(textOf);
		for (let i = 1; i < texts.length; i += 1) expect(texts[i].startsWith(texts[i - 1])).toBe(true);
		const expected = answerText('Find sales tables', 'Catalog Search Agent', 1);
		expect(texts[texts.length - 1]).toBe(expected);
		expect(expected).toMatch(/[^\x00-\x7f]/); // multi-byte characters are part of the answer
	});

	it('streams deltas when streamStyle is delta', async () => {
		sim.options.streamStyle = 'delta';
		const { events } = await runStream(token, 'default/deep_research_agent', { message: 'Why?' });
		const pieces = events.slice(1).map(textOf);
		expect(pieces.length).toBeGreaterThanOrEqual(3);
		expect(pieces.join('')).toBe(answerText('Why?', 'Deep Research Agent', 1));
		expect(pieces[1].startsWith(pieces[0])).toBe(false);
	});

	it('continues a chat with chat_id and counts turns', async () => {
		const first = await runStream(token, 'default/catalog_context_search_agent', { message: 'one' });
		const chatId = first.events[0].chat_id;
		const second = await runStream(token, 'default/catalog_context_search_agent', { message: 'two' }, chatId);
		expect(second.events.every((e) => e.chat_id === chatId)).toBe(true);
		expect(textOf(second.events[second.events.length - 1])).toBe(
			answerText('two', 'Catalog Context Search Agent', 2),
		);
		const fresh = await runStream(token, 'default/catalog_context_search_agent', { message: 'three' });
		expect(fresh.events[0].chat_id).not.toBe(chatId);

		const unknown = await stream(token, 'default/catalog_search_agent', { message: 'x' }, '00000000-0000-4000-8000-000000000000');
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toEqual({ detail: 'Chat not found' });
	});

	it('runs custom agents by UUID; the JSON agent answers with a JSON string', async () => {
		const jsonAgent = AGENTS.find((a) => a.name === 'JSON Agent');
		expect(jsonAgent).toBeDefined();
		const first = await runStream(token, jsonAgent!.id, { message: 'hi' });
		const last = first.events[first.events.length - 1];
		expect(last.agent_id).toBe(jsonAgent!.id);
		expect(JSON.parse(textOf(last))).toEqual({ answer: answerText('hi', 'JSON Agent', 1), turn: 1 });
		const second = await runStream(token, jsonAgent!.id, { message: 'again' }, last.chat_id);
		expect(JSON.parse(textOf(second.events[second.events.length - 1]))).toMatchObject({ turn: 2 });

		const unknown = await stream(token, '00000000-0000-4000-8000-00000000abcd', { message: 'x' });
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toEqual({ detail: 'Agent not found' });
		const unknownRef = await stream(token, 'default/no_such_agent', { message: 'x' });
		expect(unknownRef.status).toBe(404);
		expect(await unknownRef.json()).toEqual({ detail: 'Agent not found' });
	});

	it('SQL agents call a tool, return asset metadata, and the assets can be downloaded', async () => {
		const { events } = await runStream(token, 'default/charting_agent', { message: 'Plot revenue' });
		const [, callEvent, returnEvent] = events;
		const call = callEvent.model_message.parts[0];
		expect(callEvent.model_message.kind).toBe('response');
		expect(call).toMatchObject({ part_kind: 'tool-call', tool_name: 'sql_execution_tool', args: { sql: 'SELECT 1' } });
		expect(call.pending_approval).toBeUndefined();
		const ret = returnEvent.model_message.parts[0];
		expect(returnEvent.model_message.kind).toBe('request');
		expect(ret).toMatchObject({ part_kind: 'tool-return', tool_name: 'sql_execution_tool', tool_call_id: call.tool_call_id });
		expect(JSON.parse(String(ret.content))).toMatchObject({ columns: ['id', 'name'] });
		expect(ret.metadata?.map((m) => m.kind)).toEqual(['sql', 'chart']);
		expect(new Set([callEvent.id, returnEvent.id, events[3].id]).size).toBe(3);
		expect(textOf(events[events.length - 1])).toBe(answerText('Plot revenue', 'Charting Agent', 1));

		const chatId = events[0].chat_id;
		const [sqlAsset, chartAsset] = ret.metadata ?? [];
		const csv = await fetch(`${sim.url}/ai/api/v1/assets/${sqlAsset.id}?chat_id=${chatId}`, { headers: bearer(token) });
		expect(csv.status).toBe(200);
		expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
		expect(await csv.text()).toBe('id,name\n1,alpha\n2,beta\n');
		const png = await fetch(`${sim.url}/ai/api/v1/assets/${chartAsset.id}?chat_id=${chatId}`, { headers: bearer(token) });
		expect(png.headers.get('content-type')).toBe('image/png');
		const bytes = Buffer.from(await png.arrayBuffer());
		expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

		const missing = await fetch(`${sim.url}/ai/api/v1/assets/00000000-0000-4000-8000-000000000000`, { headers: bearer(token) });
		expect(missing.status).toBe(404);
		expect(sim.counters.requests.asset).toBe(3);

		const plain = await runStream(token, 'default/sql_query_agent', { message: 'count rows', data_product_id: 'dp1' });
		expect(plain.events[2].model_message.parts[0].metadata?.map((m) => m.kind)).toEqual(['sql']);
	});

	it('pauses for tool approval and continues when tool_approvals are sent', async () => {
		const pending = await runStream(token, 'default/sql_query_agent', { message: 'Please approve this query' });
		expect(pending.done).toBe(true);
		expect(pending.events).toHaveLength(2);
		const call = pending.events[1].model_message.parts[0];
		expect(call).toMatchObject({ part_kind: 'tool-call', pending_approval: true });
		const chatId = pending.events[0].chat_id;

		const approved = await runStream(
			token,
			'default/sql_query_agent',
			{ message: 'Please approve this query', tool_approvals: { [String(call.tool_call_id)]: true } },
			chatId,
		);
		const kinds = approved.events.map((e) => e.model_message.parts[0].part_kind);
		expect(kinds.slice(0, 3)).toEqual(['user-prompt', 'tool-call', 'tool-return']);
		expect(approved.events[2].model_message.parts[0].tool_call_id).toBe(call.tool_call_id);
		expect(textOf(approved.events[approved.events.length - 1])).toBe(
			answerText('Please approve this query', 'SQL Query Agent', 1),
		);
	});

	it('validates the body: 422 without message, 400 for invalid JSON', async () => {
		const missing = await stream(token, 'default/catalog_search_agent', { question: 'x' });
		expect(missing.status).toBe(422);
		expect(await missing.json()).toEqual({
			detail: [{ type: 'missing', loc: ['body', 'message'], msg: 'Field required' }],
		});
		const empty = await stream(token, 'default/catalog_search_agent', { message: '' });
		expect(empty.status).toBe(422);
		const invalid = await stream(token, 'default/catalog_search_agent', '{"message": ');
		expect(invalid.status).toBe(400);
	});

	it('answers 401 for a missing or invalidated token, and 500 for the built-in fault', async () => {
		const noAuth = await fetch(`${sim.url}/ai/api/v1/chats/agent/default/catalog_search_agent/stream`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ message: 'x' }),
		});
		expect(noAuth.status).toBe(401);
		await mintOAuth(); // invalidates `token`
		const stale = await stream(token, 'default/catalog_search_agent', { message: 'x' });
		expect(stale.status).toBe(401);
		expect(sim.counters.unauthorized).toBe(2);

		const fault = await stream(await mintOAuth(), 'default/catalog_search_agent', { message: '__error_500__' });
		expect(fault.status).toBe(500);
		expect(await fault.json()).toEqual({ detail: 'Internal error' });
	});

	it('answers 409 while the chat is already streaming', async () => {
		const first = await runStream(token, 'default/catalog_search_agent', { message: 'start' });
		const chatId = first.events[0].chat_id;
		sim.options.chunkDelayMs = 100;
		const running = await stream(token, 'default/catalog_search_agent', { message: 'slow' }, chatId);
		expect(running.status).toBe(200);
		const busy = await stream(token, 'default/catalog_search_agent', { message: 'overlap' }, chatId);
		expect(busy.status).toBe(409);
		expect(await busy.json()).toEqual({ detail: 'Chat is busy.' });
		const finished = parseSse(await running.text());
		expect(finished.done).toBe(true);
		// Free again once the stream has ended.
		sim.options.chunkDelayMs = 0;
		expect((await stream(token, 'default/catalog_search_agent', { message: 'after' }, chatId)).status).toBe(200);
	});

	it('writes ": ping" comments at pingIntervalMs while the stream is open', async () => {
		sim.options.chunkDelayMs = 60;
		sim.options.pingIntervalMs = 15;
		const parsed = await runStream(token, 'default/catalog_search_agent', { message: 'ping me' });
		expect(parsed.comments.filter((c) => c === 'ping').length).toBeGreaterThan(0);
		expect(parsed.done).toBe(true);
	});
});

describe('Keycloak (DataClarity)', () => {
	async function keycloakToken(
		body: Record<string, string>,
		tenant = DEMO.tenant,
		headers: Record<string, string> = FORM,
	): Promise<Response> {
		return fetch(`${sim.url}/auth/realms/${tenant}/protocol/openid-connect/token`, {
			method: 'POST',
			headers,
			body: new URLSearchParams(body).toString(),
		});
	}
	const clientBody = { client_id: DEMO.keycloakClientId, client_secret: DEMO.keycloakClientSecret };

	it('issues tokens for the client_credentials and password grants', async () => {
		const cc = await keycloakToken({ grant_type: 'client_credentials', ...clientBody });
		expect(cc.status).toBe(200);
		const ccBody = (await cc.json()) as Record<string, unknown>;
		expect(ccBody).toEqual({
			access_token: expect.any(String),
			expires_in: 1800,
			refresh_expires_in: 1800,
			refresh_token: expect.any(String),
			token_type: 'Bearer',
			'not-before-policy': 0,
			session_state: expect.any(String),
			scope: 'profile email',
		});
		expect(Number(decodeJwtPayload(ccBody.access_token as string).exp)).toBeGreaterThan(Date.now() / 1000);

		const password = await keycloakToken({
			grant_type: 'password',
			...clientBody,
			username: DEMO.keycloakUsername,
			password: DEMO.keycloakPassword,
		});
		expect(password.status).toBe(200);
		const pwBody = (await password.json()) as { access_token: string };

		// Keycloak keeps earlier tokens valid.
		for (const accessToken of [ccBody.access_token as string, pwBody.access_token]) {
			const types = await fetch(`${sim.url}/dp/api/v1/aiconnections/types`, { headers: bearer(accessToken) });
			expect(types.status).toBe(200);
			expect(await types.json()).toEqual(expect.arrayContaining([{ type: 'openai', label: 'OpenAI' }]));
		}
		expect(sim.counters).toMatchObject({ keycloakMints: 2, tokensMinted: 2 });
	});

	it('accepts Basic client auth and honours keycloakTokenLifetimeSeconds', async () => {
		sim.options.keycloakTokenLifetimeSeconds = 60;
		try {
			const basic = Buffer.from(`${DEMO.keycloakClientId}:${DEMO.keycloakClientSecret}`).toString('base64');
			const res = await keycloakToken({ grant_type: 'client_credentials' }, DEMO.tenant, { ...FORM, authorization: `Basic ${basic}` });
			expect(res.status).toBe(200);
			expect(((await res.json()) as { expires_in: number }).expires_in).toBe(60);
		} finally {
			delete sim.options.keycloakTokenLifetimeSeconds;
		}
	});

	it('refuses a bad client, bad user, unknown realm and unsupported grant', async () => {
		const client = await keycloakToken({ grant_type: 'client_credentials', client_id: DEMO.keycloakClientId, client_secret: 'x' });
		expect(client.status).toBe(401);
		expect(await client.json()).toEqual({ error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });

		const user = await keycloakToken({ grant_type: 'password', ...clientBody, username: DEMO.keycloakUsername, password: 'x' });
		expect(user.status).toBe(401);
		expect(await user.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid user credentials' });

		const realm = await keycloakToken({ grant_type: 'client_credentials', ...clientBody }, 'other');
		expect(realm.status).toBe(404);
		expect(await realm.json()).toEqual({ error: 'Realm does not exist' });

		const grant = await keycloakToken({ grant_type: 'authorization_code', ...clientBody });
		expect(grant.status).toBe(400);

		const types = await fetch(`${sim.url}/dp/api/v1/aiconnections/types`, { headers: bearer(await mintOAuth()) });
		expect(types.status).toBe(401);
		expect(sim.counters.keycloakMints).toBe(0);
	});
});

describe('warehouse credentials', () => {
	async function setCredentials(body: Record<string, unknown>, token?: string): Promise<Response> {
		return fetch(`${sim.url}/api/v2/auth/credentials/`, {
			method: 'POST',
			headers: { ...JSON_TYPE, ...(token ? bearer(token) : {}) },
			body: JSON.stringify(body),
		});
	}

	it('stores password and key-pair credentials without echoing secrets', async () => {
		const token = await mintOAuth();
		const basic = await setCredentials({ state: 's1', username: 'svc', dp_id: 'dp-sales', password: 'pw-secret' }, token);
		expect(basic.status).toBe(201);
		const basicText = await basic.text();
		expect(JSON.parse(basicText)).toEqual({ id: expect.any(Number), state: 's1', username: 'svc', dp_id: 'dp-sales', auth_type: 'basic' });
		expect(basicText).not.toContain('pw-secret');

		const keyPair = await setCredentials(
			{ state: 's2', username: 'svc', dp_id: 'dp-finance', private_key: '-----BEGIN KEY-----', passphrase: 'pp' },
			token,
		);
		expect(keyPair.status).toBe(201);
		expect(await keyPair.json()).toMatchObject({ auth_type: 'key_pair', dp_id: 'dp-finance' });

		expect(sim.warehouseCredentials).toEqual(
			expect.arrayContaining([
				{ dp_id: 'dp-sales', username: 'svc', state: 's1', auth_type: 'basic' },
				{ dp_id: 'dp-finance', username: 'svc', state: 's2', auth_type: 'key_pair' },
			]),
		);
		expect(JSON.stringify(sim.warehouseCredentials)).not.toMatch(/pw-secret|BEGIN KEY|"pp"/);
	});

	it('validates fields and maps missing/forbidden data products to 404/403', async () => {
		const token = await mintOAuth();
		const base = { state: 's', username: 'u', dp_id: 'dp' };
		const cases: Array<[Record<string, unknown>, number]> = [
			[{ ...base }, 400],
			[{ ...base, password: 'p', private_key: 'k' }, 400],
			[{ state: 's', dp_id: 'dp', password: 'p' }, 400],
			[{ username: 'u', dp_id: 'dp', password: 'p' }, 400],
			[{ state: 's', username: 'u', password: 'p' }, 400],
			[{ ...base, dp_id: 'missing-dp', password: 'p' }, 404],
			[{ ...base, dp_id: 'forbidden-dp', password: 'p' }, 403],
		];
		for (const [body, status] of cases) {
			const res = await setCredentials(body, token);
			expect({ body, status: res.status }).toEqual({ body, status });
			expect(await res.json()).toEqual({ detail: expect.any(String) });
		}
		expect((await setCredentials({ ...base, password: 'p' })).status).toBe(401);
	});
});

describe('simulator controls', () => {
	it('counts requests per route, resets counters and answers 404 elsewhere', async () => {
		const res = await fetch(`${sim.url}/no/such/route`);
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ detail: 'Not found' });
		await fetch(`${sim.url}/oauth/v2/token/`); // GET on a POST route
		expect(sim.counters.requests.notFound).toBe(2);
		await mintOAuth();
		expect(sim.counters.requests.oauthToken).toBe(1);
		sim.resetCounters();
		expect(sim.counters.requests.oauthToken).toBe(0);
		expect(sim.counters.tokensMinted).toBe(0);
	});

	it('logs requests with credential headers redacted', async () => {
		const token = await mintOAuth();
		await fetch(`${sim.url}/integration/v1/userinfo/?probe=1`, { headers: { ...bearer(token), token: 'abc', cookie: 'sid=1' } });
		const entry = sim.requestLog[sim.requestLog.length - 1];
		// 401: on /integration a TOKEN header takes precedence over the bearer, and 'abc' is not a token.
		expect(entry).toMatchObject({ method: 'GET', path: '/integration/v1/userinfo/', query: { probe: '1' }, status: 401 });
		expect(entry.headers.authorization).toBe('[present]');
		expect(entry.headers.token).toBe('[present]');
		expect(entry.headers.cookie).toBe('[present]');
		expect(JSON.stringify(entry)).not.toContain(token);
		expect(typeof entry.at).toBe('number');
	});

	it('intercept() takes over the next matching request(s), still counted, and can be removed', async () => {
		sim.intercept('POST', '/oauth/v2/token/', (_req, res, body) => {
			expect(body).toContain('grant_type=client_credentials');
			res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
			res.end(JSON.stringify({ detail: 'maintenance' }));
		});
		const intercepted = await oauthToken();
		expect(intercepted.status).toBe(503);
		expect(intercepted.headers.get('retry-after')).toBe('1');
		expect((await oauthToken()).status).toBe(200);
		expect(sim.counters.requests.oauthToken).toBe(2);
		expect(sim.counters.oauthMints).toBe(1);

		const remove = sim.intercept('GET', '/integration/v1/userinfo/', (_req, res) => {
			res.writeHead(401);
			res.end();
		}, { times: Infinity });
		expect((await userinfo({})).status).toBe(401);
		expect((await userinfo({})).status).toBe(401);
		expect(sim.counters.unauthorized).toBe(2);
		remove();
		expect((await userinfo(bearer(await mintOAuth()))).status).toBe(200);

		sim.intercept('GET', '/no/such', (_req, res) => res.end('twice'), { times: 2 });
		expect(await (await fetch(`${sim.url}/no/such`)).text()).toBe('twice');
		expect(await (await fetch(`${sim.url}/no/such`)).text()).toBe('twice');
		expect((await fetch(`${sim.url}/no/such`)).status).toBe(404);
	});

	it('answers 413 for bodies over 1 MB', async () => {
		const res = await fetch(`${sim.url}/integration/v1/createRefreshToken/`, {
			method: 'POST',
			headers: JSON_TYPE,
			body: JSON.stringify({ username: 'x'.repeat(1024 * 1024 + 10) }),
		});
		expect(res.status).toBe(413);
		expect(sim.requestLog[sim.requestLog.length - 1].status).toBe(413);
	});

	it('close() ends promptly with a stream open', async () => {
		const own = await startSimulator({ chunkDelayMs: 10_000, pingIntervalMs: 5_000 });
		const tokenRes = await fetch(`${own.url}/oauth/v2/token/`, {
			method: 'POST',
			headers: FORM,
			body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
		});
		const { access_token } = (await tokenRes.json()) as { access_token: string };
		const res = await fetch(`${own.url}/ai/api/v1/chats/agent/default/catalog_search_agent/stream`, {
			method: 'POST',
			headers: { ...bearer(access_token), ...JSON_TYPE },
			body: JSON.stringify({ message: 'long' }),
		});
		expect(res.status).toBe(200);
		const reader = res.body!.getReader();
		const first = await reader.read();
		expect(new TextDecoder().decode(first.value)).toContain('"user-prompt"');

		const started = Date.now();
		await own.close();
		expect(Date.now() - started).toBeLessThan(1000);
		// The client sees the stream cut off (an error or an early end), never a [DONE].
		const rest = await reader.read().then(
			(chunk) => (chunk.done ? 'ended' : new TextDecoder().decode(chunk.value)),
			() => 'errored',
		);
		expect(rest).not.toContain('[DONE]');
		await own.close(); // idempotent
	});
});

describe('user-initiated OAuth (authorization code + PKCE)', () => {
	const REDIRECT = 'http://127.0.0.1:5678/rest/oauth2-credential/callback';
	const [ADA, SAM] = DEMO.oauthUsers;

	interface Pkce {
		verifier: string;
		challenge: string;
	}
	interface UserTokens {
		access_token: string;
		token_type: string;
		expires_in: number;
		refresh_token: string;
		scope?: string;
	}

	function pkce(): Pkce {
		const verifier = randomBytes(32).toString('base64url'); // 43 characters, as RFC 7636 asks
		return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
	}

	function authorizeParams(challenge: string, extra: Record<string, string> = {}): Record<string, string> {
		return {
			response_type: 'code',
			client_id: DEMO.userOauthClientId,
			redirect_uri: REDIRECT,
			state: 'state-1',
			code_challenge: challenge,
			code_challenge_method: 'S256',
			...extra,
		};
	}

	async function authorizePage(params: Record<string, string>): Promise<Response> {
		return fetch(`${sim.url}/oauth/v1/authorize/?${new URLSearchParams(params).toString()}`, { redirect: 'manual' });
	}

	/** What the sign-in page's button posts. */
	async function signIn(params: Record<string, string>, userId: number): Promise<Response> {
		return fetch(`${sim.url}/oauth/v1/authorize/`, {
			method: 'POST',
			headers: FORM,
			redirect: 'manual',
			body: new URLSearchParams({ ...params, user_id: String(userId) }).toString(),
		});
	}

	function basic(id: string, secret: string): Record<string, string> {
		return { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` };
	}

	const CLIENT_BASIC = (): Record<string, string> => basic(DEMO.userOauthClientId, DEMO.userOauthClientSecret);
	const CLIENT_BODY = (): Record<string, string> => ({ client_id: DEMO.userOauthClientId, client_secret: DEMO.userOauthClientSecret });

	async function tokenRequest(body: Record<string, string>, headers: Record<string, string> = CLIENT_BASIC()): Promise<Response> {
		return fetch(`${sim.url}/oauth/v1/token/`, {
			method: 'POST',
			headers: { ...FORM, ...headers },
			body: new URLSearchParams(body).toString(),
		});
	}

	/** Signs `userId` in and returns the code and the PKCE pair. */
	async function codeFor(userId: number, extra: Record<string, string> = {}): Promise<{ code: string; pair: Pkce }> {
		const pair = pkce();
		const res = await signIn(authorizeParams(pair.challenge, extra), userId);
		expect(res.status).toBe(302);
		const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
		expect(code).toEqual(expect.any(String));
		return { code: code as string, pair };
	}

	async function signInFully(userId: number): Promise<UserTokens> {
		const { code, pair } = await codeFor(userId);
		const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pair.verifier });
		expect(res.status).toBe(200);
		return (await res.json()) as UserTokens;
	}

	async function refresh(refreshToken: string, headers?: Record<string, string>): Promise<Response> {
		return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, headers);
	}

	async function answerFor(token: string): Promise<ParsedStream> {
		return runStream(token, 'default/catalog_search_agent', { message: 'Who am I?' });
	}

	// Started options (user OAuth lifetimes, redirect URIs), empty request log and warehouse credentials.
	beforeEach(() => sim.reset());
	afterEach(() => sim.reset());

	it('runs the whole flow: sign-in page, 302 with code and state, code + verifier → tokens, userinfo', async () => {
		const pair = pkce();
		const state = 'eyJ0b2tlbiI6ImErYi9jPSJ9 &x=é'; // n8n's state is opaque; it must come back unchanged
		const params = authorizeParams(pair.challenge, { state, scope: 'openid' });

		const page = await authorizePage(params);
		expect(page.status).toBe(200);
		expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
		const html = await page.text();
		for (const user of DEMO.oauthUsers) {
			expect(html).toContain(user.displayName);
			expect(html).toContain(`id="sign-in-${user.id}" name="user_id" value="${user.id}"`);
		}
		expect(html).toContain('method="post" action="/oauth/v1/authorize/"');
		expect(html).toContain(`name="code_challenge" value="${pair.challenge}"`);

		const submitted = await signIn(params, ADA.id);
		expect(submitted.status).toBe(302);
		const location = new URL(submitted.headers.get('location') ?? '');
		expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
		expect(location.searchParams.get('state')).toBe(state);
		const code = location.searchParams.get('code') ?? '';
		expect(code).not.toBe('');
		expect(sim.counters.userAuthorizations).toBe(1);

		const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pair.verifier });
		expect(res.status).toBe(200);
		expect(res.headers.get('cache-control')).toBe('no-store');
		const tokens = (await res.json()) as UserTokens;
		expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid' });
		expect(tokens.refresh_token).toEqual(expect.any(String));
		expect(decodeJwtPayload(tokens.access_token)).toMatchObject({ sub: String(ADA.id), client_id: DEMO.userOauthClientId });
		expect(sim.counters.userTokenMints).toBe(1);
		expect(sim.counters.tokensMinted).toBe(1);

		const me = await userinfo(bearer(tokens.access_token));
		expect(me.status).toBe(200);
		expect(await me.json()).toMatchObject({ id: ADA.id, username: ADA.username, display_name: 'Ada Analyst' });

		expect(sim.requestLog.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
			'GET /oauth/v1/authorize/ 200',
			'POST /oauth/v1/authorize/ 302',
			'POST /oauth/v1/token/ 200',
			'GET /integration/v1/userinfo/ 200',
		]);
		expect(sim.counters.requests.userAuthorize).toBe(2);
		expect(sim.counters.requests.userToken).toBe(1);
	});

	it('authenticates the client by client_secret in the body as well as by HTTP Basic', async () => {
		const { code, pair } = await codeFor(SAM.id);
		const res = await tokenRequest(
			{ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pair.verifier, ...CLIENT_BODY() },
			{},
		);
		expect(res.status).toBe(200);
		const tokens = (await res.json()) as UserTokens;
		const rotated = await refresh(tokens.refresh_token, {});
		expect(rotated.status).toBe(401); // no client authentication at all
		const withBody = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...CLIENT_BODY() }, {});
		expect(withBody.status).toBe(200);
	});

	it('works with n8n\'s own OAuth2 client (@n8n/client-oauth2), header and body authentication', async () => {
		for (const authentication of ['header', 'body'] as const) {
			const pair = pkce();
			const client = new ClientOAuth2({
				clientId: DEMO.userOauthClientId,
				clientSecret: DEMO.userOauthClientSecret,
				accessTokenUri: `${sim.url}/oauth/v1/token/`,
				authorizationUri: `${sim.url}/oauth/v1/authorize/`,
				redirectUri: REDIRECT,
				scopes: [],
				state: `n8n-state-${authentication}`,
				authentication,
				query: { code_challenge: pair.challenge, code_challenge_method: 'S256' },
			});
			const params = Object.fromEntries(new URL(client.code.getUri()).searchParams);
			expect((await authorizePage(params)).status).toBe(200);
			const callback = (await signIn(params, SAM.id)).headers.get('location') ?? '';

			// What n8n's OAuth2 callback does (oauth2-credential.controller): PKCE verifier in the body;
			// for 'body' authentication the client id and secret too, and no Basic header.
			const body: Record<string, string> = { code_verifier: pair.verifier };
			const getTokenClient = authentication === 'body'
				? new ClientOAuth2({ ...client.options, clientSecret: undefined })
				: client;
			if (authentication === 'body') Object.assign(body, CLIENT_BODY());
			const token = await getTokenClient.code.getToken(callback, { body });
			expect(token.tokenType).toBe('bearer');
			const me = await userinfo(bearer(token.accessToken));
			expect(await me.json()).toMatchObject({ id: SAM.id, display_name: 'Sam Steward' });

			const refreshed = await token.refresh({ ...client.options, authentication });
			expect(refreshed.accessToken).not.toBe(token.accessToken);
			expect(refreshed.refreshToken).not.toBe(token.refreshToken);
		}
		expect(sim.counters.userTokenMints).toBe(2);
		expect(sim.counters.userRefreshes).toBe(2);
	});

	it('refuses bad authorization requests with a 400 page, never a redirect', async () => {
		const { challenge } = pkce();
		const cases: Array<[string, Record<string, string>]> = [
			['unlisted redirect_uri', authorizeParams(challenge, { redirect_uri: 'http://evil.example/rest/oauth2-credential/callback' })],
			['not n8n\'s callback path', authorizeParams(challenge, { redirect_uri: 'http://127.0.0.1:5678/steal' })],
			['missing redirect_uri', authorizeParams(challenge, { redirect_uri: '' })],
			['unknown client', authorizeParams(challenge, { client_id: 'who-dis' })],
			['missing code_challenge', authorizeParams('', {})],
			['plain method', authorizeParams(challenge, { code_challenge_method: 'plain' })],
			['no method', (({ code_challenge_method: _m, ...rest }) => rest)(authorizeParams(challenge))],
			['token response type', authorizeParams(challenge, { response_type: 'token' })],
		];
		for (const [label, params] of cases) {
			for (const res of [await authorizePage(params), await signIn(params, ADA.id)]) {
				expect({ label, status: res.status, location: res.headers.get('location') }).toEqual({ label, status: 400, location: null });
				expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
				expect(await res.text()).toContain('Sign-in request refused');
			}
		}
		// An unknown user on the form is refused the same way.
		expect((await signIn(authorizeParams(challenge), 9999)).status).toBe(400);
		expect(sim.counters.userAuthorizations).toBe(0);
	});

	it('accepts localhost on any port and a path prefix by default, and only the listed URIs when set', async () => {
		const { challenge } = pkce();
		const prefixed = 'http://localhost:40123/n8n/rest/oauth2-credential/callback';
		expect((await authorizePage(authorizeParams(challenge, { redirect_uri: prefixed }))).status).toBe(200);
		expect((await authorizePage(authorizeParams(challenge, { redirect_uri: 'https://127.0.0.1/rest/oauth2-credential/callback' }))).status).toBe(400);

		sim.options.userOauthRedirectUris = ['https://n8n.example.com/rest/oauth2-credential/callback'];
		expect((await authorizePage(authorizeParams(challenge, { redirect_uri: prefixed }))).status).toBe(400);
		const listed = await signIn(authorizeParams(challenge, { redirect_uri: 'https://n8n.example.com/rest/oauth2-credential/callback' }), ADA.id);
		expect(listed.status).toBe(302);
		expect(listed.headers.get('location')).toMatch(/^https:\/\/n8n\.example\.com\/rest\/oauth2-credential\/callback\?code=[^&]+&state=state-1$/);
	});

	it('redirects with error=access_denied and the state when the user denies', async () => {
		const { challenge } = pkce();
		const res = await fetch(`${sim.url}/oauth/v1/authorize/`, {
			method: 'POST',
			headers: FORM,
			redirect: 'manual',
			body: new URLSearchParams({ ...authorizeParams(challenge), decision: 'deny' }).toString(),
		});
		expect(res.status).toBe(302);
		const location = new URL(res.headers.get('location') ?? '');
		expect(location.searchParams.get('error')).toBe('access_denied');
		expect(location.searchParams.get('state')).toBe('state-1');
		expect(location.searchParams.has('code')).toBe(false);
	});

	it('refuses a wrong verifier, a wrong redirect_uri, a reused or expired code, and a wrong client', async () => {
		const exchange = (code: string, verifier: string, extra: Record<string, string> = {}, headers?: Record<string, string>) =>
			tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra }, headers);

		// Wrong verifier; the code is spent by the attempt.
		const first = await codeFor(ADA.id);
		const wrong = await exchange(first.code, pkce().verifier);
		expect(wrong.status).toBe(400);
		expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('code_verifier') });
		expect((await exchange(first.code, first.pair.verifier)).status).toBe(400);

		// Reuse of a code that worked.
		const second = await codeFor(ADA.id);
		expect((await exchange(second.code, second.pair.verifier)).status).toBe(200);
		const reused = await exchange(second.code, second.pair.verifier);
		expect(reused.status).toBe(400);
		expect(await reused.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('already used') });

		// redirect_uri other than the one the code was issued for.
		const third = await codeFor(ADA.id);
		const moved = await exchange(third.code, third.pair.verifier, { redirect_uri: 'http://127.0.0.1:9999/rest/oauth2-credential/callback' });
		expect(moved.status).toBe(400);
		expect(((await moved.json()) as { error: string }).error).toBe('invalid_grant');

		// Wrong client secret → 401 invalid_client (the code is not touched), then the right one works.
		const fourth = await codeFor(ADA.id);
		const badClient = await exchange(fourth.code, fourth.pair.verifier, {}, basic(DEMO.userOauthClientId, 'nope'));
		expect(badClient.status).toBe(401);
		expect(badClient.headers.get('www-authenticate')).toContain('Basic');
		expect(await badClient.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
		// The machine-to-machine client is another registration: not a user OAuth client.
		expect((await exchange(fourth.code, fourth.pair.verifier, {}, basic(DEMO.clientId, DEMO.clientSecret))).status).toBe(401);
		expect((await exchange(fourth.code, fourth.pair.verifier)).status).toBe(200);

		// Missing fields and grant types.
		const missing = await tokenRequest({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT });
		expect(missing.status).toBe(400);
		expect(await missing.json()).toEqual({ error: 'invalid_request', error_description: 'Missing code_verifier parameter.' });
		expect((await tokenRequest({ grant_type: 'password' })).status).toBe(400);

		// Codes expire (userCodeLifetimeSeconds, read when the code is issued).
		sim.options.userCodeLifetimeSeconds = 0.05;
		const stale = await codeFor(ADA.id);
		await new Promise((resolve) => setTimeout(resolve, 80));
		expect((await exchange(stale.code, stale.pair.verifier)).status).toBe(400);

		expect(sim.counters.userTokenMints).toBe(2);
	});

	it('rotates refresh tokens: a new pair each time, the old refresh token dead after first use', async () => {
		const start = await signInFully(ADA.id);
		const res = await refresh(start.refresh_token);
		expect(res.status).toBe(200);
		const next = (await res.json()) as UserTokens;
		expect(next).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
		expect(next.access_token).not.toBe(start.access_token);
		expect(next.refresh_token).not.toBe(start.refresh_token);
		expect((await userinfo(bearer(next.access_token))).status).toBe(200);

		const third = (await (await refresh(next.refresh_token)).json()) as UserTokens;
		expect((await userinfo(bearer(third.access_token))).status).toBe(200);
		expect(sim.counters.userRefreshes).toBe(2);
		expect(sim.counters.tokensMinted).toBe(3);

		// Unknown refresh token, and one presented by another (registered) client.
		const unknown = await refresh('no-such-refresh-token');
		expect(unknown.status).toBe(400);
		expect(((await unknown.json()) as { error: string }).error).toBe('invalid_grant');
		sim.options.userOauthClients['other-user-client'] = 'other-secret';
		const foreign = await refresh(third.refresh_token, basic('other-user-client', 'other-secret'));
		expect(foreign.status).toBe(400);
		expect(await foreign.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('another client') });
		expect((await refresh(third.refresh_token)).status).toBe(200); // not spent by the foreign attempt
	});

	it('revokes the whole sign-in when a spent refresh token comes back', async () => {
		const start = await signInFully(SAM.id);
		const rotated = (await (await refresh(start.refresh_token)).json()) as UserTokens;
		const newest = (await (await refresh(rotated.refresh_token)).json()) as UserTokens;
		expect((await userinfo(bearer(newest.access_token))).status).toBe(200);
		const other = await signInFully(ADA.id); // another sign-in is not touched

		const reuse = await refresh(start.refresh_token);
		expect(reuse.status).toBe(400);
		expect(await reuse.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('revoked') });
		expect(sim.counters.userFamiliesRevoked).toBe(1);

		for (const token of [start.access_token, rotated.access_token, newest.access_token]) {
			const res = await userinfo(bearer(token));
			expect(res.status).toBe(401);
			expect((await stream(token, 'default/catalog_search_agent', { message: 'hi' })).status).toBe(401);
		}
		const dead = await refresh(newest.refresh_token);
		expect(dead.status).toBe(400);
		expect(((await dead.json()) as { error: string }).error).toBe('invalid_grant');
		expect(sim.counters.userFamiliesRevoked).toBe(1);

		expect((await userinfo(bearer(other.access_token))).status).toBe(200);
		expect((await refresh(other.refresh_token)).status).toBe(200);
	});

	it('expires access and refresh tokens after their lifetimes (read at mint time)', async () => {
		sim.options.userAccessTokenLifetimeSeconds = 0.05;
		sim.options.userRefreshTokenLifetimeSeconds = 0.05;
		const tokens = await signInFully(ADA.id);
		expect(tokens.expires_in).toBe(0.05);
		sim.options.userAccessTokenLifetimeSeconds = 3600;
		await new Promise((resolve) => setTimeout(resolve, 80));
		expect((await userinfo(bearer(tokens.access_token))).status).toBe(401);
		const res = await refresh(tokens.refresh_token);
		expect(res.status).toBe(400);
		expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringContaining('expired') });
	});

	it('answers as the signed-in user on Agent Studio, tools and chat messages', async () => {
		const ada = await signInFully(ADA.id);
		const sam = await signInFully(SAM.id);

		const adaAnswer = await answerFor(ada.access_token);
		const samAnswer = await answerFor(sam.access_token);
		const last = (parsed: ParsedStream) => parsed.events[parsed.events.length - 1];
		expect(textOf(last(adaAnswer))).toBe(answerText('Who am I?', 'Catalog Search Agent', 1, 'Ada Analyst'));
		expect(textOf(last(samAnswer))).toBe(answerText('Who am I?', 'Catalog Search Agent', 1, 'Sam Steward'));
		expect(textOf(last(adaAnswer))).toContain('for Ada Analyst');
		expect((last(adaAnswer) as StreamEvent & { user?: unknown }).user).toEqual({ id: ADA.id, username: ADA.username, display_name: 'Ada Analyst' });

		// A client-credentials token keeps the old answer, without a user.
		const machine = await answerFor(await mintOAuth());
		expect(textOf(last(machine))).toBe(answerText('Who am I?', 'Catalog Search Agent', 1));
		expect((last(machine) as StreamEvent & { user?: unknown }).user).toBeUndefined();

		const agents = await fetch(`${sim.url}/ai/api/v1/config/agent`, { headers: bearer(sam.access_token) });
		expect(agents.status).toBe(200);
		const tools = await fetch(`${sim.url}/ai/api/v1/config/tool`, { headers: bearer(sam.access_token) });
		expect(tools.status).toBe(200);
		const toolRun = await fetch(`${sim.url}/ai/api/v1/chats/tool/default/get_data_sources_tool/stream`, {
			method: 'POST',
			headers: { ...bearer(sam.access_token), ...JSON_TYPE },
			body: '{}',
		});
		expect(toolRun.status).toBe(200);
		const toolEvents = parseSse(await toolRun.text()).events as Array<StreamEvent & { user?: { display_name: string } }>;
		expect(toolEvents.map((e) => e.user?.display_name)).toEqual(['Sam Steward', 'Sam Steward']);

		const messages = await fetch(`${sim.url}/ai/api/v1/chats/${adaAnswer.events[0].chat_id}/messages`, { headers: bearer(ada.access_token) });
		expect(messages.status).toBe(200);
		expect(JSON.stringify(await messages.json())).toContain('for Ada Analyst');
	});

	it('refuses user tokens on warehouse credentials with 403 and says which credential it needs', async () => {
		const { access_token: token } = await signInFully(ADA.id);
		const res = await fetch(`${sim.url}/api/v2/auth/credentials/`, {
			method: 'POST',
			headers: { ...JSON_TYPE, ...bearer(token) },
			body: JSON.stringify({ state: 's', username: 'u', dp_id: 'dp', password: 'p' }),
		});
		expect(res.status).toBe(403);
		const body = (await res.json()) as { detail: string; code: string };
		expect(body.code).toBe('user_token_not_allowed');
		expect(body.detail).toMatch(/OAuth client \(client credentials\)/);
		expect(sim.warehouseCredentials).toEqual([]);
	});

	it('user tokens fall with revokeAllTokens(), like every access token', async () => {
		const tokens = await signInFully(ADA.id);
		sim.revokeAllTokens();
		expect((await userinfo(bearer(tokens.access_token))).status).toBe(401);
		// The refresh token survives, as for the other kinds.
		expect((await refresh(tokens.refresh_token)).status).toBe(200);
	});
});
