/**
 * Benchmark 3 — time to first chunk: with streaming on, the delay from the server writing the first
 * text of an answer to `sendChunk` being called (Agent Chat in an n8n-core execution whose trigger
 * streams), against the floor (undici + eventsource-parser + JSON.parse: the first event parsed).
 * The server (worker thread) sends its headers and an echo event at once and the first text 30 ms
 * later, and stamps that write on the process-wide monotonic clock the client reads too.
 */
import { createParser } from 'eventsource-parser';
import { request } from 'undici';

import { runAgentChat } from './lib/n8nRuns';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { STREAM_PATH } from './lib/simWorker';
import { fmt, medianRange, nowMs, quantile, retryClosedSocket, summarize } from './lib/stats';

async function floorFirst(url: string): Promise<number> {
	let first: number | undefined;
	const { body } = await request(url, {
		method: 'POST',
		headers: { authorization: 'Bearer bench', 'content-type': 'application/json', accept: 'text/event-stream' },
		body: JSON.stringify({ message: 'first chunk' }),
	});
	const decoder = new TextDecoder();
	const parser = createParser({
		onEvent: (event) => {
			if (first !== undefined || event.data === '[DONE]') return;
			const json = JSON.parse(event.data) as { model_message?: { kind?: string } };
			if (json.model_message?.kind === 'response') first = nowMs();
		},
	});
	for await (const chunk of body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
	if (first === undefined) throw new Error('floor saw no text');
	return first;
}

async function nodeFirst(baseUrl: string): Promise<number> {
	let first: number | undefined;
	const result = await runAgentChat(baseUrl, {
		message: 'first chunk',
		onChunk: (chunk) => {
			if (first === undefined && chunk.type === 'item') first = nowMs();
		},
	});
	if (result.items[0]?.json.error !== undefined || first === undefined) throw new Error('Agent Chat streamed no text');
	return first;
}

export async function firstChunkBench(sim: RemoteSimulator, options: { reps: number; log: (line: string) => void }): Promise<Row[]> {
	const url = `${sim.url}${STREAM_PATH}`;
	await sim.serve({ kind: 'firstText', delayMs: 30 });
	const measure = async (run: () => Promise<number>) => {
		const seen = await run();
		const [written] = await sim.stamps();
		return seen - written;
	};
	for (let i = 0; i < 5; i++) {
		await measure(() => retryClosedSocket(() => floorFirst(url)));
		await measure(() => nodeFirst(sim.url));
	}
	const floorDelays: number[] = [];
	const nodeDelays: number[] = [];
	for (let r = 0; r < options.reps; r++) {
		floorDelays.push(await measure(() => retryClosedSocket(() => floorFirst(url))));
		nodeDelays.push(await measure(() => nodeFirst(sim.url)));
	}
	await sim.unserve();
	const floor = summarize(floorDelays);
	const ours = summarize(nodeDelays);
	const extra = ours.median - floor.median;
	const extraP90 = quantile(nodeDelays, 0.9) - quantile(floorDelays, 0.9);
	options.log(`  first text → sendChunk ${fmt(ours.median, 2)} ms, floor ${fmt(floor.median, 2)} ms (+${fmt(extra, 2)} ms)`);
	return [
		{
			id: '3a',
			measure: `Time to first chunk, streaming on: server writes the first text → sendChunk called (${options.reps} runs, median [min … max], p90)`,
			ours: `${medianRange(ours, 2, ' ms')}, p90 ${fmt(quantile(nodeDelays, 0.9), 2)} ms → +${fmt(extra, 2)} ms over the floor (p90 +${fmt(extraP90, 2)} ms)`,
			reference: `floor ${medianRange(floor, 2, ' ms')}, p90 ${fmt(quantile(floorDelays, 0.9), 2)} ms`,
			target: 'floor + 2 ms',
			verdict: verdict(extra <= 2),
		},
	];
}
