/**
 * What the assembler keeps of an agent message: per message only its latest parts (text as one
 * string, tool fields by reference), never the earlier snapshots nor the events themselves.
 *
 * An event is `{ id, chat_id, agent_id, input_payload?, model_message: { kind, parts } }`; `id` is
 * the message id.
 */

import { isRecord, safeStringify } from '../json';
import { retainedBytes, textBytes } from './retained';

export type Mode = 'unknown' | 'snapshot' | 'delta';

/** What we keep of one part: only the fields we use, never the whole event. */
export interface PartState {
	kind: string;
	/** `text` and `thinking`: the content as a string. */
	text?: string;
	toolCallId?: string;
	toolName?: string;
	args?: unknown;
	pendingApproval?: boolean;
	content?: unknown;
	metadata?: unknown;
	/** The memory this part holds (retained.ts): kept current by every change to the part. */
	bytes: number;
}

export interface MessageState {
	key: string;
	/** First-seen order. */
	seq: number;
	kind: 'request' | 'response';
	parts: PartState[];
	mode: Mode;
	/** The memory this message holds: its parts, and itself (`MESSAGE_BYTES` and its key). */
	bytes: number;
}

/** A message's own memory: its state object, its entry in the assembler's map, its parts array. */
const MESSAGE_BYTES = 160;

export function newMessage(key: string, seq: number, kind: 'request' | 'response', parts: PartState[]): MessageState {
	const message: MessageState = { key, seq, kind, parts, mode: 'unknown', bytes: 0 };
	message.bytes = messageBytes(message);
	return message;
}

/** What a message holds now, in bytes. */
export function messageBytes(message: MessageState): number {
	let bytes = MESSAGE_BYTES + textBytes(message.key);
	for (const part of message.parts) bytes += part.bytes;
	return bytes;
}

/** What a part holds, counted from its fields (after a change other than appended text). */
export function partBytes(part: PartState): number {
	if (part.text !== undefined) return textBytes(part.text);
	return retainedBytes(part.args) + retainedBytes(part.content) + retainedBytes(part.metadata) + (part.toolName === undefined ? 0 : textBytes(part.toolName));
}

export const TEXT_LIKE = new Set(['text', 'thinking']);
export const TOOL_RETURN = new Set(['tool-return', 'builtin-tool-return']);

/** Message, chat, agent, tool call and asset ids: a non-empty string, or a number as text. */
export function idString(value: unknown): string | undefined {
	if (typeof value === 'string') return value.length > 0 ? value : undefined;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return undefined;
}

export function textOfContent(value: unknown): string {
	if (typeof value === 'string') return value;
	if (value === undefined || value === null) return '';
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	return safeStringify(value);
}

/** The part's kind: Alation writes `part_kind`; `kind` and `type` are accepted too. */
export function partKind(raw: Record<string, unknown>): unknown {
	return raw.part_kind ?? raw.kind ?? raw.type;
}

export function normalizePart(raw: unknown): PartState | undefined {
	if (!isRecord(raw)) return undefined;
	const kindValue = partKind(raw);
	if (typeof kindValue !== 'string') return undefined;
	const kind = kindValue;
	let part: PartState;
	if (TEXT_LIKE.has(kind)) {
		part = { kind, text: textOfContent(raw.content), bytes: 0 };
	} else if (kind === 'tool-call') {
		part = { kind, toolCallId: idString(raw.tool_call_id), args: raw.args, bytes: 0 };
		if (typeof raw.tool_name === 'string') part.toolName = raw.tool_name;
		if (typeof raw.pending_approval === 'boolean') part.pendingApproval = raw.pending_approval;
	} else if (TOOL_RETURN.has(kind)) {
		part = { kind, toolCallId: idString(raw.tool_call_id), content: raw.content, metadata: raw.metadata, bytes: 0 };
		if (typeof raw.tool_name === 'string') part.toolName = raw.tool_name;
	} else {
		// user-prompt, system-prompt, retry-prompt, unknown kinds: the kind is all we need.
		return { kind, bytes: 0 };
	}
	part.bytes = partBytes(part);
	return part;
}

/** An explicit kind wins, else a text, thinking or tool-call part makes a response. */
export function messageKindOf(value: unknown, parts: PartState[]): 'request' | 'response' {
	if (value === 'request' || value === 'response') return value;
	for (const part of parts) {
		if (part.kind === 'text' || part.kind === 'thinking' || part.kind === 'tool-call') return 'response';
	}
	return 'request';
}

export function messageText(message: MessageState): string {
	let text: string | undefined;
	let many: string[] | undefined;
	for (const part of message.parts) {
		if (part.kind !== 'text' || !part.text) continue;
		if (text === undefined) text = part.text;
		else (many ??= [text]).push(part.text);
	}
	if (many !== undefined) return many.join('');
	return text ?? '';
}

export function messageTextLength(message: MessageState): number {
	let length = 0;
	for (const part of message.parts) if (part.kind === 'text' && part.text) length += part.text.length;
	return length;
}
