/**
 * The Set Warehouse Credentials node's `execute` inside a real n8n-core execution, against the simulator.
 */
import { generateKeyPairSync } from 'node:crypto';

import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import type { RunNodeOptions } from '../helpers/n8n';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationSetWarehouseCredentials } from '../../nodes/AlationSetWarehouseCredentials/AlationSetWarehouseCredentials.node';

const PATH = '/api/v2/auth/credentials/';
const PASSWORD = 'Warehouse-Pa55word!';
const PASSPHRASE = 'key-passphrase-42';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Real keys in every shape the node accepts, made once: RSA key generation takes a moment.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEYS = {
	pkcs8: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
	pkcs8Encrypted: rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string,
	pkcs1: rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
	// Traditional OpenSSL encryption: "RSA PRIVATE KEY" with Proc-Type and DEK-Info headers.
	pkcs1Encrypted: rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string,
	ec: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string,
	publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
};
/** The base64 lines of the key: none of them may appear anywhere either. */
const KEY_LINES = KEYS.pkcs8.split('\n').filter((line) => /^[A-Za-z0-9+/=]{16,}$/.test(line));

const sim = useSimulator();

const node = new AlationSetWarehouseCredentials();
const credentialTypes = [new AlationApi()];

const alation = (data: IDataObject = {}) => simulatorOauthCredential(sim.url, data);

const items = (n: number, json: (i: number) => IDataObject = (i) => ({ i })): INodeExecutionData[] =>
	Array.from({ length: n }, (_, i) => ({ json: json(i) }));

const withPassword = (extra: INodeParameters = {}): INodeParameters => ({ dataProductId: 'dp-sales', username: 'svc_n8n', secretType: 'password', password: PASSWORD, ...extra });
const withKey = (extra: INodeParameters = {}): INodeParameters => ({ dataProductId: 'dp-sales', username: 'svc_n8n', secretType: 'privateKey', privateKey: KEYS.pkcs8, ...extra });

async function run(options: Partial<RunNodeOptions> & { parameters: RunNodeOptions['parameters'] }) {
	return await runNode({ nodeType: node, credentialTypes, credentials: { alationApi: alation() }, ...options });
}

/** The JSON bodies the simulator received on the credentials endpoint, in order. */
const sentBodies = (): IDataObject[] => sim.requestLog.filter((r) => r.path === PATH).map((r) => JSON.parse(r.body) as IDataObject);
const posts = () => sim.counters.requests.warehouseCredentials;

type NodeErrorFields = Error & { description?: string; httpCode?: string };

describe('success', () => {
	test('password: one request with the documented body; output without the password', async () => {
		const result = await run({ parameters: withPassword() });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(result.items[0].json).toEqual({
			// What the server returned besides secrets…
			id: expect.any(Number),
			dp_id: 'dp-sales',
			auth_type: 'basic',
			// …and the node's own fields.
			dataProductId: 'dp-sales',
			username: 'svc_n8n',
			state: expect.stringMatching(UUID),
			configured: true,
			httpStatus: 201,
		});
		expect(sentBodies()).toEqual([{ state: result.items[0].json.state, username: 'svc_n8n', dp_id: 'dp-sales', password: PASSWORD }]);
		const log = sim.requestLog.find((r) => r.path === PATH);
		expect(log?.headers.authorization).toBe('[present]');
		expect(log?.headers['content-type']).toBe('application/json');
		expect(sim.warehouseCredentials).toEqual([{ dp_id: 'dp-sales', username: 'svc_n8n', state: result.items[0].json.state, auth_type: 'basic' }]);
		expect(sim.counters.oauthMints).toBe(1);
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, PASSWORD]);
	});

	test('private key: sends private_key and no password or passphrase', async () => {
		const result = await run({ parameters: withKey() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ dataProductId: 'dp-sales', username: 'svc_n8n', configured: true, httpStatus: 201, auth_type: 'key_pair' });
		expect(sentBodies()).toEqual([{ state: expect.stringMatching(UUID), username: 'svc_n8n', dp_id: 'dp-sales', private_key: KEYS.pkcs8.trim() }]);
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, KEYS.pkcs8.trim(), ...KEY_LINES]);
	});

	test('encrypted private key with its passphrase', async () => {
		const result = await run({ parameters: withKey({ privateKey: KEYS.pkcs8Encrypted, passphrase: PASSPHRASE }) });
		expect(result.error).toBeUndefined();
		expect(sentBodies()[0]).toMatchObject({ private_key: KEYS.pkcs8Encrypted.trim(), passphrase: PASSPHRASE });
		expect(sentBodies()[0].password).toBeUndefined();
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, PASSPHRASE, KEYS.pkcs8Encrypted.trim()]);
	});

	test.each([
		['traditional RSA (PKCS#1)', KEYS.pkcs1, '', KEYS.pkcs1.trim()],
		['traditional encrypted RSA (Proc-Type header)', KEYS.pkcs1Encrypted, PASSPHRASE, KEYS.pkcs1Encrypted.trim()],
		['EC (SEC1)', KEYS.ec, '', KEYS.ec.trim()],
		['CRLF line breaks and surrounding spaces', `\r\n  ${KEYS.pkcs8.replace(/\n/g, '\r\n')}  \r\n`, '', KEYS.pkcs8.trim()],
		['one line with literal \\n sequences (sheet, env var)', KEYS.pkcs8.trim().replace(/\n/g, '\\n'), '', KEYS.pkcs8.trim()],
		['one line with literal \\r\\n sequences', KEYS.pkcs8.trim().replace(/\n/g, '\\r\\n'), '', KEYS.pkcs8.trim()],
	])('accepted key: %s → sent with plain \\n line breaks', async (_name, privateKey, passphrase, sent) => {
		const result = await run({ parameters: withKey({ privateKey, passphrase }) });
		expect(result.error).toBeUndefined();
		expect(sentBodies()[0].private_key).toBe(sent);
	});

	test('state: trimmed when given; a fresh UUID per item when empty', async () => {
		const given = await run({ parameters: withPassword({ state: '  my-state-1 ' }) });
		expect(given.items[0].json.state).toBe('my-state-1');
		expect(sentBodies()[0].state).toBe('my-state-1');

		const generated = await run({ parameters: withPassword({ dataProductId: '={{ "dp-" + $json.i }}', state: '={{ $json.nothing }}' }), items: items(3) });
		const states = generated.items.map((i) => i.json.state);
		states.forEach((state) => expect(state).toMatch(UUID));
		expect(new Set(states).size).toBe(3);
	});

	test('IDs and passwords that arrive as numbers (e.g. from a sheet) are sent as text; ID and username are trimmed', async () => {
		const result = await run({
			parameters: withPassword({ dataProductId: '={{ $json.id }}', username: '  svc_n8n\n', password: '={{ $json.pin }}' }),
			items: [{ json: { id: 42, pin: 98765432 } }],
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ dataProductId: '42', username: 'svc_n8n' });
		expect(sentBodies()[0]).toMatchObject({ dp_id: '42', username: 'svc_n8n', password: '98765432' });
	});

	test('a password is sent as typed, spaces included', async () => {
		await run({ parameters: withPassword({ password: ' spaced pass ' }) });
		expect(sentBodies()[0].password).toBe(' spaced pass ');
	});

	test('a fixed Secret Type: n8n drops the hidden field, so a value left in it is not sent and not an error', async () => {
		const result = await run({ parameters: withPassword({ privateKey: KEYS.pkcs8, passphrase: PASSPHRASE }) });
		expect(result.error).toBeUndefined();
		expect(sentBodies()).toEqual([{ state: expect.any(String), username: 'svc_n8n', dp_id: 'dp-sales', password: PASSWORD }]);
	});

	test('Secret Type from an expression: password for some rows, key for others', async () => {
		const result = await run({
			parameters: {
				dataProductId: '={{ $json.dp }}',
				username: 'svc_n8n',
				secretType: '={{ $json.key ? "privateKey" : "password" }}',
				password: '={{ $json.password ?? "" }}',
				privateKey: '={{ $json.key ?? "" }}',
			},
			items: [{ json: { dp: 'dp-a', password: PASSWORD } }, { json: { dp: 'dp-b', key: KEYS.pkcs8 } }],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.auth_type)).toEqual(['basic', 'key_pair']);
		expect(sentBodies().map((b) => Object.keys(b).sort())).toEqual([
			['dp_id', 'password', 'state', 'username'],
			['dp_id', 'private_key', 'state', 'username'],
		]);
	});

	test('an expired or revoked token: refetched once, the item is sent again once and succeeds', async () => {
		await run({ parameters: withPassword() });
		sim.revokeAllTokens();
		sim.resetCounters();
		const result = await run({ parameters: withPassword({ dataProductId: 'dp-after-revoke' }) });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.configured).toBe(true);
		expect(posts()).toBe(2);
		expect(sim.counters.unauthorized).toBe(2); // the request, and the check that its token was refused
		expect(sim.counters.oauthMints).toBe(1);
	});
});

describe('validation: before any request, on the item, naming the field', () => {
	const NOT_PEM_HINT =
		'Paste the whole key, from the "-----BEGIN PRIVATE KEY-----" line to the "-----END PRIVATE KEY-----" line (ENCRYPTED, RSA and EC private keys are accepted too). A key on one line with \\n between its lines is accepted.';
	const bothWays = '={{ $json.type }}';
	const pemBody = KEYS.pkcs8.trim().split('\n').slice(1, -1).join('\n');

	test.each<[string, INodeParameters, IDataObject, string, string]>([
		['empty Data Product ID (expression)', withPassword({ dataProductId: '={{ $json.nothing }}' }), {}, 'Data Product ID is empty', 'Fill in "Data Product ID": the ID of the data product to set the warehouse credentials for.'],
		['blank Data Product ID', withPassword({ dataProductId: '   ' }), {}, 'Data Product ID is empty', 'Fill in "Data Product ID": the ID of the data product to set the warehouse credentials for.'],
		['empty Username', withPassword({ username: '={{ "" }}' }), {}, 'Username is empty', 'Fill in "Username": the user name on the data warehouse.'],
		['unknown Secret Type', withPassword({ secretType: '={{ "token" }}' }), {}, 'Secret Type must be "password" or "privateKey"', 'Set "Secret Type" to Password or Private Key, or make its expression return "password" or "privateKey".'],
		['no password', withPassword({ password: '' }), {}, 'Password is empty', 'Fill in "Password", or set "Secret Type" to Private Key for key-pair authentication.'],
		['no private key', withKey({ privateKey: '  \n ' }), {}, 'Private Key is empty', 'Fill in "Private Key" with the PEM key, or set "Secret Type" to Password.'],
		[
			'both secrets, Secret Type password',
			{ ...withPassword({ secretType: bothWays }), privateKey: KEYS.pkcs8 },
			{ type: 'password' },
			'Both Password and Private Key are set',
			'Exactly one secret is sent per data product. "Secret Type" is Password: leave "Private Key" empty (check that the expressions do not map both).',
		],
		[
			'both secrets, Secret Type private key',
			{ ...withKey({ secretType: bothWays }), password: PASSWORD },
			{ type: 'privateKey' },
			'Both Password and Private Key are set',
			'Exactly one secret is sent per data product. "Secret Type" is Private Key: leave "Password" empty (check that the expressions do not map both).',
		],
		[
			'a passphrase with a password',
			{ ...withPassword({ secretType: bothWays }), passphrase: PASSPHRASE },
			{ type: 'password' },
			'Passphrase is set but Secret Type is Password',
			'A passphrase only applies to an encrypted private key: leave "Passphrase" empty, or set "Secret Type" to Private Key.',
		],
		['a key that is not PEM', withKey({ privateKey: 'not a key at all' }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['a PEM body without BEGIN/END lines', withKey({ privateKey: pemBody }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['a BEGIN line without END line', withKey({ privateKey: KEYS.pkcs8.trim().split('\n').slice(0, -1).join('\n') }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['mismatched BEGIN and END labels', withKey({ privateKey: KEYS.pkcs8.replace('-----END PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----') }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['a key flattened to one line with spaces', withKey({ privateKey: KEYS.pkcs8.trim().replace(/\n/g, ' ') }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['a body that is not base64', withKey({ privateKey: `-----BEGIN PRIVATE KEY-----\nthis is not base64!\n-----END PRIVATE KEY-----` }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		['an OpenSSH key', withKey({ privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----` }), {}, 'Private Key is not a PEM private key', NOT_PEM_HINT],
		[
			'a public key',
			withKey({ privateKey: KEYS.publicKey }),
			{},
			'Private Key is not a PEM private key',
			'This is a public key. Use the private key it belongs to, from its "-----BEGIN … PRIVATE KEY-----" line to its END line.',
		],
		['an encrypted key without passphrase', withKey({ privateKey: KEYS.pkcs8Encrypted }), {}, 'Passphrase is empty', 'The private key is encrypted: fill in "Passphrase" with the passphrase that unlocks it.'],
		['a traditionally encrypted key without passphrase', withKey({ privateKey: KEYS.pkcs1Encrypted }), {}, 'Passphrase is empty', 'The private key is encrypted: fill in "Passphrase" with the passphrase that unlocks it.'],
		[
			'a passphrase with an unencrypted key',
			withKey({ passphrase: PASSPHRASE }),
			{},
			'Passphrase is set but the private key is not encrypted',
			'Leave "Passphrase" empty for an unencrypted key, or use the encrypted key that the passphrase belongs to.',
		],
		['a Username that is not text', withPassword({ username: '={{ $json.user }}' }), { user: { name: 'x' } }, 'Username must be text', '"Username" resolved to a object: map it to a text value.'],
	])('%s', async (_name, parameters, json, message, description) => {
		const result = await run({ parameters, items: [{ json }, { json }], continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json)).toEqual([
			{ error: message, details: { description } },
			{ error: message, details: { description } },
		]);
		// Nothing was sent, not even a token request.
		expect(posts()).toBe(0);
		expect(sim.counters.oauthMints).toBe(0);
		expectNoSecrets(visibleRunData(result), [PASSWORD, PASSPHRASE, ...KEY_LINES]);

		// Without "Continue On Fail" the node fails with the same error, on item 0.
		const failed = await run({ parameters, items: [{ json }] });
		expect(failed.error?.message).toBe(message);
		expect((failed.error as NodeErrorFields).description).toBe(description);
		expect(posts()).toBe(0);
	});

	test.each([
		['dataProductId', 'Data Product ID'],
		['username', 'Username'],
	])('%s left empty in the editor: n8n itself refuses to run and names the parameter', async (field, label) => {
		const result = await run({ parameters: withPassword({ [field]: '' }) });
		expect(result.error?.message).toContain(`Parameter "${label}" is required`);
		expect(posts()).toBe(0);
	});
});

describe('server errors: per item, with what the server said, sent once', () => {
	const fail = (status: number, body: IDataObject) => {
		sim.intercept('POST', PATH, (_req, res) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		});
	};

	test('400: the server rejection and a hint on what to check', async () => {
		fail(400, { detail: 'Invalid credentials for the data source: authentication failed.' });
		const result = await run({ parameters: withPassword() });
		expect(result.error?.message).toBe(
			'Setting warehouse credentials for data product "dp-sales" failed: the server answered 400: Invalid credentials for the data source: authentication failed.',
		);
		expect((result.error as NodeErrorFields).description).toMatch(/^Alation rejected the values sent/);
		expect((result.error as NodeErrorFields).httpCode).toBe('400');
		expect(posts()).toBe(1);
	});

	test('400 with field errors (Django REST Framework style): the message lists what was rejected', async () => {
		fail(400, { dp_id: ['Invalid data product id.'], non_field_errors: ['Provide either password or private_key, but not both.'], id: 3 });
		const result = await run({ parameters: withPassword() });
		expect(result.error?.message).toBe(
			'Setting warehouse credentials for data product "dp-sales" failed: the server answered 400: dp_id: Invalid data product id.; Provide either password or private_key, but not both.',
		);
	});

	test("403: the OAuth client's role may not set credentials", async () => {
		const result = await run({ parameters: withPassword({ dataProductId: 'forbidden-dp' }) });
		expect(result.error?.message).toBe(
			'Setting warehouse credentials for data product "forbidden-dp" failed: the server answered 403: You do not have permission to perform this action.',
		);
		expect((result.error as NodeErrorFields).description).toBe(
			"The OAuth client's role may not set warehouse credentials for this data product. Give the OAuth client a role that may (Admin Settings → Authentication → OAuth Client Applications), or ask an Alation admin.",
		);
		expect((result.error as NodeErrorFields).httpCode).toBe('403');
		expect(posts()).toBe(1);
	});

	test('404: data product not found or not visible', async () => {
		const result = await run({ parameters: withKey({ dataProductId: 'missing-dp' }) });
		expect(result.error?.message).toBe('Setting warehouse credentials for data product "missing-dp" failed: the server answered 404: Data product not found.');
		expect((result.error as NodeErrorFields).description).toBe(
			'The data product was not found, or is not visible to the OAuth client. Check Data Product ID and the role of the OAuth client.',
		);
		expect(posts()).toBe(1);
	});

	test.each([500, 502, 503, 504])('%i: reported, never resent', async (status) => {
		fail(status, { detail: `Upstream failure ${status}` });
		const result = await run({ parameters: withPassword() });
		expect(result.error?.message).toBe(`Setting warehouse credentials for data product "dp-sales" failed: the server answered ${status}: Upstream failure ${status}`);
		expect((result.error as NodeErrorFields).description).toMatch(/^The server had a problem/);
		expect((result.error as NodeErrorFields).httpCode).toBe(String(status));
		expect(posts()).toBe(1);
	});

	test('the connection drops after the request was sent: reported, never resent', async () => {
		sim.intercept('POST', PATH, (req) => {
			req.socket.destroy();
		});
		const result = await run({ parameters: withPassword() });
		expect(result.error?.message).toMatch(/^Setting warehouse credentials for data product "dp-sales" failed: The connection to .* was closed unexpectedly$/);
		expect(posts()).toBe(1);
	});

	test('401 while the token is still accepted (the check says so): no new token, no retry, the error', async () => {
		sim.intercept('POST', PATH, (_req, res) => {
			res.writeHead(401, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ detail: 'Invalid token.' }));
		});
		const result = await run({ parameters: withPassword() });
		expect(result.error?.message).toBe('Setting warehouse credentials for data product "dp-sales" failed: the server answered 401: Invalid token.');
		expect((result.error as NodeErrorFields).httpCode).toBe('401');
		expect(posts()).toBe(1);
		expect(sim.counters.requests.userinfo).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('a refresh-token credential: the error says this needs an OAuth client credential', async () => {
		const result = await run({
			parameters: withPassword(),
			credentials: { alationApi: alation({ authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken }) },
		});
		expect(result.error?.message).toBe(
			'Setting warehouse credentials for data product "dp-sales" failed: the server answered 401: This endpoint requires an OAuth bearer token.',
		);
		expect((result.error as NodeErrorFields).description).toBe(
			'Warehouse credentials are stored per OAuth client, so this endpoint needs an OAuth access token: use an "Alation API" credential whose Authentication is "OAuth Client Credentials", not "Refresh Token".',
		);
		// The token still works for Alation's REST API (one check): a new one would not help, and
		// minting it would invalidate the user's token in every other integration.
		expect(posts()).toBe(1);
		expect(sim.counters.apiAccessTokenMints).toBe(1);
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, PASSWORD]);
	});

	test('a credential error names the field to fix', async () => {
		const result = await run({ parameters: withPassword(), credentials: { alationApi: alation({ clientSecret: '' }) } });
		expect(result.error?.message).toMatch(/^Setting warehouse credentials for data product "dp-sales" failed: Client Secret is empty/);
		expect(posts()).toBe(0);
	});
});

describe('secrets never appear in outputs or errors', () => {
	const allSecrets = [...DEMO_SECRETS, PASSWORD, PASSPHRASE, KEYS.pkcs8Encrypted.trim(), ...KEYS.pkcs8Encrypted.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-'))];

	test('a server that echoes every secret in its success answer: stripped at any depth, redacted in text', async () => {
		sim.intercept('POST', PATH, (_req, res, text) => {
			const body = JSON.parse(text) as IDataObject;
			res.writeHead(201, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					id: 7,
					...body,
					nested: { password: body.password, private_key: body.private_key, passphrase: body.passphrase, list: [{ passphrase: body.passphrase }] },
					message: `stored key ${String(body.private_key)} unlocked with ${String(body.passphrase)}`,
				}),
			);
		});
		const result = await run({ parameters: withKey({ privateKey: KEYS.pkcs8Encrypted, passphrase: PASSPHRASE }) });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			id: 7,
			dp_id: 'dp-sales',
			nested: { list: [{}] },
			message: 'stored key [redacted] unlocked with [redacted]',
			dataProductId: 'dp-sales',
			username: 'svc_n8n',
			state: expect.stringMatching(UUID),
			configured: true,
			httpStatus: 201,
		});
		expectNoSecrets(visibleRunData(result), allSecrets);
	});

	test('a password echoed under an unknown key is redacted too', async () => {
		sim.intercept('POST', PATH, (_req, res, text) => {
			const body = JSON.parse(text) as IDataObject;
			res.writeHead(201, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ secret: body.password, connection: `snowflake://svc_n8n:${String(body.password)}@acme` }));
		});
		const result = await run({ parameters: withPassword() });
		expect(result.items[0].json).toMatchObject({ secret: '[redacted]', connection: 'snowflake://svc_n8n:[redacted]@acme' });
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, PASSWORD]);
	});

	test.each([400, 403, 404, 500])('a server that echoes the secrets in its %i error detail: redacted', async (status) => {
		sim.intercept('POST', PATH, (_req, res, text) => {
			const body = JSON.parse(text) as IDataObject;
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ detail: `Could not load key ${String(body.private_key)} with passphrase ${String(body.passphrase)}`, private_key: body.private_key }));
		});
		const result = await run({ parameters: withKey({ privateKey: KEYS.pkcs8Encrypted, passphrase: PASSPHRASE }) });
		expect(result.error?.message).toBe(
			`Setting warehouse credentials for data product "dp-sales" failed: the server answered ${status}: Could not load key [redacted] with passphrase [redacted]`,
		);
		expectNoSecrets(visibleRunData(result), allSecrets);

		// The same under "Continue On Fail", where the error becomes an output item.
		sim.intercept('POST', PATH, (_req, res, text) => {
			const body = JSON.parse(text) as IDataObject;
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ detail: `Bad password ${String(body.password)}` }));
		});
		const continued = await run({ parameters: withPassword(), continueOnFail: true });
		expect(continued.items[0].json.error).toBe(`Setting warehouse credentials for data product "dp-sales" failed: the server answered ${status}: Bad password [redacted]`);
		expectNoSecrets(visibleRunData(continued), allSecrets);
	});

	test.each([
		['a whole line', (key: string) => key.split('\n')[2]],
		['part of a line', (key: string) => key.split('\n')[3].slice(5, 30)],
		['lines joined without breaks', (key: string) => key.split('\n').slice(2, 5).join('')],
		['a quote glued to other text', (key: string) => `data=${key.split('\n')[4].slice(0, 20)}`],
	])('a server that quotes part of the key (%s): redacted in errors and outputs', async (_name, quote) => {
		const quoted: string[] = [];
		sim.intercept('POST', PATH, (_req, res, text) => {
			quoted.push(quote(String((JSON.parse(text) as IDataObject).private_key)));
			res.writeHead(400, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ detail: `Could not deserialize key data near: ${quoted[0]}` }));
		});
		const result = await run({ parameters: withKey() });
		expect(result.error?.message).toBe(
			'Setting warehouse credentials for data product "dp-sales" failed: the server answered 400: Could not deserialize key data near: [redacted]',
		);
		expectNoSecrets(visibleRunData(result), [...KEY_LINES, quoted[0]]);

		sim.intercept('POST', PATH, (_req, res, text) => {
			quoted.push(quote(String((JSON.parse(text) as IDataObject).private_key)));
			res.writeHead(201, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ note: `key starts ${quoted[1]}` }));
		});
		const success = await run({ parameters: withKey() });
		expect(success.items[0].json.note).toBe('key starts [redacted]');
		expectNoSecrets(visibleRunData(success), [...KEY_LINES, quoted[1]]);
	});

	test('a secret echoed where the message is cut to 200 characters: redacted before the cut, so no half of it shows', async () => {
		sim.intercept('POST', PATH, (_req, res, text) => {
			const body = JSON.parse(text) as IDataObject;
			res.writeHead(400, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ detail: `${'x'.repeat(180)} ${String(body.password)} ${'y'.repeat(400)}` }));
		});
		const result = await run({ parameters: withPassword({ password: 'a-rather-long-warehouse-password-0123456789' }) });
		expect(result.error?.message).toContain('[redacted]');
		expectNoSecrets(visibleRunData(result), ['a-rather-long-warehouse-password-0123456789', 'a-rather-long-warehouse', '0123456789']);
	});
});

describe('bulk', () => {
	test('100 items, a few failing, under "Continue On Fail": 100 items out in input order, one request per valid item', async () => {
		const kind = (i: number) => (i % 17 === 5 ? 'missing' : i % 23 === 7 ? 'forbidden' : i % 29 === 3 ? 'invalid' : 'ok');
		const rows = items(100, (i) => ({
			dp: `${kind(i) === 'ok' || kind(i) === 'invalid' ? 'dp' : kind(i)}-${i}`,
			user: kind(i) === 'invalid' ? '' : `user_${i}`,
			password: `pw-${i}-secret`,
		}));
		const started = Date.now();
		const result = await run({
			parameters: { dataProductId: '={{ $json.dp }}', username: '={{ $json.user }}', secretType: 'password', password: '={{ $json.password }}' },
			items: rows,
			continueOnFail: true,
		});
		const elapsed = Date.now() - started;
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(100);
		expect(result.items.map((i) => i.pairedItem)).toEqual(rows.map((_, item) => ({ item })));

		const counts = { ok: 0, missing: 0, forbidden: 0, invalid: 0 };
		result.items.forEach((item, i) => {
			const k = kind(i);
			counts[k]++;
			if (k === 'ok') {
				expect(item.json).toMatchObject({ dataProductId: `dp-${i}`, username: `user_${i}`, configured: true, httpStatus: 201 });
			} else if (k === 'invalid') {
				expect(item.json).toEqual({ error: 'Username is empty', details: { description: 'Fill in "Username": the user name on the data warehouse.' } });
			} else {
				const status = k === 'missing' ? '404' : '403';
				expect(item.json.error).toMatch(new RegExp(`^Setting warehouse credentials for data product "${k}-${i}" failed: the server answered ${status}`));
				expect(item.json.details).toEqual({ description: expect.any(String), httpCode: status, dataProductId: `${k}-${i}`, username: `user_${i}` });
			}
		});
		expect(counts.missing).toBeGreaterThan(2);
		expect(counts.forbidden).toBeGreaterThan(2);
		expect(counts.invalid).toBeGreaterThan(2);
		// One request per item that passed validation, in input order; one token for all of them.
		expect(posts()).toBe(100 - counts.invalid);
		expect(sentBodies().map((b) => b.dp_id)).toEqual(rows.filter((_, i) => kind(i) !== 'invalid').map((r) => r.json.dp));
		expect(sim.warehouseCredentials).toHaveLength(counts.ok);
		expect(sim.counters.oauthMints).toBe(1);
		expect(elapsed).toBeLessThan(10_000);
		expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, ...rows.map((r) => r.json.password as string)]);
	});

	test('without "Continue On Fail" the first failure stops the node: later items are not sent', async () => {
		const result = await run({
			parameters: withPassword({ dataProductId: '={{ $json.dp }}' }),
			items: [{ json: { dp: 'dp-1' } }, { json: { dp: 'missing-2' } }, { json: { dp: 'dp-3' } }],
		});
		expect(result.items).toEqual([]);
		expect(result.error?.message).toMatch(/data product "missing-2" failed: the server answered 404/);
		expect(sentBodies().map((b) => b.dp_id)).toEqual(['dp-1', 'missing-2']);
	});
});
