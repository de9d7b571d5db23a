/**
 * Fault suite, Agent Chat against a hostile or oversized server: what the node keeps of one run is
 * bounded (asset files, the assembled answer, Include Events), and what a server declares about a
 * file does not decide how n8n treats it. Each case runs a real n8n-core execution against the
 * simulator; heap is measured after a full garbage collection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import type { RunNodeOptions, RunNodeResult } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';
import { errorOf, expectItemContract, items } from './helpers';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';

// Retained memory is what these tests are about: measure it after a full collection, not whenever
// V8 happens to collect. jest runs without --expose-gc; the flag can still be set at run time.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

const sim = useSimulator();
afterEach(() => sim.reset());

const node = new AlationAgentChat();
const STREAM_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';
const CHAT_ID = '11111111-2222-4333-8444-555555555555';

const alation = () => simulatorOauthCredential(sim.url);

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

/** Heap in use after a full collection. */
function heapUsed(): number {
	gc();
	gc();
	return process.memoryUsage().heapUsed;
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

describe('what one run keeps is bounded per run, in bytes of memory', () => {
	// The measurement: 40 messages of 4 MiB, each under the per-event bound (8 MiB), held
	// ~163 MiB of heap until the end of the run.
	test('40 messages of 4 MiB → the item fails naming Max Answer Bytes, with the part so far; the heap held stays bounded', async () => {
		const text = 'x'.repeat(4 * MiB);
		let sent = 0;
		interceptStream(async (res) => {
			for (let i = 0; i < 40; i++) {
				if (!(await write(res, textEvent(`m${i}`, text)))) return;
				sent++;
			}
		});
		const baseline = heapUsed();
		let peak = 0;
		let chunks = 0;
		// Each message goes on air when it arrives (streamed to the chat): measure what the run holds
		// then, every fourth message (a full collection of a large heap takes a while).
		const result = await ask({}, { onChunk: (chunk) => {
			if (chunk.type === 'item' && chunks++ % 4 === 3) peak = Math.max(peak, heapUsed() - baseline);
		} });
		// 64 MiB counted (two bytes a character) is 32 MiB of this ASCII text held, plus the event in hand.
		expect(peak).toBeLessThan(80 * MiB);
		expect(expectItemContract(result, 1)).toEqual([0]);
		const { message, details } = errorOf(result, 0);
		expect(message).toMatch(/more than 64 MiB of memory \(Max Answer Bytes option\)/);
		expect(String(details.description)).toMatch(/Raise Max Answer Bytes/);
		expect(String(details.partialAnswer) === text).toBe(true);
		expect(sent).toBeLessThan(40);
	}, 120_000);

	test('Max Answer Bytes raised → the same 40 messages are read to the end; lowered → a 2 MB answer fails', async () => {
		const text = 'y'.repeat(MiB);
		interceptStream(async (res) => {
			for (let i = 0; i < 40; i++) await write(res, textEvent(`m${i}`, text));
		});
		const raised = await ask({ maxAnswerBytes: 100 * MiB });
		expect(expectItemContract(raised, 1)).toEqual([]);
		expect(raised.items[0].json.answer === text).toBe(true);

		interceptStream(async (res) => {
			await write(res, textEvent('m1', text));
			await write(res, textEvent('m1', text + text));
		});
		const lowered = await ask({ maxAnswerBytes: 3 * MiB });
		expect(errorOf(lowered, 0).message).toMatch(/more than 3 MiB of memory \(Max Answer Bytes option\)/);
	});

	test('a large tool result counts as what it holds once parsed, not as its text', async () => {
		// 3 MB of `[{},…]` text parses into a million objects (some 64 MiB).
		const rows = `[${Array.from({ length: 1_000_000 }, () => '{}').join(',')}]`;
		interceptStream(async (res) => {
			const toolReturn = { part_kind: 'tool-return', tool_name: 'sql', tool_call_id: 't1', content: JSON.parse(rows) as unknown };
			await write(res, `data: ${JSON.stringify({ id: 'm1', chat_id: CHAT_ID, model_message: { kind: 'request', parts: [toolReturn] } })}\n\n`);
			await write(res, textEvent('m2', 'Done.'));
		});
		const result = await ask({ maxAnswerBytes: 32 * MiB });
		expect(errorOf(result, 0).message).toMatch(/more than 32 MiB of memory \(Max Answer Bytes option\)/);
	});

	test('the realistic large answer (8.4 M characters in ~11 MB, as the benchmark streams) passes with the defaults', async () => {
		const text = `${'Ünïcödé → 📊 sales table '.repeat(336_000)}end`;
		expect(text.length).toBeGreaterThan(8_400_000);
		interceptStream(async (res) => {
			// Delta pieces of a prime length: no two neighbours alike (equal ones would read as a snapshot resend).
			const piece = 7_919;
			for (let at = 0; at < text.length; at += piece) await write(res, textEvent('m1', text.slice(at, at + piece)));
		});
		const result = await ask();
		expect(expectItemContract(result, 1)).toEqual([]);
		const answer = result.items[0].json.answer as string;
		expect(answer.length).toBe(text.length);
		expect(answer === text).toBe(true);
	});

	// The measurement: 9 M characters of `[{},…]` kept by Include Events took +170 MiB of heap,
	// though they were counted as 9 M (under the 10 MiB it allowed).
	test('Include Events with many small events of `[{},…]` → counted by memory: eventsTruncated, the heap held stays bounded', async () => {
		const pad = `[${Array.from({ length: 3_000 }, () => '{}').join(',')}]`;
		interceptStream(async (res) => {
			for (let i = 0; i < 990; i++) await write(res, `data: {"id":"s${i}","chat_id":"${CHAT_ID}","status":${pad}}\n\n`);
			await write(res, textEvent('m1', 'The answer.'));
		});
		const baseline = heapUsed();
		const result = await ask({ includeEvents: true });
		const held = heapUsed() - baseline;
		expect(held).toBeLessThan(40 * MiB);
		expect(expectItemContract(result, 1)).toEqual([]);
		const json = result.items[0].json as IDataObject;
		expect(json.answer).toBe('The answer.');
		expect(json.eventsTruncated).toBe(true);
		expect((json.events as unknown[]).length).toBeLessThan(100);
	});
});
