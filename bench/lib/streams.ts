/**
 * Agent answers for the benchmarks, as Server-Sent-Events bytes in Alation's shape: one response
 * message whose text grows (snapshot: every event carries the text so far) or comes in pieces
 * (delta). The text mixes ASCII with 2-, 3- and 4-byte UTF-8 characters, so decoding is exercised.
 */
import { createHash } from 'node:crypto';

export type Style = 'snapshot' | 'delta';

const CHAT_ID = '11111111-2222-4333-8444-555555555555';
const WORDS = ['Revenue', 'by', 'région', '→', 'Q3', 'grew', '12 %', 'in', 'EMEA', '📊', 'while', 'costs', 'fell;', 'naïve', 'forecasts', 'missed.', '中文', 'data'];

/** A deterministic text of exactly `length` UTF-16 code units (never ending inside a surrogate pair). */
export function answerOf(length: number): string {
	const parts: string[] = [];
	let size = 0;
	for (let i = 0; size < length + 16; i++) {
		const word = `${WORDS[(i * 7 + (i >> 3)) % WORDS.length]} `;
		parts.push(word);
		size += word.length;
	}
	let text = parts.join('').slice(0, length);
	const last = text.charCodeAt(text.length - 1);
	if (last >= 0xd800 && last <= 0xdbff) text = `${text.slice(0, -1)}.`;
	return text;
}

export function eventOf(content: string): string {
	return `data: ${JSON.stringify({ id: 'answer-1', chat_id: CHAT_ID, agent_id: 'bench-agent', model_message: { kind: 'response', parts: [{ part_kind: 'text', content }] } })}\n\n`;
}

export function echoEvent(message: string): string {
	return `data: ${JSON.stringify({ id: 'echo-1', chat_id: CHAT_ID, agent_id: 'bench-agent', input_payload: { message }, model_message: { kind: 'request', parts: [{ part_kind: 'user-prompt', content: message }] } })}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

export interface StreamPlan {
	style: Style;
	/** Events of the answer message. */
	events: number;
	/** Characters the text grows by per event. */
	piece: number;
	/** Final answer length in characters. */
	answerLength: number;
}

/**
 * A stream of about `totalBytes`: delta — pieces of `piece` characters until the stream is that big
 * (the answer is about as big as the stream); snapshot — `events` snapshots of a text growing by the
 * same amount each time (the stream is quadratic in the answer, so the answer is much smaller).
 */
export function planStream(style: Style, totalBytes: number, options: { piece?: number; events?: number } = {}): StreamPlan {
	if (style === 'delta') {
		const piece = options.piece ?? 1024;
		// ~1.1 bytes per character for this text, plus ~150 bytes of JSON around each piece.
		const events = Math.max(1, Math.round(totalBytes / (piece * 1.1 + 150)));
		return { style, events, piece, answerLength: events * piece };
	}
	const events = options.events ?? 160;
	// Σ k·piece·1.1 for k = 1..n ≈ 1.1·piece·n²/2.
	const piece = Math.max(1, Math.round((2 * totalBytes) / (1.1 * events * (events + 1))));
	return { style, events, piece, answerLength: events * piece };
}

/** Yields the stream's text event by event (nothing big is held but the answer itself). */
export function* streamEvents(plan: StreamPlan): Generator<string> {
	const text = answerOf(plan.answerLength);
	for (let k = 1; k <= plan.events; k++) {
		let start = (k - 1) * plan.piece;
		let end = k * plan.piece;
		// Keep surrogate pairs whole at piece edges.
		if (isLow(text.charCodeAt(start))) start += 1;
		if (isLow(text.charCodeAt(end))) end += 1;
		yield eventOf(plan.style === 'delta' ? text.slice(start, end) : text.slice(0, end));
	}
	yield DONE;
}

function isLow(code: number): boolean {
	return code >= 0xdc00 && code <= 0xdfff;
}

export function streamBytes(plan: StreamPlan): Buffer {
	const parts: Buffer[] = [];
	for (const event of streamEvents(plan)) parts.push(Buffer.from(event, 'utf8'));
	return Buffer.concat(parts);
}

export function sha256(text: string): string {
	return createHash('sha256').update(text).digest('hex');
}

/** The answer a correct reader assembles from `plan`. */
export function expectedAnswer(plan: StreamPlan): string {
	return answerOf(plan.answerLength);
}
