import { parseJsonAnswer } from '../../../nodes/shared/json';
import { AnswerAssembler, MESSAGE_SEPARATOR } from '../../../nodes/shared/sse/assembler';
import { assemble } from './helpers';

const CHAT = '5b0c8d2e-7f1a-4c3b-9e2d-1a6f0b9c4e21';
const AGENT = 'b1a7e000-0000-4000-8000-000000000003';

type Part = Record<string, unknown>;

function event(id: string | undefined, kind: 'request' | 'response', parts: Part[]): Record<string, unknown> {
	const base: Record<string, unknown> = { chat_id: CHAT, agent_id: AGENT, model_message: { kind, parts } };
	if (id !== undefined) base.id = id;
	return base;
}
const text = (content: unknown): Part => ({ part_kind: 'text', content });
const thinking = (content: string): Part => ({ part_kind: 'thinking', content });
const toolCall = (id: string, args: unknown, extra: Part = {}): Part => ({
	part_kind: 'tool-call',
	tool_name: 'sql_execution_tool',
	tool_call_id: id,
	args,
	...extra,
});
const toolReturn = (id: string, content: unknown, metadata?: unknown): Part => ({
	part_kind: 'tool-return',
	tool_name: 'sql_execution_tool',
	tool_call_id: id,
	content,
	metadata,
});

/** The events of one text message, as snapshots or as deltas. */
function textEvents(id: string, pieces: string[], style: 'snapshot' | 'delta'): Record<string, unknown>[] {
	let soFar = '';
	return pieces.map((piece) => {
		soFar += piece;
		return event(id, 'response', [text(style === 'delta' ? piece : soFar)]);
	});
}

/** Feeds the texts of one message and returns the answer and the streamed concatenation. */
function run(events: unknown[]): { answer: string; streamed: string; chunks: string[] } {
	const { result, chunks } = assemble(events);
	return { answer: result.answer, streamed: chunks.join(''), chunks };
}

const PIECES = ['Answer to "q" ', 'from SQL Query ', 'Agent (turn 1) ', '→ terminé 📊'];
const FULL = PIECES.join('');

describe('AnswerAssembler: snapshot and delta styles', () => {
	test.each(['snapshot', 'delta'] as const)('%s style: answer and streamed chunks equal the full text', (style) => {
		const events = [
			event('m1', 'request', [{ part_kind: 'user-prompt', content: 'q' }]),
			event('m2', 'response', [toolCall('c1', { sql: 'SELECT 1' })]),
			event('m3', 'request', [toolReturn('c1', '{"rows":[[1]]}', [{ kind: 'sql', id: 'a1' }])]),
			...textEvents('m4', PIECES, style),
		];
		const { answer, streamed, chunks } = run(events);
		expect(answer).toBe(FULL);
		expect(streamed).toBe(FULL);
		expect(chunks.slice(3)).toEqual(PIECES);
		// Cut after any answer event: the partial answer is what was streamed so far.
		const assembler = new AnswerAssembler();
		let soFar = '';
		events.forEach((e, index) => {
			soFar += assembler.add(e);
			if (index >= 3) expect(assembler.result().answer).toBe(soFar);
		});
	});

	test('both styles give the same result object', () => {
		const snapshot = assemble(textEvents('m', PIECES, 'snapshot')).result;
		const delta = assemble(textEvents('m', PIECES, 'delta')).result;
		expect(delta).toEqual(snapshot);
	});

	test('snapshot resends (identical events) and a final full snapshot add nothing', () => {
		const events = [...textEvents('m', PIECES, 'snapshot'), event('m', 'response', [text(FULL)]), event('m', 'response', [text(FULL)])];
		expect(run(events)).toMatchObject({ answer: FULL, streamed: FULL });
	});

	test('empty pieces are harmless in both styles', () => {
		for (const style of ['snapshot', 'delta'] as const) {
			const pieces = ['', 'Hello', '', ' world', ''];
			expect(run(textEvents('m', pieces, style))).toMatchObject({ answer: 'Hello world', streamed: 'Hello world' });
		}
	});

	test('delta: a piece that repeats the text so far is appended once the message is known to be delta', () => {
		const events = textEvents('m', ['ab', 'cd', 'abcd', 'x'], 'delta');
		expect(run(events)).toMatchObject({ answer: 'abcdabcdx', streamed: 'abcdabcdx' });
	});

	test('snapshot: a later snapshot that rewrites the text replaces it; streaming is not retracted', () => {
		const events = [
			event('m', 'response', [text('Hello wrld')]),
			event('m', 'response', [text('Hello wrld, how')]),
			event('m', 'response', [text('Hello world, how are you')]),
		];
		const { answer, chunks } = run(events);
		expect(answer).toBe('Hello world, how are you');
		// Continues at the same character offset (15) of the rewritten text.
		expect(chunks).toEqual(['Hello wrld', ', how', 'w are you']);
	});

	test('multi-part snapshot message: thinking first, then text; thinking is never streamed', () => {
		const events = [
			event('m', 'response', [thinking('Let me')]),
			event('m', 'response', [thinking('Let me think')]),
			event('m', 'response', [thinking('Let me think'), text('The ')]),
			event('m', 'response', [thinking('Let me think'), text('The answer'), text(' is 42')]),
		];
		expect(run(events)).toMatchObject({ answer: 'The answer is 42', streamed: 'The answer is 42' });
	});

	test('multi-part delta message: thinking pieces, then text pieces', () => {
		const events = [
			event('m', 'response', [thinking('Let me')]),
			event('m', 'response', [thinking(' think')]),
			event('m', 'response', [text('The ')]),
			event('m', 'response', [text('answer')]),
			event('m', 'response', [text(' is 42')]),
		];
		expect(run(events)).toMatchObject({ answer: 'The answer is 42', streamed: 'The answer is 42' });
	});

	test('snapshot tool call: growing string args are replaced by the latest', () => {
		const a = new AnswerAssembler();
		a.add(event('m', 'response', [toolCall('c1', '{"sql": "SEL')]));
		a.add(event('m', 'response', [toolCall('c1', '{"sql": "SELECT 1"}')]));
		a.add(event('m', 'response', [toolCall('c1', '{"sql": "SELECT 1"}')]));
		expect(a.result().toolCalls).toEqual([{ id: 'c1', name: 'sql_execution_tool', args: { sql: 'SELECT 1' } }]);
	});

	test('delta tool call: string args pieces are joined, then decoded', () => {
		const a = new AnswerAssembler();
		a.add(event('m', 'response', [toolCall('c1', '{"sql": "SEL')]));
		a.add(event('m', 'response', [toolCall('c1', 'ECT 1"}')]));
		expect(a.result().toolCalls).toEqual([{ id: 'c1', name: 'sql_execution_tool', args: { sql: 'SELECT 1' } }]);
	});
});

describe('AnswerAssembler: ambiguous cases (documented in assembler.ts)', () => {
	test('1. second event equal to the first: a snapshot resend', () => {
		expect(run(textEvents('m', ['ha', 'ha'], 'delta'))).toMatchObject({ answer: 'ha', streamed: 'ha' });
	});

	test('1b. …unless another message of the stream already showed delta', () => {
		const events = [...textEvents('a', ['Let me ', 'look'], 'delta'), ...textEvents('b', ['ha', 'ha'], 'delta')];
		expect(run(events)).toMatchObject({ answer: 'haha', streamed: `Let me look${MESSAGE_SEPARATOR}haha` });
	});

	test('2. second event extends the first: snapshot (delta would have meant "TheThere")', () => {
		expect(run(textEvents('m', ['The', 'There'], 'delta')).answer).toBe('There');
		const hinted = [...textEvents('a', ['x', 'y'], 'delta'), ...textEvents('b', ['The', 'There'], 'delta')];
		expect(run(hinted).answer).toBe('TheThere');
	});

	test('2b. a snapshot stream keeps the snapshot reading for the next message', () => {
		const events = [...textEvents('a', ['x', 'y'], 'snapshot'), ...textEvents('b', ['The', 're'], 'snapshot')];
		expect(run(events).answer).toBe('There');
	});

	test('3. second event is a prefix of the first: a trimmed snapshot', () => {
		const events = [event('m', 'response', [text('Hello\n')]), event('m', 'response', [text('Hello')])];
		const { answer, streamed } = run(events);
		expect(answer).toBe('Hello');
		expect(streamed).toBe('Hello\n'); // already streamed, not retracted
	});

	test('4. an empty first event gives no evidence; the next ones decide', () => {
		expect(run(textEvents('m', ['', 'The', 'There'], 'delta')).answer).toBe('There');
		expect(run(textEvents('m', ['', 'Hel', 'lo'], 'delta')).answer).toBe('Hello');
		expect(run(textEvents('m', ['', 'Hel', 'lo'], 'snapshot')).answer).toBe('Hello');
	});

	test('5. events without an id share one anonymous message per kind', () => {
		for (const style of ['snapshot', 'delta'] as const) {
			const events = textEvents('x', PIECES, style).map((e) => ({ ...e, id: undefined }));
			expect(run(events)).toMatchObject({ answer: FULL, streamed: FULL });
		}
	});

	test('a locked snapshot message treats a later non-extending event as a rewrite', () => {
		const events = [event('m', 'response', [text('a')]), event('m', 'response', [text('ab')]), event('m', 'response', [text('c')])];
		expect(run(events).answer).toBe('c');
	});

	test('a locked delta message appends even a piece that looks like a snapshot', () => {
		expect(run(textEvents('m', ['a', 'b', 'ab'], 'delta')).answer).toBe('abab');
	});
});

/**
 * Events that reach the quick path for delta text (one text piece for a message locked into delta
 * whose last part is text) next to events that just miss it: both must give what the rule says.
 */
describe('AnswerAssembler: delta text pieces of a locked message', () => {
	test('empty pieces add nothing; non-string content takes the general path and is appended as text', () => {
		const events = [...textEvents('m', ['a', 'b'], 'delta'), event('m', 'response', [text('')]), event('m', 'response', [text(42)]), event('m', 'response', [text('c')])];
		expect(run(events)).toMatchObject({ answer: 'ab42c', streamed: 'ab42c' });
	});

	test('numeric message ids and parts named by `kind` or `type` are the same message and kind', () => {
		const numeric = (content: string, key: string): Record<string, unknown> => ({ id: 7, chat_id: CHAT, model_message: { kind: 'response', parts: [{ [key]: 'text', content }] } });
		const events = [numeric('x', 'part_kind'), numeric('y', 'kind'), numeric('z', 'type')];
		expect(run(events)).toMatchObject({ answer: 'xyz', streamed: 'xyz' });
	});

	test('text after a thinking part starts a new text part; a thinking piece after text is not streamed', () => {
		const events = [
			event('m', 'response', [text('A')]),
			event('m', 'response', [text('B')]),
			event('m', 'response', [thinking('hmm')]),
			event('m', 'response', [text('C')]),
			event('m', 'response', [text('D')]),
		];
		const { answer, streamed } = run(events);
		expect({ answer, streamed }).toEqual({ answer: 'ABCD', streamed: 'ABCD' });
	});

	test('a piece of a message that is not on air is kept but not streamed; events without id take the general path', () => {
		const events = [
			...textEvents('first', ['Let ', 'me'], 'delta'),
			...textEvents('second', ['The ', 'answer'], 'delta'),
			event('first', 'response', [text(' late')]),
			event(undefined, 'response', [text('x')]),
			event(undefined, 'response', [text('y')]),
		];
		const a = new AnswerAssembler();
		const chunks = events.map((e) => a.add(e));
		expect(chunks.join('')).toBe(`Let me${MESSAGE_SEPARATOR}The answer${MESSAGE_SEPARATOR}xy`);
		expect(a.result().answer).toBe('xy');
	});

	test('a piece whose event says `request` moves the message to the requests: it stops being the answer', () => {
		const events = [...textEvents('m', ['a', 'b'], 'delta'), event('m', 'request', [text('c')])];
		const a = new AnswerAssembler();
		const streamed = events.map((e) => a.add(e)).join('');
		expect(streamed).toBe('ab');
		// The message of the last response event is still the answer, with the piece appended.
		expect(a.result().answer).toBe('abc');
	});

	test('two parts in one event take the general path and continue the text', () => {
		const events = [...textEvents('m', ['a', 'b'], 'delta'), event('m', 'response', [text('c'), text('d')])];
		expect(run(events)).toMatchObject({ answer: 'abcd', streamed: 'abcd' });
	});
});

describe('AnswerAssembler: several response messages', () => {
	test.each(['snapshot', 'delta'] as const)(
		'%s: interim text A, tool call, final message B → answer B, stream A + separator + B',
		(style) => {
			const a = ['Let me ', 'look that up.'];
			const b = ['The answer ', 'is 42.'];
			const events = [
				event('u', 'request', [{ part_kind: 'user-prompt', content: 'q' }]),
				...textEvents('A', a, style),
				event('T', 'response', [toolCall('c1', {})]),
				event('R', 'request', [toolReturn('c1', 'ok')]),
				...textEvents('B', b, style),
			];
			const { answer, streamed } = run(events);
			expect(answer).toBe('The answer is 42.');
			expect(streamed).toBe(`Let me look that up.${MESSAGE_SEPARATOR}The answer is 42.`);
			expect(streamed.endsWith(answer)).toBe(true);
		},
	);

	test('text and a tool call in one message, then the final message', () => {
		const events = [
			event('A', 'response', [text('Checking…')]),
			event('A', 'response', [text('Checking… '), toolCall('c1', {})]),
			event('R', 'request', [toolReturn('c1', 'ok')]),
			event('B', 'response', [text('Done: 42')]),
		];
		const { answer, streamed } = run(events);
		expect(answer).toBe('Done: 42');
		expect(streamed).toBe(`Checking… ${MESSAGE_SEPARATOR}Done: 42`);
	});

	test('an older message that grows after a newer one went on air is not streamed', () => {
		const events = [
			...textEvents('A', ['a1', 'a2'], 'snapshot'),
			...textEvents('B', ['b1', 'b2'], 'snapshot'),
			event('A', 'response', [text('a1a2a3')]),
		];
		const { answer, streamed } = run(events);
		expect(streamed).toBe(`a1a2${MESSAGE_SEPARATOR}b1b2`);
		// The last response event belongs to A, so A is the answer (§4.3 step 3).
		expect(answer).toBe('a1a2a3');
	});

	test('request messages (prompts, tool returns) are never streamed', () => {
		const a = new AnswerAssembler();
		expect(a.add(event('u', 'request', [{ part_kind: 'user-prompt', content: 'hello' }]))).toBe('');
		expect(a.add(event('r', 'request', [toolReturn('c', 'result text')]))).toBe('');
		expect(a.add(event('x', 'request', [text('text in a request')]))).toBe('');
	});
});

describe('AnswerAssembler: tools, approvals, assets, fallback', () => {
	test('a pending approval: status pending_approval, the call is marked', () => {
		const a = new AnswerAssembler();
		a.add(event('u', 'request', [{ part_kind: 'user-prompt', content: 'please approve' }]));
		a.add(event('T', 'response', [toolCall('c1', { sql: 'DELETE' }, { pending_approval: true })]));
		const result = a.result();
		expect(result.status).toBe('pending_approval');
		expect(result.toolCalls).toEqual([{ id: 'c1', name: 'sql_execution_tool', args: { sql: 'DELETE' }, pendingApproval: true }]);
		expect(result.answer).toBe('');
	});

	test('a tool return for the pending call completes it', () => {
		const a = new AnswerAssembler();
		a.add(event('T', 'response', [toolCall('c1', {}, { pending_approval: true })]));
		a.add(event('R', 'request', [toolReturn('c1', 'done')]));
		a.add(event('B', 'response', [text('ok')]));
		expect(a.result().status).toBe('completed');
		expect(a.result().toolCalls[0].pendingApproval).toBeUndefined();
	});

	test('no text: the answer falls back to the latest tool-return content', () => {
		const a = new AnswerAssembler();
		a.add(event('T', 'response', [toolCall('c1', {})]));
		a.add(event('R1', 'request', [toolReturn('c1', '{"first":1}')]));
		a.add(event('T2', 'response', [toolCall('c2', {})]));
		a.add(event('R2', 'request', [{ ...toolReturn('c2', { rows: [1] }), part_kind: 'builtin-tool-return' }]));
		const result = a.result();
		expect(result.answer).toBe('{"rows":[1]}');
		expect(result.toolResults).toEqual([
			{ id: 'c1', name: 'sql_execution_tool', content: { first: 1 } },
			{ id: 'c2', name: 'sql_execution_tool', content: { rows: [1] } },
		]);
	});

	test('a string tool-return content is the fallback as is', () => {
		const a = new AnswerAssembler();
		a.add(event('R', 'request', [toolReturn('c1', 'plain result')]));
		expect(a.result().answer).toBe('plain result');
		expect(a.result().toolResults[0].content).toBe('plain result');
	});

	test('tool calls, results and assets are de-duplicated by id in first-seen order, latest version wins', () => {
		const a = new AnswerAssembler();
		a.add(event('T', 'response', [toolCall('c2', { v: 1 }), toolCall('c1', { v: 1 })]));
		a.add(event('T', 'response', [toolCall('c2', { v: 2 }), toolCall('c1', { v: 2 })]));
		a.add(event('R', 'request', [toolReturn('c2', 'x', [{ kind: 'sql', id: 'a2' }, { kind: 'chart', id: 'a1' }])]));
		a.add(event('R2', 'request', [toolReturn('c1', 'y', [{ kind: 'sql', id: 'a2' }, { kind: 'sql', id: 'a3' }, { id: 7 }, null, 'x'])]));
		const result = a.result();
		expect(result.toolCalls.map((c) => [c.id, c.args])).toEqual([
			['c2', { v: 2 }],
			['c1', { v: 2 }],
		]);
		expect(result.toolResults.map((r) => r.id)).toEqual(['c2', 'c1']);
		expect(result.assets).toEqual([
			{ kind: 'sql', id: 'a2' },
			{ kind: 'chart', id: 'a1' },
			{ kind: 'sql', id: 'a3' },
			{ kind: 'unknown', id: '7' },
		]);
	});

	test('args that are not JSON stay as they are; missing args become {}', () => {
		const a = new AnswerAssembler();
		a.add(event('T', 'response', [toolCall('c1', 'not json'), toolCall('c2', undefined), toolCall('c3', '[1,2]')]));
		expect(a.result().toolCalls.map((c) => c.args)).toEqual(['not json', {}, [1, 2]]);
	});

	test('chatId and agentId come from the first event that has them', () => {
		const a = new AnswerAssembler();
		a.add({ model_message: { kind: 'request', parts: [] } });
		a.add({ id: 'm', chat_id: 'chat-1', agent_id: 'agent-1', model_message: { kind: 'response', parts: [text('x')] } });
		a.add({ id: 'm', chat_id: 'chat-2', model_message: { kind: 'response', parts: [text('xy')] } });
		expect(a.result()).toMatchObject({ chatId: 'chat-1', agentId: 'agent-1', answer: 'xy' });
	});
});

describe('AnswerAssembler: events option, partial answers, robustness', () => {
	test('includeEvents keeps at most maxEvents raw events and flags the cut', () => {
		const events = textEvents('m', ['a', 'b', 'c'], 'delta');
		const kept = new AnswerAssembler({ includeEvents: true, maxEvents: 2 });
		events.forEach((e) => kept.add(e));
		expect(kept.result().events).toEqual(events.slice(0, 2));
		expect(kept.result().eventsTruncated).toBe(true);
		const all = new AnswerAssembler({ includeEvents: true });
		events.forEach((e) => all.add(e));
		expect(all.result()).toMatchObject({ events, eventsTruncated: false });
		const none = new AnswerAssembler();
		events.forEach((e) => none.add(e));
		expect(none.result()).not.toHaveProperty('events');
		expect(none.result()).not.toHaveProperty('eventsTruncated');
	});

	test('result() mid-stream gives the answer so far', () => {
		const a = new AnswerAssembler();
		const events = textEvents('m', PIECES, 'snapshot');
		a.add(events[0]);
		a.add(events[1]);
		expect(a.result().answer).toBe(PIECES[0] + PIECES[1]);
		a.add(events[2]);
		a.add(events[3]);
		expect(a.result().answer).toBe(FULL);
	});

	test('never throws on malformed input', () => {
		// Room for every event: the two 5 MiB tool args take 10 MiB of memory each.
		const a = new AnswerAssembler({ includeEvents: true, maxEventsBytes: 64 * 1024 * 1024 });
		const huge = 'x'.repeat(5 * 1024 * 1024);
		const junk: unknown[] = [
			null,
			undefined,
			42,
			'text',
			[],
			[1, 2],
			{},
			{ model_message: null },
			{ model_message: 'x' },
			{ id: {}, model_message: { kind: 'response', parts: 'not an array' } },
			{ id: 'p', model_message: { kind: 'response', parts: [null, 1, 'x', [], {}, { part_kind: 5 }] } },
			{ id: 'q', model_message: { kind: 'weird', parts: [{ part_kind: 'mystery', content: 1 }] } },
			{ id: 'r', model_message: { parts: [{ part_kind: 'text', content: { nested: true } }] } },
			{ id: 's', model_message: { kind: 'response', parts: [{ part_kind: 'tool-call', args: huge }] } },
			{ id: 's', model_message: { kind: 'response', parts: [{ part_kind: 'tool-call', args: `{${huge}` }] } },
			{ id: 't', model_message: { kind: 'request', parts: [{ part_kind: 'tool-return', metadata: { id: 1 } }] } },
			{ id: 'u', model_message: { kind: 'response', parts: [text(null), text(12), text(undefined)] } },
		];
		for (const item of junk) expect(() => a.add(item)).not.toThrow();
		const result = a.result();
		expect(result.answer).toBe('12');
		expect(result.events).toHaveLength(junk.length);
		// The text part with an object content (kind inferred as response) is read as JSON.
		const b = new AnswerAssembler();
		b.add({ id: 'r', model_message: { parts: [{ part_kind: 'text', content: { nested: true } }] } });
		expect(b.result().answer).toBe('{"nested":true}');
	});
});

describe('parseJsonAnswer', () => {
	test.each([
		['{"answer": "x", "turn": 1}', { answer: 'x', turn: 1 }],
		['  [1, 2]\n', [1, 2]],
		['```json\n{"a": 1}\n```', { a: 1 }],
		['```\n[true]\n```', [true]],
		['"a string"', undefined],
		['42', undefined],
		['null', undefined],
		['{broken', undefined],
		['plain text', undefined],
		['```python\n{"a": 1}\n```', undefined],
		['', undefined],
	])('%j → %j', (input, expected) => {
		expect(parseJsonAnswer(input)).toEqual(expected);
	});

	test('a non-string gives undefined', () => {
		expect(parseJsonAnswer(undefined as unknown as string)).toBeUndefined();
	});
});
