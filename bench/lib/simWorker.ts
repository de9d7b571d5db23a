/**
 * The simulator in a worker thread: it gets its own event loop (and core), so the time and CPU the
 * benchmarks measure in the main thread are the client's alone, not the server's. Commands come
 * from RemoteSimulator (remoteSim.ts) as messages.
 */
import type { ServerResponse } from 'node:http';
import { parentPort } from 'node:worker_threads';

import { startSimulator } from '../../test/simulator';
import type { FaultSpec, Simulator, SimulatorOptions } from '../../test/simulator';
import { DONE, echoEvent, eventOf, planStream, streamBytes, streamEvents } from './streams';
import type { Style } from './streams';
import { nowMs } from './stats';

export const STREAM_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';

export type ServeSpec =
	/** A prepared stream of ~totalBytes, written in `writeSize` slices as fast as the socket takes them. */
	| { kind: 'bytes'; style: Style; totalBytes: number; writeSize: number; events?: number }
	/** The same, generated event by event while it is written (for 100 MB). */
	| { kind: 'generated'; style: Style; totalBytes: number; events?: number }
	/** Headers and an echo event at once, then after `delayMs` the first text (its write time is recorded). */
	| { kind: 'firstText'; delayMs: number };

export type Command =
	| { cmd: 'start'; options: Partial<SimulatorOptions> }
	| { cmd: 'counters' }
	| { cmd: 'resetCounters' }
	| { cmd: 'setOptions'; options: Partial<SimulatorOptions> }
	| { cmd: 'revokeAllTokens' }
	| { cmd: 'fault'; spec: FaultSpec }
	| { cmd: 'serve'; spec: ServeSpec }
	| { cmd: 'unserve' }
	| { cmd: 'stamps' }
	| { cmd: 'memory' }
	| { cmd: 'close' };

let sim: Simulator | undefined;
let removeServe: (() => void) | undefined;
/** When the first text of each `firstText` answer was written (nowMs, shared clock). */
let stamps: number[] = [];
/** Prepared byte streams, by spec. */
const prepared = new Map<string, Buffer>();

/** Writes all of `chunks`, waiting for the socket to drain; stops if the client goes away. */
async function writeAll(res: ServerResponse, chunks: Iterable<Buffer | string>, paced = false): Promise<void> {
	for (const chunk of chunks) {
		if (res.destroyed) return;
		const flowing = res.write(chunk);
		// Small writes: let each one reach the socket on its own, as a server producing them one at a
		// time would (without this, back-to-back writes leave as 64 KiB segments).
		if (paced) await new Promise((resolve) => setImmediate(resolve));
		if (!flowing) {
			await new Promise<void>((resolve) => {
				const done = () => {
					res.off('drain', done);
					res.off('close', done);
					resolve();
				};
				res.on('drain', done);
				res.on('close', done);
			});
		}
	}
	if (!res.destroyed) res.end();
}

function* slices(buffer: Buffer, size: number): Generator<Buffer> {
	for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

function serve(spec: ServeSpec): Record<string, number> {
	if (!sim) throw new Error('simulator not started');
	removeServe?.();
	if (spec.kind === 'bytes') {
		const key = `${spec.style}:${spec.totalBytes}:${spec.events ?? ''}`;
		let bytes = prepared.get(key);
		if (!bytes) {
			bytes = streamBytes(planStream(spec.style, spec.totalBytes, { events: spec.events }));
			prepared.set(key, bytes);
		}
		const body = bytes;
		removeServe = sim.intercept('POST', STREAM_PATH, async (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			res.socket?.setNoDelay(true);
			await writeAll(res, slices(body, spec.writeSize), spec.writeSize <= 4096);
		}, { times: Infinity });
		return { bytes: body.length };
	}
	if (spec.kind === 'generated') {
		const plan = planStream(spec.style, spec.totalBytes, { events: spec.events });
		removeServe = sim.intercept('POST', STREAM_PATH, async (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			await writeAll(res, streamEvents(plan));
		}, { times: Infinity });
		let bytes = 0;
		for (const event of streamEvents(plan)) bytes += Buffer.byteLength(event);
		return { bytes, events: plan.events, answerLength: plan.answerLength };
	}
	removeServe = sim.intercept('POST', STREAM_PATH, async (_req, res) => {
		res.writeHead(200, { 'content-type': 'text/event-stream' });
		res.socket?.setNoDelay(true);
		res.write(echoEvent('first chunk'));
		await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
		if (res.destroyed) return;
		const event = eventOf('Hello');
		stamps.push(nowMs());
		res.write(event);
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (!res.destroyed) res.end(`${eventOf('Hello, world')}${DONE}`);
	}, { times: Infinity });
	return {};
}

async function handle(message: Command): Promise<unknown> {
	switch (message.cmd) {
		case 'start':
			sim = await startSimulator(message.options);
			return { url: sim.url };
		case 'counters':
			return structuredClone(sim!.counters);
		case 'resetCounters':
			sim!.resetCounters();
			return null;
		case 'setOptions':
			Object.assign(sim!.options, message.options);
			return null;
		case 'revokeAllTokens':
			sim!.revokeAllTokens();
			return null;
		case 'fault':
			sim!.faults.add(message.spec);
			return null;
		case 'serve':
			return serve(message.spec);
		case 'unserve':
			removeServe?.();
			removeServe = undefined;
			return null;
		case 'stamps': {
			const taken = stamps;
			stamps = [];
			return taken;
		}
		case 'memory':
			return process.memoryUsage();
		case 'close':
			removeServe?.();
			await sim?.close();
			sim = undefined;
			prepared.clear();
			return null;
	}
}

parentPort?.on('message', (message: { id: number; command: Command }) => {
	handle(message.command).then(
		(result) => parentPort?.postMessage({ id: message.id, result }),
		(error: unknown) => parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
	);
});
