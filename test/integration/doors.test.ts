/**
 * Every door n8n opens into the credential, on n8n-core's real request helpers: the newer
 * `httpRequestWithAuthentication` (calls `preAuthentication` again after a 401) and the older
 * `requestWithAuthentication` that the HTTP Request node uses (calls it again after *any* error).
 * Mints, checks and requests are counted by the simulator: a failure that is not the token's costs
 * no mint and no second request; a revoked token costs exactly one mint and one retry.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeConnectionTypes } from 'n8n-workflow';
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';

import { runNode, TestCredentialsHelper } from '../helpers/n8n';
import type { StoredCredential } from '../helpers/n8n';
import { preAuthenticationThis } from '../helpers/n8nHttp';
import { alationOauthData, alationRefreshData } from '../helpers/credentialData';
import { DEMO_SECRETS, expectNoSecrets } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationSetWarehouseCredentials } from '../../nodes/AlationSetWarehouseCredentials/AlationSetWarehouseCredentials.node';
import { alationGrant } from '../../nodes/shared/auth/credentialGrants';
import { tokenAuthority } from '../../nodes/shared/token/authority';
import { requestToken } from '../../nodes/shared/token/requestToken';
import { undiciPost } from '../../nodes/shared/token/transports';

const sim = useSimulator();
const alationApi = new AlationApi();

const oauthData = (extra: IDataObject = {}) => alationOauthData(sim.url, extra);
const refreshData = () => alationRefreshData(sim.url);
const credential = (data: ICredentialDataDecryptedObject): StoredCredential => ({ id: 'door-1', name: 'Alation API', type: 'alationApi', data });

type Helper = 'httpRequestWithAuthentication' | 'requestWithAuthentication';

/**
 * Stands in for n8n's HTTP Request node with a predefined credential: one GET per item through the
 * chosen helper, each item's failure caught (as "Continue On Fail" would) so every item is sent.
 */
function requestNode(helper: Helper): INodeType {
	return {
		description: {
			displayName: 'Door',
			name: `door${helper}`,
			group: ['transform'],
			version: 1,
			description: helper,
			defaults: { name: 'HTTP Request' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: 'alationApi', required: true }],
			properties: [
				{ displayName: 'URL', name: 'url', type: 'string', default: '' },
				{ displayName: 'Timeout', name: 'timeout', type: 'number', default: 10_000 },
			],
		},
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const out: INodeExecutionData[] = [];
			for (let i = 0; i < this.getInputData().length; i++) {
				const url = this.getNodeParameter('url', i) as string;
				const timeout = this.getNodeParameter('timeout', i) as number;
				try {
					const json =
						helper === 'httpRequestWithAuthentication'
							? ((await this.helpers.httpRequestWithAuthentication.call(this, 'alationApi', { url, json: true, timeout })) as IDataObject)
							: ((await this.helpers.requestWithAuthentication.call(this, 'alationApi', { uri: url, json: true, timeout }, undefined, i)) as IDataObject);
					out.push({ json, pairedItem: { item: i } });
				} catch (error) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
				}
			}
			return [out];
		},
	};
}

const run = async (helper: Helper, store: TestCredentialsHelper, url: string, items = 1, timeout = 10_000) =>
	await runNode({
		nodeType: requestNode(helper),
		parameters: { url, timeout },
		items: Array.from({ length: items }, (_, i) => ({ json: { i } })),
		credentials: { alationApi: credential(oauthData()) },
		credentialTypes: [alationApi],
		helper: store,
	});

/** A credential store holding a token, as after an earlier execution; counters at zero. */
async function warmStore(helper: Helper): Promise<TestCredentialsHelper> {
	const store = new TestCredentialsHelper([alationApi], [credential(oauthData())]);
	const warm = await run(helper, store, `${sim.url}/integration/v1/userinfo/`);
	expect(warm.items[0].json.error).toBeUndefined();
	sim.resetCounters();
	return store;
}

describe.each<Helper>(['httpRequestWithAuthentication', 'requestWithAuthentication'])('through n8n-core %s', (helper) => {
	test('five 404s → no mint, each request sent once', async () => {
		const store = await warmStore(helper);
		const result = await run(helper, store, `${sim.url}/integration/v1/no-such-endpoint/`, 5);
		expect(result.items.map((i) => typeof i.json.error)).toEqual(Array(5).fill('string'));
		expect(sim.counters.requests.notFound).toBe(5);
		expect(sim.counters.oauthMints).toBe(0);
		// The older helper asks whether the token was refused: one check per failure, no 401.
		expect(sim.counters.requests.userinfo).toBe(helper === 'requestWithAuthentication' ? 5 : 0);
		expect(sim.counters.unauthorized).toBe(0);
	});

	test('five 500s → no mint, each request sent once', async () => {
		const store = await warmStore(helper);
		sim.faults.add({ route: 'agentList', status: 500, times: 5 });
		const result = await run(helper, store, `${sim.url}/ai/api/v1/config/agent`, 5);
		expect(result.items.map((i) => typeof i.json.error)).toEqual(Array(5).fill('string'));
		expect(sim.counters.requests.agentList).toBe(5);
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('a timeout → no mint, the request sent once', async () => {
		const store = await warmStore(helper);
		sim.faults.add({ route: 'agentList', delayMs: 1_500 });
		const result = await run(helper, store, `${sim.url}/ai/api/v1/config/agent`, 1, 300);
		expect(typeof result.items[0].json.error).toBe('string');
		expect(sim.counters.requests.agentList).toBe(1);
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('a revoked token (401) → one check, one mint, the request sent once more; later items use the new token', async () => {
		const store = await warmStore(helper);
		const before = store.stored.get('door-1')?.data.accessToken;
		sim.revokeAllTokens();
		const result = await run(helper, store, `${sim.url}/integration/v1/userinfo/`, 3);
		expect(result.items.map((i) => i.json.error)).toEqual([undefined, undefined, undefined]);
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.unauthorized).toBe(2); // item 0's request, and the check
		expect(sim.counters.requests.userinfo).toBe(5); // item 0 twice, the check, items 1 and 2
		const after = store.stored.get('door-1')?.data;
		expect(after?.accessToken).not.toBe(before);
		expect(after?.mintedAt).toEqual(expect.any(Number));
	});

	test('a slow request that fails (500) after its token became due for renewal: checked, no mint, not sent again', async () => {
		sim.options.tokenLifetimeSeconds = 4; // due for renewal after 2 s
		const store = await warmStore(helper);
		sim.faults.add({ route: 'agentList', status: 500, delayMs: 2_300 });
		const result = await run(helper, store, `${sim.url}/ai/api/v1/config/agent`, 1, 10_000);
		expect(typeof result.items[0].json.error).toBe('string');
		expect(sim.counters.requests.agentList).toBe(1);
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('a token due for renewal is renewed through n8n before the request (stored, no 401), not minted in authenticate', async () => {
		sim.options.tokenLifetimeSeconds = 4; // renewed after 2 s (skew: half the lifetime)
		const store = await warmStore(helper);
		const first = store.stored.get('door-1')?.data.accessToken;
		await new Promise((resolve) => setTimeout(resolve, 2_200));
		const result = await run(helper, store, `${sim.url}/integration/v1/userinfo/`, 2);
		expect(result.items.map((i) => i.json.error)).toEqual([undefined, undefined]);
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.unauthorized).toBe(0);
		expect(sim.counters.requests.userinfo).toBe(2);
		// Stored where every door (and every process) sees it.
		expect(store.stored.get('door-1')?.data.accessToken).not.toBe(first);
		expect(tokenAuthority.held(alationGrant(oauthData()), { fresh: true })?.value).toBe(store.stored.get('door-1')?.data.accessToken);
	});
});

describe('the Test button (preAuthentication for the credential test)', () => {
	test('pressed twice on a saved credential that holds a valid token → no mint; the test request succeeds', async () => {
		const minted = await alationApi.preAuthentication.call(preAuthenticationThis, oauthData());
		tokenAuthority.clear(); // the editor's process did not mint it
		sim.resetCounters();
		for (let press = 0; press < 2; press++) {
			const data = oauthData(minted);
			expect(await alationApi.preAuthentication.call(preAuthenticationThis, data)).toEqual({});
			const request = await alationApi.authenticate(data, { url: `${sim.url}/integration/v1/userinfo/` });
			expect(request.headers?.Authorization).toBe(`Bearer ${minted.accessToken as string}`);
		}
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('a revoked stored token → one mint', async () => {
		const minted = await alationApi.preAuthentication.call(preAuthenticationThis, oauthData());
		sim.revokeAllTokens();
		sim.resetCounters();
		const fresh = await alationApi.preAuthentication.call(preAuthenticationThis, oauthData(minted));
		expect(fresh.accessToken).not.toBe(minted.accessToken);
		expect(sim.counters.oauthMints).toBe(1);
	});
});

describe('a 401 a new token cannot cure (a refresh-token credential on Agent Studio)', () => {
	const overFiveItems = async (nodeType: INodeType, parameters: INodeParameters) =>
		await runNode({
			nodeType,
			parameters,
			items: Array.from({ length: 5 }, (_, i) => ({ json: { i } })),
			credentials: { alationApi: credential(refreshData()) },
			credentialTypes: [alationApi],
			helper: new TestCredentialsHelper([alationApi], [credential(refreshData())]),
			continueOnFail: true,
		});

	test.each<[string, () => INodeType, INodeParameters]>([
		['Agent Chat', () => new AlationAgentChat(), { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: '={{ "Q" + $json.i }}' }],
		['Set Warehouse Credentials', () => new AlationSetWarehouseCredentials(), { dataProductId: '={{ "dp-" + $json.i }}', username: 'svc', secretType: 'password', password: 'pw-secret-1' }],
	])('%s over 5 items → one mint in all (≤ 2 asked), every item fails saying to use an OAuth client', async (_node, nodeType, parameters) => {
		const result = await overFiveItems(nodeType(), parameters);
		expect(result.items).toHaveLength(5);
		for (const item of result.items) {
			expect(JSON.stringify(item.json)).toMatch(/401/);
			expect(JSON.stringify(item.json)).toMatch(/OAuth Client Credentials/);
		}
		expect(sim.counters.apiAccessTokenMints).toBe(1);
		expectNoSecrets(result.items, [...DEMO_SECRETS, 'pw-secret-1']);
	});
});

describe('no redirects on token requests', () => {
	test.each(['n8n', 'undici'])('a token endpoint answering 307 to another origin (%s transport): the secret never reaches it, the error names the origin', async (transport) => {
		const received: string[] = [];
		const other = createServer((req, res) => {
			let body = '';
			req.on('data', (chunk: Buffer) => (body += chunk.toString()));
			req.on('end', () => {
				received.push(body);
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ access_token: 'stolen', expires_in: 3600 }));
			});
		});
		await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
		const origin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
		try {
			sim.faults.add({ route: 'oauthToken', status: 307, headers: { location: `${origin}/steal?x=1` }, body: { note: 'moved' } });
			let message: string;
			if (transport === 'n8n') {
				message = ((await alationApi.preAuthentication.call(preAuthenticationThis, oauthData()).catch((e: unknown) => e)) as Error).message;
			} else {
				// The nodes' own transport (used when n8n cannot store the token, e.g. an unsaved credential).
				message = ((await requestToken(alationGrant(oauthData()), undiciPost({ allowUnauthorizedCerts: false })).catch((e: unknown) => e)) as Error).message;
			}
			expect(message).toContain(`redirects to ${origin}`);
			expect(message).not.toContain('steal');
			expect(received).toEqual([]);
			expect(sim.counters.requests.oauthToken).toBe(1);
		} finally {
			await new Promise((resolve) => other.close(resolve));
		}
	});
});
