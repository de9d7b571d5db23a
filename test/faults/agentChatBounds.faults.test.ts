/**
 * Fault suite, Agent Chat against a hostile or oversized server: what the node keeps of one run is
 * bounded (asset files, the assembled answer, Include Events), and what a server declares about a
 * file does not decide how n8n treats it. Each case runs a real n8n-core execution against the
 * simulator; heap is measured after a full garbage collection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { INodeParameters } from 'n8n-workflow';

import { runNode } from '../helpers/n8n';
import type { RunNodeOptions, RunNodeResult, StoredCredential } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';
import { expectItemContract, items } from './helpers';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';

const sim = useSimulator();
afterEach(() => sim.reset());

const node = new AlationAgentChat();
const STREAM_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';
const CHAT_ID = '11111111-2222-4333-8444-555555555555';

const alation = (): StoredCredential => ({
	id: 'alation-1',
	name: 'Alation API (simulator)',
	type: 'alationApi',
	data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
});

/** One item, Continue On Fail; `options` are the node's options. */
async function ask(options: INodeParameters = {}, run: Partial<RunNodeOptions> = {}): Promise<RunNodeResult> {
	return await runNode({
		nodeType: node,
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: alation() },
		parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: 'Question', options },
		items: items(1),
		continueOnFail: true,
		...run,
	});
}

const textEvent = (id: string, text: string) =>
	`data: ${JSON.stringify({ id, chat_id: CHAT_ID, model_message: { kind: 'response', parts: [{ part_kind: 'text', content: text }] } })}\n\n`;

/** Writes and waits until the socket took it, so the server never holds more than one event. */
function write(res: ServerResponse, text: string): Promise<boolean> {
	if (res.destroyed || res.writableEnded) return Promise.resolve(false);
	return new Promise((resolve) => res.write(text, (error) => resolve(!error && !res.destroyed)));
}

/** Answers the next stream request with a hand-written SSE body. */
function interceptStream(writeBody: (res: ServerResponse, req: IncomingMessage) => Promise<void>): void {
	sim.intercept('POST', STREAM_PATH, async (req, res) => {
		res.writeHead(200, { 'content-type': 'text/event-stream' });
		res.flushHeaders();
		await writeBody(res, req);
		if (!res.destroyed) res.end('data: [DONE]\n\n');
	}, { times: 1 });
}

describe('asset files: the server’s content type does not decide how n8n treats the file', () => {
	test('an SVG asset (it can carry scripts) becomes application/octet-stream with .bin, like HTML', async () => {
		interceptStream(async (res) => {
			const toolReturn = { part_kind: 'tool-return', tool_name: 'chart', tool_call_id: 't1', content: 'ok', metadata: [{ kind: 'chart', id: 'svg1' }, { kind: 'chart', id: 'html1' }] };
			await write(res, `data: ${JSON.stringify({ id: 'm1', chat_id: CHAT_ID, model_message: { kind: 'request', parts: [toolReturn] } })}\n\n`);
			await write(res, textEvent('m2', 'Here is the chart.'));
		});
		const page = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';
		sim.intercept('GET', '/ai/api/v1/assets/svg1', (_req, res) => {
			res.writeHead(200, { 'content-type': 'image/svg+xml' });
			res.end(page);
		}, { times: 1 });
		sim.intercept('GET', '/ai/api/v1/assets/html1', (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
			res.end(`<html>${page}</html>`);
		}, { times: 1 });
		const result = await ask({ downloadAssets: true });
		expect(expectItemContract(result, 1)).toEqual([]);
		const binary = result.items[0].binary ?? {};
		for (const property of ['asset_0', 'asset_1']) {
			expect(binary[property]).toMatchObject({ mimeType: 'application/octet-stream', fileExtension: 'bin' });
			expect(binary[property].fileName).toMatch(/^chart-\w+\.bin$/);
		}
	});
});
