/**
 * Builds the node's answer from the messages the assembler holds.
 *
 * `answer` = the `text` parts of the message of the last `response` event, joined in order with no
 * separator. If that message has no text (for instance it only holds a tool call), the content of
 * the latest `tool-return` is used (as is when it is a string, else as JSON), as Alation's own
 * tools client does; else ''.
 *
 * Tool calls and results are listed once per tool call id (their latest version), in first-seen
 * order; a call with `pending_approval` and no result yet makes the status `pending_approval`.
 * Assets are the `{ kind, id }` entries of the tool returns' metadata, once per id.
 */

import { isRecord, parseJsonObject } from '../json';
import type { AssembledAnswer, Asset, ToolCall, ToolResult } from './answer';
import { idString, messageText, textOfContent, TOOL_RETURN } from './parts';
import type { MessageState, PartState } from './parts';

export interface HeldMessages {
	messages: Iterable<MessageState>;
	/** Message of the last `response` event. */
	lastResponse?: MessageState;
	/** Message whose latest event carried a tool return. */
	lastToolReturn?: MessageState;
	chatId?: string;
	agentId?: string;
}

export function buildAnswer(held: HeldMessages): AssembledAnswer {
	const calls = new Map<string, { part: PartState }>();
	const results = new Map<string, ToolResult>();
	const assets = new Map<string, Asset>();
	for (const message of held.messages) {
		message.parts.forEach((part, index) => {
			if (part.kind === 'tool-call') {
				calls.set(part.toolCallId ?? `${message.key}#${index}`, { part });
			} else if (TOOL_RETURN.has(part.kind)) {
				const id = part.toolCallId ?? `${message.key}#${index}`;
				results.set(id, { id, name: part.toolName ?? '', content: decodeJsonish(part.content) });
				collectAssets(part.metadata, assets);
			}
		});
	}
	let pending = false;
	const toolCalls: ToolCall[] = [];
	for (const [id, { part }] of calls) {
		const call: ToolCall = { id, name: part.toolName ?? '', args: decodeJsonish(part.args ?? {}) };
		if (part.pendingApproval === true && !results.has(id)) {
			call.pendingApproval = true;
			pending = true;
		}
		toolCalls.push(call);
	}

	const answer: AssembledAnswer = {
		answer: answerText(held),
		status: pending ? 'pending_approval' : 'completed',
		toolCalls,
		toolResults: [...results.values()],
		assets: [...assets.values()],
	};
	if (held.chatId !== undefined) answer.chatId = held.chatId;
	if (held.agentId !== undefined) answer.agentId = held.agentId;
	return answer;
}

function answerText({ lastResponse, lastToolReturn }: HeldMessages): string {
	const text = lastResponse !== undefined ? messageText(lastResponse) : '';
	if (text.length > 0 || lastToolReturn === undefined) return text;
	const parts = lastToolReturn.parts;
	for (let i = parts.length - 1; i >= 0; i--) {
		if (TOOL_RETURN.has(parts[i].kind)) return textOfContent(parts[i].content);
	}
	return '';
}

/** A JSON string holding an object or array is decoded; everything else is returned unchanged. */
function decodeJsonish(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	const decoded = parseJsonObject(value);
	return decoded === undefined ? value : decoded;
}

function collectAssets(metadata: unknown, into: Map<string, Asset>): void {
	if (!Array.isArray(metadata)) return;
	for (const entry of metadata as unknown[]) {
		if (!isRecord(entry)) continue;
		const id = idString(entry.id);
		if (id === undefined || into.has(id)) continue;
		into.set(id, { kind: typeof entry.kind === 'string' ? entry.kind : 'unknown', id });
	}
}
