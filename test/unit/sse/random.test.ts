/**
 * Random transcripts, random chunking: ≥ 10,000 seeded cases. Each case builds an Alation-like
 * stream (echo, optional interim text, optional tool calls, final answer — all in snapshot or
 * delta style), frames it with random SSE features (CR / LF / CRLF line ends, multi-line data,
 * `event:` / `id:` / `retry:` lines, pings, non-JSON data, a BOM, [DONE] or not), splits the
 * bytes into random chunks of 1..64 bytes, and checks that
 *   - the reader's events equal the events that were encoded (and those of the unsplit bytes),
 *   - the assembled answer equals the final text, and the streamed chunks concatenate to the
 *     interim text + "\n\n" + the final text (or just the final text).
 * On a failure the seed is reported; rerun one case with SSE_RANDOM_SEED=<seed>.
 */
import { AnswerAssembler, MESSAGE_SEPARATOR } from '../../../nodes/shared/sse/assembler';
import { fromChunks, mulberry32, readAll } from './helpers';
import type { ReadEvent } from './helpers';

const CASES = 10_000;

type Rng = () => number;
type Style = 'snapshot' | 'delta';

const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** Tokens a text is made of; pieces are cut between tokens, so a character is never cut in two. */
const TOKENS = [
	'the', ' ', 'answer', 'revenue', 'Q3', ',', '.', ' ', 'Café', 'é', '→', '📊', '€1.2M', '中文', 'ñ',
	'e\u0301', '\n', '"', '\\', '\t', '|', '---', '👩‍💻', '{', '}', '[', 'data:', ': ping', '[DONE]', 'x', 'y', 'z',
];

function randomTokens(rng: Rng, min: number, max: number): string[] {
	return Array.from({ length: int(rng, min, max) }, () => pick(rng, TOKENS));
}

/** Cuts the tokens into `count` non-empty pieces (fewer if there are fewer tokens). */
function cutIntoPieces(rng: Rng, tokens: string[], count: number): string[] {
	const cuts = new Set<number>();
	const wanted = Math.min(count, tokens.length) - 1;
	while (cuts.size < wanted) cuts.add(int(rng, 1, tokens.length - 1));
	const sorted = [...cuts].sort((a, b) => a - b);
	const pieces: string[] = [];
	let start = 0;
	for (const cut of [...sorted, tokens.length]) {
		pieces.push(tokens.slice(start, cut).join(''));
		start = cut;
	}
	return pieces;
}

/**
 * Pieces of one message's text. In delta style the second piece must not be ambiguous with the
 * first (equal, extending it or a prefix of it): those cases are decided by a documented rule and
 * tested on their own in assembler.test.ts.
 */
function textPieces(rng: Rng, style: Style): string[] {
	for (;;) {
		const pieces = cutIntoPieces(rng, randomTokens(rng, 1, 30), int(rng, 1, 6));
		if (style === 'snapshot' || pieces.length < 2) return pieces;
		const [a, b] = pieces;
		if (!b.startsWith(a) && !a.startsWith(b)) return pieces;
	}
}

interface Generated {
	events: object[];
	/** Index of the first event of the final answer message. */
	finalStart: number;
	answer: string;
	streamed: string;
	toolCallIds: string[];
}

function generateEvents(rng: Rng): Generated {
	const style: Style = rng() < 0.5 ? 'snapshot' : 'delta';
	const chat = `chat-${int(rng, 1, 1e6)}`;
	const agent = 'agent-1';
	const events: object[] = [];
	let n = 0;
	const newId = (): string => `msg-${++n}`;
	const push = (id: string, kind: 'request' | 'response', parts: object[], extra: object = {}): void => {
		events.push({ id, chat_id: chat, agent_id: agent, ...extra, model_message: { kind, parts } });
	};
	/** One text message, optionally starting with a thinking part. */
	const textMessage = (pieces: string[]): void => {
		const id = newId();
		const thought = rng() < 0.2 ? randomTokens(rng, 1, 5).join('') : undefined;
		let soFar = '';
		pieces.forEach((piece, index) => {
			soFar += piece;
			const content = style === 'delta' ? piece : soFar;
			const parts: object[] = [];
			// Snapshot: the thinking part leads every event; delta: only the first.
			if (thought !== undefined && (style === 'snapshot' || index === 0)) parts.push({ part_kind: 'thinking', content: thought });
			parts.push({ part_kind: 'text', content });
			push(id, 'response', parts);
			// Snapshot streams sometimes resend the same snapshot.
			if (style === 'snapshot' && rng() < 0.1) push(id, 'response', parts);
		});
	};

	const prompt = randomTokens(rng, 1, 8).join('');
	push(newId(), 'request', [{ part_kind: 'user-prompt', content: prompt }], { input_payload: { message: prompt } });

	let interim = '';
	if (rng() < 0.3) {
		const pieces = textPieces(rng, style);
		interim = pieces.join('');
		textMessage(pieces);
	}
	const toolCallIds: string[] = [];
	const tools = int(rng, 0, 2);
	for (let t = 0; t < tools; t++) {
		const callId = `call_${t}_${int(rng, 1, 1e6)}`;
		toolCallIds.push(callId);
		const args = rng() < 0.5 ? { sql: randomTokens(rng, 1, 6).join('') } : JSON.stringify({ sql: 'SELECT 1' });
		push(newId(), 'response', [{ part_kind: 'tool-call', tool_name: 'sql_execution_tool', args, tool_call_id: callId }]);
		push(newId(), 'request', [
			{
				part_kind: 'tool-return',
				tool_name: 'sql_execution_tool',
				tool_call_id: callId,
				content: JSON.stringify({ rows: [[1, randomTokens(rng, 1, 3).join('')]] }),
				metadata: [{ kind: 'sql', id: `asset-${t}` }],
			},
		]);
	}
	const pieces = textPieces(rng, style);
	const answer = pieces.join('');
	const finalStart = events.length;
	textMessage(pieces);
	return { events, finalStart, answer, streamed: interim === '' ? answer : interim + MESSAGE_SEPARATOR + answer, toolCallIds };
}

interface Framed {
	bytes: Buffer;
	/** What the reader must deliver, in order. */
	expected: ReadEvent[];
	done: boolean;
}

/** Writes the events as SSE with random framing. */
function frame(rng: Rng, events: object[]): Framed {
	let out = rng() < 0.1 ? '\ufeff' : '';
	/** Appends one line. A blank line right after a lone CR must not be a lone LF: CR LF is one line end. */
	const line = (content: string): void => {
		const afterCr = content === '' && out.endsWith('\r');
		out += content + (afterCr ? pick(rng, ['\r\n', '\r']) : pick(rng, ['\n', '\r\n', '\r']));
	};
	const expected: ReadEvent[] = [];
	const noise = (): void => {
		const r = rng();
		if (r < 0.15) {
			line(': ping');
			line('');
		} else if (r < 0.2) {
			line(`data: not json ${int(rng, 0, 99)}`);
			line('');
		} else if (r < 0.23) {
			line('retry: 1000');
		} else if (r < 0.26) {
			line(''); // a stray blank line
		}
	};
	for (const event of events) {
		noise();
		const record: ReadEvent = { json: event, data: '' };
		if (rng() < 0.2) {
			record.event = pick(rng, ['message', 'update']);
			line(`event: ${record.event}`);
		}
		if (rng() < 0.2) {
			record.id = String(int(rng, 1, 999));
			line(`id:${record.id}`);
		}
		// Multi-line data: pretty-printed JSON, one `data:` line per line.
		const lines = rng() < 0.25 ? JSON.stringify(event, null, 1).split('\n') : [JSON.stringify(event)];
		for (const text of lines) {
			// `data:value` and `data: value` are the same unless the value itself starts with a space.
			line((text.startsWith(' ') || rng() < 0.5 ? 'data: ' : 'data:') + text);
		}
		record.data = lines.join('\n');
		line('');
		expected.push(record);
	}
	noise();
	const done = rng() < 0.9;
	if (done) {
		line('data: [DONE]');
		line('');
		if (rng() < 0.3) {
			line('data: {"after":"done"}');
			line('');
		}
	}
	return { bytes: Buffer.from(out, 'utf8'), expected, done };
}

function randomChunks(rng: Rng, bytes: Buffer): Buffer[] {
	const chunks: Buffer[] = [];
	for (let i = 0; i < bytes.length; ) {
		const size = int(rng, 1, 64);
		chunks.push(bytes.subarray(i, i + size));
		i += size;
	}
	return chunks;
}

interface Failure {
	seed: number;
	reason: string;
}

async function runCase(seed: number): Promise<Failure | undefined> {
	const rng = mulberry32(seed);
	const generated = generateEvents(rng);
	const framed = frame(rng, generated.events);
	const expectedEvents = JSON.stringify(framed.expected);

	const whole = await readAll(fromChunks([framed.bytes]));
	if (JSON.stringify(whole.events) !== expectedEvents) return { seed, reason: 'unsplit events differ' };

	const split = await readAll(fromChunks(randomChunks(rng, framed.bytes)));
	if (JSON.stringify(split.events) !== expectedEvents) return { seed, reason: 'split events differ' };
	if (split.stats.done !== framed.done) return { seed, reason: `done=${String(split.stats.done)}` };

	const assembler = new AnswerAssembler();
	let streamed = '';
	const checkPartial = !generated.streamed.includes(MESSAGE_SEPARATOR);
	for (const [index, event] of split.events.entries()) {
		streamed += assembler.add(event.json);
		// (I2) for a cut stream: what was streamed so far is the partial answer.
		if (checkPartial && index >= generated.finalStart && assembler.result().answer !== streamed) {
			return { seed, reason: `partial answer ≠ streamed after event ${index}` };
		}
	}
	const result = assembler.result();
	if (result.answer !== generated.answer) return { seed, reason: `answer ${JSON.stringify(result.answer)} ≠ ${JSON.stringify(generated.answer)}` };
	if (streamed !== generated.streamed) return { seed, reason: `streamed ${JSON.stringify(streamed)} ≠ ${JSON.stringify(generated.streamed)}` };
	if (!streamed.endsWith(result.answer)) return { seed, reason: 'stream does not end with the answer' };
	if (JSON.stringify(result.toolCalls.map((c) => c.id)) !== JSON.stringify(generated.toolCallIds)) return { seed, reason: 'tool calls' };
	if (result.toolResults.length !== generated.toolCallIds.length || result.assets.length !== generated.toolCallIds.length) {
		return { seed, reason: 'tool results or assets' };
	}
	return undefined;
}

describe('random transcripts in random chunks', () => {
	const only = Number(process.env.SSE_RANDOM_SEED);

	test(`${CASES} seeded cases: reader events and assembled answers are chunking-independent`, async () => {
		const seeds = Number.isInteger(only) ? [only] : Array.from({ length: CASES }, (_, i) => 0x5eed0000 + i);
		const failures: Failure[] = [];
		let bytes = 0;
		const started = performance.now();
		for (const seed of seeds) {
			const failure = await runCase(seed);
			if (failure !== undefined) failures.push(failure);
			if (failures.length >= 5) break;
		}
		for (const seed of seeds.slice(0, 200)) bytes += frame(mulberry32(seed), generateEvents(mulberry32(seed)).events).bytes.length;
		const seconds = (performance.now() - started) / 1000;
		// A figure for the report; not an assertion.
		console.log(`${seeds.length} random cases in ${seconds.toFixed(1)} s (≈${Math.round(bytes / 200)} bytes per transcript)`);
		expect(failures).toEqual([]);
	});
});
