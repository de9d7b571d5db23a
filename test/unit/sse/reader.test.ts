import { AnswerAssembler } from '../../../nodes/shared/sse/assembler';
import { DEFAULT_MAX_EVENT_BYTES, SseProtocolError, readAgentStream } from '../../../nodes/shared/sse/reader';
import { FIXTURE, assemble, fromChunks, readAll, splitAt } from './helpers';
import type { ReadResult } from './helpers';

const FINAL_ANSWER =
	'Q3 revenue for "Café Europa" was €1.24M 📊 → up 12 % vs Q2.\n\n| region | revenue |\n|---|---|\n| EMEA | 0.81M |';

/** The fixture with every line end (LF and CRLF) turned into a lone CR. */
function withCrOnly(buffer: Buffer): Buffer {
	return Buffer.from(buffer.toString('utf8').replace(/\r\n|\n/g, '\r'), 'utf8');
}

function modelOf(json: unknown): { kind: string; parts: Array<Record<string, unknown>> } {
	return (json as { model_message: { kind: string; parts: Array<Record<string, unknown>> } }).model_message;
}

describe('readAgentStream on the recorded transcript', () => {
	let whole: ReadResult;

	beforeAll(async () => {
		whole = await readAll(fromChunks([FIXTURE]));
	});

	test('reads every event up to [DONE] with its SSE fields', () => {
		const { events, stats } = whole;
		expect(stats).toEqual({
			bytes: FIXTURE.length,
			// echo, tool call, tool return, non-JSON, 4 answer snapshots, [DONE]
			events: 9,
			jsonEvents: 7,
			skippedNonJson: 1,
			comments: 3,
			done: true,
		});
		expect(events.map((e) => modelOf(e.json).kind)).toEqual([
			'request',
			'response',
			'request',
			'response',
			'response',
			'response',
			'response',
		]);
		expect(events.map((e) => e.event)).toEqual([undefined, 'message', undefined, undefined, 'message', undefined, undefined]);
		expect(events.map((e) => e.id)).toEqual([undefined, undefined, '3', undefined, '5', undefined, undefined]);
		// The two-line data event is joined with "\n".
		expect(events[2].data).toContain('\n"model_message"');
		expect(modelOf(events[2].json).parts[0].tool_call_id).toBe('call_8f3a1c');
		// Multi-byte characters (2, 3 and 4 bytes in UTF-8) arrive whole.
		expect(modelOf(events[6].json).parts[0].content).toBe(FINAL_ANSWER);
		// Nothing after [DONE] is delivered.
		expect(events.some((e) => e.data.includes('after DONE'))).toBe(false);
	});

	test('assembles the answer, tool call, tool result and de-duplicated assets', () => {
		const { result, chunks } = assemble(whole.events.map((e) => e.json));
		expect(result).toEqual({
			answer: FINAL_ANSWER,
			chatId: '5b0c8d2e-7f1a-4c3b-9e2d-1a6f0b9c4e21',
			agentId: 'b1a7e000-0000-4000-8000-000000000003',
			status: 'completed',
			toolCalls: [
				{
					id: 'call_8f3a1c',
					name: 'sql_execution_tool',
					args: {
						data_product_id: 'dp_sales',
						sql: "SELECT region, SUM(revenue) FROM sales WHERE quarter = 'Q3' GROUP BY region",
						result_table_name: 'q3_revenue',
					},
				},
			],
			toolResults: [
				{
					id: 'call_8f3a1c',
					name: 'sql_execution_tool',
					content: {
						columns: ['region', 'revenue'],
						rows: [
							['EMEA', 810000],
							['Amériques', 430000],
						],
						row_count: 2,
					},
				},
			],
			assets: [
				{ kind: 'sql', id: 'asset_sql_01' },
				{ kind: 'chart', id: 'asset_chart_02' },
			],
		});
		expect(chunks.join('')).toBe(FINAL_ANSWER);
		expect(chunks.filter((c) => c !== '')).toHaveLength(4);
	});

	test('split at every byte position into two Buffers: identical events, stats and answer', async () => {
		const expectedEvents = JSON.stringify(whole.events);
		const { bytes: _bytes, ...statsWithoutBytes } = whole.stats;
		const expectedStats = JSON.stringify(statsWithoutBytes);
		// Reading stops at the chunk that holds [DONE]: a second chunk after it is never read.
		const doneEnd = FIXTURE.indexOf('data: [DONE]') + 'data: [DONE]\n\n'.length;
		const expectedAnswer = JSON.stringify(assemble(whole.events.map((e) => e.json)));
		const mismatches: number[] = [];
		for (let position = 0; position <= FIXTURE.length; position++) {
			const { events, stats } = await readAll(fromChunks(splitAt(FIXTURE, [position])));
			const { bytes, ...rest } = stats;
			if (
				JSON.stringify(events) !== expectedEvents ||
				JSON.stringify(rest) !== expectedStats ||
				bytes !== (position >= doneEnd ? position : FIXTURE.length) ||
				JSON.stringify(assemble(events.map((e) => e.json))) !== expectedAnswer
			) {
				mismatches.push(position);
			}
		}
		expect(mismatches).toEqual([]);
	});

	test('CR-only line ends, split at every byte position: identical events', async () => {
		const cr = withCrOnly(FIXTURE);
		expect(cr.includes('\n')).toBe(false);
		const expected = JSON.stringify(whole.events);
		const mismatches: number[] = [];
		for (let position = 0; position <= cr.length; position++) {
			const { events, stats } = await readAll(fromChunks(splitAt(cr, [position])));
			if (JSON.stringify(events) !== expected || !stats.done || stats.comments !== 3) mismatches.push(position);
		}
		expect(mismatches).toEqual([]);
	});

	test('a UTF-8 BOM at the start is ignored, also when split between chunks', async () => {
		const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), FIXTURE]);
		const expected = JSON.stringify(whole.events);
		for (let position = 0; position <= 8; position++) {
			const { events, stats } = await readAll(fromChunks(splitAt(withBom, [position])));
			expect(JSON.stringify(events)).toBe(expected);
			expect(stats.bytes).toBe(FIXTURE.length + 3);
		}
		// The same BOM in a string chunk.
		const { events } = await readAll(fromChunks(['\ufeff' + FIXTURE.toString('utf8')]));
		expect(JSON.stringify(events)).toBe(expected);
	});

	test('one byte per chunk', async () => {
		const bytes = [...FIXTURE].map((b) => Buffer.from([b]));
		let activity = 0;
		const { events } = await readAll(fromChunks(bytes), { onActivity: () => activity++ });
		expect(JSON.stringify(events)).toBe(JSON.stringify(whole.events));
		// Every chunk counts as activity, up to the one that held [DONE].
		const done = FIXTURE.indexOf('data: [DONE]') + 'data: [DONE]\n\n'.length;
		expect(activity).toBe(done);
	});

	test('string chunks and mixed string/Buffer chunks', async () => {
		const text = FIXTURE.toString('utf8');
		const half = Math.floor(text.length / 2);
		const mixed = [text.slice(0, half), Buffer.from(text.slice(half), 'utf8')];
		for (const chunks of [[text], mixed]) {
			const { events, stats } = await readAll(fromChunks(chunks));
			expect(JSON.stringify(events)).toBe(JSON.stringify(whole.events));
			expect(stats.bytes).toBe(FIXTURE.length);
		}
	});
});

describe('readAgentStream framing and limits', () => {
	test('a body that ends without [DONE]: done=false, all complete events delivered', async () => {
		const cut = FIXTURE.subarray(0, FIXTURE.indexOf('data: [DONE]'));
		const { events, stats } = await readAll(fromChunks([cut]));
		expect(stats.done).toBe(false);
		expect(events).toHaveLength(7);
		expect(assemble(events.map((e) => e.json)).result.answer).toBe(FINAL_ANSWER);
	});

	test('a body cut in the middle of an event: the cut event is skipped as non-JSON, done=false', async () => {
		const end = FIXTURE.indexOf('data: [DONE]') - 40;
		const { events, stats } = await readAll(fromChunks([FIXTURE.subarray(0, end)]));
		expect(stats.done).toBe(false);
		expect(events).toHaveLength(6);
		expect(stats.skippedNonJson).toBe(2);
	});

	test('the last event is dispatched at the end of the body even without its blank line', async () => {
		const { events, stats } = await readAll(fromChunks(['data: {"a":1}\n\ndata: {"b":2}']));
		expect(events.map((e) => e.json)).toEqual([{ a: 1 }, { b: 2 }]);
		expect(stats.done).toBe(false);
		const ended = await readAll(fromChunks(['data: {"a":1}\r\n\r\ndata: [DONE]\r']));
		expect(ended.stats.done).toBe(true);
	});

	test('CR-only, LF and CRLF line ends, multi-line data, event and id fields', async () => {
		const text =
			'event: update\rid: 7\rdata: {"a":\rdata: 1}\r\r' +
			': ping\n\n' +
			'data: {"b":\r\ndata:  2}\r\n\r\n' +
			'data:[1,2]\n\n' +
			'data:  [DONE] \n\n';
		const { events, stats } = await readAll(fromChunks([text]));
		expect(events).toEqual([
			{ json: { a: 1 }, data: '{"a":\n1}', event: 'update', id: '7' },
			{ json: { b: 2 }, data: '{"b":\n 2}' },
			{ json: [1, 2], data: '[1,2]' },
		]);
		expect(stats).toMatchObject({ events: 4, jsonEvents: 3, comments: 1, done: true });
	});

	test('non-JSON data is skipped and counted; empty data and unknown fields are ignored', async () => {
		const text =
			'data: hello\n\n' +
			'data: {"broken": \n\n' +
			'data:\n\n' +
			'data: \n\n' +
			'retry: 1000\nfoo: bar\n\n' +
			'data: "a JSON string"\n\n' +
			'data: {"ok":true}\n\n';
		const { events, stats } = await readAll(fromChunks([text]));
		expect(events.map((e) => e.json)).toEqual(['a JSON string', { ok: true }]);
		expect(stats).toMatchObject({ events: 6, jsonEvents: 2, skippedNonJson: 2, comments: 0, done: false });
	});

	test('onNonJson sees the skipped events, e.g. a plain-text error event', async () => {
		const skipped: unknown[] = [];
		const text = 'data: {"a":1}\n\nevent: error\ndata: Internal error\n\ndata:\n\ndata: [DONE]\n\n';
		const stats = await readAgentStream(fromChunks([text]), {
			onEvent: () => undefined,
			onNonJson: (raw) => void skipped.push({ ...raw }),
		});
		expect(skipped).toEqual([{ event: 'error', id: undefined, data: 'Internal error' }]);
		expect(stats).toMatchObject({ jsonEvents: 1, skippedNonJson: 1, done: true });
	});

	test('multi-byte characters split at every byte inside them', async () => {
		const text = 'data: {"t":"é→📊中"}\n\n';
		const bytes = Buffer.from(text, 'utf8');
		for (let a = 1; a < bytes.length; a++) {
			for (let b = a; b < bytes.length; b++) {
				const { events } = await readAll(fromChunks(splitAt(bytes, [a, b])));
				expect(events[0].json).toEqual({ t: 'é→📊中' });
			}
		}
	});

	test('invalid UTF-8 becomes U+FFFD and does not throw', async () => {
		const bytes = Buffer.concat([Buffer.from('data: {"t":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}\n\n')]);
		const { events } = await readAll(fromChunks([bytes]));
		expect(events[0].json).toEqual({ t: 'a\ufffd\ufffdb' });
	});

	test('stops at [DONE] without waiting for the body to end, and releases the iterator', async () => {
		let released = false;
		let resumed = false;
		async function* neverEnding(): AsyncGenerator<Buffer> {
			try {
				yield Buffer.from('data: {"a":1}\n\ndata: [DONE]\n\ndata: {"late":1}\n\n');
				resumed = true;
				await new Promise<void>(() => undefined);
			} finally {
				released = true;
			}
		}
		const { events, stats } = await readAll(neverEnding());
		expect(events.map((e) => e.json)).toEqual([{ a: 1 }]);
		expect(stats.done).toBe(true);
		expect(resumed).toBe(false);
		expect(released).toBe(true);
	});

	test('an async onEvent is awaited, in order, before the next event', async () => {
		const log: string[] = [];
		const text = 'data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n';
		const stats = await readAgentStream(fromChunks([text]), {
			onEvent: async (json) => {
				log.push(`start ${String(json)}`);
				await new Promise<void>((resolve) => setImmediate(resolve));
				log.push(`end ${String(json)}`);
			},
		});
		expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
		expect(stats.done).toBe(true);
	});

	test('an error thrown by onEvent propagates', async () => {
		const boom = new Error('consumer failed');
		await expect(
			readAgentStream(fromChunks(['data: {}\n\n']), {
				onEvent: () => {
					throw boom;
				},
			}),
		).rejects.toBe(boom);
	});

	test('errors of the body iterator propagate unchanged, after the events before them', async () => {
		const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
		async function* failing(): AsyncGenerator<Buffer> {
			yield Buffer.from('data: {"a":1}\n\ndata: {"b"');
			throw reset;
		}
		const seen: unknown[] = [];
		await expect(readAgentStream(failing(), { onEvent: (json) => void seen.push(json) })).rejects.toBe(reset);
		expect(seen).toEqual([{ a: 1 }]);
	});

	test('a chunk that is neither bytes nor text is a protocol error', async () => {
		const body = fromChunks([42 as unknown as string]);
		await expect(readAgentStream(body, { onEvent: () => undefined })).rejects.toMatchObject({ code: 'INVALID_CHUNK' });
	});

	test('maxEventBytes must be positive', async () => {
		await expect(readAgentStream(fromChunks([]), { onEvent: () => undefined, maxEventBytes: 0 })).rejects.toThrow(RangeError);
	});

	test('an empty body: no events, done=false', async () => {
		const { events, stats } = await readAll(fromChunks<Buffer>([]));
		expect(events).toEqual([]);
		expect(stats).toEqual({ bytes: 0, events: 0, jsonEvents: 0, skippedNonJson: 0, comments: 0, done: false });
	});
});

describe('readAgentStream bounds memory', () => {
	const NINE_MIB = 9 * 1024 * 1024;
	const bigEvent = (): Buffer => {
		const payload = Buffer.alloc(NINE_MIB, 'a');
		return Buffer.concat([Buffer.from('data: {"content":"'), payload, Buffer.from('"}\n\n')]);
	};

	test('a 9 MiB event in one chunk → SseProtocolError EVENT_TOO_LARGE with a clear message', async () => {
		const error = await readAll(fromChunks([Buffer.from('data: {"small":1}\n\n'), bigEvent()])).then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SseProtocolError);
		expect(error).toMatchObject({ code: 'EVENT_TOO_LARGE', limitBytes: DEFAULT_MAX_EVENT_BYTES });
		expect((error as Error).message).toBe(
			'The agent stream sent an event larger than 8 MiB; reading stopped to bound memory.',
		);
	});

	test('a 9 MiB event in 64 KiB chunks stops once 8 MiB are buffered', async () => {
		const event = bigEvent();
		let chunksRead = 0;
		async function* body(): AsyncGenerator<Buffer> {
			for (let i = 0; i < event.length; i += 64 * 1024) {
				chunksRead++;
				yield event.subarray(i, i + 64 * 1024);
			}
		}
		await expect(readAll(body())).rejects.toMatchObject({ code: 'EVENT_TOO_LARGE' });
		expect(chunksRead).toBeLessThanOrEqual(8 * 16 + 1);
	});

	test('the limit counts UTF-8 bytes, not characters', async () => {
		const limit = 3000;
		const event = (text: string): string => `data: ${JSON.stringify({ t: text })}\n\n`;
		// 996 × "€" = 2988 bytes of characters + 10 bytes of JSON = 2998 bytes: accepted.
		const fits = await readAll(fromChunks([event('€'.repeat(996))]), { maxEventBytes: limit });
		expect(fits.events).toHaveLength(1);
		// 1000 × "€" = 3000 bytes + JSON = 3010 bytes, only 1010 characters: refused.
		await expect(readAll(fromChunks([event('€'.repeat(1000))]), { maxEventBytes: limit })).rejects.toMatchObject({
			code: 'EVENT_TOO_LARGE',
			limitBytes: limit,
		});
	});

	test('a tiny limit applies to short events too', async () => {
		await expect(readAll(fromChunks(['data: {"abc":123}\n\n']), { maxEventBytes: 10 })).rejects.toMatchObject({
			code: 'EVENT_TOO_LARGE',
			message: 'The agent stream sent an event larger than 10 bytes; reading stopped to bound memory.',
		});
	});

	test('a huge comment line is bounded too', async () => {
		const chunks = [Buffer.from(': '), ...Array.from({ length: 20 }, () => Buffer.alloc(1024, 'x'))];
		await expect(readAll(fromChunks(chunks), { maxEventBytes: 4096 })).rejects.toMatchObject({ code: 'EVENT_TOO_LARGE' });
	});
});

describe('readAgentStream feeding the assembler', () => {
	test('onEvent can feed an AnswerAssembler directly', async () => {
		const assembler = new AnswerAssembler();
		let streamed = '';
		await readAgentStream(fromChunks([FIXTURE]), { onEvent: (json) => void (streamed += assembler.add(json)) });
		expect(assembler.result().answer).toBe(FINAL_ANSWER);
		expect(streamed).toBe(FINAL_ANSWER);
	});
});
