/**
 * The two credential types as n8n uses them: `preAuthentication` called with n8n's own httpRequest
 * helper, `authenticate`, the credential test request, and requests made through n8n-core's real
 * `httpRequestWithAuthentication` (the path of the HTTP Request node with a predefined credential).
 */
import { NodeConnectionTypes, Workflow } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { runNode, TestCredentialsHelper, TestNodeTypes, harnessStartNodeType } from '../helpers/n8n';
import type { StoredCredential } from '../helpers/n8n';
import { preAuthenticationThis } from '../helpers/n8nHttp';
import { alationOauthData, alationRefreshData } from '../helpers/credentialData';
import { DEMO_SECRETS, expectNoSecrets } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { DataClarityApi } from '../../credentials/DataClarityApi.credentials';
import { tokenAuthority } from '../../nodes/shared/token/authority';

const sim = useSimulator();

const alationApi = new AlationApi();
const dataClarityApi = new DataClarityApi();

const clientCredentials = (extra: IDataObject = {}) => alationOauthData(sim.url, extra);
const refreshTokenCredentials = (extra: IDataObject = {}) => alationRefreshData(sim.url, extra);
const dataClarityCredentials = (extra: IDataObject = {}): ICredentialDataDecryptedObject => ({
	serverUrl: sim.url,
	tenant: DEMO.tenant,
	flow: 'clientCredentials',
	clientId: DEMO.keycloakClientId,
	clientSecret: DEMO.keycloakClientSecret,
	accessToken: '',
	expiresAt: 0,
	...extra,
});

const preAuth = async (credentials: ICredentialDataDecryptedObject, type: AlationApi | DataClarityApi = alationApi) =>
	await type.preAuthentication.call(preAuthenticationThis, credentials);

describe('credential descriptions (public contract)', () => {
	test('Alation API', () => {
		expect(alationApi.name).toBe('alationApi');
		expect(alationApi.displayName).toBe('Alation API');
		const names = alationApi.properties.map((p) => p.name);
		expect(names).toEqual(
			expect.arrayContaining(['baseUrl', 'authType', 'clientId', 'clientSecret', 'userId', 'refreshToken', 'allowUnauthorizedCerts', 'accessToken', 'expiresAt']),
		);
		const accessToken = alationApi.properties.find((p) => p.name === 'accessToken');
		expect(accessToken).toMatchObject({ type: 'hidden', typeOptions: { expirable: true, password: true } });
		expect(alationApi.properties.find((p) => p.name === 'expiresAt')).toMatchObject({ type: 'hidden' });
		for (const secret of ['clientSecret', 'refreshToken']) {
			expect(alationApi.properties.find((p) => p.name === secret)?.typeOptions?.password).toBe(true);
		}
		expect(alationApi.properties.find((p) => p.name === 'authType')?.options?.map((o) => (o as { value: string }).value)).toEqual([
			'clientCredentials',
			'refreshToken',
		]);
		expect(alationApi.test.request.url).toBe('/integration/v1/userinfo/');
	});

	test('DataClarity API', () => {
		expect(dataClarityApi.name).toBe('dataClarityApi');
		expect(dataClarityApi.properties.map((p) => p.name)).toEqual(
			expect.arrayContaining(['serverUrl', 'tenant', 'clientId', 'clientSecret', 'flow', 'username', 'password', 'accessToken', 'expiresAt']),
		);
		expect(dataClarityApi.test.request.url).toBe('/dp/api/v1/aiconnections/types');
	});
});

describe('preAuthentication, called the way n8n calls it', () => {
	test('no stored token → one mint, returns the expirable accessToken and expiresAt', async () => {
		const result = await preAuth(clientCredentials());
		expect(typeof result.accessToken).toBe('string');
		expect(result.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('the token sent was revoked (n8n calls after a 401) → one check, a new token; a late call for the same old token gets the new one, no mint', async () => {
		const first = await preAuth(clientCredentials());
		sim.revokeAllTokens();
		const second = await preAuth(clientCredentials(first));
		expect(second.accessToken).not.toBe(first.accessToken);
		expect(sim.counters.oauthMints).toBe(2);
		const late = await preAuth(clientCredentials(first));
		expect(late.accessToken).toBe(second.accessToken);
		expect(sim.counters.oauthMints).toBe(2);
		expect(sim.counters.requests.userinfo).toBe(1); // the one check
	});

	test('called again while the token sent is still accepted (a 404 or 500 through the older helper, the Test button) → nothing new, no mint', async () => {
		const first = await preAuth(clientCredentials());
		const again = await preAuth(clientCredentials(first));
		expect(again).toEqual({});
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.requests.userinfo).toBe(1);
		// Another process (empty memory) with the stored token: the same answer.
		tokenAuthority.clear();
		expect(await preAuth(clientCredentials(first))).toEqual({});
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('100 concurrent calls after a burst of 401s → exactly 1 check and 1 mint', async () => {
		const first = await preAuth(clientCredentials());
		sim.revokeAllTokens();
		sim.resetCounters();
		const results = await Promise.all(Array.from({ length: 100 }, async () => await preAuth(clientCredentials(first))));
		expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
		expect(sim.counters.requests.userinfo).toBe(1);
	});

	test('a stored token of other values (the secret was changed) is not checked but replaced: the Test button checks the new secret', async () => {
		const first = await preAuth(clientCredentials());
		const error = (await preAuth(clientCredentials({ ...first, clientSecret: 'changed-but-wrong' })).catch((e: unknown) => e)) as Error;
		expect(error.message).toMatch(/invalid_client/);
		expectNoSecrets(error, [...DEMO_SECRETS, 'changed-but-wrong', first.accessToken as string]);
		expect(sim.counters.requests.userinfo).toBe(0);
	});

	test('what is stored: token, expiry, mint time and a salted fingerprint with no secret in it', async () => {
		const before = Date.now();
		const result = await preAuth(clientCredentials());
		expect(Object.keys(result).sort()).toEqual(['accessToken', 'expiresAt', 'mintedAt', 'tokenIdentity']);
		expect(result.mintedAt).toBeGreaterThanOrEqual(before);
		expect(result.tokenIdentity).toMatch(/^s1\./);
		expectNoSecrets(result.tokenIdentity, DEMO_SECRETS);
	});

	test('refresh token → API access token', async () => {
		const result = await preAuth(refreshTokenCredentials());
		expect(typeof result.accessToken).toBe('string');
		expect(sim.counters.apiAccessTokenMints).toBe(1);
	});

	test('DataClarity client credentials and password flow', async () => {
		await preAuth(dataClarityCredentials(), dataClarityApi);
		await preAuth(dataClarityCredentials({ flow: 'password', username: DEMO.keycloakUsername, password: DEMO.keycloakPassword }), dataClarityApi);
		expect(sim.counters.keycloakMints).toBe(2);
	});

	test('pasted whitespace and a trailing slash do not matter', async () => {
		const result = await preAuth(clientCredentials({ baseUrl: `${sim.url}/ `, clientId: ` ${DEMO.clientId}\n`, clientSecret: `${DEMO.clientSecret}\n` }));
		expect(typeof result.accessToken).toBe('string');
	});

	test.each([
		['a wrong client secret', () => clientCredentials({ clientSecret: 'not-the-secret' }), /invalid_client: Client authentication failed.*Check the Client ID and Client Secret/],
		['a wrong refresh token', () => refreshTokenCredentials({ refreshToken: 'stale-refresh-token' }), /Refresh token provided is invalid.*Check the User ID and Refresh Token/],
		['a base URL with a path', () => clientCredentials({ baseUrl: `${sim.url}/app/home` }), /without a path: type http:\/\/127\.0\.0\.1:\d+ \(in the "Alation API" credential\)$/],
		['an empty client id', () => clientCredentials({ clientId: '  ' }), /Client ID is empty\. Fill it in the "Alation API" credential/],
		['a wrong keycloak secret', () => dataClarityCredentials({ clientSecret: 'nope-nope' }), /invalid_client/],
	])('%s → a clear error without secrets', async (_case, credentials, message) => {
		const data = credentials();
		const type = 'tenant' in data ? dataClarityApi : alationApi;
		const error = (await preAuth(data, type).catch((e: unknown) => e)) as Error;
		expect(error).toBeInstanceOf(Error);
		expect(error.message).toMatch(message);
		expectNoSecrets(error, [...DEMO_SECRETS, 'not-the-secret', 'stale-refresh-token', 'nope-nope']);
	});

	test('a base URL with a path: the message says what to type', async () => {
		const error = (await preAuth(clientCredentials({ baseUrl: `${sim.url}/app/home` })).catch((e: unknown) => e)) as Error;
		expect(error.message).toContain(`type ${sim.url} (in the`);
		expect(error.message).not.toContain('/app/home');
	});

	test('no credential field is quoted in an error: a refresh token pasted into User ID stays out of the message', async () => {
		const pasted = 'rt-pasted-into-the-wrong-field';
		const error = (await preAuth(refreshTokenCredentials({ userId: pasted })).catch((e: unknown) => e)) as Error;
		expect(error.message).toMatch(/User ID must be the numeric id .* digits only/);
		expect(error.message).not.toContain(pasted);
		const malformed = (await preAuth(clientCredentials({ baseUrl: 'https://exa mple.com/?token=abc' })).catch((e: unknown) => e)) as Error;
		expect(malformed.message).toMatch(/Base URL is not a valid address/);
		expect(malformed.message).not.toContain('token=abc');
	});
});

describe('authenticate', () => {
	const request: IHttpRequestOptions = { url: `/integration/v1/userinfo/`, headers: { Accept: 'application/json' } };

	test('client credentials → Authorization: Bearer, other headers kept', async () => {
		const stored = await preAuth(clientCredentials());
		const out = await alationApi.authenticate(clientCredentials(stored), request);
		expect(out.headers).toEqual({ Accept: 'application/json', Authorization: `Bearer ${stored.accessToken as string}` });
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('refresh token → TOKEN header', async () => {
		const stored = await preAuth(refreshTokenCredentials());
		const out = await alationApi.authenticate(refreshTokenCredentials(stored), request);
		expect(out.headers).toMatchObject({ TOKEN: stored.accessToken });
		expect(out.headers?.Authorization).toBeUndefined();
	});

	test('a stored token close to expiry is never sent and never minted here: n8n is asked to renew it (a 401-shaped error)', async () => {
		const identity = (await preAuth(clientCredentials())).tokenIdentity;
		tokenAuthority.clear();
		sim.resetCounters();
		const stale = clientCredentials({ accessToken: 'stored-but-stale', expiresAt: Date.now() + 1_000, mintedAt: Date.now() - 3_599_000, tokenIdentity: identity });
		const error = (await alationApi.authenticate(stale, request).catch((e: unknown) => e)) as Error & { response?: { status?: number } };
		expect(error.response?.status).toBe(401);
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('a valid stored token is sent as is (no mint)', async () => {
		const stored = await preAuth(clientCredentials());
		tokenAuthority.clear();
		sim.resetCounters();
		const out = await alationApi.authenticate(clientCredentials({ ...stored, accessToken: 'stored-valid' }), request);
		expect(out.headers?.Authorization).toBe('Bearer stored-valid');
		expect(sim.counters.oauthMints).toBe(0);
	});

	test('after the secret was changed, the stored token is not sent', async () => {
		const stored = await preAuth(clientCredentials());
		tokenAuthority.clear();
		const error = (await alationApi
			.authenticate(clientCredentials({ ...stored, clientSecret: 'changed' }), request)
			.catch((e: unknown) => e)) as Error & { response?: { status?: number } };
		expect(error.response?.status).toBe(401);
		expectNoSecrets(error, [...DEMO_SECRETS, 'changed', stored.accessToken as string]);
	});
});

describe('the credential test request', () => {
	test.each([
		['http://127.0.0.1:1234', 'http://127.0.0.1:1234'],
		['http://127.0.0.1:1234/', 'http://127.0.0.1:1234'],
		[' acme.alationcloud.com// ', 'https://acme.alationcloud.com'],
	])('baseURL %p resolves to %p', (baseUrl, expected) => {
		const nodeTypes = new TestNodeTypes({ 'n8n-nodes-harness.start': harnessStartNodeType });
		const workflow = new Workflow({
			nodes: [{ id: '1', name: 'Start', type: 'n8n-nodes-harness.start', typeVersion: 1, position: [0, 0], parameters: {} }],
			connections: {},
			active: false,
			nodeTypes,
		});
		const resolved = workflow.expression.getParameterValue(alationApi.test.request.baseURL as string, null, 0, 0, 'Start', [], 'internal', {
			$credentials: { baseUrl },
		} as never);
		expect(resolved).toBe(expected);
	});
});

/** Stands in for n8n's HTTP Request node with "Predefined Credential Type": one authenticated GET per item. */
const predefinedCredentialRequest: INodeType = {
	description: {
		displayName: 'Predefined Credential Request',
		name: 'predefinedCredentialRequest',
		group: ['transform'],
		version: 1,
		description: 'GET through httpRequestWithAuthentication',
		defaults: { name: 'HTTP Request' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'alationApi', required: true }],
		properties: [{ displayName: 'URL', name: 'url', type: 'string', default: '' }],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			const json = (await this.helpers.httpRequestWithAuthentication.call(this, 'alationApi', {
				url: this.getNodeParameter('url', i) as string,
				json: true,
			})) as IDataObject;
			out.push({ json, pairedItem: { item: i } });
		}
		return [out];
	},
};

describe("through n8n-core's httpRequestWithAuthentication (HTTP Request node, predefined credential)", () => {
	const stored = (data: ICredentialDataDecryptedObject): StoredCredential => ({ id: 'cred-1', name: 'Alation API (simulator)', type: 'alationApi', data });
	const run = async (helper: TestCredentialsHelper, items = 3) =>
		await runNode({
			nodeType: predefinedCredentialRequest,
			parameters: { url: `${sim.url}/integration/v1/userinfo/` },
			items: Array.from({ length: items }, (_, i) => ({ json: { i } })),
			credentials: { alationApi: stored(clientCredentials()) },
			credentialTypes: [alationApi],
			helper,
		});

	test('the token is fetched for the user: 3 items → 1 mint, token stored in the credential', async () => {
		const helper = new TestCredentialsHelper([alationApi], [stored(clientCredentials())]);
		const result = await run(helper);
		expect(result.error).toBeUndefined();
		// The OAuth client acts as its own service user.
		const ids = result.items.map((i) => i.json.id);
		expect(ids).toHaveLength(3);
		expect(typeof ids[0]).toBe('number');
		expect(new Set(ids).size).toBe(1);
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(sim.counters.oauthMints).toBe(1);
		expect(helper.preAuthenticationCalls).toBe(1);
		expect(helper.stored.get('cred-1')?.data.accessToken).toEqual(expect.any(String));
		expectNoSecrets(result.items, DEMO_SECRETS);
	});

	test('refresh-token variant: TOKEN header through n8n', async () => {
		const data = refreshTokenCredentials();
		const helper = new TestCredentialsHelper([alationApi], [stored(data)]);
		const result = await runNode({
			nodeType: predefinedCredentialRequest,
			parameters: { url: `${sim.url}/integration/v1/userinfo/` },
			credentials: { alationApi: stored(data) },
			credentialTypes: [alationApi],
			helper,
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.id).toBe(DEMO.userId);
		expect(sim.counters.apiAccessTokenMints).toBe(1);
	});

	test('a revoked token: 401 → preAuthentication → one new mint → the request is retried and succeeds', async () => {
		const helper = new TestCredentialsHelper([alationApi], [stored(clientCredentials())]);
		await run(helper, 1);
		sim.revokeAllTokens();
		tokenAuthority.clear();
		sim.resetCounters();
		const result = await run(helper, 3);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(sim.counters.unauthorized).toBe(2); // the request, and the check that the token was refused
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('a token expiring between two runs is replaced before it is sent: no 401', async () => {
		sim.options.tokenLifetimeSeconds = 4; // skew = half the lifetime = 2 s
		const helper = new TestCredentialsHelper([alationApi], [stored(clientCredentials())]);
		await run(helper, 1);
		await new Promise((resolve) => setTimeout(resolve, 2_300));
		const result = await run(helper, 2);
		expect(result.error).toBeUndefined();
		expect(sim.counters.oauthMints).toBe(2);
		expect(sim.counters.unauthorized).toBe(0);
	});

	test('a wrong client secret: the node error says what to check and holds no secret', async () => {
		const data = clientCredentials({ clientSecret: 'not-the-secret' });
		const helper = new TestCredentialsHelper([alationApi], [stored(data)]);
		const result = await runNode({
			nodeType: predefinedCredentialRequest,
			parameters: { url: `${sim.url}/integration/v1/userinfo/` },
			credentials: { alationApi: stored(data) },
			credentialTypes: [alationApi],
			helper,
		});
		expect(result.error?.message).toMatch(/invalid_client.*Check the Client ID and Client Secret/);
		expectNoSecrets(result, [...DEMO_SECRETS, 'not-the-secret']);
	});
});
