/**
 * The n8n instance's SSRF protection covers every request the package sends: n8n-core's real
 * helpers (`getSecureEgressFilter`) with n8n's real SSRF service, configured as an administrator
 * would (test/helpers/ssrf.ts), against the simulator on 127.0.0.1 — an address n8n's `default`
 * list blocks. Refused: no connection reaches the simulator (its TCP connection count stays 0) and
 * no token is minted. Allowed: every node works with one mint.
 */
import { createServer, request as forward } from 'node:http';
import type { Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

import type { IDataObject, INodeExecutionData, INodeType } from 'n8n-workflow';

import { loadOptionsContext, runNode } from '../helpers/n8n';
import type { RunNodeResult, StoredCredential } from '../helpers/n8n';
import { clearSsrfProtection, scriptedDns, setSsrfProtection } from '../helpers/ssrf';
import { DEMO_SECRETS, expectNoSecrets } from '../helpers/secrets';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { searchAgents } from '../../nodes/AlationAgentChat/listAgents';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { AlationRunTool } from '../../nodes/AlationRunTool/AlationRunTool.node';
import { searchTools } from '../../nodes/AlationRunTool/listTools';
import { AlationSetWarehouseCredentials } from '../../nodes/AlationSetWarehouseCredentials/AlationSetWarehouseCredentials.node';
import { send } from '../../nodes/shared/http/client';
import { EgressRefusedError } from '../../nodes/shared/http/egress';
import type { EgressFilter } from '../../nodes/shared/http/egress';
import { tokenAuthority } from '../../nodes/shared/token/authority';

const sim = useSimulator();
const credentialTypes = [new AlationApi()];

/** The simulator's address written with a host name of choice (same port). */
const at = (host: string) => sim.url.replace('127.0.0.1', host);
const credential = (baseUrl: string, data: IDataObject = {}): StoredCredential => ({
	id: 'egress-1',
	name: 'Alation API (egress)',
	type: 'alationApi',
	data: { baseUrl, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, ...data },
});
const byId = (value: string) => ({ __rl: true, mode: 'id', value });
const two: INodeExecutionData[] = [{ json: { i: 0 } }, { json: { i: 1 } }];

/** One run of each node the package has, every operation that sends a request. */
const NODE_RUNS: Array<{ name: string; nodeType: INodeType; parameters: IDataObject }> = [
	{ name: 'Agent Chat', nodeType: new AlationAgentChat(), parameters: { agent: byId('charting_agent'), message: 'Chart revenue', options: { downloadAssets: true } } },
	{ name: 'Agent Chat: Get Messages', nodeType: new AlationAgentChat(), parameters: { chatOperation: 'getMessages', chatId: '8f0c8a2e-1b1f-4c55-9a53-0d5b8f1f1a01', returnAll: true } },
	{ name: 'Run Tool', nodeType: new AlationRunTool(), parameters: { tool: byId('list_data_products_tool'), toolInput: '{"search_term": "sales"}' } },
	{ name: 'Set Warehouse Credentials', nodeType: new AlationSetWarehouseCredentials(), parameters: { dataProductId: 'dp-sales', username: 'svc_n8n', secretType: 'password', password: 'Warehouse-Pa55word!' } },
	{ name: 'Create Access Token', nodeType: new AlationCreateAccessToken(), parameters: { authentication: 'alationApi', operation: 'getAccessToken' } },
	{ name: 'Create Access Token: Force New', nodeType: new AlationCreateAccessToken(), parameters: { authentication: 'alationApi', operation: 'getAccessToken', forceNew: true } },
	{ name: 'Create Access Token: Create Refresh Token', nodeType: new AlationCreateAccessToken(), parameters: { authentication: 'alationApi', operation: 'createRefreshToken', username: DEMO.username, password: DEMO.password, tokenName: 'n8n' } },
];

async function runEach(baseUrl: string, data: IDataObject = {}) {
	const results: Array<{ name: string; result: RunNodeResult }> = [];
	let chatId: unknown;
	for (const { name, nodeType, parameters } of NODE_RUNS) {
		// Get Messages reads the chat Agent Chat just had, when it had one.
		const withChat = parameters.chatOperation === 'getMessages' && typeof chatId === 'string' ? { ...parameters, chatId } : parameters;
		const result = await runNode({ nodeType, parameters: withChat as never, items: two, continueOnFail: true, credentials: { alationApi: credential(baseUrl, data) }, credentialTypes });
		chatId ??= result.items[0]?.json.chatId;
		results.push({ name, result });
	}
	return results;
}

async function searchEach(baseUrl: string): Promise<unknown[]> {
	const context = (nodeType: INodeType) => loadOptionsContext({ nodeType, parameters: {}, credentials: { alationApi: credential(baseUrl) }, credentialTypes });
	return [
		await searchAgents.call(context(new AlationAgentChat())).catch((e: unknown) => e),
		await searchTools.call(context(new AlationRunTool())).catch((e: unknown) => e),
	];
}

/** Every item of every node is an error that names the host, n8n's SSRF protection and the setting to change. */
function expectRefusedEverywhere(results: Array<{ name: string; result: RunNodeResult }>, host: string) {
	for (const { name, result } of results) {
		expect([name, result.items.length]).toEqual([name, 2]);
		for (const [i, item] of result.items.entries()) {
			expect([name, item.pairedItem]).toEqual([name, { item: i }]);
			const error = item.json as { error?: string; details?: { description?: string } };
			expect([name, error.error]).toEqual([name, expect.stringContaining(`${host}`)]);
			expect(error.error).toMatch(/blocked by this n8n instance's SSRF protection/);
			expect(error.details?.description).toMatch(/N8N_SSRF_ALLOWED_HOSTNAMES|N8N_SSRF_ALLOWED_IP_RANGES/);
		}
		expectNoSecrets(JSON.stringify(result.items), [...DEMO_SECRETS, DEMO.password]);
	}
}

afterEach(() => clearSsrfProtection());

describe('protection on, the simulator on a blocked address', () => {
	test('an IP literal (127.0.0.1, in the default list): every node and both list searches refused; no connection, no mint', async () => {
		setSsrfProtection();
		expectRefusedEverywhere(await runEach(sim.url), '127.0.0.1');
		for (const error of await searchEach(sim.url)) {
			expect((error as Error).message).toMatch(/127\.0\.0\.1 was blocked by this n8n instance's SSRF protection/);
			expect((error as { description?: string }).description).toMatch(/N8N_SSRF_ALLOWED_HOSTNAMES=127\.0\.0\.1/);
		}
		expect(sim.counters.connections).toBe(0);
		expect(sim.counters.tokensMinted).toBe(0);
	});

	test('a credential that already holds a valid token (stored while protection was off): still refused, 0 connections', async () => {
		const minted = await runNode({ nodeType: new AlationCreateAccessToken(), parameters: { authentication: 'alationApi', operation: 'getAccessToken' }, credentials: { alationApi: credential(sim.url) }, credentialTypes });
		const token = minted.items[0].json;
		expect(token.accessToken).toEqual(expect.any(String));
		sim.resetCounters();
		setSsrfProtection();
		// The token is held in this process and stored in the credential: neither is used.
		const stored = { accessToken: token.accessToken, expiresAt: Date.parse(token.expiresAt as string), mintedAt: Date.now() };
		expectRefusedEverywhere(await runEach(sim.url, stored), '127.0.0.1');
		expect(sim.counters.connections).toBe(0);
	});

	test('a host name that resolves to a blocked address (localhost → 127.0.0.1): refused, naming both', async () => {
		setSsrfProtection();
		const results = await runEach(at('localhost'));
		expectRefusedEverywhere(results, 'localhost');
		expect(results[0].result.items[0].json.error).toMatch(/localhost .*resolves to 127\.0\.0\.1|localhost.*::1/);
		expect(sim.counters.connections).toBe(0);
	});

	test('a blocked host name (N8N_SSRF_BLOCKED_HOSTNAMES): refused before any lookup', async () => {
		const dns = scriptedDns({ 'alation.blocked.test': ['127.0.0.1'] });
		setSsrfProtection({ blockedHostnames: ['*.blocked.test'], allowedIpRanges: ['127.0.0.1/32'], dns });
		const results = await runEach(at('alation.blocked.test'));
		expectRefusedEverywhere(results, 'alation.blocked.test');
		expect((results[0].result.items[0].json.details as IDataObject).description).toMatch(/N8N_SSRF_BLOCKED_HOSTNAMES/);
		expect(dns.calls).toEqual([]);
		expect(sim.counters.connections).toBe(0);
	});
});

describe('protection on, the simulator allowed', () => {
	function expectAllWork(results: Array<{ name: string; result: RunNodeResult }>) {
		for (const { name, result } of results) {
			expect([name, result.error, result.items.map((i) => i.json.error)]).toEqual([name, undefined, [undefined, undefined]]);
		}
	}

	test('an allowed range (N8N_SSRF_ALLOWED_IP_RANGES=127.0.0.1/32): every node works; 1 mint besides Force New', async () => {
		setSsrfProtection({ allowedIpRanges: ['127.0.0.1/32'] });
		const results = await runEach(sim.url);
		expectAllWork(results);
		for (const result of await searchEach(sim.url)) expect(result).toMatchObject({ results: expect.any(Array) });
		// One mint for the whole run, one for Force New (its job), none for the list searches.
		expect(sim.counters.oauthMints).toBe(2);
		expect(sim.counters.requests.asset).toBeGreaterThan(0);
	});

	test('an allowed host name (N8N_SSRF_ALLOWED_HOSTNAMES=localhost) that resolves to a blocked address: works', async () => {
		setSsrfProtection({ allowedHostnames: ['localhost'] });
		expectAllWork(await runEach(at('localhost')));
	});

	test('protection off: n8n hands out its pass-through filter and everything works as before', async () => {
		setSsrfProtection({ enabled: false });
		expectAllWork(await runEach(sim.url));
	});
});

describe('the client itself: connect-time lookup and proxies', () => {
	const filter = (): EgressFilter => {
		// The filter n8n gives a node: the same object every node context gets.
		const context = loadOptionsContext({ nodeType: new AlationAgentChat(), parameters: {}, credentials: { alationApi: credential(sim.url) }, credentialTypes });
		return context.helpers.getSecureEgressFilter() as EgressFilter;
	};

	test('a name that resolves to an allowed address when checked and a blocked one when connecting is refused at connect', async () => {
		// 127.0.0.1 is allowed; 127.0.0.2 (blocked by default) would refuse the connection if it got one.
		const dns = scriptedDns({ 'rebind.test': ['127.0.0.1', '127.0.0.2'] });
		setSsrfProtection({ allowedIpRanges: ['127.0.0.1/32'], dns });
		const error = await send({ method: 'GET', url: `${at('rebind.test')}/integration/v1/userinfo/`, egress: filter() }).catch((e: unknown) => e);
		expect(dns.calls).toEqual(['rebind.test→127.0.0.1', 'rebind.test→127.0.0.2']);
		expect(error).toBeInstanceOf(EgressRefusedError);
		expect((error as EgressRefusedError).message).toBe(
			"The request to rebind.test was blocked by this n8n instance's SSRF protection: it resolves to 127.0.0.2, a restricted address",
		);
		expect(sim.counters.connections).toBe(0);
	});

	test('the same name resolving to the allowed address both times: answered', async () => {
		const dns = scriptedDns({ 'stable.test': ['127.0.0.1'] });
		setSsrfProtection({ allowedIpRanges: ['127.0.0.1/32'], dns });
		const response = await send({ method: 'GET', url: `${at('stable.test')}/ai/api/v1/config/agent`, egress: filter() });
		await response.body.dump();
		expect(response.status).toBe(401); // reached the simulator (no token sent)
		expect(dns.calls.length).toBe(2); // checked, then looked up for the socket
	});

	describe('through an IP-literal proxy (HTTP_PROXY=http://127.0.0.1:port)', () => {
		let proxy: Server;
		const tunnels: string[] = [];
		let proxyConnections = 0;
		const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];
		const saved: Record<string, string | undefined> = {};

		beforeAll(async () => {
			// A forwarding proxy: CONNECT host:port → a tunnel to it (undici); an absolute-URI request →
			// the same request to its host (n8n's own helper, which fetches the credential's token).
			proxy = createServer((req, res) => {
				tunnels.push(`forward ${String(req.url)}`);
				const target = new URL(String(req.url));
				const upstream = forward({ host: '127.0.0.1', port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				});
				upstream.on('error', () => res.destroy());
				req.pipe(upstream);
			});
			proxy.on('connection', () => proxyConnections++);
			proxy.on('connect', (req, client: Socket) => {
				tunnels.push(String(req.url));
				const [host, port] = String(req.url).split(':');
				const upstream = netConnect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
					client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
					upstream.pipe(client);
					client.pipe(upstream);
				});
				upstream.on('error', () => client.destroy());
				client.on('error', () => upstream.destroy());
			});
			await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
			for (const name of PROXY_VARS) {
				saved[name] = process.env[name];
				delete process.env[name];
			}
			process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
		});
		afterAll(async () => {
			for (const name of PROXY_VARS) {
				if (saved[name] === undefined) delete process.env[name];
				else process.env[name] = saved[name];
			}
			await new Promise((resolve) => proxy.close(resolve));
		});
		beforeEach(() => {
			tunnels.length = 0;
			proxyConnections = 0;
		});

		test('the proxy on a blocked address: the package requests are refused naming the proxy and never reach it', async () => {
			// The server's name is allowed; the proxy's address is not (no lookup sees an IP literal).
			// n8n 2.41's own helper does not check a proxy from the environment: the token request it
			// sends for the credential goes through (measured here); every request of the package's own
			// client is refused before it connects to the proxy.
			setSsrfProtection({ allowedHostnames: ['localhost'] });
			const [chat, , tool] = await runEach(at('localhost'));
			for (const { result } of [chat, tool]) {
				const error = result.items[0].json as { error: string; details: { description: string } };
				expect(error.error).toMatch(/The request to the proxy 127\.0\.0\.1:\d+ \(HTTP_PROXY\) was blocked by this n8n instance's SSRF protection: it is a restricted address/);
				expect(error.details.description).toMatch(/N8N_SSRF_ALLOWED_IP_RANGES/);
			}
			expect(tunnels.filter((t) => !t.startsWith('forward '))).toEqual([]);
			expect(sim.counters.requests.agentStream + sim.counters.requests.toolStream).toBe(0);
		});

		test('the proxy allowed: the nodes reach the server through it', async () => {
			setSsrfProtection({ allowedIpRanges: ['127.0.0.1/32'], allowedHostnames: ['localhost'] });
			tokenAuthority.clear();
			const [chat] = await runEach(at('localhost'));
			expect(chat.result.items.map((i) => i.json.error)).toEqual([undefined, undefined]);
			// The package's own requests tunnel through it (n8n's token request is forwarded).
			const ours = tunnels.filter((t) => !t.startsWith('forward '));
			expect(ours.length).toBeGreaterThan(0);
			expect(ours.every((t) => t.startsWith('localhost:'))).toBe(true);
		});
	});
});

