import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { TOOL_ANSWER_CHARS } from './description';

/**
 * What an AI Agent's model gets back from Agent Chat as a tool (Tool Result: Compact). The model
 * needs the answer and the chatId to ask a follow-up, not the tool calls, results, assets and timings
 * of the agent's own work — those would fill its context window and cost tokens on every later turn.
 * A failure keeps its message and hint (what the model can act on) and the chatId if there was one.
 */
export function compactToolResult(item: INodeExecutionData): INodeExecutionData {
	const json = item.json;
	if (typeof json.error === 'string') {
		const details = (json.details ?? {}) as IDataObject;
		const failed: IDataObject = { error: json.error };
		if (typeof details.description === 'string') failed.hint = details.description;
		if (typeof details.chatId === 'string') failed.chatId = details.chatId;
		return { json: failed, pairedItem: item.pairedItem };
	}
	const compact: IDataObject = { answer: json.answer, chatId: json.chatId ?? null, status: json.status };
	const text = typeof json.answer === 'string' ? json.answer : JSON.stringify(json.answer ?? null);
	if (text.length > TOOL_ANSWER_CHARS) {
		compact.answer = text.slice(0, TOOL_ANSWER_CHARS);
		compact.answerTruncated = `The answer had ${text.length} characters; the first ${TOOL_ANSWER_CHARS} are given. Ask a narrower question for the rest.`;
	}
	return { json: compact, pairedItem: item.pairedItem };
}
