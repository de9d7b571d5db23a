/**
 * Fault suite, the JSON nodes: Create Access Token (faults on the token endpoint) and Set Warehouse
 * Credentials (faults on POST /api/v2/auth/credentials/ and on its token). Three items each, under
 * Continue On Fail. For each fault: three items out, in order, with `pairedItem`; the error on the
 * item that met the fault, readable; requests counted (these nodes retry a 401 once, and the token
 * request itself after a passing failure: 429, 502–504, a dropped connection); no
 * secret anywhere (Create Access Token may output the token it exists to output, nothing else).
 *
 * Stalls and "headers, then silence" are not waited out here: these nodes have fixed 60 s header
 * and body timeouts (nodes/shared/http/client.ts) and no timeout option. What is tested instead is
 * that stopping the execution ends them at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { INodeParameters } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import type { RunNodeOptions, RunNodeResult, StoredCredential } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO, startSimulator } from '../simulator';
import type { FaultSpec } from '../simulator';
import { errorOf, expectItemContract, items } from './helpers';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { AlationSetWarehouseCredentials } from '../../nodes/AlationSetWarehouseCredentials/AlationSetWarehouseCredentials.node';
import { readText, send } from '../../nodes/shared/http/client';

const sim = useSimulator();

const alation = () => simulatorOauthCredential(sim.url);

async function run(nodeType: RunNodeOptions['nodeType'], parameters: INodeParameters, options: Partial<RunNodeOptions> = {}): Promise<RunNodeResult> {
	return await runNode({
		nodeType,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters,
		items: items(3),
		continueOnFail: true,
		...options,
	});
}

/**
 * Runs the node against a simulator of its own whose `route` meets `fault`, stops the execution after
 * 300 ms (the editor's "Stop") and waits at most 3 s for the run to end. Returns the run and how long
 * it took, or undefined if it had not ended. Closing that simulator then ends whatever still waits,
 * so nothing hangs over into the next test.
 */
async function stopDuringFault(nodeType: RunNodeOptions['nodeType'], parameters: INodeParameters, fault: FaultSpec) {
	const own = await startSimulator();
	own.faults.add(fault);
	const abort = new AbortController();
	const timer = setTimeout(() => abort.abort(), 300);
	const started = Date.now();
	const running = runNode({
		nodeType,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: { ...alation(), id: 'alation-own', data: { ...alation().data, baseUrl: own.url } } },
		parameters,
		items: items(3),
		abortSignal: abort.signal,
	}).then((result) => ({ result, elapsed: Date.now() - started, requests: own.counters.requests }));
	try {
		return await Promise.race([running, sleep(3000).then(() => undefined)]);
	} finally {
		clearTimeout(timer);
		await own.close();
		await running.catch(() => undefined);
	}
}

async function userinfoStatus(token: string): Promise<number> {
	const response = await send({ method: 'GET', url: `${sim.url}/integration/v1/userinfo/`, headers: { authorization: `Bearer ${token}` } });
	await readText(response.body);
	return response.status;
}

describe('Create Access Token: faults of the token endpoint', () => {
	const node = new AlationCreateAccessToken();
	const getToken: INodeParameters = { authentication: 'alationApi', operation: 'getAccessToken' };
	const TOKEN_FIELDS = ['accessToken', 'headerValue'];
	const tokens = () => sim.counters.requests.oauthToken;
	const contract = (result: RunNodeResult) => expectItemContract(result, 3, { tokenFields: TOKEN_FIELDS });

	/** Items 1 and 2 got the same, working token (fetched by item 1 after item 0's failure). */
	async function expectLaterItemsServed(result: RunNodeResult): Promise<void> {
		const [, second, third] = result.items.map((i) => i.json.accessToken);
		expect(typeof second).toBe('string');
		expect(third).toBe(second);
		expect(await userinfoStatus(second as string)).toBe(200);
	}

	test.each([
		['401 (client refused)', { status: 401 }, /401/],
		['500', { status: 500 }, /500/],
		['a body that is not JSON', { malformJson: true }, /JSON|token/i],
	] as Array<[string, FaultSpec, RegExp]>)('%s → not retried: error on item 0 only; item 1 fetches once, item 2 reuses it', async (_name, fault, message) => {
		sim.faults.add({ route: 'oauthToken', ...fault });
		const result = await run(node, getToken);
		expect(contract(result)).toEqual([0]);
		expect(errorOf(result, 0).message).toMatch(message);
		expect(errorOf(result, 0).message).toMatch(/token/i);
		await expectLaterItemsServed(result);
		// One request for item 0, one for item 1, none for item 2.
		expect(tokens()).toBe(2);
	});

	// A passing failure of the token endpoint is retried (nodes/shared/auth/grants.ts, at most 2 retries).
	test.each([
		['429 with Retry-After: 0', { status: 429, retryAfter: 0 }],
		['503', { status: 503 }],
		['502', { status: 502 }],
		['connection dropped before any answer', { reset: true }],
	] as Array<[string, FaultSpec]>)('%s once → retried: every item gets the same token, two requests in all', async (_name, fault) => {
		sim.faults.add({ route: 'oauthToken', ...fault });
		const result = await run(node, getToken);
		expect(contract(result)).toEqual([]);
		expect(new Set(result.items.map((i) => i.json.accessToken)).size).toBe(1);
		expect(await userinfoStatus(result.items[0].json.accessToken as string)).toBe(200);
		expect(tokens()).toBe(2);
	});

	test('503 three times → item 0 fails after 3 attempts; item 1 fetches once, item 2 reuses it', async () => {
		sim.faults.add({ route: 'oauthToken', status: 503, times: 3 });
		const result = await run(node, getToken);
		expect(contract(result)).toEqual([0]);
		expect(errorOf(result, 0).message).toMatch(/answered 503.* after 3 attempts/);
		await expectLaterItemsServed(result);
		expect(tokens()).toBe(4);
	});

	test('429 for a used-up licence quota → not retried (waiting will not help)', async () => {
		sim.faults.add({ route: 'oauthToken', status: 429, body: { error: 'License Quota Exceeded', message: 'entitlement used up' } });
		const result = await run(node, getToken);
		expect(contract(result)).toEqual([0]);
		expect(errorOf(result, 0).message).toMatch(/429 \(License Quota Exceeded: entitlement used up\)$/);
		expect(tokens()).toBe(2);
	});

	test('the cached token was revoked on the server → still output (no request is made); Force New Token mints once', async () => {
		const first = await run(node, getToken);
		expect(contract(first)).toEqual([]);
		sim.revokeAllTokens();
		sim.resetCounters();
		const again = await run(node, getToken);
		expect(contract(again)).toEqual([]);
		const stale = again.items[0].json.accessToken as string;
		expect(stale).toBe(first.items[0].json.accessToken);
		expect(tokens()).toBe(0);
		expect(await userinfoStatus(stale)).toBe(401);
		const forced = await run(node, { ...getToken, forceNew: true });
		expect(contract(forced)).toEqual([]);
		expect(new Set(forced.items.map((i) => i.json.accessToken)).size).toBe(1);
		expect(await userinfoStatus(forced.items[0].json.accessToken as string)).toBe(200);
		expect(tokens()).toBe(1);
	});

	const refreshTokenCredential = (): StoredCredential => ({
		id: 'alation-rt',
		name: 'Alation API (simulator, refresh token)',
		type: 'alationApi',
		data: { baseUrl: sim.url, authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken },
	});

	test('refresh-token credential, a token response that is not JSON → error on item 0 naming the cause; items 1, 2 served', async () => {
		sim.faults.add({ route: 'createAPIAccessToken', malformJson: true });
		const result = await run(node, getToken, { credentials: { alationApi: refreshTokenCredential() } });
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(errorOf(result, 0).message).toMatch(/without a JSON object/);
		expect(result.items[1].json.tokenType).toBe('TOKEN');
		expect(sim.counters.requests.createAPIAccessToken).toBe(2);
	});

	// Was a package bug: the error quoted the start of an unparseable 2xx body, which holds the new token.
	test('refresh-token credential, a token response that is not JSON → the error does not quote the new token', async () => {
		sim.faults.add({ route: 'createAPIAccessToken', malformJson: true });
		const result = await run(node, getToken, { credentials: { alationApi: refreshTokenCredential() } });
		expect(errorOf(result, 0).message).not.toMatch(/[0-9a-f]{40,}/);
	});

	test('a stall of 1.5 s before the token answer (under the fixed 60 s timeout) → all items succeed, one request', async () => {
		sim.faults.add({ route: 'oauthToken', delayMs: 1500 });
		const result = await run(node, getToken);
		expect(contract(result)).toEqual([]);
		expect(tokens()).toBe(1);
	});

	// Was a package bug: axios' "stream has been aborted" (tokens are fetched through n8n's own request
	// helper) named neither the token request nor the closed connection.
	test('response cut at byte 40 → the message says the token request’s connection was closed', async () => {
		sim.faults.add({ route: 'oauthToken', cutAtByte: 40 });
		const result = await run(node, getToken);
		expect(errorOf(result, 0).message).toMatch(/closed|reset|connection/i);
	});

	// Was a package bug: n8n's token fetch takes no cancel signal, so "Stop" waited for it; the node no
	// longer waits for it once the execution is stopped. (These nodes have no timeout option: a hanging
	// token endpoint is ended by n8n's 60 s timeout or by Stop.)
	test.each([
		['no answer at all (stall)', { delayMs: 60_000 }],
		['headers, then silence', { silenceAfterHeaders: true }],
	] as Array<[string, FaultSpec]>)('%s on the token endpoint → stopping the execution ends it at once', async (_name, fault) => {
		const outcome = await stopDuringFault(node, getToken, { route: 'oauthToken', ...fault });
		expect(outcome?.elapsed).toBeLessThan(3000);
	});

	// Two executions need the token at once: one token request, shared. Stopping one must end that one
	// at once and leave the shared request to the other (was a bug: the stopped one waited, or its
	// Stop failed the other).
	test('a token request shared by two executions (429, Retry-After: 2): Stop ends one at once, the other gets the token', async () => {
		sim.faults.add({ route: 'oauthToken', status: 429, retryAfter: 2 });
		const stop = new AbortController();
		const started = Date.now();
		const stopped = runNode({ nodeType: node, credentialTypes: [new AlationApi()], credentials: { alationApi: alation() }, parameters: getToken, items: items(1), abortSignal: stop.signal })
			.then((result) => ({ result, elapsed: Date.now() - started }));
		await sleep(100);
		const other = runNode({ nodeType: node, credentialTypes: [new AlationApi()], credentials: { alationApi: alation() }, parameters: getToken, items: items(1) })
			.then((result) => ({ result, elapsed: Date.now() - started }));
		setTimeout(() => stop.abort(), 300);
		const [a, b] = await Promise.all([stopped, other]);
		expect(a.elapsed).toBeLessThan(1500);
		expect(a.result.items).toEqual([]);
		expect(b.elapsed).toBeGreaterThanOrEqual(1900);
		expect(b.result.error).toBeUndefined();
		expect(await userinfoStatus(b.result.items[0].json.accessToken as string)).toBe(200);
		expect(tokens()).toBe(2);
	});
});

describe('Set Warehouse Credentials: faults of the credentials endpoint', () => {
	const node = new AlationSetWarehouseCredentials();
	const PASSWORD = 'wh-Pa55word-do-not-leak';
	const parameters: INodeParameters = {
		dataProductId: '={{ "dp-" + $json.i }}',
		username: 'svc_n8n',
		secretType: 'password',
		password: PASSWORD,
	};
	const posts = () => sim.counters.requests.warehouseCredentials;
	const contract = (result: RunNodeResult) => expectItemContract(result, 3, { secrets: [PASSWORD] });
	/** Item 1's POST meets `faults` (one per attempt); items 0 and 2 are untouched. */
	const onItem1 = (...faults: FaultSpec[]) => sim.faults.script([{}, ...faults], { route: 'warehouseCredentials' });
	const stored = () => sim.warehouseCredentials.map((c) => c.dp_id).sort();

	function expectOthersConfigured(result: RunNodeResult): void {
		for (const i of [0, 2]) expect(result.items[i].json).toMatchObject({ dataProductId: `dp-${i}`, configured: true, httpStatus: 201 });
	}

	beforeEach(() => {
		sim.warehouseCredentials.splice(0);
	});

	test('401 while the token is still accepted (the check says so) → no new token, not sent again, error on item 1', async () => {
		onItem1({ status: 401 });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([1]);
		expect(stored()).toEqual(['dp-0', 'dp-2']);
		expect(posts()).toBe(3);
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.requests.userinfo).toBe(1);
	});

	test('token revoked before item 1 → 401, one new token, sent once more → all configured', async () => {
		onItem1({ revokeTokens: 'before' });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([]);
		expect(stored()).toEqual(['dp-0', 'dp-1', 'dp-2']);
		expect(posts()).toBe(4);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('token revoked while item 1 is answered → item 1 configured; item 2 meets 401, one new token', async () => {
		onItem1({ revokeAtByte: 10 });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([]);
		expect(posts()).toBe(4);
		expect(sim.counters.oauthMints).toBe(2);
		expect(sim.counters.unauthorized).toBe(2); // item 2's request, and the check
	});

	test('401 twice → error on item 1 (no third attempt); items 0 and 2 configured', async () => {
		onItem1({ revokeTokens: 'before' }, { status: 401 });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([1]);
		expect(errorOf(result, 1).message).toMatch(/401/);
		expect(errorOf(result, 1).details).toMatchObject({ httpCode: '401', dataProductId: 'dp-1' });
		expectOthersConfigured(result);
		expect(posts()).toBe(4);
	});

	test.each([
		['429 with Retry-After', { status: 429, retryAfter: 1 }, /429/],
		['500', { status: 500 }, /500/],
		['502', { status: 502 }, /502/],
		['503', { status: 503 }, /503/],
		['connection dropped before any answer', { reset: true }, /closed|reset|socket|connection/i],
		['response cut at byte 20', { cutAtByte: 20 }, /closed|reset|socket|connection/i],
	] as Array<[string, FaultSpec, RegExp]>)('%s → error on item 1, never sent twice (it may have been stored)', async (_name, fault, message) => {
		onItem1(fault);
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([1]);
		const { message: text, details } = errorOf(result, 1);
		expect(text).toMatch(message);
		expect(details.dataProductId).toBe('dp-1');
		expectOthersConfigured(result);
		expect(posts()).toBe(3);
	});

	test('2xx with a body that is not JSON → configured (the server said so), status kept', async () => {
		onItem1({ malformJson: true });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([]);
		expect(result.items[1].json).toMatchObject({ dataProductId: 'dp-1', configured: true, httpStatus: 201 });
		expect(posts()).toBe(3);
	});

	test('the token request fails (503, three times) → item 0 fails naming the token step; items 1 and 2 configured', async () => {
		sim.faults.add({ route: 'oauthToken', status: 503, times: 3 });
		const result = await run(node, parameters);
		expect(contract(result)).toEqual([0]);
		expect(errorOf(result, 0).message).toMatch(/token/i);
		expect(stored()).toEqual(['dp-1', 'dp-2']);
		expect(posts()).toBe(2);
	});

	test.each([
		['no answer at all (stall)', { delayMs: 60_000 }],
		['headers, then silence', { silenceAfterHeaders: true }],
	] as Array<[string, FaultSpec]>)('%s → only the fixed 60 s timeout would end it; stopping the execution ends it at once', async (_name, fault) => {
		const outcome = await stopDuringFault(node, parameters, { route: 'warehouseCredentials', ...fault });
		expect(outcome).toBeDefined();
		expect(outcome!.elapsed).toBeLessThan(3000);
		expect(outcome!.result.canceled).toBe(true);
		expect(outcome!.requests.warehouseCredentials).toBe(1);
	});

	test('without Continue On Fail: a 503 on item 1 fails the run with that item’s error; item 2 not sent', async () => {
		onItem1({ status: 503 });
		const result = await run(node, parameters, { continueOnFail: false });
		const error = result.error as Error & { context?: { itemIndex?: number } };
		expect(error.message).toMatch(/503/);
		expect(error.context?.itemIndex).toBe(1);
		expect(posts()).toBe(2);
		expect(JSON.stringify({ ...error, node: undefined, message: error.message })).not.toContain(PASSWORD);
	});
});
