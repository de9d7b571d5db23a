import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { refProblem } from '../shared/agentStudio/identifiers';
import { invalid, jsonObject, optionalText, positiveSeconds, wholeNumber } from '../shared/parameters';
import { DEFAULTS } from './description';

/** Everything one item asks for, read from the node's parameters and checked before any request. */
export interface AgentChatInput {
	/** A built-in agent's ref or a custom agent's UUID. */
	agent: string;
	/** The agent's display name when it was picked from the list (n8n keeps it with the value), else null. */
	agentName: string | null;
	chatId?: string;
	/** The request body: `{ message, data_product_id?, …, ...inputPayload }`. */
	body: IDataObject;
	includeEvents: boolean;
	parseJsonAnswer: boolean;
	downloadAssets: boolean;
	/** Bounds on Download Assets per item: how many files, how many bytes in all. */
	maxAssets: number;
	maxAssetBytes: number;
	/** Bound on the memory one run keeps of the answer, tool calls and results (shared/sse/retained.ts). */
	maxAnswerBytes: number;
	timeoutMs: number;
	idleTimeoutMs: number;
	maxRetries: number;
	/** In a Chat Trigger's workflow with Chat ID empty: continue the n8n chat session's Alation chat. */
	continueChatSession: boolean;
	/** As an AI Agent's tool: what the model gets back. */
	toolResult: 'compact' | 'full';
}

/**
 * What language models write when a tool parameter has nothing to say: n8n makes every `$fromAI`
 * parameter required, so a model asked for a Chat ID on a first question sends one of these.
 */
const PLACEHOLDER_CHAT_IDS = new Set(['null', 'undefined', 'none', 'nil', 'new', 'n/a', 'na', '-', 'empty', '""', "''"]);

/** As a tool the model wrote the Chat ID: the error speaks to it, in its parameter's name. */
const TOOL_CHAT_ID = {
	label: 'chatId',
	hint: 'Send the chatId (a UUID) from an earlier answer of this tool to continue that conversation, or an empty chatId to start a new one.',
};

/** Reading an item's input differs as an AI Agent's tool: the model, not a workflow builder, wrote it. */
export interface ReadOptions {
	asTool?: boolean;
}

export function readAgentChatInput(ctx: IExecuteFunctions, itemIndex: number, { asTool = false }: ReadOptions = {}): AgentChatInput {
	const agent = String(ctx.getNodeParameter('agent', itemIndex, '', { extractValue: true }) ?? '').trim();
	if (agent === '') {
		throw invalid(ctx, itemIndex, 'Agent is empty', "Choose an agent from the list, or type a built-in agent's ref (e.g. catalog_search_agent) or a custom agent's UUID.");
	}
	if (refProblem(agent) !== undefined) {
		throw invalid(ctx, itemIndex, `Agent "${agent.slice(0, 80)}" is not an agent ref or UUID`, "Type a built-in agent's ref such as catalog_search_agent, or a custom agent's UUID.");
	}

	const locator = ctx.getNodeParameter('agent', itemIndex, {}, { extractValue: false }) as { cachedResultName?: unknown };
	const listed = typeof locator?.cachedResultName === 'string' ? locator.cachedResultName.replace(/ \(custom\)$/, '').trim() : '';

	const rawMessage = ctx.getNodeParameter('message', itemIndex, '');
	const message = typeof rawMessage === 'string' ? rawMessage : rawMessage === undefined || rawMessage === null ? '' : JSON.stringify(rawMessage);
	if (message.trim() === '') {
		throw invalid(ctx, itemIndex, 'Message is empty', 'Type the question for the agent, or map it from an earlier node, e.g. {{ $json.question }}.');
	}

	const chatId = asTool
		? readChatId(ctx, itemIndex, TOOL_CHAT_ID, (text) => PLACEHOLDER_CHAT_IDS.has(text.toLowerCase()))
		: readChatId(ctx, itemIndex, { label: 'Chat ID', hint: 'Use the chatId (a UUID) output by an earlier Agent Chat run, e.g. {{ $json.chatId }}, or leave it empty to start a new chat.' });

	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = { message };
	const fields: Array<[string, string, string]> = [
		['dataProductId', 'data_product_id', 'Data Product ID'],
		['marketplaceId', 'marketplace_id', 'Marketplace ID'],
		['authId', 'auth_id', 'Auth ID'],
		['preExecSql', 'pre_exec_sql', 'Pre-Execution SQL'],
	];
	for (const [option, wire, label] of fields) {
		const value = optionalText(ctx, itemIndex, options[option], label);
		if (value !== undefined) body[wire] = value;
	}
	const toolApprovals = jsonObject(ctx, itemIndex, options.toolApprovals, 'Tool Approvals', '{"<tool call id>": true}');
	for (const [id, approved] of Object.entries(toolApprovals)) {
		if (typeof approved !== 'boolean') {
			throw invalid(ctx, itemIndex, `Tool Approvals: the value for "${id}" must be true or false`, 'Write it like {"<tool call id>": true} to approve, false to reject.');
		}
	}
	if (Object.keys(toolApprovals).length > 0) body.tool_approvals = toolApprovals;
	// Last, so a custom agent's own fields can set or override anything above.
	Object.assign(body, jsonObject(ctx, itemIndex, options.inputPayload, 'Input Payload', '{"region": "EMEA"}'));

	const maxRetries = wholeNumber(ctx, itemIndex, options.maxRetries, 'Max Retries', DEFAULTS.maxRetries, 10);

	return {
		agent,
		agentName: listed === '' ? null : listed,
		chatId,
		body,
		includeEvents: options.includeEvents === true,
		parseJsonAnswer: options.parseJsonAnswer === true,
		downloadAssets: options.downloadAssets === true,
		maxAssets: wholeNumber(ctx, itemIndex, options.maxAssets, 'Max Assets', DEFAULTS.maxAssets, 1000),
		maxAssetBytes: wholeNumber(ctx, itemIndex, options.maxAssetBytes, 'Max Asset Bytes', DEFAULTS.maxAssetBytes, Number.MAX_SAFE_INTEGER),
		maxAnswerBytes: wholeNumber(ctx, itemIndex, options.maxAnswerBytes, 'Max Answer Bytes', DEFAULTS.maxAnswerBytes, Number.MAX_SAFE_INTEGER),
		timeoutMs: positiveSeconds(ctx, itemIndex, options.timeout, 'Timeout', DEFAULTS.timeout),
		idleTimeoutMs: positiveSeconds(ctx, itemIndex, options.idleTimeout, 'Idle Timeout', DEFAULTS.idleTimeout),
		maxRetries,
		continueChatSession: options.continueChatSession !== false,
		toolResult: options.toolResult === 'full' ? 'full' : 'compact',
	};
}

/** Concurrency is one setting for the whole node run (read from the first item). */
export function readConcurrency(ctx: IExecuteFunctions): number {
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const value = options.concurrency === undefined ? DEFAULTS.concurrency : Number(options.concurrency);
	if (!Number.isInteger(value) || value < 1 || value > 20) {
		throw new NodeOperationError(ctx.getNode(), 'Concurrency must be a whole number from 1 to 20', {
			description: `Got ${JSON.stringify(options.concurrency)}. The default is ${DEFAULTS.concurrency}.`,
		});
	}
	return value;
}
