import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { runEventStream } from '../shared/agentStudio/eventStreamRun';
import type { StreamContext, StreamRequest } from '../shared/agentStudio/eventStreamRun';
import { parseJsonAnswer } from '../shared/json';
import type { AssembledAnswer } from '../shared/sse/assembler';
import { agentStreamUrl } from './agentRef';
import { downloadAssets } from './assets';
import type { AgentChatInput } from './chatRequest';

/**
 * One agent run for one item, on the shared event-stream run (shared/agentStudio/eventStreamRun.ts):
 * the request from the item's input, and the output item from the answer (with the agent's files
 * when Download Assets is on). The node opens and closes the chat message around this.
 */

export interface RunContext extends StreamContext {
	input: AgentChatInput;
}

export async function runAgentChat(run: RunContext): Promise<INodeExecutionData> {
	const { session, input, itemIndex } = run;
	const started = Date.now();
	const request: StreamRequest = {
		url: agentStreamUrl(session.baseUrl, input.agent, input.chatId),
		body: input.body,
		timeoutMs: input.timeoutMs,
		idleTimeoutMs: input.idleTimeoutMs,
		maxRetries: input.maxRetries,
		includeEvents: input.includeEvents,
		maxAnswerBytes: input.maxAnswerBytes,
		subject: 'agent',
		partialData: (partial) => partialData(partial, input),
	};
	return await runEventStream(run, request, async ({ answer, skippedEvents, signal }) => {
		const json = outputJson(answer, input, Date.now() - started);
		// Events that were not JSON are skipped; in a stream of deltas a skipped event is missing text, so say so.
		if (skippedEvents > 0) json.skippedEvents = skippedEvents;
		const binary = input.downloadAssets && answer.assets.length > 0 ? await downloadAssets(run, answer, json, signal) : undefined;
		return binary ? { json, binary, pairedItem: { item: itemIndex } } : { json, pairedItem: { item: itemIndex } };
	});
}

function partialData(partial: AssembledAnswer, input: AgentChatInput): IDataObject {
	return {
		partialAnswer: partial.answer,
		chatId: partial.chatId ?? input.chatId ?? null,
		agent: input.agent,
	};
}

function outputJson(answer: AssembledAnswer, input: AgentChatInput, durationMs: number): IDataObject {
	const parsed = input.parseJsonAnswer ? parseJsonAnswer(answer.answer) : undefined;
	const json: IDataObject = {
		answer: parsed !== undefined ? (parsed as IDataObject) : answer.answer,
		chatId: answer.chatId ?? input.chatId ?? null,
		agent: input.agent,
		agentName: input.agentName,
		status: answer.status,
		toolCalls: answer.toolCalls.map((c) => ({ id: c.id, name: c.name, args: c.args as IDataObject, ...(c.pendingApproval ? { pendingApproval: true } : {}) })),
		toolResults: answer.toolResults.map((r) => ({ id: r.id, name: r.name, content: r.content as IDataObject })),
		assets: answer.assets.map((a) => ({ kind: a.kind, id: a.id })),
	};
	if (input.includeEvents) {
		json.events = (answer.events ?? []) as IDataObject[];
		json.eventsTruncated = answer.eventsTruncated === true;
	}
	json.durationMs = durationMs;
	return json;
}
