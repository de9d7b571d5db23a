import { createParser } from 'eventsource-parser';
import type { EventSourceMessage, ParseError } from 'eventsource-parser';

import { parseJson } from '../json';

/**
 * The one Server-Sent-Events reader every caller shares: bytes → one streaming UTF-8 decoder →
 * one eventsource-parser → JSON events, until `data: [DONE]`.
 *
 * What it guarantees:
 * - A multi-byte character split across chunks stays whole (one `TextDecoder`, `stream: true`);
 *   a UTF-8 BOM at the very start is dropped (the decoder does it, even when the BOM is split).
 *   Invalid UTF-8 becomes U+FFFD; it never throws.
 * - SSE framing is eventsource-parser's: LF, CRLF and CR-only line ends (also mixed, also split
 *   between chunks), several `data:` lines joined with `\n`, `event:`, `id:`, `: comments`
 *   (counted). Unknown fields and `retry:` are ignored.
 * - Each event's data: empty → ignored; `[DONE]` (trimmed) → reading stops at once (`done: true`),
 *   events after it are not delivered; valid JSON → `onEvent(json, raw)`, awaited when it returns
 *   a promise, strictly in order; anything else → skipped, counted in `skippedNonJson` and shown
 *   to `onNonJson` if given (a plain-text `event: error` must not vanish unseen).
 * - When the body ends, a last event that was not followed by its blank line is still dispatched
 *   (as line-based SSE clients such as Alation's Python SDK do). That is safe for JSON: a cut line
 *   does not parse and is only counted. A body that ends without `[DONE]` returns `done: false`;
 *   deciding that the stream was cut is the caller's business.
 * - Memory is bounded by `maxEventBytes`: the parser never buffers more than that many characters
 *   (plus a little slack), and a complete event whose data exceeds that many UTF-8 bytes is refused.
 *   Both raise `SseProtocolError` with code `EVENT_TOO_LARGE`.
 * - Errors of the body iterator (socket reset, abort, undici's body timeout) and errors thrown by
 *   `onEvent` propagate unchanged.
 *
 * Leaving early (on `[DONE]` or on an error) uses `for await`'s normal exit, which calls the
 * iterator's `return()`: for a Node.js Readable (undici's body) that destroys the stream without
 * waiting for the socket to close. The caller should still destroy or dump the body in a `finally`
 * (idempotent), since it owns it.
 */

export interface AgentStreamStats {
	/** Bytes received from the body (UTF-8 length for string chunks), including any after `[DONE]` in the same chunk. */
	bytes: number;
	/** SSE events dispatched by the parser (anything with a `data:` field), `[DONE]` and non-JSON ones included. */
	events: number;
	/** Events delivered to `onEvent`. */
	jsonEvents: number;
	/** Events whose data was neither empty, `[DONE]` nor JSON. */
	skippedNonJson: number;
	/** Comment lines such as `: ping`. */
	comments: number;
	/** The stream ended with `data: [DONE]`. */
	done: boolean;
}

export type SseProtocolErrorCode =
	/** One event (or one line, or the unfinished event being buffered) is larger than `maxEventBytes`. */
	| 'EVENT_TOO_LARGE'
	/** The body produced something that is neither bytes nor a string. */
	| 'INVALID_CHUNK';

export class SseProtocolError extends Error {
	readonly code: SseProtocolErrorCode;
	/** For `EVENT_TOO_LARGE`: the limit that was exceeded, in bytes. */
	readonly limitBytes?: number;

	constructor(code: SseProtocolErrorCode, message: string, limitBytes?: number) {
		super(message);
		this.name = 'SseProtocolError';
		this.code = code;
		if (limitBytes !== undefined) this.limitBytes = limitBytes;
	}
}

export interface RawSseEvent {
	event?: string;
	id?: string;
	data: string;
}

export interface ReadOptions {
	/** Each JSON data event, in order. A returned promise is awaited before the next event is handled. */
	onEvent: (json: unknown, raw: RawSseEvent) => void | Promise<void>;
	/**
	 * Each data event that is skipped because it is not JSON (for instance `event: error` with a
	 * plain-text message), so a caller can still act on it. Empty data and `[DONE]` do not count.
	 */
	onNonJson?: (raw: RawSseEvent) => void;
	/** Called for every chunk of bytes received (pings count): feed an idle timer with it. */
	onActivity?: () => void;
	/** Largest accepted event, in bytes of data. Default 8 MiB. */
	maxEventBytes?: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** Room for field names, line ends and a partial line on top of the event data itself. */
const PARSER_BUFFER_SLACK = 4096;
const STREAM = { stream: true } as const;
const DONE = '[DONE]';

function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
	if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
	return `${bytes} bytes`;
}

function tooLarge(limit: number): SseProtocolError {
	return new SseProtocolError(
		'EVENT_TOO_LARGE',
		`The agent stream sent an event larger than ${formatBytes(limit)}; reading stopped to bound memory.`,
		limit,
	);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Reads one agent event stream to its end or to `data: [DONE]`, whichever comes first.
 */
export async function readAgentStream(
	body: AsyncIterable<Uint8Array | Buffer | string>,
	options: ReadOptions,
): Promise<AgentStreamStats> {
	const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
	if (!(typeof maxEventBytes === 'number' && maxEventBytes >= 1 && Number.isFinite(maxEventBytes))) {
		throw new RangeError('maxEventBytes must be a positive number');
	}
	// Only events whose character count could mean more than `maxEventBytes` bytes get measured.
	const measureFrom = Math.floor(maxEventBytes / 3);
	const { onEvent, onActivity, onNonJson } = options;

	const stats: AgentStreamStats = { bytes: 0, events: 0, jsonEvents: 0, skippedNonJson: 0, comments: 0, done: false };
	const decoder = new TextDecoder('utf-8');
	/** Events the parser dispatched during the current `feed`, handled right after it. */
	const queue: EventSourceMessage[] = [];
	let position = 0;
	let overflow = false;
	let first = true;

	const parser = createParser({
		onEvent: (message) => {
			queue.push(message);
		},
		onComment: () => {
			stats.comments++;
		},
		onError: (error: ParseError) => {
			// 'unknown-field' and 'invalid-retry' are harmless; only the buffer limit matters.
			if (error.type === 'max-buffer-size-exceeded') overflow = true;
		},
		maxBufferSize: maxEventBytes + PARSER_BUFFER_SLACK,
	});

	/**
	 * Handles the queued events. Returns true once `[DONE]` is seen; returns a promise only when
	 * `onEvent` did (so the usual, synchronous path costs no extra tick).
	 */
	const drain = (): boolean | Promise<boolean> => {
		while (position < queue.length) {
			const message = queue[position++];
			stats.events++;
			const data = message.data;
			if (data.length === 0) continue;
			if (data.length > measureFrom && (data.length > maxEventBytes || Buffer.byteLength(data, 'utf8') > maxEventBytes)) {
				throw tooLarge(maxEventBytes);
			}
			if (data.length <= 32) {
				const trimmed = data === DONE ? data : data.trim();
				if (trimmed === DONE) {
					stats.done = true;
					queue.length = 0;
					position = 0;
					return true;
				}
				if (trimmed.length === 0) continue;
			}
			const json = parseJson(data);
			if (json === undefined) {
				stats.skippedNonJson++;
				if (onNonJson !== undefined) onNonJson(message);
				continue;
			}
			stats.jsonEvents++;
			const result = onEvent(json, message);
			if (isThenable(result)) return Promise.resolve(result).then(drain);
		}
		queue.length = 0;
		position = 0;
		return false;
	};

	const feed = (text: string): void => {
		// The parser refuses input once it overflowed; the caller throws right after.
		if (overflow) return;
		if (first) {
			if (text.length === 0) return;
			first = false;
			// String chunks bypass the decoder, which would otherwise drop the BOM.
			if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
		}
		if (text.length > 0) parser.feed(text);
	};

	for await (const chunk of body) {
		if (onActivity !== undefined) onActivity();
		if (typeof chunk === 'string') {
			stats.bytes += Buffer.byteLength(chunk, 'utf8');
			// A character left incomplete by an earlier byte chunk cannot be completed by text.
			const pending = decoder.decode();
			if (pending.length > 0) feed(pending);
			feed(chunk);
		} else if (chunk instanceof Uint8Array) {
			stats.bytes += chunk.byteLength;
			feed(decoder.decode(chunk, STREAM));
		} else {
			throw new SseProtocolError('INVALID_CHUNK', 'The agent stream body produced a chunk that is neither bytes nor text.');
		}
		if (queue.length > 0) {
			let stop = drain();
			if (stop !== true && stop !== false) stop = await stop;
			if (stop) return stats;
		}
		if (overflow) throw tooLarge(maxEventBytes);
	}

	// End of body: flush the decoder and dispatch a last event that lacks its blank line.
	feed(decoder.decode());
	if (!overflow) parser.feed('\n\n');
	let stop = drain();
	if (stop !== true && stop !== false) stop = await stop;
	if (!stop && overflow) throw tooLarge(maxEventBytes);
	return stats;
}
