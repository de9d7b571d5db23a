import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { safeStringify } from '../json';

/**
 * Whether the node runs as an AI Agent's tool. n8n gives a node with `usableAsTool` a second type,
 * its name + 'Tool' (alationAgentChat → alationAgentChatTool), so the node's own name is compared:
 * Run Tool's name ends in 'Tool' already. As a tool a failed item goes back to the agent as the
 * tool's output, so it can react, instead of failing the whole workflow.
 *
 * @param name  the node's `description.name`
 */
export function runsAsTool(ctx: IExecuteFunctions, name: string): boolean {
	return ctx.getNode().type.split('.').pop() === `${name}Tool`;
}

/** What a model gets of one long value (an agent's answer, a tool's result), in characters. */
export const TOOL_OUTPUT_CHARS = 20_000;

/**
 * What an AI Agent's model gets back from an Alation node running as its tool. The model needs the
 * answer (or result) and the chatId for a follow-up, not the agent's own tool calls, results, assets
 * and timings: those would fill its context window and cost tokens on every later turn. The long
 * value is cut at TOOL_OUTPUT_CHARS, and the model is told. A failure keeps its message and hint
 * (what the model can act on) and the chatId if there was one.
 *
 * @param fields  the output fields the model gets, in order
 * @param long    the one of them that may be long
 */
export function outputForModel(item: INodeExecutionData, fields: readonly string[], long: string): INodeExecutionData {
	const json = item.json;
	if (typeof json.error === 'string') {
		const details = (json.details ?? {}) as IDataObject;
		const failed: IDataObject = { error: json.error };
		if (typeof details.description === 'string') failed.hint = details.description;
		if (typeof details.chatId === 'string') failed.chatId = details.chatId;
		return { json: failed, pairedItem: item.pairedItem };
	}
	const compact: IDataObject = {};
	for (const field of fields) compact[field] = json[field] ?? null;
	const value = json[long];
	const text = typeof value === 'string' ? value : safeStringify(value ?? null);
	if (text.length > TOOL_OUTPUT_CHARS) {
		compact[long] = text.slice(0, TOOL_OUTPUT_CHARS);
		compact[`${long}Truncated`] = `The ${long} had ${text.length} characters; the first ${TOOL_OUTPUT_CHARS} are given. Ask a narrower question for the rest.`;
	}
	return { json: compact, pairedItem: item.pairedItem };
}
