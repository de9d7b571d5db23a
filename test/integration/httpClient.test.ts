/**
 * The shared HTTP client on real sockets: TLS (self-signed, "Ignore SSL Issues"), proxies from the
 * environment, timeouts, cancellation and redirects — and the messages users get for each.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import type { INode } from 'n8n-workflow';

import { runNode } from '../helpers/n8n';
import { preAuthenticationThis } from '../helpers/n8nHttp';
import { DEMO, startSimulator } from '../simulator';
import type { Simulator } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { tokenAuthority } from '../../nodes/shared/token/authority';
import { readText, RedirectRefusedError, send } from '../../nodes/shared/http/client';
import { toNodeError } from '../../nodes/shared/nodeErrors';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', name));
const node = { name: 'Test', type: 'test', typeVersion: 1, position: [0, 0], parameters: {}, id: '1' } as INode;
const errorContext = { node, itemIndex: 0, secrets: [], action: 'Calling' };

const servers: Array<http.Server | https.Server | net.Server> = [];
async function listen<S extends http.Server | https.Server | net.Server>(server: S): Promise<string> {
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return String((server.address() as AddressInfo).port);
}
afterAll(async () => {
	for (const server of servers) {
		(server as http.Server).closeAllConnections?.();
		await new Promise((resolve) => server.close(resolve));
	}
});
beforeEach(() => tokenAuthority.clear());

describe('TLS: a self-signed on-premise instance', () => {
	let baseUrl = '';
	beforeAll(async () => {
		const server = https.createServer({ key: fixture('localhost.key.pem'), cert: fixture('localhost.cert.pem') }, (req, res) => {
			req.resume();
			req.on('end', () => {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ access_token: 'tls-token-value', token_type: 'Bearer', expires_in: 600 }));
			});
		});
		baseUrl = `https://127.0.0.1:${await listen(server)}`;
	});

	const run = async (allowUnauthorizedCerts: boolean) =>
		await runNode({
			nodeType: new AlationCreateAccessToken(),
			parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
			credentialTypes: [new AlationApi()],
			credentials: {
				alationApi: {
					id: 'tls',
					name: 'TLS',
					type: 'alationApi',
					data: { baseUrl, authType: 'clientCredentials', clientId: 'c', clientSecret: 'tls-secret-value', allowUnauthorizedCerts },
				},
			},
		});

	test('refused by default, with a message that names the certificate problem and the switch', async () => {
		const result = await run(false);
		expect(result.error?.message).toMatch(/^Getting an access token failed: The TLS certificate of 127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
		expect((result.error as Error & { description?: string }).description).toMatch(/turn on "Ignore SSL Issues" in the credential/);
	});

	test('accepted with "Ignore SSL Issues" (nodes use undici)', async () => {
		const result = await run(true);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.accessToken).toBe('tls-token-value');
	});

	test("accepted with \"Ignore SSL Issues\" in preAuthentication (n8n's own helper)", async () => {
		const credentials = { baseUrl, authType: 'clientCredentials', clientId: 'c', clientSecret: 'tls-secret-value', allowUnauthorizedCerts: true, accessToken: '' };
		await expect(new AlationApi().preAuthentication.call(preAuthenticationThis, credentials)).resolves.toMatchObject({ accessToken: 'tls-token-value' });
	});
});

describe('proxies from HTTP_PROXY / NO_PROXY', () => {
	let sim: Simulator;
	let proxyUrl = '';
	let proxied = 0;
	beforeAll(async () => {
		sim = await startSimulator();
		// A minimal forward proxy: CONNECT tunnels (what undici uses) and absolute-URI requests.
		const proxy = http.createServer((req, res) => {
			proxied++;
			const target = new URL(req.url ?? '');
			const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			});
			req.pipe(upstream);
		});
		proxy.on('connect', (req, socket, head) => {
			proxied++;
			const [host, port] = (req.url ?? '').split(':');
			const upstream = net.connect(Number(port), host, () => {
				socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
				upstream.write(head);
				upstream.pipe(socket);
				socket.pipe(upstream);
			});
			upstream.on('error', () => socket.destroy());
			socket.on('error', () => upstream.destroy());
		});
		proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
	});
	const restorers: Array<() => void> = [];
	afterEach(() => {
		while (restorers.length > 0) restorers.pop()!();
	});
	afterAll(async () => {
		await sim.close();
	});

	/** The dispatcher reads the environment when it is made: load a fresh copy of the client with this environment. */
	type Client = typeof import('../../nodes/shared/http/client') & typeof import('../../nodes/shared/http/dispatcher');
	function clientWith(env: Record<string, string | undefined>): Client {
		const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
		// (Assigning undefined to process.env would store the string "undefined".)
		delete process.env.http_proxy;
		delete process.env.no_proxy;
		for (const [key, value] of Object.entries(env)) {
			if (value === undefined) delete process.env[key];
			else process.env[key] = value;
		}
		let client!: Client;
		// One isolated registry: the client loaded here uses the dispatcher module loaded here.
		jest.isolateModules(() => {
			client = { ...jest.requireActual('../../nodes/shared/http/dispatcher'), ...jest.requireActual('../../nodes/shared/http/client') };
		});
		client.getDispatcher(false); // made now, while the environment is set
		// NO_PROXY is read on every request (undici), HTTP_PROXY only when the dispatcher is made.
		const restore = () => {
			for (const [key, value] of Object.entries(saved)) {
				if (value === undefined) delete process.env[key];
				else process.env[key] = value;
			}
		};
		restorers.push(restore);
		return client;
	}

	test('HTTP_PROXY is used', async () => {
		const client = clientWith({ HTTP_PROXY: proxyUrl, NO_PROXY: undefined });
		const before = proxied;
		const response = await client.send({
			method: 'POST',
			url: `${sim.url}/oauth/v2/token/`,
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
		});
		expect(response.status).toBe(200);
		await readText(response.body);
		expect(proxied).toBeGreaterThan(before);
	});

	test('NO_PROXY exempts the host', async () => {
		const client = clientWith({ HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' });
		const before = proxied;
		const response = await client.send({ method: 'GET', url: `${sim.url}/ai/api/v1/config/agent` });
		await readText(response.body);
		expect(response.status).toBe(401);
		expect(proxied).toBe(before);
	});
});

describe('timeouts, cancellation, redirects', () => {
	let silentUrl = '';
	let redirectUrl = '';
	beforeAll(async () => {
		const silent = http.createServer(() => {
			/* never answers */
		});
		silentUrl = `http://127.0.0.1:${await listen(silent)}`;
		const other = http.createServer((_req, res) => res.end('elsewhere'));
		const otherUrl = `http://127.0.0.1:${await listen(other)}`;
		const redirect = http.createServer((_req, res) => {
			res.writeHead(307, { location: `${otherUrl}/steal` });
			res.end();
		});
		redirectUrl = `http://127.0.0.1:${await listen(redirect)}`;
	});

	test('no answer within the headers timeout → says so', async () => {
		const error = await send({ method: 'GET', url: silentUrl, headersTimeoutMs: 1000 }).catch((e: unknown) => e);
		expect(toNodeError(error, { ...errorContext, headersTimeoutMs: 1000 }).message).toMatch(/^Calling failed: 127\.0\.0\.1:\d+ did not answer within 1 s$/);
	});

	test('the cancel signal aborts a request that hangs', async () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 200);
		const started = Date.now();
		const error = await send({ method: 'GET', url: silentUrl, signal: controller.signal }).catch((e: unknown) => e);
		expect(Date.now() - started).toBeLessThan(2000);
		expect(toNodeError(error, errorContext).message).toBe('Calling was cancelled');
	});

	test('a redirect to another host is refused: the token header never goes there', async () => {
		const error = await send({ method: 'POST', url: `${redirectUrl}/stream`, headers: { authorization: 'Bearer secret-token-value' }, body: '{}' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RedirectRefusedError);
		const mapped = toNodeError(error, errorContext);
		expect(mapped.message).toMatch(/redirects to another host \(http:\/\/127\.0\.0\.1:\d+\)/);
		expect(mapped.message).not.toContain('secret-token-value');
	});

	test('a refused connection is named', async () => {
		const error = await send({ method: 'GET', url: 'http://127.0.0.1:9/x' }).catch((e: unknown) => e);
		expect(toNodeError(error, errorContext).message).toBe('Calling failed: The connection to 127.0.0.1:9 was refused');
	});
});
