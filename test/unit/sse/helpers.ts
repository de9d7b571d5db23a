import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { AnswerAssembler } from '../../../nodes/shared/sse/assembler';
import type { AssembledAnswer } from '../../../nodes/shared/sse/assembler';
import { readAgentStream } from '../../../nodes/shared/sse/reader';
import type { AgentStreamStats, RawSseEvent, ReadOptions } from '../../../nodes/shared/sse/reader';

/** The hand-written Alation transcript (SQL agent: echo, tool call, tool return, 4 snapshots, [DONE]). */
export const FIXTURE_PATH = join(__dirname, '../../fixtures/sse/alation-sql-agent.sse');
export const FIXTURE: Buffer = readFileSync(FIXTURE_PATH);

/** A tiny seeded PRNG (mulberry32): deterministic random tests without dependencies. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** An async iterable over the given chunks, like a socket delivering them one by one. */
export async function* fromChunks<T>(chunks: readonly T[]): AsyncGenerator<T> {
	for (const chunk of chunks) yield chunk;
}

/** Cuts a buffer at the given positions (sorted, within bounds). */
export function splitAt(buffer: Buffer, positions: readonly number[]): Buffer[] {
	const parts: Buffer[] = [];
	let start = 0;
	for (const position of positions) {
		parts.push(buffer.subarray(start, position));
		start = position;
	}
	parts.push(buffer.subarray(start));
	return parts;
}

export interface ReadEvent {
	json: unknown;
	data: string;
	event?: string;
	id?: string;
}

export interface ReadResult {
	events: ReadEvent[];
	stats: AgentStreamStats;
}

export async function readAll(
	body: AsyncIterable<Uint8Array | Buffer | string>,
	options: Omit<ReadOptions, 'onEvent'> = {},
): Promise<ReadResult> {
	const events: ReadEvent[] = [];
	const stats = await readAgentStream(body, {
		...options,
		onEvent: (json: unknown, raw: RawSseEvent) => {
			const event: ReadEvent = { json, data: raw.data };
			if (raw.event !== undefined) event.event = raw.event;
			if (raw.id !== undefined) event.id = raw.id;
			events.push(event);
		},
	});
	return { events, stats };
}

export interface Assembled {
	result: AssembledAnswer;
	/** Every `add()` return value, in order. */
	chunks: string[];
}

export function assemble(events: readonly unknown[]): Assembled {
	const assembler = new AnswerAssembler();
	const chunks = events.map((event) => assembler.add(event));
	return { result: assembler.result(), chunks };
}
