/**
 * Benchmark 6c — Get Messages over a chat of 10,000 messages (Return All), through the Agent Chat node
 * in an n8n-core execution (test/helpers/n8n), served by a simulator in a worker thread of its own
 * (lib/messagesWorker.ts). Per run: time per message, and heap and RSS sampled every 5 ms against the
 * heap after a full GC just before the run. Two budgets: the default Max Bytes (64 MiB), which holds
 * the whole chat, and a Max Bytes that holds about half of it, where the item must stop with an error
 * and the heap must stay near the budget however long the chat is. Reference: a plain client reading
 * the same pages (global fetch, `JSON.parse`, keeping every message) — the least any client does.
 */
import { join } from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import { runNode } from '../test/helpers/n8n';
import { DEMO } from '../test/simulator';
import { retainedBytes } from '../nodes/shared/sse/retained';
import { agentChatNode, alationCredential, credentialTypes } from './lib/n8nRuns';
import { CHAT_ID, MESSAGES_PATH } from './lib/messagesWorker';
import type { MessagesCommand } from './lib/messagesWorker';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { fmt, medianRange, MiB, nowMs, settle, summarize } from './lib/stats';
import { WorkerClient } from './lib/workerClient';

const COUNT = 10_000;
/** Characters of an assistant message's text (a user message has 120 and a prefix). */
const TEXT_CHARS = 600;

/** The messages server, in a worker thread of its own (lib/messagesWorker.ts). */
class MessagesServer {
	url = '';

	private constructor(private readonly worker: WorkerClient<MessagesCommand>) {}

	static async start(count: number, textChars: number): Promise<MessagesServer> {
		const server = new MessagesServer(new WorkerClient<MessagesCommand>(join(__dirname, 'lib', 'messagesWorker.js'), 'messages worker'));
		server.url = ((await server.call({ cmd: 'start', count, textChars })) as { url: string }).url;
		return server;
	}

	call(command: MessagesCommand): Promise<unknown> {
		return this.worker.call(command);
	}

	async close(): Promise<void> {
		await this.worker.close({ cmd: 'close' });
	}
}

interface Measured {
	ms: number;
	/** Peak over the heap after GC before the run (sampled). */
	peakHeap: number;
	peakRss: number;
	/** Heap after GC with the output still held, over the same base. */
	retainedHeap: number;
	messages: number;
	/** What the node counts against Max Bytes for the messages it output (its own estimate). */
	counted: number;
	error?: string;
}

/** Runs `work` with heap and RSS sampled every 5 ms; `retained` is measured while its result is held. */
async function measure(work: () => Promise<INodeExecutionData[]>): Promise<Measured> {
	const before = await settle();
	let peakHeap = before.heapUsed;
	let peakRss = before.rss;
	const sample = () => {
		const now = process.memoryUsage();
		peakHeap = Math.max(peakHeap, now.heapUsed);
		peakRss = Math.max(peakRss, now.rss);
	};
	const sampler = setInterval(sample, 5);
	const t0 = nowMs();
	let output: INodeExecutionData[];
	try {
		output = await work();
	} finally {
		clearInterval(sampler);
	}
	const ms = nowMs() - t0;
	sample();
	const after = await settle();
	const messages = output.filter((item) => item.json.error === undefined);
	const error = output.find((item) => item.json.error !== undefined)?.json.error;
	const counted = messages.reduce((sum, item) => sum + retainedBytes(item.json), 0);
	const result: Measured = {
		ms,
		peakHeap: peakHeap - before.heapUsed,
		peakRss: peakRss - before.rss,
		retainedHeap: after.heapUsed - before.heapUsed,
		messages: messages.length,
		counted,
		error: error === undefined ? undefined : String(error),
	};
	output = [];
	return result;
}

async function nodeRun(url: string, maxBytes: number | undefined): Promise<INodeExecutionData[]> {
	const result = await runNode({
		nodeType: agentChatNode,
		credentialTypes,
		credentials: { alationApi: alationCredential(url) },
		parameters: { chatOperation: 'getMessages', chatId: CHAT_ID, returnAll: true, messageOptions: maxBytes === undefined ? {} : { maxBytes } },
		items: [{ json: {} }],
		continueOnFail: true,
	});
	return result.items;
}

/** The floor: the same pages with global fetch, every message kept as parsed. */
async function floorRun(url: string): Promise<INodeExecutionData[]> {
	const minted = await fetch(`${url}/oauth/v2/token/`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	const token = ((await minted.json()) as { access_token: string }).access_token;
	const out: INodeExecutionData[] = [];
	for (let offset = 0, page = 0; page < 1000; page++) {
		const response = await fetch(`${url}${MESSAGES_PATH}?limit=100&offset=${offset}`, { headers: { authorization: `Bearer ${token}` } });
		const body = (await response.json()) as { data: Array<Record<string, unknown>>; total: number };
		for (const message of body.data) out.push({ json: message as INodeExecutionData['json'] });
		offset += body.data.length;
		if (offset >= body.total || body.data.length === 0) break;
	}
	return out;
}

/** Max Bytes budgets, as fractions of what the node counts for the whole chat. */
const BUDGETS = [0.1, 0.25, 0.5];
/** The bound judged: a budgeted read's heap peak, in multiples of its Max Bytes. */
const PEAK_PER_BUDGET = 3;

export async function getMessagesBench(options: { reps: number; log: (line: string) => void }): Promise<Row[]> {
	const { log } = options;
	const server = await MessagesServer.start(COUNT, TEXT_CHARS);
	try {
		// One unmeasured run of each (compiles the code, mints the token, opens the connections); the
		// node's count for the whole chat sets the budgets.
		const warm = await measure(() => nodeRun(server.url, undefined));
		if (warm.messages !== COUNT) throw new Error(`read ${warm.messages} of ${COUNT} messages: ${warm.error ?? ''}`);
		await floorRun(server.url);
		const budgets = BUDGETS.map((fraction) => Math.round((warm.counted * fraction) / 1024) * 1024);
		const full: Measured[] = [];
		let pages = { requests: 0, bytes: 0 };
		const floor: Measured[] = [];
		const bounded: Measured[][] = budgets.map(() => []);
		for (let r = 0; r < options.reps; r++) {
			// Alternate which of the two reads the whole chat first.
			if (r % 2 === 0) floor.push(await measure(() => floorRun(server.url)));
			await server.call({ cmd: 'stats' });
			const all = await measure(() => nodeRun(server.url, undefined));
			pages = (await server.call({ cmd: 'stats' })) as typeof pages;
			if (r % 2 === 1) floor.push(await measure(() => floorRun(server.url)));
			if (all.messages !== COUNT) throw new Error(`read ${all.messages} of ${COUNT} messages: ${all.error ?? ''}`);
			full.push(all);
			for (const [i, budget] of budgets.entries()) bounded[i].push(await measure(() => nodeRun(server.url, budget)));
		}
		const mib = (values: number[]) => medianRange(summarize(values.map((v) => v / MiB)), 1);
		const perMessage = summarize(full.map((m) => (m.ms * 1000) / COUNT));
		const floorPerMessage = summarize(floor.map((m) => (m.ms * 1000) / COUNT));
		const kept = summarize(full.map((m) => m.retainedHeap)).median;
		const counted = full[0].counted;
		const stoppedAfter = bounded.map((runs) => runs[0].error?.match(/after ([\d,]+) messages/)?.[1] ?? '?');
		const peakRatios = bounded.map((runs, i) => summarize(runs.map((m) => m.peakHeap / budgets[i])));
		log(
			`  all ${COUNT.toLocaleString('en-US')} messages: ${medianRange(perMessage, 1)} µs/message (plain client ${medianRange(floorPerMessage, 1)}); heap peak +${mib(full.map((m) => m.peakHeap))} MiB (plain client +${mib(floor.map((m) => m.peakHeap))}), kept +${fmt(kept / MiB, 1)} MiB (plain client +${fmt(summarize(floor.map((m) => m.retainedHeap)).median / MiB, 1)}), the node counts ${fmt(counted / MiB, 1)} MiB`,
		);
		for (const [i, budget] of budgets.entries()) {
			log(`  Max Bytes ${fmt(budget / MiB, 1)} MiB: stops after ${stoppedAfter[i]} messages; heap peak +${mib(bounded[i].map((m) => m.peakHeap))} MiB = ${medianRange(peakRatios[i], 2)}× Max Bytes`);
		}
		const stopped = bounded.every((runs) => runs.every((m) => m.messages === 0 && m.error !== undefined && /Max Bytes/.test(m.error)));
		const ok = stopped && peakRatios.every((ratio) => ratio.max <= PEAK_PER_BUDGET) && full.every((m) => m.retainedHeap <= m.counted);
		return [
			{
				id: '6c',
				measure: `Get Messages (Return All) of a ${COUNT.toLocaleString('en-US')}-message chat (${pages.requests} pages of ${fmt(pages.bytes / pages.requests / 1024, 0)} KiB JSON), n8n-core execution: time per message; heap peak (sampled every 5 ms) over the heap before; Max Bytes at ${BUDGETS.map((f) => `${f * 100} %`).join(', ')} of the chat`,
				ours: `${medianRange(perMessage, 1)} µs/message (${fmt(perMessage.median / floorPerMessage.median, 2)}× the plain client); whole chat: heap peak +${mib(full.map((m) => m.peakHeap))} MiB, +${fmt(kept / MiB, 1)} MiB kept with the output (the node counts ${fmt(counted / MiB, 1)} MiB); Max Bytes ${budgets.map((b) => fmt(b / MiB, 1)).join(' / ')} MiB: stops after ${stoppedAfter.join(' / ')} messages, heap peak ${peakRatios.map((r) => fmt(r.median, 2)).join(' / ')}× Max Bytes`,
				reference: `plain client (fetch, JSON.parse, keeps the messages): ${medianRange(floorPerMessage, 1)} µs/message, heap peak +${mib(floor.map((m) => m.peakHeap))} MiB`,
				target: `stops at Max Bytes; heap peak ≤ ${PEAK_PER_BUDGET}× Max Bytes at every budget; kept ≤ what the node counts`,
				verdict: verdict(ok),
			},
		];
	} finally {
		await server.close();
	}
}
