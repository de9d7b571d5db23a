/**
 * Self-test of test/helpers/n8n.ts: a node type and a credential type defined HERE run inside a
 * real n8n-core execution against a loopback server.
 *
 * What this file measures about n8n-core 2.41 (httpRequestWithAuthentication in
 * n8n-core/dist/execution-engine/node-execution-context/utils/request-helpers/authentication.js):
 * - every call re-reads the credential (this.getCredentials -> credentialsHelper.getDecrypted), then
 *   calls preAuthentication(..., credentialsExpired=false): the type's preAuthentication runs only
 *   when the hidden expirable property is '' — so a token persisted by one call is reused by the next;
 * - a 401 answer -> preAuthentication(..., credentialsExpired=true) -> authenticate -> ONE retry;
 *   a second 401 is thrown as NodeApiError (no further refresh);
 * - the helpers given to the credential's preAuthentication expose only `httpRequest`
 *   (n8n's restrictToCredentialDomains), which is n8n-core's real OutboundHttp-based request.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IExecuteFunctions,
	IHttpRequestHelper,
	INode,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	JsonObject,
} from 'n8n-workflow';

import { TestCredentialsHelper, runNode } from '../helpers/n8n';
import type { StoredCredential } from '../helpers/n8n';

// ---------------------------------------------------------------------------------------------
// Loopback server
// ---------------------------------------------------------------------------------------------

interface LoggedRequest {
	method: string;
	path: string;
	authorization?: string;
	userAgent?: string;
	status: number;
}

class TokenServer {
	private server!: http.Server;
	baseUrl = '';
	issued = 0;
	currentToken: string | null = null;
	/** when true, /data answers 401 whatever the token */
	alwaysUnauthorized = false;
	/** when true, /token answers without a token field */
	tokenWithoutField = false;
	log: LoggedRequest[] = [];
	private readonly pending = new Set<http.ServerResponse>();
	slowRequestArrived: Promise<void> = Promise.resolve();
	private markSlowArrived: () => void = () => {};

	async start(): Promise<void> {
		this.server = http.createServer((req, res) => this.handle(req, res));
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		const { port } = this.server.address() as AddressInfo;
		this.baseUrl = `http://127.0.0.1:${port}`;
	}

	async stop(): Promise<void> {
		for (const res of this.pending) res.destroy();
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	reset(): void {
		this.issued = 0;
		this.currentToken = null;
		this.alwaysUnauthorized = false;
		this.tokenWithoutField = false;
		this.log = [];
		this.slowRequestArrived = new Promise<void>((resolve) => (this.markSlowArrived = resolve));
	}

	/** Invalidate the current token: the next request with it gets 401, the next POST /token issues a new one. */
	rotate(): void {
		this.currentToken = null;
	}

	/** compact view of the request log, e.g. 'POST /token 200', 'GET /data 401 Bearer t1' */
	get trace(): string[] {
		return this.log.map((r) =>
			[r.method, r.path, r.status, r.authorization].filter((x) => x !== undefined).join(' '),
		);
	}

	private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
		const url = new URL(req.url ?? '/', 'http://x');
		let body = '';
		req.on('data', (chunk: Buffer) => (body += chunk.toString()));
		req.on('end', () => {
			const entry: LoggedRequest = {
				method: req.method ?? '',
				path: url.pathname,
				authorization: req.headers.authorization,
				userAgent: req.headers['user-agent'],
				status: 0,
			};
			this.log.push(entry);
			const send = (status: number, payload: unknown) => {
				entry.status = status;
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(payload));
			};

			if (req.method === 'POST' && url.pathname === '/token') {
				const parsed = body ? (JSON.parse(body) as { clientSecret?: string }) : {};
				if (parsed.clientSecret !== 'secret') return send(403, { error: 'bad client secret' });
				if (this.tokenWithoutField) return send(200, { nothing: true });
				this.issued++;
				this.currentToken = `t${this.issued}`;
				return send(200, { token: this.currentToken });
			}
			if (req.method === 'GET' && url.pathname === '/data') {
				const ok =
					!this.alwaysUnauthorized &&
					this.currentToken !== null &&
					req.headers.authorization === `Bearer ${this.currentToken}`;
				if (!ok) return send(401, { error: 'unauthorized' });
				return send(200, { ok: true, token: this.currentToken, q: url.searchParams.get('q') });
			}
			if (req.method === 'GET' && url.pathname === '/slow') {
				// never answers; the harness' abort must end it
				entry.status = -1;
				this.pending.add(res);
				res.on('close', () => this.pending.delete(res));
				this.markSlowArrived();
				return;
			}
			return send(404, { error: 'not found' });
		});
	}
}

// ---------------------------------------------------------------------------------------------
// Test credential type and node type (defined here, not from the package)
// ---------------------------------------------------------------------------------------------

const preAuthHelperKeys: string[][] = [];

class TestApi implements ICredentialType {
	name = 'testApi';
	displayName = 'Test API';
	properties: INodeProperties[] = [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '' },
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		preAuthHelperKeys.push(Object.keys(this.helpers));
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.baseUrl as string}/token`,
			body: { clientSecret: credentials.clientSecret },
			json: true,
		})) as { token?: string };
		return { accessToken: response.token };
	}

	authenticate = {
		type: 'generic' as const,
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.accessToken}}' },
		},
	};
}

const testNodeType: INodeType = {
	description: {
		displayName: 'Harness Test Node',
		name: 'harnessTestNode',
		group: ['transform'],
		version: 1,
		description: 'Calls GET <baseUrl><path> per item through httpRequestWithAuthentication',
		defaults: { name: 'Harness Test Node' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'testApi', required: true }],
		properties: [
			{ displayName: 'Path', name: 'path', type: 'string', default: '/data' },
			{ displayName: 'Re-wrap n8n error as is', name: 'rewrap', type: 'boolean', default: false },
		],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credentials = await this.getCredentials('testApi');
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const path = this.getNodeParameter('path', i) as string;
			try {
				const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'testApi', {
					url: `${credentials.baseUrl as string}${path}`,
					qs: { q: String(items[i].json.q ?? '') },
					json: true,
				})) as JsonObject;
				out.push({ json: response, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				if (this.getNodeParameter('rewrap', i) as boolean) {
					// n8n-workflow 2.41: NodeApiError(node, <a NodeApiError>, opts) returns that error unchanged
					throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: i, message: 'ignored' });
				}
				// to set our own message/description, wrap the cause n8n-core wrapped (the HTTP error)
				const cause = error instanceof NodeApiError && error.cause instanceof Error ? error.cause : error;
				throw new NodeApiError(this.getNode(), cause as JsonObject, {
					itemIndex: i,
					message: `Test API request to ${path} failed`,
					description: 'The loopback server refused the request.',
				});
			}
		}
		return [out];
	},
};

// ---------------------------------------------------------------------------------------------

const server = new TokenServer();
let credential: StoredCredential;
const credentialTypes = [new TestApi()];

beforeAll(async () => {
	await server.start();
});
afterAll(async () => {
	await server.stop();
});
beforeEach(() => {
	server.reset();
	preAuthHelperKeys.length = 0;
	credential = {
		id: 'cred-1',
		name: 'Test API account',
		type: 'testApi',
		data: { baseUrl: server.baseUrl, clientSecret: 'secret' }, // accessToken missing -> default ''
	};
});

const threeItems: INodeExecutionData[] = [{ json: { q: 'a' } }, { json: { q: 'b' } }, { json: { q: 'c' } }];

describe('runNode harness (real n8n-core WorkflowExecute)', () => {
	test('3 items -> 3 outputs in order with pairedItem; preAuthentication runs once and stores the token', async () => {
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			items: threeItems,
			credentials: { testApi: credential },
			credentialTypes,
		});

		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json)).toEqual([
			{ ok: true, token: 't1', q: 'a' },
			{ ok: true, token: 't1', q: 'b' },
			{ ok: true, token: 't1', q: 'c' },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);

		expect(result.helper.preAuthenticationCalls).toBe(1);
		expect(result.helper.stored.get('cred-1')?.data).toEqual({
			baseUrl: server.baseUrl,
			clientSecret: 'secret',
			accessToken: 't1',
		});
		expect(server.trace).toEqual([
			'POST /token 200',
			'GET /data 200 Bearer t1',
			'GET /data 200 Bearer t1',
			'GET /data 200 Bearer t1',
		]);
		// n8n-core asked preAuthentication before every request; the type's function ran only while the token was ''
		expect(result.helper.preAuthenticationLog).toEqual([
			{ typeName: 'testApi', credentialsExpired: false, ran: true },
			{ typeName: 'testApi', credentialsExpired: false, ran: false },
			{ typeName: 'testApi', credentialsExpired: false, ran: false },
		]);
		// the helpers n8n hands to a credential's preAuthentication: httpRequest only
		expect(preAuthHelperKeys).toEqual([['httpRequest']]);
		// the token request went through n8n-core's real request helper (same client as the node's requests)
		expect(server.log[0].userAgent).toBeDefined();
		expect(server.log[0].userAgent).toBe(server.log[1].userAgent);
		// run data of both nodes is there
		expect(Object.keys(result.runData).sort()).toEqual(['Harness Test Node', 'Start']);
	});

	test('a stored token survives between runs; after rotation the 401 triggers preAuthentication and one retry', async () => {
		const helper = new TestCredentialsHelper(credentialTypes, [credential]);
		const first = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			items: [{ json: { q: 'first' } }],
			credentials: { testApi: credential },
			helper,
		});
		expect(first.error).toBeUndefined();
		expect(helper.preAuthenticationCalls).toBe(1);

		// second run, same helper: the stored token t1 is reused, no token request
		server.log = [];
		const second = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			items: [{ json: { q: 'second' } }],
			credentials: { testApi: credential },
			helper,
		});
		expect(second.items.map((i) => i.json.token)).toEqual(['t1']);
		expect(server.trace).toEqual(['GET /data 200 Bearer t1']);
		expect(helper.preAuthenticationCalls).toBe(1);

		// the server rotates: t1 is refused
		server.rotate();
		server.log = [];
		helper.preAuthenticationLog.length = 0;
		const third = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			items: threeItems,
			credentials: { testApi: credential },
			helper,
		});
		expect(third.error).toBeUndefined();
		expect(third.items.map((i) => [i.json.token, i.json.q])).toEqual([
			['t2', 'a'],
			['t2', 'b'],
			['t2', 'c'],
		]);
		expect(server.trace).toEqual([
			'GET /data 401 Bearer t1',
			'POST /token 200',
			'GET /data 200 Bearer t2', // the retry of item 0
			'GET /data 200 Bearer t2', // item 1 read t2 from the store
			'GET /data 200 Bearer t2',
		]);
		expect(helper.preAuthenticationCalls).toBe(2);
		expect(helper.preAuthenticationLog).toEqual([
			{ typeName: 'testApi', credentialsExpired: false, ran: false },
			{ typeName: 'testApi', credentialsExpired: true, ran: true },
			{ typeName: 'testApi', credentialsExpired: false, ran: false },
			{ typeName: 'testApi', credentialsExpired: false, ran: false },
		]);
		expect(helper.stored.get('cred-1')?.data.accessToken).toBe('t2');
	});

	test('only ONE retry: a second 401 after a fresh token is the node error', async () => {
		server.alwaysUnauthorized = true;
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			items: [{ json: { q: 'x' } }],
			credentials: { testApi: credential },
			credentialTypes,
		});
		expect(server.trace).toEqual([
			'POST /token 200', // token was '' -> preAuthentication (expired=false)
			'GET /data 401 Bearer t1',
			'POST /token 200', // 401 -> preAuthentication (expired=true)
			'GET /data 401 Bearer t2', // the single retry
		]);
		expect(result.helper.preAuthenticationCalls).toBe(2);
		expect(result.items).toEqual([]);
		expect(result.error).toBeInstanceOf(Error);
		expect(result.error?.message).toBe('Test API request to /data failed');
		expect(result.status).toBe('error');
	});

	test('continueOnFail yields an error item and the other items go on', async () => {
		const result = await runNode({
			nodeType: testNodeType,
			// per-item expression resolved by n8n: item 1 asks for a path the server does not know
			parameters: { path: '={{ $json.q === "b" ? "/missing" : "/data" }}' },
			items: threeItems,
			credentials: { testApi: credential },
			credentialTypes,
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json).toEqual({ ok: true, token: 't1', q: 'a' });
		expect(typeof result.items[1].json.error).toBe('string');
		expect(result.items[1].json.error).toBe('The resource you are requesting could not be found');
		expect(result.items[2].json).toEqual({ ok: true, token: 't1', q: 'c' });
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	test('an error without continueOnFail is reported in `error` (NodeApiError fields kept)', async () => {
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/missing' },
			items: threeItems,
			credentials: { testApi: credential },
			credentialTypes,
		});
		expect(result.items).toEqual([]);
		expect(result.status).toBe('error');
		expect(result.error).toBeInstanceOf(Error);
		expect(result.error?.name).toBe('NodeApiError');
		expect(result.error?.message).toBe('Test API request to /missing failed');
		expect((result.error as unknown as { description?: string }).description).toBe(
			'The loopback server refused the request.',
		);
		expect((result.error as unknown as { httpCode?: string }).httpCode).toBe('404');
		expect((result.error as unknown as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(0);
		// the node's task data carries it too
		expect(result.runData['Harness Test Node'][0].error?.message).toBe('Test API request to /missing failed');
		// a 404 is not a 401: no refresh, no retry
		expect(server.trace).toEqual(['POST /token 200', 'GET /missing 404 Bearer t1']);
	});

	test('NodeApiError(node, <NodeApiError>, { message }) hands back the original error (n8n-workflow 2.41)', async () => {
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/missing', rewrap: true },
			credentials: { testApi: credential },
			credentialTypes,
		});
		expect(result.error?.name).toBe('NodeApiError');
		expect(result.error?.message).toBe('The resource you are requesting could not be found');
		expect((result.error as unknown as { httpCode?: string }).httpCode).toBe('404');
	});

	test('a failing preAuthentication (bad client secret) is the node error', async () => {
		credential.data.clientSecret = 'wrong';
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			credentials: { testApi: credential },
			credentialTypes,
		});
		expect(result.items).toEqual([]);
		expect(result.error?.message).toBe('Test API request to /data failed');
		expect(server.trace).toEqual(['POST /token 403']);
		expect(result.helper.stored.get('cred-1')?.data.accessToken).toBeUndefined();
	});

	test('abortSignal during a request: n8n-core aborts the request via getExecutionCancelSignal()', async () => {
		const controller = new AbortController();
		const running = runNode({
			nodeType: testNodeType,
			parameters: { path: '/slow' },
			items: threeItems,
			credentials: { testApi: credential },
			credentialTypes,
			abortSignal: controller.signal,
		});
		await server.slowRequestArrived;
		controller.abort();
		const result = await running;
		expect(result.canceled).toBe(true);
		// the in-flight request was aborted, items 1 and 2 never ran
		expect(server.trace).toEqual(['POST /token 200', 'GET /slow -1 Bearer t1']);
		expect(result.items).toEqual([]);
		// the node threw (its request was aborted) -> that is the recorded node error. n8n-core only
		// reports status 'canceled' when the error's message contains "canceled" (processSuccessExecution);
		// this node rewraps it with its own message, so the status is 'error'.
		expect(result.error?.message).toBe('Test API request to /slow failed');
		expect(result.status).toBe('error');
		const recorded = result.runData['Harness Test Node'][0].error as unknown as { httpCode?: string; messages?: string[] };
		expect(recorded.httpCode).toBe('ERR_CANCELED'); // axios' CanceledError, via n8n's NodeApiError
		expect(recorded.messages).toEqual(['canceled']);
	});

	test('abortSignal already aborted: no node runs, status canceled', async () => {
		const controller = new AbortController();
		controller.abort();
		const result = await runNode({
			nodeType: testNodeType,
			parameters: { path: '/data' },
			credentials: { testApi: credential },
			credentialTypes,
			abortSignal: controller.signal,
		});
		expect(result.canceled).toBe(true);
		expect(result.status).toBe('canceled');
		expect(server.trace).toEqual([]);
		expect(result.items).toEqual([]);
		expect(result.error?.name).toBe('ManualExecutionCancelledError');
		expect(result.error?.message).toBe('The execution was cancelled manually');
		expect(result.runData).toEqual({}); // not even the start node ran
	});
});

describe('TestCredentialsHelper (replica of n8n CredentialsHelper)', () => {
	const node: INode = {
		id: 'n',
		name: 'N',
		type: 'x.y',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { testApi: { id: 'cred-1', name: 'Test API account' } },
	};

	test('preAuthentication: output without the expirable property -> undefined, nothing saved', async () => {
		const helper = new TestCredentialsHelper(credentialTypes, [credential]);
		const creds = { ...credential.data, accessToken: '' };
		const result = await helper.preAuthentication(
			{ helpers: { httpRequest: async () => ({ nothing: true }) } } as unknown as IHttpRequestHelper,
			creds,
			'testApi',
			node,
			false,
		);
		expect(result).toBeUndefined();
		expect(helper.preAuthenticationCalls).toBe(1);
		expect(helper.stored.get('cred-1')?.data).toEqual(credential.data);
	});

	test('preAuthentication: token present and not expired -> type function not called', async () => {
		const helper = new TestCredentialsHelper(credentialTypes, [credential]);
		const result = await helper.preAuthentication(
			{ helpers: { httpRequest: async () => ({ token: 'never' }) } } as unknown as IHttpRequestHelper,
			{ ...credential.data, accessToken: 'still-there' },
			'testApi',
			node,
			false,
		);
		expect(result).toBeUndefined();
		expect(helper.preAuthenticationCalls).toBe(0);
	});

	test('preAuthentication: a type without expirable property -> undefined', async () => {
		const plain: ICredentialType = { name: 'plainApi', displayName: 'Plain', properties: [] };
		const helper = new TestCredentialsHelper([plain], []);
		await expect(
			helper.preAuthentication({ helpers: { httpRequest: jest.fn() } } as never, {}, 'plainApi', node, true),
		).resolves.toBeUndefined();
	});

	test('authenticate: function form (async) is used as returned', async () => {
		const fnType: ICredentialType = {
			name: 'fnApi',
			displayName: 'Fn',
			properties: [],
			authenticate: async (credentials, requestOptions) => ({
				...requestOptions,
				headers: { ...requestOptions.headers, 'X-Key': String(credentials.key) },
			}),
		};
		const helper = new TestCredentialsHelper([fnType], []);
		const out = await helper.authenticate({ key: 'k1' }, 'fnApi', { url: 'http://x/', headers: { a: 'b' } });
		expect(out.headers).toEqual({ a: 'b', 'X-Key': 'k1' });
	});

	test('getDecrypted applies property defaults like n8n (missing hidden token -> "")', async () => {
		const helper = new TestCredentialsHelper(credentialTypes, [credential]);
		const data = await helper.getDecrypted({} as never, { id: 'cred-1', name: 'x' }, 'testApi', 'manual');
		expect(data).toEqual({ baseUrl: server.baseUrl, clientSecret: 'secret', accessToken: '' });
		const raw = await helper.getDecrypted({} as never, { id: 'cred-1', name: 'x' }, 'testApi', 'manual', undefined, true);
		expect(raw).toEqual(credential.data);
		await expect(
			helper.getDecrypted({} as never, { id: 'nope', name: 'x' }, 'testApi', 'manual'),
		).rejects.toThrow('does not exist');
	});
});
