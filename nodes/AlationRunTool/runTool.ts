import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { runEventStream } from '../shared/agentStudio/eventStreamRun';
import type { StreamContext } from '../shared/agentStudio/eventStreamRun';
import { isUuid, refProblem } from '../shared/agentStudio/identifiers';
import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import type { StreamItemScope } from '../shared/agentStudio/streamNodeError';
import { outputForModel } from '../shared/agentStudio/toolOutput';
import { alationCredentialType } from '../shared/alationAuthentication';
import { runPerItem } from '../shared/items';
import { parseJsonAnswer } from '../shared/json';
import { invalid, jsonObject, positiveSeconds, wholeNumber } from '../shared/parameters';
import { CredentialSession } from '../shared/session';
import { DEFAULT_MAX_ANSWER_BYTES } from '../shared/sse/assembler';
import type { AssembledAnswer } from '../shared/sse/assembler';
import { DEFAULTS } from './description';
import { TOOL_WORDING } from './toolErrors';
import { toolRef, toolStreamUrl } from './toolRef';

/*
 * The node's one operation: run an Agent Studio tool for each item — read the item's input
 * (`readRunToolInput`), run the tool on the shared event-stream run (`runTool`), output its result.
 */

/**
 * Every item, in order (Continue On Fail: failed items as error items). As an AI Agent's tool a failed
 * run goes back to the agent as the tool's output, so it can correct its input, instead of failing the
 * whole workflow; the model gets the result (bounded), the tool, the chat and the status (toolOutput.ts).
 */
export async function runTools(ctx: IExecuteFunctions, asTool: boolean): Promise<INodeExecutionData[]> {
	const node = ctx.getNode();
	const toError = (error: unknown, scope: StreamItemScope) => streamNodeError(error, scope, node, TOOL_WORDING);
	// As with Agent Chat: the AI Agent gets the error and may succeed; n8n's log keeps the trace.
	const onFailure = (failure: Error, scope: StreamItemScope) => {
		if (asTool) ctx.logger.warn(`Alation Run Tool "${node.name}" failed as an AI Agent tool: ${failure.message}`, { itemIndex: scope.itemIndex });
	};
	const items = await runPerItem<StreamItemScope>(
		ctx,
		async (scope) => {
			const input = readRunToolInput(ctx, scope.itemIndex);
			scope.idleTimeoutMs = input.idleTimeoutMs;
			const session = await CredentialSession.open(ctx, alationCredentialType(ctx, scope.itemIndex), scope.itemIndex);
			scope.session = session;
			return await runTool({ ctx, session, input, itemIndex: scope.itemIndex, streaming: false });
		},
		toError,
		{ errorsAsOutput: asTool, onFailure },
	);
	return asTool ? items.map((item) => outputForModel(item, ['result', 'tool', 'chatId', 'status'], 'result')) : items;
}

/** Everything one item asks for, read from the node's parameters and checked before any request. */
export interface RunToolInput {
	/** A built-in tool's ref or a custom tool's UUID. */
	tool: string;
	/** The request body: the tool's arguments. */
	input: IDataObject;
	chatId?: string;
	includeEvents: boolean;
	parseJsonResult: boolean;
	timeoutMs: number;
	idleTimeoutMs: number;
	maxRetries: number;
}

function readRunToolInput(ctx: IExecuteFunctions, itemIndex: number): RunToolInput {
	const typed = String(ctx.getNodeParameter('tool', itemIndex, '', { extractValue: true }) ?? '').trim();
	const problem = refProblem(typed);
	if (problem !== undefined) {
		throw invalid(
			ctx,
			itemIndex,
			typed === '' ? 'Tool is empty' : `Tool "${typed.slice(0, 80)}" ${problem}`,
			"Choose a tool from the list, or type a built-in tool's ref (e.g. list_data_products_tool) or a custom tool's UUID.",
		);
	}
	const tool = isUuid(typed) ? typed.toLowerCase() : toolRef(typed);

	const input = jsonObject(ctx, itemIndex, ctx.getNodeParameter('toolInput', itemIndex, '{}'), 'Tool Input', '{"search_term": "sales", "limit": 5}');

	const chatId = readChatId(ctx, itemIndex, {
		label: 'Chat ID',
		hint: 'Use the chatId (a UUID) output by an earlier run, e.g. {{ $json.chatId }}, or leave it empty to start a new chat.',
	});

	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		tool,
		input,
		chatId,
		includeEvents: options.includeEvents === true,
		parseJsonResult: options.parseJsonResult !== false,
		timeoutMs: positiveSeconds(ctx, itemIndex, options.timeout, 'Timeout', DEFAULTS.timeout),
		idleTimeoutMs: positiveSeconds(ctx, itemIndex, options.idleTimeout, 'Idle Timeout', DEFAULTS.idleTimeout),
		maxRetries: wholeNumber(ctx, itemIndex, options.maxRetries, 'Max Retries', DEFAULTS.maxRetries, 10),
	};
}

interface RunToolContext extends StreamContext {
	input: RunToolInput;
}

/**
 * One tool run for one item, on Agent Chat's stream code (same reader, retries before the first
 * byte only, deadline, Stop, 401 recovery through the session, error mapping).
 */
async function runTool(run: RunToolContext): Promise<INodeExecutionData> {
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
