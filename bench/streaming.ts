/**
 * Benchmark 2 — streaming overhead: a 10 MiB agent stream, snapshot and delta, written by the server
 * in 64 KiB and in 1 KiB slices. Agent Chat's reading and assembly against the floor: undici
 * `request` + eventsource-parser + `JSON.parse` on the same bytes with nothing else.
 *
 * Three clients, interleaved, on the same bytes from the simulator's worker thread:
 * - floor: the above, nothing else;
 * - read path: the node's code path without n8n — `send` (nodes/shared/http/client.ts: its
 *   dispatcher, redirects, timeouts) + `readAgentStream` + `AnswerAssembler`;
 * - node: the Agent Chat node in an n8n-core execution; its own `durationMs` (request, reading,
 *   assembly, output) is the figure, and the whole execution's wall time is shown next to it.
 * Then the same without sockets: the bytes handed over in exact 64 KiB / 1 KiB chunks (in memory).
 */
import { createParser } from 'eventsource-parser';
import { request } from 'undici';

import { send } from '../nodes/shared/http/client';
import { AnswerAssembler } from '../nodes/shared/sse/assembler';
import { readAgentStream } from '../nodes/shared/sse/reader';
import { runAgentChat } from './lib/n8nRuns';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { STREAM_PATH } from './lib/simWorker';
import { fmt, medianRange, MiB, nowMs, retryClosedSocket, summarize, threadCpuMs } from './lib/stats';
import { expectedAnswer, planStream, sha256, streamBytes } from './lib/streams';
import type { Style } from './lib/streams';

const TOTAL = 10 * MiB;
const HEADERS = { authorization: 'Bearer bench', 'content-type': 'application/json', accept: 'text/event-stream' };
const BODY = JSON.stringify({ message: 'bench' });

interface Timing {
	ms: number;
	cpuMs: number;
	chunks: number;
}

/** undici request + eventsource-parser + JSON.parse, nothing else. */
async function floor(url: string): Promise<Timing> {
	const t0 = nowMs();
	const c0 = threadCpuMs();
	const { body } = await request(url, { method: 'POST', headers: HEADERS, body: BODY });
	const decoder = new TextDecoder();
	let events = 0;
	const parser = createParser({
		onEvent: (event) => {
			if (event.data === '[DONE]') return;
			JSON.parse(event.data);
			events++;
		},
	});
	let chunks = 0;
	for await (const chunk of body) {
		chunks++;
		parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
	}
	if (events === 0) throw new Error('floor read no event');
	return { ms: nowMs() - t0, cpuMs: threadCpuMs() - c0, chunks };
}

/** The node's code path, without n8n: send + readAgentStream + AnswerAssembler. */
async function readPath(url: string): Promise<Timing & { answer: string }> {
	const t0 = nowMs();
	const c0 = threadCpuMs();
	const response = await send({ method: 'POST', url, headers: HEADERS, body: BODY, bodyTimeoutMs: 120_000, headersTimeoutMs: 120_000 });
	const assembler = new AnswerAssembler();
	let chunks = 0;
	try {
		const stats = await readAgentStream(response.body, {
			onEvent: (event) => {
				assembler.add(event);
			},
			onActivity: () => {
				chunks++;
			},
		});
		if (!stats.done) throw new Error('read path: no [DONE]');
	} finally {
		response.body.destroy();
	}
	const answer = assembler.result().answer;
	return { ms: nowMs() - t0, cpuMs: threadCpuMs() - c0, chunks, answer };
}

async function node(baseUrl: string): Promise<{ durationMs: number; wallMs: number; answer: string }> {
	const t0 = nowMs();
	const result = await runAgentChat(baseUrl, { message: 'bench', nodeOptions: { idleTimeout: 120 } });
	const wallMs = nowMs() - t0;
	const json = result.items[0]?.json;
	if (!json || json.error !== undefined) throw new Error(`Agent Chat failed: ${String(json?.error ?? result.error?.message)}`);
	return { durationMs: json.durationMs as number, wallMs, answer: json.answer as string };
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
	for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Wall and CPU time of one in-memory run (one thread, no I/O: wall time is its work plus preemption). */
interface Cost {
	ms: number;
	cpuMs: number;
}

async function measured(run: () => Promise<void>): Promise<Cost> {
	const t0 = nowMs();
	const c0 = threadCpuMs();
	await run();
	return { ms: nowMs() - t0, cpuMs: threadCpuMs() - c0 };
}

/** In memory: the floor's parse on exact chunks. */
function floorInMemory(bytes: Buffer, size: number): Promise<Cost> {
	return measured(async () => {
		const decoder = new TextDecoder();
		const parser = createParser({
			onEvent: (event) => {
				if (event.data !== '[DONE]') JSON.parse(event.data);
			},
		});
		for await (const chunk of chunked(bytes, size)) parser.feed(decoder.decode(chunk, { stream: true }));
	});
}

/** In memory: the floor, plus keeping the text (the least any client must do to have the answer). */
function floorKeepingText(bytes: Buffer, size: number, style: Style): Promise<Cost> {
	return measured(async () => {
		const decoder = new TextDecoder();
		let text = '';
		const parser = createParser({
			onEvent: (event) => {
				if (event.data === '[DONE]') return;
				const json = JSON.parse(event.data) as { model_message: { parts: Array<{ content: string }> } };
				const content = json.model_message.parts[0].content;
				text = style === 'delta' ? text + content : content;
			},
		});
		for await (const chunk of chunked(bytes, size)) parser.feed(decoder.decode(chunk, { stream: true }));
		if (text.length === 0) throw new Error('no text');
	});
}

/** In memory: the package's reader alone, keeping the text like floorKeepingText (no AnswerAssembler). */
function readerInMemory(bytes: Buffer, size: number, style: Style): Promise<Cost> {
	return measured(async () => {
		let text = '';
		await readAgentStream(chunked(bytes, size), {
			onEvent: (event) => {
				const content = (event as { model_message: { parts: Array<{ content: string }> } }).model_message.parts[0].content;
				text = style === 'delta' ? text + content : content;
			},
		});
		if (text.length === 0) throw new Error('no text');
	});
}

function oursInMemory(bytes: Buffer, size: number): Promise<Cost> {
	return measured(async () => {
		const assembler = new AnswerAssembler();
		await readAgentStream(chunked(bytes, size), {
			onEvent: (event) => {
				assembler.add(event);
			},
		});
		assembler.result();
	});
}

/** Median of the per-run wall-time ratios a/b, and the ratio of the CPU time sums (see cpuClockStepMs). */
function inMemoryRatio(a: Cost[], b: Cost[]): { wall: number; cpu: number } {
	const sum = (costs: Cost[]) => costs.reduce((total, cost) => total + cost.cpuMs, 0);
	return { wall: summarize(a.map((cost, i) => cost.ms / b[i].ms)).median, cpu: sum(a) / sum(b) };
}

export async function streamBench(sim: RemoteSimulator, options: { reps: number; log: (line: string) => void }): Promise<Row[]> {
	const url = `${sim.url}${STREAM_PATH}`;
	const rows: Row[] = [];
	const inMemory: string[] = [];
	const inMemoryRatios: number[] = [];
	let letter = 0;
	for (const style of ['delta', 'snapshot'] as Style[]) {
		const plan = planStream(style, TOTAL);
		const expected = sha256(expectedAnswer(plan));
		const bytes = streamBytes(plan);
		const mb = bytes.length / 1e6;
		for (const writeSize of [64 * 1024, 1024]) {
			await sim.serve({ kind: 'bytes', style, totalBytes: TOTAL, writeSize });
			// Warm-up: JIT, connections, the token.
			await retryClosedSocket(() => floor(url));
			if (sha256((await retryClosedSocket(() => readPath(url))).answer) !== expected) throw new Error(`read path: wrong ${style} answer`);
			if (sha256((await node(sim.url)).answer) !== expected) throw new Error(`Agent Chat: wrong ${style} answer`);
			const f: Timing[] = [];
			const p: Timing[] = [];
			const n: Array<{ durationMs: number; wallMs: number }> = [];
			// Each run starts from a collected heap, and keeps only its timings (a delta answer is 8 M characters:
			// holding the answers would make later runs pay for collecting earlier ones).
			const fresh = () => global.gc?.();
			for (let r = 0; r < options.reps; r++) {
				fresh();
				f.push(await retryClosedSocket(() => floor(url)));
				fresh();
				const path = await retryClosedSocket(() => readPath(url));
				p.push({ ms: path.ms, cpuMs: path.cpuMs, chunks: path.chunks });
				fresh();
				const run = await node(sim.url);
				n.push({ durationMs: run.durationMs, wallMs: run.wallMs });
			}
			await sim.unserve();
			const floorMs = summarize(f.map((t) => t.ms));
			const nodeMs = summarize(n.map((t) => t.durationMs));
			const pathMs = summarize(p.map((t) => t.ms));
			const nodeRatios = n.map((t, i) => t.durationMs / f[i].ms);
			const pathRatios = p.map((t, i) => t.ms / f[i].ms);
			const cpuRatios = p.map((t, i) => t.cpuMs / f[i].cpuMs);
			const wallRatios = n.map((t, i) => t.wallMs / f[i].ms);
			const ratio = summarize(nodeRatios);
			const avgChunk = bytes.length / summarize(f.map((t) => t.chunks)).median;
			const mbps = (ms: number) => fmt(mb / (ms / 1000), 0);
			const label = `${style}, ${writeSize === 1024 ? '1 KiB' : '64 KiB'} writes`;
			options.log(`  ${label}: floor ${mbps(floorMs.median)} MB/s, node ${mbps(nodeMs.median)} MB/s (${fmt(ratio.median, 2)}×), read path ${fmt(summarize(pathRatios).median, 2)}× (CPU ${fmt(summarize(cpuRatios).median, 2)}×); client saw ${fmt(avgChunk / 1024, 1)} KiB chunks`);
			rows.push({
				id: `2${String.fromCharCode(97 + letter++)}`,
				measure: `${fmt(mb, 1)} MB ${style} stream (${plan.events} events, answer ${fmt(plan.answerLength / 1e6, 2)} M chars), server writes ${writeSize === 1024 ? '1 KiB' : '64 KiB'} (client reads ${fmt(avgChunk / 1024, 1)} KiB): Agent Chat time / floor time`,
				ours: `${medianRange(summarize(nodeRatios), 2)}× · ${mbps(nodeMs.median)} MB/s (node durationMs); read path ${fmt(summarize(pathRatios).median, 2)}× (CPU ${fmt(summarize(cpuRatios).median, 2)}×) ${mbps(pathMs.median)} MB/s; whole n8n execution ${fmt(summarize(wallRatios).median, 2)}×`,
				reference: `floor ${mbps(floorMs.median)} MB/s (${medianRange(floorMs, 0)} ms)`,
				target: '≤ 1.10× floor',
				verdict: verdict(ratio.median <= 1.1),
			});
			// Interleaved, three times the repetitions: each takes a few tens of ms. "Cold": a full GC before
			// each run, as for the rows above. "Warm": the same runs back to back without it (see the note).
			await floorInMemory(bytes, writeSize);
			await oursInMemory(bytes, writeSize);
			await floorKeepingText(bytes, writeSize, style);
			await readerInMemory(bytes, writeSize, style);
			const runs = {
				cold: { floor: [] as Cost[], keep: [] as Cost[], reader: [] as Cost[], ours: [] as Cost[] },
				warm: { floor: [] as Cost[], keep: [] as Cost[], ours: [] as Cost[] },
			};
			for (let r = 0; r < options.reps * 3; r++) {
				global.gc?.();
				runs.cold.floor.push(await floorInMemory(bytes, writeSize));
				global.gc?.();
				runs.cold.keep.push(await floorKeepingText(bytes, writeSize, style));
				global.gc?.();
				runs.cold.reader.push(await readerInMemory(bytes, writeSize, style));
				global.gc?.();
				runs.cold.ours.push(await oursInMemory(bytes, writeSize));
			}
			global.gc?.();
			// The order turns each round: whoever runs right after the node's run (whose answer is garbage
			// by then) would otherwise always pay for collecting it.
			const warmRuns: Array<() => Promise<void>> = [
				async () => void runs.warm.floor.push(await floorInMemory(bytes, writeSize)),
				async () => void runs.warm.keep.push(await floorKeepingText(bytes, writeSize, style)),
				async () => void runs.warm.ours.push(await oursInMemory(bytes, writeSize)),
			];
			for (let r = 0; r < options.reps * 3; r++) {
				for (let k = 0; k < warmRuns.length; k++) await warmRuns[(r + k) % warmRuns.length]();
			}
			const ours = inMemoryRatio(runs.cold.ours, runs.cold.floor);
			const keep = inMemoryRatio(runs.cold.keep, runs.cold.floor);
			const reader = inMemoryRatio(runs.cold.reader, runs.cold.floor);
			const warm = inMemoryRatio(runs.warm.ours, runs.warm.floor);
			const warmKeep = inMemoryRatio(runs.warm.keep, runs.warm.floor);
			const memFloorMs = summarize(runs.cold.floor.map((cost) => cost.ms)).median;
			const memOursMs = summarize(runs.cold.ours.map((cost) => cost.ms)).median;
			inMemoryRatios.push(ours.wall);
			inMemory.push(
				`${label.replace(' writes', '')}: ${fmt(ours.wall, 2)}× (${mbps(memOursMs)} vs ${mbps(memFloorMs)} MB/s; CPU ${fmt(ours.cpu, 2)}×; reader alone ${fmt(reader.wall, 2)}×, floor keeping the text ${fmt(keep.wall, 2)}×; warm ${fmt(warm.wall, 2)}×, floor keeping the text warm ${fmt(warmKeep.wall, 2)}×)`,
			);
			options.log(`  in memory, ${inMemory[inMemory.length - 1]}`);
		}
	}
	rows.push({
		id: `2${String.fromCharCode(97 + letter)}`,
		measure: 'The same bytes without sockets or n8n, in exact 64 KiB / 1 KiB chunks: time of readAgentStream + AnswerAssembler / time of eventsource-parser + JSON.parse, each run after a full GC (breakdown: CPU time, the reader alone keeping the text, the floor keeping the text, and warm: the runs back to back without the GC)',
		ours: inMemory.join('; '),
		reference: 'floor = 1.00×',
		target: '≤ 1.10× floor',
		verdict: verdict(inMemoryRatios.every((r) => r <= 1.1)),
	});
	return rows;
}

