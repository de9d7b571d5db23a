import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { runEventStream } from '../shared/agentStudio/eventStreamRun';
import type { StreamContext } from '../shared/agentStudio/eventStreamRun';
import { parseJsonAnswer } from '../shared/json';
import { DEFAULT_MAX_ANSWER_BYTES } from '../shared/sse/assembler';
import type { AssembledAnswer } from '../shared/sse/assembler';
import { toolStreamUrl } from './toolRef';
import type { RunToolInput } from './toolRequest';

export interface RunToolContext extends StreamContext {
	input: RunToolInput;
}

/**
 * One tool run for one item, on Agent Chat's stream code (same reader, retries before the first
 * byte only, deadline, Stop, 401 recovery through the session, error mapping).
 */
export async function runTool(run: RunToolContext): Promise<INodeExecutionData> {
	const { session, input, itemIndex } = run;
	const started = Date.now();
	const request = {
		url: toolStreamUrl(session.baseUrl, input.tool, input.chatId),
		body: input.input,
		timeoutMs: input.timeoutMs,
		idleTimeoutMs: input.idleTimeoutMs,
		maxRetries: input.maxRetries,
		includeEvents: input.includeEvents,
		// Agent Chat's default bound on what one run keeps in memory (a tool's result is one answer).
		maxAnswerBytes: DEFAULT_MAX_ANSWER_BYTES,
		subject: 'tool' as const,
		partialData: (partial: AssembledAnswer): IDataObject => ({ partialResult: partial.answer, chatId: partial.chatId ?? input.chatId ?? null, tool: input.tool }),
	};
	return await runEventStream(run, request, async ({ answer, skippedEvents }) => {
		const json: IDataObject = {
			result: toolResult(answer, input.parseJsonResult) as IDataObject,
			tool: input.tool,
			chatId: answer.chatId ?? input.chatId ?? null,
			status: answer.status,
		};
		if (input.includeEvents) {
			json.events = (answer.events ?? []) as IDataObject[];
			json.eventsTruncated = answer.eventsTruncated === true;
		}
		if (skippedEvents > 0) json.skippedEvents = skippedEvents;
		json.durationMs = Date.now() - started;
		return { json, pairedItem: { item: itemIndex } };
	});
}

/**
 * The result is the content of the last `tool-return`; without one, the text the stream ended
 * with (Alation's CLI reads a tool stream the same way: alation-plugins cli/clients/query.py
 * `_stream_tool_call`, where text stands in "in case there was an unrecoverable error").
 */
export function toolResult(answer: AssembledAnswer, parseJson: boolean): unknown {
	const last = answer.toolResults.at(-1);
	const content = last !== undefined && last.content !== undefined && last.content !== null ? last.content : answer.answer;
	// The assembler has already decoded a tool return holding JSON: without parsing, it is text again.
	if (typeof content !== 'string') return parseJson ? content : JSON.stringify(content);
	if (!parseJson) return content;
	const parsed = parseJsonAnswer(content);
	return parsed !== undefined ? parsed : content;
}
