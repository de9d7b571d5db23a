/**
 * Turns Alation agent events into the node's answer, and says what each event adds to the answer
 * streamed to the chat. The jobs are split: `parts.ts` (what is kept of a message), `merge.ts`
 * (snapshot or delta: the rule), `output.ts` (the answer built from the messages), this file (the
 * run: events in, streamed text out).
 *
 * ## What `add()` streams
 *
 * Only the text of `response` messages is streamed (no thinking, prompts, tool calls or returns):
 * the chat shows progress, including an interim "Let me look that up" before tool calls.
 * One response message at a time is "on air". The first response message that has text goes on
 * air; when a response message first seen later gets text, it goes on air instead, preceded by
 * "\n\n" (`MESSAGE_SEPARATOR`) if anything was streamed before, and older messages are not
 * streamed any more. For the message on air, `add()` returns its text beyond what was already
 * streamed of it.
 *
 * Invariants (tested, the random test checks I1–I3 on 10,000 streams):
 *   (I1) concat(add() results) = the texts of the messages that went on air, in that order, joined
 *        with "\n\n" — provided no snapshot rewrote text already streamed (rewrites are rare);
 *   (I2) so when the run has one response message with text and it is the last response message
 *        (the usual run, snapshot or delta), concat(add() results) === answer; likewise
 *        === result().answer after any event of that message (a stream cut in the middle);
 *   (I3) with interim text A ("Let me look that up"), tool calls, then the final message B:
 *        concat = A + "\n\n" + B while answer = B; the stream ends with the answer.
 * Not covered: a rewrite of already-streamed text is never retracted (streaming continues at the
 * same character offset of the new text); when the last response message has no text, the
 * answer is the fallback (see output.ts), none of which was streamed.
 *
 * Memory: per message only its latest parts (parts.ts) — never the earlier snapshots nor the
 * events, unless `includeEvents` asks for them. Both are bounded per run, in bytes of memory
 * (retained.ts says how they are counted): the kept events by `maxEventsBytes` (past it, events are
 * no longer kept and `eventsTruncated` says so; the answer goes on), everything else — text,
 * thinking, tool calls and results of every message — by `maxBytes` (past it, `add()` throws
 * `AnswerTooLargeError`: an answer or a tool result cut at an arbitrary point is not an answer, and
 * a scheduled job must not pass it on as one).
 */

import { isRecord } from '../json';
import type { AssembledAnswer } from './answer';
import { MessageMerger } from './merge';
import { buildAnswer } from './output';
import { idString, messageBytes, messageKindOf, messageText, messageTextLength, newMessage, normalizePart, partKind, TOOL_RETURN } from './parts';
import type { MessageState, PartState } from './parts';
import { retainedBytes, TEXT_UNIT_BYTES } from './retained';

export type { AssembledAnswer, Asset, ToolCall, ToolResult } from './answer';

export interface AssemblerOptions {
	/** Keep the raw events (the first `maxEvents`, at most `maxEventsBytes` of them). */
	includeEvents?: boolean;
	/** Memory the kept events may take (retained.ts); default 10 MiB: a few huge events must not be kept whole. */
	maxEventsBytes?: number;
	/** Default 1000. */
	maxEvents?: number;
	/** Memory the messages of one run may take (retained.ts); default `DEFAULT_MAX_ANSWER_BYTES`. */
	maxBytes?: number;
}

export const DEFAULT_MAX_EVENTS = 1000;
export const DEFAULT_MAX_EVENTS_BYTES = 10 * 1024 * 1024;
/**
 * 64 MiB: an answer of 32 M characters (text counts two bytes a character), four times the largest
 * realistic answer measured (bench/streaming.ts: 8.4 M characters in a 10.9 MB stream), with room
 * for its tool results; 40 messages of 4 MiB (160 MiB held) are refused.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** What one run keeps passed `maxBytes`: the run stops (see the top of this file). */
export class AnswerTooLargeError extends Error {
	readonly code = 'ANSWER_TOO_LARGE';

	constructor(readonly limitBytes: number) {
		super(`The agent's answer (its text, tool calls and tool results) needs more than ${formatBytes(limitBytes)} of memory`);
		this.name = 'AnswerTooLargeError';
	}
}

function formatBytes(bytes: number): string {
	const MiB = 1024 * 1024;
	return bytes >= MiB ? `${Math.round((bytes / MiB) * 10) / 10} MiB` : `${bytes} bytes`;
}

function limitOption(value: number | undefined, fallback: number): number {
	return typeof value === 'number' && value >= 0 ? value : fallback;
}

/** The slot an event takes in the kept events' array. */
const EVENT_SLOT_BYTES = 8;

/** Separator streamed before the text of a new response message. */
export const MESSAGE_SEPARATOR = '\n\n';

export class AnswerAssembler {
	private readonly includeEvents: boolean;
	private readonly maxEvents: number;
	private readonly maxEventsBytes: number;
	private keptEventBytes = 0;
	private readonly events: unknown[] = [];
	private eventsTruncated = false;
	private readonly maxBytes: number;
	/** The memory of every message held (the sum of their `bytes`). */
	private keptBytes = 0;

	private readonly messages = new Map<string, MessageState>();
	private readonly merger = new MessageMerger();
	private chatId?: string;
	private agentId?: string;
	/** Message of the last `response` event. */
	private lastResponse?: MessageState;
	/** Message whose latest event carried a tool return. */
	private lastToolReturn?: MessageState;

	/** The response message being streamed, and how many characters of its text were streamed. */
	private onAir?: MessageState;
	private streamed = 0;
	private streamedAnything = false;

	constructor(options: AssemblerOptions = {}) {
		this.includeEvents = options.includeEvents === true;
		const max = options.maxEvents;
		this.maxEvents = typeof max === 'number' && max >= 0 ? Math.floor(max) : DEFAULT_MAX_EVENTS;
		this.maxEventsBytes = limitOption(options.maxEventsBytes, DEFAULT_MAX_EVENTS_BYTES);
		this.maxBytes = limitOption(options.maxBytes, DEFAULT_MAX_ANSWER_BYTES);
	}

	/**
	 * Feeds one parsed event. Returns the answer text this event added, for live streaming
	 * (see the invariants at the top of this file); '' when it added none. Throws only
	 * `AnswerTooLargeError`, when what the run keeps passes `maxBytes` (by this event at most: the
	 * reader bounds one event).
	 */
	add(event: unknown, size = 0): string {
		if (this.includeEvents && !this.eventsTruncated) this.keepEvent(event, size);
		if (!isRecord(event)) return '';
		if (this.chatId === undefined) this.chatId = idString(event.chat_id);
		if (this.agentId === undefined) this.agentId = idString(event.agent_id);

		const modelMessage = event.model_message;
		if (!isRecord(modelMessage)) return '';
		const rawParts = Array.isArray(modelMessage.parts) ? (modelMessage.parts as unknown[]) : [];
		const quick = this.appendDeltaText(event.id, modelMessage.kind, rawParts);
		if (quick !== undefined) return quick;
		const parts: PartState[] = [];
		let hasTextLike = false;
		let hasToolReturn = false;
		for (const raw of rawParts) {
			const part = normalizePart(raw);
			if (part === undefined) continue;
			parts.push(part);
			if (part.text !== undefined) hasTextLike = true;
			else if (TOOL_RETURN.has(part.kind)) hasToolReturn = true;
		}

		const kind = messageKindOf(modelMessage.kind, parts);
		const key = idString(event.id) ?? `\u0000${kind}`;
		let message = this.messages.get(key);
		let appended: string | undefined;
		if (message === undefined) {
			message = newMessage(key, this.messages.size, kind, parts);
			this.messages.set(key, message);
			this.count(message.bytes);
		} else {
			message.kind = kind;
			appended = this.merger.merge(message, parts, hasTextLike);
			const bytes = messageBytes(message);
			const grown = bytes - message.bytes;
			message.bytes = bytes;
			this.count(grown);
		}
		if (kind === 'response') this.lastResponse = message;
		if (hasToolReturn) this.lastToolReturn = message;
		return kind === 'response' ? this.stream(message, appended) : '';
	}

	/**
	 * The common event of a delta stream, without the general path's allocations: one text piece
	 * for a message already locked into delta mode whose last part is text. Returns what the merge +
	 * `stream` would (assembler.test.ts pins the edges, the 10,000 random streams the rest), or
	 * undefined for any other event. Measured on a 10 MB stream of ~8,000 pieces (bench/streaming.ts):
	 * assembly went from ~1.25× to ~1.15× the time of parsing alone.
	 */
	private appendDeltaText(id: unknown, kindValue: unknown, rawParts: unknown[]): string | undefined {
		if (rawParts.length !== 1) return undefined;
		const raw = rawParts[0];
		if (!isRecord(raw) || typeof raw.content !== 'string') return undefined;
		if (partKind(raw) !== 'text') return undefined;
		const key = idString(id);
		if (key === undefined) return undefined;
		const message = this.messages.get(key);
		if (message === undefined || message.mode !== 'delta') return undefined;
		const last = message.parts[message.parts.length - 1];
		if (last === undefined || last.kind !== 'text' || last.text === undefined) return undefined;
		// As messageKindOf: an explicit kind wins, else a text part makes a response.
		const kind = kindValue === 'request' ? 'request' : 'response';
		message.kind = kind;
		const piece = raw.content;
		if (piece.length > 0) {
			last.text += piece;
			const grown = TEXT_UNIT_BYTES * piece.length;
			last.bytes += grown;
			message.bytes += grown;
			this.count(grown);
		}
		if (kind !== 'response') return '';
		this.lastResponse = message;
		return this.stream(message, piece);
	}

	/**
	 * Include Events: the first events, while they fit in count and memory. `size` is the event's
	 * data length as received (the reader knows it); the memory estimate is usually larger (parsed
	 * JSON costs more than its text), and the larger of the two is counted.
	 */
	private keepEvent(event: unknown, size: number): void {
		if (this.events.length < this.maxEvents) {
			const bytes = Math.max(size, retainedBytes(event)) + EVENT_SLOT_BYTES;
			if (this.keptEventBytes + bytes <= this.maxEventsBytes) {
				this.events.push(event);
				this.keptEventBytes += bytes;
				return;
			}
		}
		// After the first event that does not fit, none is kept: the events kept are a prefix of the stream.
		this.eventsTruncated = true;
	}

	private count(grown: number): void {
		this.keptBytes += grown;
		if (this.keptBytes > this.maxBytes) throw new AnswerTooLargeError(this.maxBytes);
	}

	/** The answer so far: at the end of the stream the answer, after a cut the partial answer. */
	result(): AssembledAnswer {
		const answer = buildAnswer({
			messages: this.messages.values(),
			lastResponse: this.lastResponse,
			lastToolReturn: this.lastToolReturn,
			chatId: this.chatId,
			agentId: this.agentId,
		});
		if (this.includeEvents) {
			answer.events = this.events.slice();
			answer.eventsTruncated = this.eventsTruncated;
		}
		return answer;
	}

	/** What this event adds to the streamed answer (see the top of this file). */
	private stream(message: MessageState, appended: string | undefined): string {
		if (message === this.onAir) {
			if (appended === '') return '';
			const before = this.streamed;
			if (appended !== undefined) {
				// Delta: the text grew by `appended`, at its end.
				const length = messageTextLength(message);
				if (length - appended.length === before) {
					this.streamed = length;
					return appended;
				}
			}
			const text = messageText(message);
			if (text.length <= before) return '';
			this.streamed = text.length;
			return text.slice(before);
		}
		if (this.onAir !== undefined && message.seq < this.onAir.seq) return '';
		const text = messageText(message);
		if (text.length === 0) return '';
		const prefix = this.streamedAnything ? MESSAGE_SEPARATOR : '';
		this.onAir = message;
		this.streamed = text.length;
		this.streamedAnything = true;
		return prefix + text;
	}
}
