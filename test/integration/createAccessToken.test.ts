/**
 * The Create Access Token node's `execute` inside a real n8n-core execution, against the simulator.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import type { RunNodeOptions, StoredCredential } from '../helpers/n8n';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { DataClarityApi } from '../../credentials/DataClarityApi.credentials';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { alationGrant } from '../../nodes/shared/auth/credentialGrants';
import { tokenAuthority } from '../../nodes/shared/token/authority';

const sim = useSimulator();

const node = new AlationCreateAccessToken();
const credentialTypes = [new AlationApi(), new DataClarityApi()];

const alation = (data: IDataObject = {}) => simulatorOauthCredential(sim.url, data);
const dataClarity = (data: IDataObject = {}): StoredCredential => ({
	id: 'dc-1',
	name: 'DataClarity (simulator)',
	type: 'dataClarityApi',
	data: {
		serverUrl: sim.url,
		tenant: DEMO.tenant,
		flow: 'clientCredentials',
		clientId: DEMO.keycloakClientId,
		clientSecret: DEMO.keycloakClientSecret,
		...data,
	} as ICredentialDataDecryptedObject,
});

const items = (n: number, json: (i: number) => IDataObject = (i) => ({ i })): INodeExecutionData[] =>
	Array.from({ length: n }, (_, i) => ({ json: json(i) }));

async function run(options: Partial<RunNodeOptions> & { parameters: RunNodeOptions['parameters'] }) {
	return await runNode({ nodeType: node, credentialTypes, credentials: { alationApi: alation() }, ...options });
}

describe('Get Access Token', () => {
	test('client credentials: one output per item with pairedItem, one mint, the token works', async () => {
		const result = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' }, items: items(3) });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const [first] = result.items;
		expect(first.json).toEqual({
			accessToken: expect.any(String),
			tokenType: 'Bearer',
			headerName: 'Authorization',
			headerValue: `Bearer ${first.json.accessToken as string}`,
			expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			expiresIn: expect.any(Number),
		});
		expect(first.json.expiresIn).toBeGreaterThan(3590);
		expect(first.json.expiresIn).toBeLessThanOrEqual(3600);
		expect(new Set(result.items.map((i) => i.json.accessToken)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);

		const check = await fetch(`${sim.url}/integration/v1/userinfo/`, { headers: { [first.json.headerName as string]: first.json.headerValue as string } });
		expect(check.status).toBe(200);
		// The token is the point of this node; nothing else secret may appear.
		expectNoSecrets(result.items, DEMO_SECRETS);
	});

	test('refresh token: TOKEN header', async () => {
		const result = await run({
			parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
			credentials: { alationApi: alation({ authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken }) },
		});
		expect(result.items[0].json).toMatchObject({ tokenType: 'TOKEN', headerName: 'TOKEN' });
		expect(result.items[0].json.headerValue).toBe(result.items[0].json.accessToken);
		expect(sim.counters.apiAccessTokenMints).toBe(1);
		expectNoSecrets(result.items, DEMO_SECRETS);
	});

	test('DataClarity', async () => {
		const result = await run({
			parameters: { authentication: 'dataClarityApi', operation: 'getAccessToken' },
			credentials: { dataClarityApi: dataClarity() },
		});
		expect(result.items[0].json).toMatchObject({ tokenType: 'Bearer', headerName: 'Authorization' });
		expect(result.items[0].json.expiresIn).toBeGreaterThan(1790);
		expect(sim.counters.keycloakMints).toBe(1);
	});

	test('served from the cache across executions; seeded from the token stored in the credential', async () => {
		const a = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' } });
		const b = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' } });
		expect(b.items[0].json.accessToken).toBe(a.items[0].json.accessToken);
		expect(sim.counters.oauthMints).toBe(1);

		// A fresh process (empty cache) with the token n8n persisted: no mint.
		const grant = alationGrant(alation().data);
		const stored = await tokenAuthority.credentialFields(grant, tokenAuthority.held(grant, { fresh: true })!);
		tokenAuthority.clear();
		const c = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' }, credentials: { alationApi: alation(stored) } });
		expect(c.items[0].json.accessToken).toBe(a.items[0].json.accessToken);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('Force New Token mints once per execution, not once per item', async () => {
		const before = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' } });
		const forced = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken', forceNew: true }, items: items(5) });
		const tokens = new Set(forced.items.map((i) => i.json.accessToken));
		expect(tokens.size).toBe(1);
		expect(tokens.has(before.items[0].json.accessToken)).toBe(false);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('20 items in parallel executions → 1 mint', async () => {
		const runs = await Promise.all(Array.from({ length: 20 }, async () => await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' } })));
		expect(new Set(runs.map((r) => r.items[0].json.accessToken)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('a wrong client secret: a NodeApiError that names the cause and the fix, no secret anywhere', async () => {
		const result = await run({
			parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
			credentials: { alationApi: alation({ clientSecret: 'not-the-secret' }) },
		});
		expect(result.items).toEqual([]);
		expect(result.error?.message).toBe(
			'Getting an access token failed: Alation OAuth client credentials: the token endpoint answered 401 (invalid_client: Client authentication failed)',
		);
		expect((result.error as Error & { description?: string }).description).toMatch(/Check the Client ID and Client Secret/);
		expect((result.error as Error & { httpCode?: string }).httpCode).toBe('401');
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, 'not-the-secret']);
	});

	test('unreachable server: names the refused connection', async () => {
		const result = await run({
			parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
			credentials: { alationApi: alation({ baseUrl: 'http://127.0.0.1:9' }) },
		});
		expect(result.error?.message).toMatch(/Getting an access token failed: The connection to 127\.0\.0\.1:9 was refused/);
	});

	test('a bad base URL: the error says what to type', async () => {
		const result = await run({
			parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
			credentials: { alationApi: alation({ baseUrl: `${sim.url}/app/catalog` }) },
		});
		expect(result.error?.message).toContain(`type ${sim.url} (in the`);
	});
});

describe('secrets in the output', () => {
	// n8n hides `sensitiveOutputFields` in saved executions (execution redaction); the list must name
	// exactly the fields that carry a token, or a renamed field would silently stop being hidden.
	test('sensitiveOutputFields names every output field that holds a token, and only those', async () => {
		const access = await run({ parameters: { authentication: 'alationApi', operation: 'getAccessToken' } });
		const refresh = await run({ parameters: { authentication: 'alationApi', operation: 'createRefreshToken', username: DEMO.username, password: DEMO.password, tokenName: 'n8n-sensitive' } });
		const a = access.items[0].json;
		const r = refresh.items[0].json;
		const secrets = [String(a.accessToken), String(r.refreshToken)];
		const holdingSecrets = [a, r].flatMap((json) => Object.entries(json).filter(([, value]) => secrets.some((secret) => String(value).includes(secret))).map(([key]) => key));
		expect(new Set(node.description.sensitiveOutputFields)).toEqual(new Set(holdingSecrets));
	});
});

describe('Create Refresh Token', () => {
	const parameters = (extra: IDataObject = {}) => ({
		authentication: 'alationApi',
		operation: 'createRefreshToken',
		username: DEMO.username,
		password: DEMO.password,
		tokenName: 'n8n-test',
		...extra,
	});

	test('outputs the refresh token fields and never the password; the token works', async () => {
		const result = await run({ parameters: parameters() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			refreshToken: expect.any(String),
			userId: DEMO.userId,
			tokenName: 'n8n-test',
			tokenExpiresAt: expect.any(String),
			tokenStatus: 'active',
		});
		expect(JSON.stringify(result)).not.toContain(DEMO.password);
		const check = await fetch(`${sim.url}/integration/v1/createAPIAccessToken/`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ refresh_token: result.items[0].json.refreshToken, user_id: DEMO.userId }),
		});
		expect(check.status).toBe(201);
	});

	test('works with a credential that has only a base URL (no secrets yet)', async () => {
		const result = await run({
			parameters: parameters(),
			credentials: { alationApi: alation({ authType: 'refreshToken', userId: '', refreshToken: '' }) },
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.refreshToken).toEqual(expect.any(String));
	});

	test('a wrong password: explains SSO, never shows the password', async () => {
		const result = await run({ parameters: parameters({ password: 'wrong-password-123' }) });
		expect(result.error?.message).toMatch(/Creating a refresh token failed: the server answered 401: Invalid username or password/);
		expect((result.error as Error & { description?: string }).description).toMatch(/single sign-on \(SSO\)/);
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, 'wrong-password-123']);
	});

	test.each([
		['username', 'Username'],
		['tokenName', 'Token Name'],
		['password', 'Password'],
	])('empty %s → an error naming the field, before any request', async (field, label) => {
		// Left empty in the editor, n8n itself refuses to run the node and names the parameter.
		const literal = await run({ parameters: parameters({ [field]: '' }) });
		expect(literal.error?.message).toContain(`Parameter "${label}" is required`);
		// An expression that resolves to nothing is caught by the node, on its item.
		const expression = await run({ parameters: parameters({ [field]: '={{ $json.missing }}' }), items: items(2), continueOnFail: true });
		expect(expression.items.map((i) => i.json.error)).toEqual([`${label} is empty`, `${label} is empty`]);
		expect(expression.items.map((i) => i.json.details)).toEqual([
			{ description: `Fill in "${label}" to create a refresh token.` },
			{ description: `Fill in "${label}" to create a refresh token.` },
		]);
		expect(sim.counters.requests.createRefreshToken).toBe(0);
	});

	test('with the DataClarity credential → a clear error', async () => {
		const result = await run({ parameters: parameters({ authentication: 'dataClarityApi' }), credentials: { dataClarityApi: dataClarity() } });
		expect(result.error?.message).toMatch(/Create Refresh Token needs the "Alation API" credential/);
	});

	test('Continue On Fail: failing items become error items, the others go on, order kept', async () => {
		const result = await run({
			parameters: parameters({ password: '={{ $json.password }}', tokenName: '={{ "token-" + $json.i }}' }),
			items: items(6, (i) => ({ i, password: i % 3 === 1 ? `bad-password-${i}` : DEMO.password })),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(6);
		expect(result.items.map((i) => i.pairedItem)).toEqual([0, 1, 2, 3, 4, 5].map((item) => ({ item })));
		result.items.forEach((item, i) => {
			if (i % 3 === 1) {
				expect(item.json.error).toMatch(/answered 401/);
				expect(item.json.details).toEqual({ description: expect.stringMatching(/single sign-on/), httpCode: '401' });
				expect(item.json.refreshToken).toBeUndefined();
			} else {
				expect(item.json.tokenName).toBe(`token-${i}`);
			}
		});
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, 'bad-password-1', 'bad-password-4']);
	});
});
