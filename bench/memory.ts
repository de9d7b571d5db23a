/**
 * Benchmark 4 — memory.
 *
 * a) A 100 MiB agent stream through the Agent Chat node (n8n-core execution), answer only and with
 *    Include Events: RSS and heap before (after GC), at the peak (sampled every 10 ms) and after
 *    (after GC, the output still held, as n8n holds it). The stream is snapshot style, as Alation
 *    sends: 3,200 events, each repeating the answer so far, which grows to 64 KiB — so the stream is
 *    big and the answer small, and any growth is the node's, not the answer's.
 * b) 1,000 sequential Agent Chat runs against the simulator's own agent: heap and RSS after the first
 *    100 and after all 1,000 (after GC), and the main thread's active handles and resources before and
 *    after (no leaked sockets, timers or listeners).
 * RSS is the whole process (the simulator's worker thread included); heap is the main thread's.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { createParser } from 'eventsource-parser';
import { request } from 'undici';

import type { RunNodeResult } from '../test/helpers/n8n';

import { send } from '../nodes/shared/http/client';
import { AnswerAssembler } from '../nodes/shared/sse/assembler';
import { readAgentStream } from '../nodes/shared/sse/reader';
import { runAgentChat } from './lib/n8nRuns';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { STREAM_PATH } from './lib/simWorker';
import { fmt, medianRange, MiB, retryClosedSocket, settle, summarize } from './lib/stats';

interface MemoryRun {
	peakRss: number;
	peakHeap: number;
	retainedRss: number;
	retainedHeap: number;
	seconds: number;
	events: number;
}

/** Runs `work` with RSS and heap sampled every 10 ms; `after` is measured while `work`'s result is still held. */
async function measured<T>(work: () => Promise<T>, check: (result: T) => number): Promise<MemoryRun> {
	const before = await settle();
	let peakRss = before.rss;
	let peakHeap = before.heapUsed;
	const sampler = setInterval(() => {
		const now = process.memoryUsage();
		peakRss = Math.max(peakRss, now.rss);
		peakHeap = Math.max(peakHeap, now.heapUsed);
	}, 10);
	const started = Date.now();
	let result: T;
	try {
		result = await work();
	} finally {
		clearInterval(sampler);
	}
	const seconds = (Date.now() - started) / 1000;
	const events = check(result);
	const after = await settle();
	// The output stays referenced through the measurement, as n8n keeps it.
	void result;
	return {
		peakRss: peakRss - before.rss,
		peakHeap: peakHeap - before.heapUsed,
		retainedRss: after.rss - before.rss,
		retainedHeap: after.heapUsed - before.heapUsed,
		seconds,
		events,
	};
}

function bigStream(baseUrl: string, includeEvents: boolean, expectedLength: number): Promise<MemoryRun> {
	return measured(
		() => runAgentChat(baseUrl, { message: 'big', nodeOptions: { includeEvents, idleTimeout: 120, timeout: 600 } }),
		(result: RunNodeResult) => {
			const json = result.items[0]?.json;
			if (!json || json.error !== undefined) throw new Error(`Agent Chat failed: ${String(json?.error ?? result.error?.message)}`);
			if ((json.answer as string).length !== expectedLength) throw new Error('wrong answer length');
			return Array.isArray(json.events) ? json.events.length : 0;
		},
	);
}

/** The floor on the same stream: undici request + eventsource-parser + JSON.parse, keeping nothing. */
function floorStream(url: string): Promise<MemoryRun> {
	return measured(
		async () => {
			const { body } = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":"big"}' });
			const decoder = new TextDecoder();
			let events = 0;
			const parser = createParser({
				onEvent: (event) => {
					if (event.data !== '[DONE]') JSON.parse(event.data);
					events++;
				},
			});
			for await (const chunk of body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
			return events;
		},
		() => 0,
	);
}

/** One run of the node's read path without n8n (send + readAgentStream + AnswerAssembler). */
async function readPathOnce(url: string): Promise<void> {
	const response = await send({ method: 'POST', url, headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer leak-check` }, body: '{"message":"leak check"}' });
	try {
		const assembler = new AnswerAssembler();
		await readAgentStream(response.body, { onEvent: (event) => void assembler.add(event) });
		assembler.result();
	} finally {
		response.body.destroy();
	}
}

/** Least-squares slope of heap (bytes) over run number. */
function slope(samples: Array<[number, number]>): number {
	const n = samples.length;
	if (n < 2) return NaN;
	const mx = samples.reduce((a, [x]) => a + x, 0) / n;
	const my = samples.reduce((a, [, y]) => a + y, 0) / n;
	let num = 0;
	let den = 0;
	for (const [x, y] of samples) {
		num += (x - mx) * (y - my);
		den += (x - mx) ** 2;
	}
	return num / den;
}

interface LeakRun {
	perRunBytes: number;
	startHeap: number;
	endHeap: number;
	startRss: number;
	endRss: number;
	resources: string;
	grew: boolean;
	msPerRun: number;
}

/** `runs` sequential calls of `once`; heap sampled after GC every 100 runs. */
async function leakCheck(runs: number, once: () => Promise<void>): Promise<LeakRun> {
	for (let i = 0; i < 20; i++) await once();
	const resourcesBefore = resourceCounts();
	const start = await settle();
	const started = Date.now();
	const samples: Array<[number, number]> = [];
	for (let i = 1; i <= runs; i++) {
		await once();
		if (i % 100 === 0) samples.push([i, (await settle()).heapUsed]);
	}
	const msPerRun = (Date.now() - started) / runs;
	// Keep-alive sockets and timers of the last run settle as they would between executions.
	await sleep(100);
	const end = await settle();
	const resourcesAfter = resourceCounts();
	const grew = Object.entries(resourcesAfter).some(([name, count]) => count > (resourcesBefore[name] ?? 0));
	return {
		perRunBytes: slope(samples),
		startHeap: samples[0]?.[1] ?? start.heapUsed,
		endHeap: end.heapUsed,
		startRss: start.rss,
		endRss: end.rss,
		resources: diffCounts(resourcesBefore, resourcesAfter),
		grew,
		msPerRun,
	};
}

function resourceCounts(): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
	return counts;
}

function diffCounts(before: Record<string, number>, after: Record<string, number>): string {
	const names = new Set([...Object.keys(before), ...Object.keys(after)]);
	const changed = [...names].filter((n) => (before[n] ?? 0) !== (after[n] ?? 0)).map((n) => `${n} ${before[n] ?? 0}→${after[n] ?? 0}`);
	return changed.length === 0 ? 'unchanged' : changed.join(', ');
}

const mb = (bytes: number) => bytes / MiB;

export async function memoryBench(
	sim: RemoteSimulator,
	options: { reps: number; sequentialRuns: number; streamBytes: number; log: (line: string) => void },
): Promise<Row[]> {
	const { log } = options;
	const url = `${sim.url}${STREAM_PATH}`;
	const info = await sim.serve({ kind: 'generated', style: 'snapshot', totalBytes: options.streamBytes, events: 3200 });
	const streamMb = info.bytes / MiB;
	await runAgentChat(sim.url, { message: 'warm-up', nodeOptions: { idleTimeout: 120 } });
	await retryClosedSocket(() => floorStream(url));
	const runs: Record<'floor' | 'answer' | 'events', MemoryRun[]> = { floor: [], answer: [], events: [] };
	for (let r = 0; r < options.reps; r++) {
		for (const mode of ['floor', 'answer', 'events'] as const) {
			const run = mode === 'floor' ? await retryClosedSocket(() => floorStream(url)) : await bigStream(sim.url, mode === 'events', info.answerLength);
			runs[mode].push(run);
			log(`  ${fmt(streamMb, 0)} MiB stream, ${mode === 'floor' ? 'floor' : mode === 'answer' ? 'answer only' : 'includeEvents'}: peak ${fmt(mb(run.peakRss), 1, true)} MiB RSS / ${fmt(mb(run.peakHeap), 1, true)} MiB heap, after GC ${fmt(mb(run.retainedHeap), 1, true)} MiB heap, ${fmt(run.seconds, 1)} s`);
		}
	}

	// b) many small runs, of the node and of its read path without n8n
	await sim.serve({ kind: 'bytes', style: 'snapshot', totalBytes: 2048, writeSize: 65536, events: 4 });
	const nodeLeak = await leakCheck(options.sequentialRuns, async () => {
		const result = await runAgentChat(sim.url, { message: 'leak check' });
		if (result.items[0]?.json.error !== undefined) throw new Error(`run failed: ${String(result.items[0].json.error)}`);
	});
	log(`  ${options.sequentialRuns} Agent Chat runs: ${fmt(nodeLeak.perRunBytes, 0)} bytes/run heap (${fmt(mb(nodeLeak.startHeap), 1)} → ${fmt(mb(nodeLeak.endHeap), 1)} MiB), RSS ${fmt(mb(nodeLeak.startRss), 0)} → ${fmt(mb(nodeLeak.endRss), 0)} MiB, resources ${nodeLeak.resources}, ${fmt(nodeLeak.msPerRun, 1)} ms/run`);
	// The same node runs with the Timeout option at 2 s instead of 600 s: shows what holds memory until the deadline.
	const shortTimeoutLeak = await leakCheck(options.sequentialRuns, async () => {
		const result = await runAgentChat(sim.url, { message: 'leak check', nodeOptions: { timeout: 2 } });
		if (result.items[0]?.json.error !== undefined) throw new Error(`run failed: ${String(result.items[0].json.error)}`);
	});
	log(`  ${options.sequentialRuns} Agent Chat runs with Timeout 2 s: ${fmt(shortTimeoutLeak.perRunBytes, 0)} bytes/run heap`);
	const pathLeak = await leakCheck(options.sequentialRuns, () => retryClosedSocket(() => readPathOnce(url)));
	log(`  ${options.sequentialRuns} read-path runs (no n8n): ${fmt(pathLeak.perRunBytes, 0)} bytes/run heap, resources ${pathLeak.resources}`);
	await sim.unserve();

	const stat = (mode: 'floor' | 'answer' | 'events', pick: (r: MemoryRun) => number) => summarize(runs[mode].map((r) => mb(pick(r))));
	const answerPeakRss = stat('answer', (r) => r.peakRss);
	const floorPeakRss = stat('floor', (r) => r.peakRss);
	const overFloor = answerPeakRss.median - floorPeakRss.median;
	const answerAfter = stat('answer', (r) => r.retainedHeap);
	const describe = (mode: 'floor' | 'answer' | 'events') =>
		`peak ${medianRange(stat(mode, (r) => r.peakRss), 1, '', true)} MiB RSS, ${medianRange(stat(mode, (r) => r.peakHeap), 1, '', true)} MiB heap; after GC ${medianRange(stat(mode, (r) => r.retainedHeap), 1, '', true)} MiB heap, ${medianRange(stat(mode, (r) => r.retainedRss), 1, '', true)} MiB RSS`;
	const leakFree = (leak: LeakRun) => leak.perRunBytes < 256 && !leak.grew;
	return [
		{
			id: '4a',
			measure: `${fmt(streamMb, 0)} MiB stream through Agent Chat, answer only (${fmt(info.events, 0)} snapshot events; the answer grows to ${fmt(info.answerLength / 1024, 0)} Ki chars): memory over the run (sampled every 10 ms)`,
			ours: `${describe('answer')}; peak RSS ${fmt(overFloor, 1, true)} MiB against the floor's; ${fmt(stat('answer', (r) => r.seconds * MiB).median, 1)} s`,
			reference: `floor on the same stream: ${describe('floor')}`,
			target: '≤ 30 MiB growth',
			// Peaks are mostly garbage V8 has not collected yet — the floor, which keeps nothing, peaks as
			// high. Judged on what the node adds to the floor's peak and on what stays after GC.
			verdict: verdict(overFloor <= 30 && answerAfter.median <= 30),
		},
		{
			id: '4b',
			measure: 'The same with Include Events (the output keeps at most 1,000 events and 10 MiB of their memory)',
			ours: `${describe('events')} (${fmt(runs.events[0]?.events ?? 0, 0)} events in the output)`,
			reference: '—',
			target: 'bounded',
			verdict: verdict((runs.events[0]?.events ?? Infinity) <= 1000),
		},
		{
			id: '4c',
			measure: `${fmt(options.sequentialRuns, 0)} sequential Agent Chat runs: heap growth per run (least squares over GC'd samples every 100 runs), RSS, main-thread handles and resources before → after`,
			ours: `${fmt(nodeLeak.perRunBytes, 0)} bytes/run (${fmt(mb(nodeLeak.startHeap), 1)} → ${fmt(mb(nodeLeak.endHeap), 1)} MiB heap); RSS ${fmt(mb(nodeLeak.startRss), 0)} → ${fmt(mb(nodeLeak.endRss), 0)} MiB; resources: ${nodeLeak.resources}; ${fmt(nodeLeak.msPerRun, 1)} ms/run`,
			reference: `the node with Timeout 2 s (not 600 s): ${fmt(shortTimeoutLeak.perRunBytes, 0)} bytes/run; its read path without n8n: ${fmt(pathLeak.perRunBytes, 0)} bytes/run, resources: ${pathLeak.resources}`,
			target: 'no growth, no leaked handles',
			verdict: verdict(leakFree(nodeLeak) && leakFree(pathLeak)),
		},
	];
}
