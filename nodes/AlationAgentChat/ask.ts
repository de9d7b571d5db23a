import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { runEventStream } from '../shared/agentStudio/eventStreamRun';
import type { StreamContext, StreamRequest } from '../shared/agentStudio/eventStreamRun';
import { refProblem } from '../shared/agentStudio/identifiers';
import { AttemptsExhaustedError } from '../shared/agentStudio/streamErrors';
import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import type { StreamItemScope } from '../shared/agentStudio/streamNodeError';
import { outputForModel } from '../shared/agentStudio/toolOutput';
import { alationCredentialType } from '../shared/alationAuthentication';
import { HttpStatusError } from '../shared/http/errors';
import { runPerItem } from '../shared/items';
import { parseJsonAnswer } from '../shared/json';
import { invalid, jsonObject, optionalText, positiveSeconds, wholeNumber } from '../shared/parameters';
import { CredentialSession } from '../shared/session';
import type { AssembledAnswer } from '../shared/sse/assembler';
import { AGENT_WORDING } from './agentErrors';
import { agentStreamUrl } from './agentRef';
import { downloadAssets } from './assets';
import { ChatLocks } from './chatLocks';
import { chatMemory, sessionLockName } from './chatMemory';
import { chatSessionOf } from './chatSession';
import { DEFAULTS } from './description';

/*
 * The Ask Agent operation: for each item, read its input (`readAgentChatInput`), run the agent on the
 * shared event-stream run (`runAgentChat`) — in a Chat Trigger's workflow inside the chat session's
 * Alation chat (`runInChatSession`) — and output the answer, streaming it to n8n's chat when the
 * execution streams. (Get Messages is getMessages.ts.)
 */

/**
 * Every item, in order (Continue On Fail: failed items as error items). As an AI Agent's tool a failed
 * call is returned to the agent as the tool's output (toolOutput.ts).
 */
export async function ask(ctx: IExecuteFunctions, asTool: boolean): Promise<INodeExecutionData[]> {
	const concurrency = readConcurrency(ctx);
	// Older n8n versions have no streaming helpers. As a tool the node never streams: its answer is
	// for the AI Agent's model, and the chat gets the AI Agent's own answer (n8n streams that).
	const streaming = !asTool && typeof ctx.isStreaming === 'function' && ctx.isStreaming();
	const locks = new ChatLocks();
	const node = ctx.getNode();

	const toError = (error: unknown, scope: StreamItemScope) => streamNodeError(error, scope, node, AGENT_WORDING);
	// In a streaming chat every item is one message: opened by the handler, closed with 'end' on
	// success and with 'error' + 'end' on any failure, so the chat never waits for a message that died.
	// As a tool the AI Agent gets the error as the tool's output and the execution may well succeed:
	// n8n's log is where an operator sees that a tool call failed (messages carry no secret).
	const onFailure = (failure: Error, scope: StreamItemScope) => {
		if (streaming) {
			ctx.sendChunk('error', scope.itemIndex, failure.message);
			ctx.sendChunk('end', scope.itemIndex);
		}
		if (asTool) ctx.logger.warn(`Alation Agent Chat "${node.name}" failed as an AI Agent tool: ${failure.message}`, { itemIndex: scope.itemIndex });
	};

	const items = await runPerItem<StreamItemScope>(
		ctx,
		async (scope) => {
			const { itemIndex } = scope;
			if (streaming) ctx.sendChunk('begin', itemIndex);
			const input = readAgentChatInput(ctx, itemIndex, { asTool });
			scope.idleTimeoutMs = input.idleTimeoutMs;
			const session = await CredentialSession.open(ctx, alationCredentialType(ctx, itemIndex), itemIndex);
			scope.session = session;
			const run = { ctx, session, input, itemIndex, streaming };
			const output = await runInChatSession(run, asTool, locks);
			if (streaming) ctx.sendChunk('end', itemIndex);
			return output;
		},
		toError,
		{ concurrency, errorsAsOutput: asTool, onFailure },
	);
	if (!asTool) return items;
	const full = (ctx.getNodeParameter('options', 0, {}) as { toolResult?: string }).toolResult === 'full';
	return full ? items : items.map((item) => outputForModel(item, ['answer', 'chatId', 'status'], 'answer'));
}

/**
 * Runs the item; in a Chat Trigger's workflow with Chat ID empty, inside the n8n chat session's
 * Alation chat (chatMemory.ts), so a follow-up keeps its context. Items of one session run one after
 * another (a chat answers 409 to a second run at once), recall and remember included. A remembered
 * chat Alation no longer knows — a 404 to the message itself, before anything ran — is forgotten and
 * the message starts a new chat; a 404 after the answer (an asset download) is just an error.
 */
async function runInChatSession(run: RunContext, asTool: boolean, locks: ChatLocks): Promise<INodeExecutionData> {
	const { ctx, input, itemIndex } = run;
	const key = !asTool && input.chatId === undefined && input.continueChatSession ? chatSessionOf(ctx, itemIndex, input.agent) : undefined;
	if (!key) return await locks.run(input.chatId, async () => await runAgentChat(run));
	return await locks.run(sessionLockName(key), async () => {
		// The credential's secret keys the MAC of the session's chat in the fleet's Redis (chatMemory.ts).
		const secret = run.session.grant;
		const remembered = await chatMemory.recall(key, secret);
		const inChat = (chatId: string | undefined): RunContext => ({ ...run, input: { ...input, chatId } satisfies AgentChatInput });
		let output: INodeExecutionData;
		if (remembered === undefined) {
			output = await runAgentChat(run);
		} else {
			const result = await runAgentChat(inChat(remembered)).then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			);
			if ('value' in result) {
				output = result.value;
			} else if (isUnknownChat(result.error)) {
				await chatMemory.forget(key);
				output = await runAgentChat(run);
			} else {
				throw result.error;
			}
		}
		const chatId = output.json.chatId;
		if (typeof chatId === 'string' && chatId !== '') await chatMemory.remember(key, chatId, secret);
		return output;
	});
}

/** A 404 to the message itself (the POST that opens the stream, after any retries): Alation does not know the chat. */
function isUnknownChat(error: unknown): boolean {
	const inner = error instanceof AttemptsExhaustedError ? error.last : error;
	return inner instanceof HttpStatusError && inner.status === 404 && inner.target.startsWith('POST ') && inner.target.endsWith('/stream');
}

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
interface ReadOptions {
	asTool?: boolean;
}

function readAgentChatInput(ctx: IExecuteFunctions, itemIndex: number, { asTool = false }: ReadOptions = {}): AgentChatInput {
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
function readConcurrency(ctx: IExecuteFunctions): number {
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const value = options.concurrency === undefined ? DEFAULTS.concurrency : Number(options.concurrency);
	if (!Number.isInteger(value) || value < 1 || value > 20) {
		throw new NodeOperationError(ctx.getNode(), 'Concurrency must be a whole number from 1 to 20', {
			description: `Got ${JSON.stringify(options.concurrency)}. The default is ${DEFAULTS.concurrency}.`,
		});
	}
	return value;
}

interface RunContext extends StreamContext {
	input: AgentChatInput;
}

/**
 * One agent run for one item, on the shared event-stream run (shared/agentStudio/eventStreamRun.ts):
 * the request from the item's input, and the output item from the answer (with the agent's files
 * when Download Assets is on). `ask` opens and closes the chat message around this.
 */
async function runAgentChat(run: RunContext): Promise<INodeExecutionData> {
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
