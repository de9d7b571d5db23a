/**
 * The simulator's fault mode on the wire (raw undici, no package code): each fault does what it
 * says, a script is consumed in order, and without faults nothing changes. Also the introspection
 * endpoint the benchmarks' SDK-style reference client uses.
 */
import { request } from 'undici';

import { useSimulator } from '../helpers/useSimulator';
import { DEMO, startSimulator } from '../simulator';
import type { FaultSpec } from '../simulator';

let token = '';
const sim = useSimulator();
beforeEach(async () => {
	token = await mint();
	sim.resetCounters();
});

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const STREAM = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';

async function mint(): Promise<string> {
	const response = await request(`${sim.url}/oauth/v2/token/`, {
		method: 'POST',
		headers: FORM,
		body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
	});
	return ((await response.body.json()) as { access_token: string }).access_token;
}

interface Received {
	status?: number;
	headers?: Record<string, unknown>;
	bytes: Buffer;
	/** undici's error code when the exchange failed. */
	error?: string;
	/** ms from the request to the headers, and to the end (or the failure). */
	headersAt?: number;
	endAt: number;
	/** ms at which each chunk arrived. */
	chunkTimes: number[];
}

/** One stream request; collects what arrived before the end or the failure. */
async function ask(options: { bodyTimeout?: number } = {}): Promise<Received> {
	const started = Date.now();
	const chunks: Buffer[] = [];
	const chunkTimes: number[] = [];
	const received: Received = { bytes: Buffer.alloc(0), endAt: 0, chunkTimes };
	try {
		const response = await request(`${sim.url}${STREAM}`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ message: 'Find sales tables' }),
			headersTimeout: 5000,
			bodyTimeout: options.bodyTimeout ?? 5000,
		});
		received.status = response.statusCode;
		received.headers = response.headers;
		received.headersAt = Date.now() - started;
		for await (const chunk of response.body) {
			chunks.push(chunk as Buffer);
			chunkTimes.push(Date.now() - started);
		}
	} catch (error) {
		received.error = (error as { code?: string }).code ?? String(error);
	}
	received.bytes = Buffer.concat(chunks);
	received.endAt = Date.now() - started;
	return received;
}

const dataEvents = (text: string) => text.split(/\r\n|\r|\n/).filter((line) => line.startsWith('data: '));

describe('without faults', () => {
	test('the route answers as always; the log is empty', async () => {
		const plain = await ask();
		expect(plain.status).toBe(200);
		expect(dataEvents(plain.bytes.toString()).at(-1)).toBe('data: [DONE]');
		expect(sim.faults.log).toEqual([]);
		expect(sim.faults.pending).toBe(0);
	});
});

describe('answers instead of the route', () => {
	test.each([
		[401, { detail: 'Invalid token.' }, 'www-authenticate'],
		[429, { detail: 'Request was throttled.' }, 'retry-after'],
		[500, { detail: 'Internal error' }, undefined],
		[503, { detail: 'Service temporarily unavailable.' }, undefined],
	] as Array<[number, object, string | undefined]>)('status %i with the body Alation sends', async (status, body, header) => {
		sim.faults.add({ route: 'agentStream', status, ...(status === 429 ? { retryAfter: 7 } : {}) });
		const received = await ask();
		expect(received.status).toBe(status);
		expect(JSON.parse(received.bytes.toString())).toEqual(body);
		if (header) expect(received.headers?.[header]).toBeDefined();
		if (status === 429) expect(received.headers?.['retry-after']).toBe('7');
		if (status === 401) expect(sim.counters.unauthorized).toBe(1);
	});

	test('on the token endpoint a 401 has the OAuth body', async () => {
		sim.faults.add({ route: 'oauthToken', status: 401 });
		const response = await request(`${sim.url}/oauth/v2/token/`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' });
		expect(response.statusCode).toBe(401);
		expect(await response.body.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
	});

	test('reset: the connection drops with no status line', async () => {
		sim.faults.add({ route: 'agentStream', reset: true });
		const received = await ask();
		expect(received.status).toBeUndefined();
		expect(received.error).toBe('UND_ERR_SOCKET');
	});

	test('a scripted answer: snapshot and delta events of one message, then [DONE]', async () => {
		sim.faults.script([
			{ answer: { text: 'abc😀def', pieces: 3, style: 'delta' } },
			{ answer: { text: 'abc😀def', pieces: 3 } },
		], { route: 'agentStream' });
		const contents = async () =>
			dataEvents((await ask()).bytes.toString())
				.slice(0, -1)
				.map((line) => (JSON.parse(line.slice(6)) as { model_message: { parts: Array<{ content: string }> } }).model_message.parts[0].content);
		// A surrogate pair is never cut: 8 code units in pieces of 3 → "abc", "😀d" (kept whole), "ef".
		expect(await contents()).toEqual(['abc', '😀d', 'ef']);
		expect(await contents()).toEqual(['abc', 'abc😀d', 'abc😀def']);
	});
});

describe('shapes the route’s own response', () => {
	test('cutAtByte: exactly N body bytes arrive, then the socket is gone', async () => {
		sim.faults.add({ route: 'agentStream', cutAtByte: 321 });
		const received = await ask();
		expect(received.status).toBe(200);
		expect(received.bytes.length).toBe(321);
		expect(received.error).toBe('UND_ERR_SOCKET');
	});

	test('cutAtByte 0: the headers, then the socket is gone', async () => {
		sim.faults.add({ route: 'agentStream', cutAtByte: 0 });
		const received = await ask();
		expect(received.status).toBe(200);
		expect(received.bytes.length).toBe(0);
		expect(received.error).toBe('UND_ERR_SOCKET');
	});

	test('delayMs: nothing for that long, then the normal answer', async () => {
		sim.faults.add({ route: 'agentStream', delayMs: 300 });
		const received = await ask();
		expect(received.headersAt).toBeGreaterThanOrEqual(290);
		expect(dataEvents(received.bytes.toString()).at(-1)).toBe('data: [DONE]');
	});

	test('stallAtByte: the first N bytes, a pause, then the rest', async () => {
		sim.faults.add({ route: 'agentStream', stallAtByte: 200, stallMs: 300 });
		const received = await ask();
		expect(received.error).toBeUndefined();
		const gapAt = received.chunkTimes.findIndex((t, i) => i > 0 && t - received.chunkTimes[i - 1] >= 250);
		expect(gapAt).toBeGreaterThan(0);
		expect(dataEvents(received.bytes.toString()).at(-1)).toBe('data: [DONE]');
	});

	test('silenceAfterHeaders: status and headers, then no byte until the client gives up', async () => {
		sim.faults.add({ route: 'agentStream', silenceAfterHeaders: true });
		const received = await ask({ bodyTimeout: 400 });
		expect(received.status).toBe(200);
		expect(received.bytes.length).toBe(0);
		expect(received.error).toBe('UND_ERR_BODY_TIMEOUT');
	});

	test('dripEveryMs: one byte per write, paced', async () => {
		sim.faults.add({ route: 'agentStream', answer: { text: 'drip' }, dripEveryMs: 5 });
		const received = await ask();
		const size = received.bytes.length;
		expect(size).toBeGreaterThan(100);
		expect(received.chunkTimes.length).toBeGreaterThan(size / 2);
		expect(received.endAt).toBeGreaterThanOrEqual(size * 5 * 0.9);
	});

	test('bom: the body starts with EF BB BF', async () => {
		sim.faults.add({ route: 'agentStream', bom: true });
		const received = await ask();
		expect([...received.bytes.subarray(0, 4)]).toEqual([0xef, 0xbb, 0xbf, 0x64]);
	});

	test.each([
		['cr', /\r(?!\n)/, /\n/],
		['crlf', /\r\n/, /(?<!\r)\n/],
	] as const)('lineEnds %s', async (lineEnds, present, absent) => {
		sim.faults.add({ route: 'agentStream', lineEnds });
		const text = (await ask()).bytes.toString();
		expect(text).toMatch(present);
		expect(text).not.toMatch(absent);
		expect(dataEvents(text).at(-1)).toBe('data: [DONE]');
	});

	test('malformEvent: exactly the n-th data event stops being JSON', async () => {
		sim.faults.add({ route: 'agentStream', malformEvent: 2 });
		const events = dataEvents((await ask()).bytes.toString()).slice(0, -1);
		const parses = events.map((line) => {
			try {
				JSON.parse(line.slice(6));
				return true;
			} catch {
				return false;
			}
		});
		expect(parses).toEqual(parses.map((_, i) => i !== 2));
	});

	test('malformJson: a JSON answer is no longer JSON (and has no wrong content-length)', async () => {
		sim.faults.add({ route: 'oauthToken', malformJson: true });
		const response = await request(`${sim.url}/oauth/v2/token/`, {
			method: 'POST',
			headers: FORM,
			body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
		});
		const text = await response.body.text();
		expect(response.statusCode).toBe(200);
		expect(() => JSON.parse(text)).toThrow();
	});

	test('a 2 MB single event arrives whole', async () => {
		sim.faults.add({ route: 'agentStream', answer: { text: 'x'.repeat(2_000_000) } });
		const events = dataEvents((await ask()).bytes.toString());
		expect(events).toHaveLength(2);
		expect(events[0].length).toBeGreaterThan(2_000_000);
	});

	test('revokeAtByte: the stream goes on; afterwards the token is refused', async () => {
		sim.faults.add({ route: 'agentStream', revokeAtByte: 50 });
		const during = await ask();
		expect(dataEvents(during.bytes.toString()).at(-1)).toBe('data: [DONE]');
		const after = await ask();
		expect(after.status).toBe(401);
	});

	test('revokeTokens before: the route itself refuses the token', async () => {
		sim.faults.add({ route: 'agentStream', revokeTokens: 'before' });
		expect((await ask()).status).toBe(401);
	});
});

describe('the script', () => {
	test('faults are used in order, `{}` passes, `times` repeats; matched by route or exact path and method', async () => {
		sim.faults.script([{}, { status: 503 }, { status: 429, times: 2 }], { route: 'agentStream' });
		sim.faults.add({ path: '/oauth/v2/token/', method: 'GET', status: 500 }); // never matches a POST
		expect(sim.faults.pending).toBe(5);
		const statuses = [];
		for (let i = 0; i < 5; i++) statuses.push((await ask()).status);
		expect(statuses).toEqual([200, 503, 429, 429, 200]);
		expect(sim.faults.pending).toBe(1);
		expect(sim.faults.log.slice(-4).map((r) => r.fault)).toEqual(['pass', 'status=503', 'status=429', 'status=429']);
		sim.faults.clear();
		expect(sim.faults.pending).toBe(0);
	});

	test('a remover takes back faults not yet used', async () => {
		const remove = sim.faults.script([{ status: 500 }, { status: 500 }], { route: 'agentStream' });
		expect((await ask()).status).toBe(500);
		remove();
		expect((await ask()).status).toBe(200);
	});

	test.each([
		[{ status: 500 }, /route or a path/],
		[{ route: 'agentStream', times: 0 }, /times/],
		[{ route: 'agentStream', cutAtByte: -1 }, /cutAtByte/],
		[{ route: 'agentStream', stallAtByte: 5 }, /stallMs/],
		[{ route: 'agentStream', lineEnds: 'lf' }, /lineEnds/],
		[{ route: 'agentStream', status: 500, reset: true }, /at most one/],
	] as Array<[FaultSpec, RegExp]>)('refuses a bad fault %j', (spec, message) => {
		expect(() => sim.faults.add(spec)).toThrow(message);
	});

	test('close() ends a fault that is still waiting', async () => {
		const other = await startSimulator();
		other.faults.add({ route: 'oauthToken', delayMs: 60_000 });
		const pending = request(`${other.url}/oauth/v2/token/`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' }).catch(
			(error: { code?: string }) => error.code,
		);
		await new Promise((resolve) => setTimeout(resolve, 100));
		const started = Date.now();
		await other.close();
		expect(await pending).toBe('UND_ERR_SOCKET');
		expect(Date.now() - started).toBeLessThan(1000);
	});
});

describe('POST /oauth/v2/introspect/ (RFC 7662, as Alation’s SDK calls it)', () => {
	const introspect = async (fields: Record<string, string>) => {
		const response = await request(`${sim.url}/oauth/v2/introspect/`, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
		return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
	};
	const client = { client_id: DEMO.clientId, client_secret: DEMO.clientSecret };

	test('the current token is active; a replaced, revoked or unknown one is not', async () => {
		const active = await introspect({ token, token_type_hint: 'access_token', ...client });
		expect(active).toEqual({ status: 200, json: { active: true, client_id: DEMO.clientId, token_type: 'Bearer', iat: expect.any(Number), exp: expect.any(Number) } });
		const newer = await mint();
		expect((await introspect({ token, ...client })).json).toEqual({ active: false });
		expect((await introspect({ token: newer, ...client })).json.active).toBe(true);
		sim.revokeAllTokens();
		expect((await introspect({ token: newer, ...client })).json).toEqual({ active: false });
		expect((await introspect({ token: 'nope', ...client })).json).toEqual({ active: false });
		expect(sim.counters.requests.introspect).toBe(5);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('a wrong client secret is refused; a missing token is a bad request', async () => {
		expect((await introspect({ token, client_id: DEMO.clientId, client_secret: 'wrong' })).status).toBe(401);
		expect((await introspect({ ...client })).status).toBe(400);
	});
});
