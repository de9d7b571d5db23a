import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { AnswerAssembler, AnswerTooLargeError, DEFAULT_MAX_ANSWER_BYTES } from '../../../nodes/shared/sse/assembler';
import { retainedBytes, textBytes } from '../../../nodes/shared/sse/retained';

const MiB = 1024 * 1024;
const text = (id: string, content: string) => ({ id, model_message: { kind: 'response', parts: [{ part_kind: 'text', content }] } });
const toolReturn = (id: string, content: unknown) => ({
	id,
	model_message: { kind: 'request', parts: [{ part_kind: 'tool-return', tool_name: 'sql', tool_call_id: `t-${id}`, content }] },
});

describe('what one run keeps is bounded by maxBytes, counted as memory', () => {
	test('the default holds 32 M characters of answer; 40 messages of 4 MiB do not fit', () => {
		expect(DEFAULT_MAX_ANSWER_BYTES).toBe(64 * MiB);
		const a = new AnswerAssembler();
		const big = 'x'.repeat(4 * MiB);
		let added = 0;
		expect(() => {
			for (let i = 0; i < 40; i++, added++) a.add(text(`m${i}`, big));
		}).toThrow(AnswerTooLargeError);
		// Two bytes a character: 8 MiB a message, so the 8th does not fit in 64 MiB.
		expect(added).toBe(7);
		expect(a.result().answer).toBe(big);
	});

	test('snapshots replace what they resend: a long snapshot stream counts its last snapshot only', () => {
		const a = new AnswerAssembler({ maxBytes: 3 * MiB });
		const full = 'y'.repeat(MiB);
		for (let end = 1000; end <= full.length; end += 1000) a.add(text('m1', full.slice(0, end)));
		expect(a.result().answer.length).toBe(1000 * Math.floor(full.length / 1000));
	});

	test('delta pieces add up, on the fast path too, and the error names the bound', () => {
		const a = new AnswerAssembler({ maxBytes: MiB });
		a.add(text('m1', 'first piece '));
		a.add(text('m1', 'second piece ')); // locks the message into delta: later pieces take the fast path
		const piece = 'z'.repeat(64 * 1024);
		let error: unknown;
		try {
			for (let i = 0; i < 16; i++) a.add(text('m1', piece));
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(AnswerTooLargeError);
		expect((error as AnswerTooLargeError).limitBytes).toBe(MiB);
		expect((error as Error).message).toBe("The agent's answer (its text, tool calls and tool results) needs more than 1 MiB of memory");
		// 1 MiB at two bytes a character: 512 K characters, passed by the last piece at most.
		expect(a.result().answer.length).toBeLessThanOrEqual(512 * 1024 + piece.length);
	});

	test('tool results count as what they hold once parsed, and a replaced one stops counting', () => {
		const rows = Array.from({ length: 20_000 }, () => ({}));
		expect(retainedBytes(rows)).toBeGreaterThan(MiB);
		const a = new AnswerAssembler({ maxBytes: 2 * MiB });
		a.add(toolReturn('r1', rows));
		a.add(toolReturn('r1', 'short now')); // a snapshot of the same message: the rows are gone
		a.add(toolReturn('r2', rows));
		expect(() => a.add(toolReturn('r3', rows))).toThrow(AnswerTooLargeError);
	});

	test('many empty messages count too (each is an entry the run holds)', () => {
		const a = new AnswerAssembler({ maxBytes: MiB });
		expect(() => {
			for (let i = 0; i < 100_000; i++) a.add({ id: `m${i}`, model_message: { kind: 'request', parts: [] } });
		}).toThrow(AnswerTooLargeError);
	});
});

describe('Include Events counts memory, not characters', () => {
	test('events of `[{},…]` count some 21 bytes a character: 9 M characters do not fit in 10 MiB', () => {
		const a = new AnswerAssembler({ includeEvents: true });
		const pad = `[${Array.from({ length: 3_000 }, () => '{}').join(',')}]`;
		for (let i = 0; i < 990; i++) {
			const data = `{"id":"s${i}","status":${pad}}`;
			a.add(JSON.parse(data), data.length);
		}
		const result = a.result();
		expect(result.eventsTruncated).toBe(true);
		// 3,000 empty objects are 192 KB: about 54 events fit in 10 MiB.
		expect(result.events!.length).toBeGreaterThan(40);
		expect(result.events!.length).toBeLessThan(60);
	});
});

describe('retainedBytes: the estimate is at least the heap measured, and not far above it', () => {
	setFlagsFromString('--expose_gc');
	const gc = runInNewContext('gc') as () => void;
	const heapUsed = () => {
		gc();
		gc();
		return process.memoryUsage().heapUsed;
	};

	test.each([
		['empty objects', () => `[${Array(1_000_000).fill('{}').join(',')}]`],
		['empty arrays', () => `[${Array(1_000_000).fill('[]').join(',')}]`],
		['small integers', () => `[${Array(1_000_000).fill('7').join(',')}]`],
		['rows', () => `[${Array.from({ length: 100_000 }, (_, i) => `{"id":${i},"name":"alpha${i}","ok":true}`).join(',')}]`],
		['a map keyed by ids', () => `{${Array.from({ length: 100_000 }, (_, i) => `"key${i}":${i}`).join(',')}}`],
		['ASCII text', () => JSON.stringify({ content: 'x'.repeat(4_000_000) })],
		['text with an emoji', () => JSON.stringify({ content: `📊${'x'.repeat(4_000_000)}` })],
	])('%s', (_name, make) => {
		const json = make();
		const before = heapUsed();
		const value: unknown = JSON.parse(json);
		const measured = heapUsed() - before;
		const estimate = retainedBytes(value);
		expect(estimate).toBeGreaterThanOrEqual(measured * 0.95);
		expect(estimate).toBeLessThan(measured * 3.5);
		expect(value).toBeDefined();
	});

	test('text counts two bytes a UTF-16 unit, plus its header', () => {
		expect(textBytes('')).toBe(16);
		expect(textBytes('héllo 📊')).toBe(16 + 2 * 'héllo 📊'.length);
	});
});
