import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { isUuid, refProblem } from '../shared/agentStudio/identifiers';
import { invalid, jsonObject, positiveSeconds, wholeNumber } from '../shared/parameters';
import { DEFAULTS } from './description';
import { toolRef } from './toolRef';

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

export function readRunToolInput(ctx: IExecuteFunctions, itemIndex: number): RunToolInput {
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
