/**
 * Through a forward proxy (n8n's HTTP_PROXY / HTTPS_PROXY, which the nodes honour): when the proxy
 * refuses, the error says it was the proxy — not a timeout, not Alation's credential, not the
 * instance. Set before anything sends a request: the nodes' dispatcher reads the variables once.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';


import { runNode } from '../helpers/n8n';
import type { StoredCredential } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { alationClientCredentialsGrant } from '../../nodes/shared/auth/grants';
import { parseTokenResponse } from '../../nodes/shared/auth/tokenResponse';
import { send } from '../../nodes/shared/http/client';
import { isAbortError } from '../../nodes/shared/http/errors';
import { toNodeError } from '../../nodes/shared/nodeErrors';

const node = { id: '1', name: 'Agent Chat', type: 'n8n-nodes-alation.alationAgentChat', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };

const sim = useSimulator();
let proxy: Server;
let proxyPort = 0;
const connects: string[] = [];

beforeAll(async () => {
	// The proxy refuses every tunnel: it wants credentials.
	// Plain http:// requests come to it as absolute-URI requests (n8n's own helper), https:// and
	// undici's as CONNECT tunnels: both are refused.
	proxy = createServer((req, res) => {
		connects.push(String(req.url));
		res.writeHead(407, { 'proxy-authenticate': 'Basic realm="corp"', 'content-type': 'text/html' });
		res.end('<html>Proxy login required</html>');
	});
	proxy.on('connect', (req, socket) => {
		connects.push(String(req.url));
		socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
	});
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	proxyPort = (proxy.address() as AddressInfo).port;
	for (const name of ['https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']) delete process.env[name];
	process.env.HTTP_PROXY = `http://127.0.0.1:${proxyPort}`;
	process.env.http_proxy = process.env.HTTP_PROXY;
});
afterAll(() => {
	delete process.env.HTTP_PROXY;
	delete process.env.http_proxy;
	proxy.close();
});

const credential = (): StoredCredential => ({
	id: 'proxy-1',
	name: 'Alation API',
	type: 'alationApi',
	data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
});
const ask = async () =>
	await runNode({
		nodeType: new AlationAgentChat(),
		parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: 'Through the proxy?', options: { timeout: 600 } },
		credentials: { alationApi: credential() },
		credentialTypes: [new AlationApi()],
	});

test('a proxy that wants credentials (407), on the token request: the error names the proxy, not a timeout or the Alation credential', async () => {
	const started = Date.now();
	const result = await ask();
	const error = result.error as Error & { description?: string };
	expect(error.message).toMatch(/a proxy between n8n and the token endpoint answered 407 \(Proxy Authentication Required\)/);
	expect(error.message).not.toMatch(/did not finish|Timeout/);
	expect(error.description).toMatch(/HTTPS_PROXY=http:\/\/user:password@proxy:port/);
	expect(Date.now() - started).toBeLessThan(20_000);
	expect(connects.length).toBeGreaterThan(0);
	expect(sim.counters.tokensMinted).toBe(0); // nothing reached Alation
});

test('a proxy that refuses the tunnel (407) on the nodes\' own client: reported as the proxy\'s refusal, not as an abort or timeout', async () => {
	const error = await send({ method: 'GET', url: `${sim.url}/integration/v1/userinfo/` }).then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(isAbortError(error)).toBe(false);
	const mapped = toNodeError(error, { node, itemIndex: 0, secrets: [], action: 'Asking the agent' });
	expect(mapped.message).toMatch(/^Asking the agent failed: The proxy refused to connect to 127\.0\.0\.1:\d+ \(it answered 407 Proxy Authentication Required\)$/);
	expect((mapped as Error & { description?: string }).description).toMatch(/HTTPS_PROXY=http:\/\/user:password@proxy:port/);
});

test('a proxy that is down: the error says the proxy refused the connection, naming the variable', async () => {
	await new Promise((resolve) => proxy.close(resolve));
	const result = await ask();
	expect(result.error?.message).toMatch(new RegExp(`The connection to the proxy 127\\.0\\.0\\.1:${proxyPort} \\((HTTP_PROXY|http_proxy)\\) was refused`));
	expect((result.error as Error & { description?: string }).description).toMatch(/proxy n8n is set to use/);
});

test('a 407 answered on the token request (n8n\'s own helper behind a proxy) is the proxy\'s, not the credential\'s', () => {
	const grant = alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: DEMO.clientSecret });
	expect(() => parseTokenResponse(grant, { status: 407, body: '<html>Proxy login</html>', contentType: 'text/html' }, Date.now())).toThrow(
		/a proxy between n8n and the token endpoint answered 407 \(Proxy Authentication Required\)/,
	);
});
