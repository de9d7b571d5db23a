import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { isUuid } from '../shared/agentStudio/identifiers';
import { invalid, jsonObject, optionalText, positiveSeconds, wholeNumber } from '../shared/parameters';
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

/**
 * Checks a tool name before it becomes a URL path segment: '/' would change the path, and dots
 * alone ('.', '..') are path segments themselves — the URL would reach another endpoint.
 */
export function toolNameProblem(tool: string): string | undefined {
	if (tool === '') return 'is empty';
	if (!/^[A-Za-z0-9_.-]+$/.test(tool)) return 'may hold only letters, digits, "_", "-" and "."';
	if (/^\.+$/.test(tool)) return 'is not a name';
	return undefined;
}

export function readRunToolInput(ctx: IExecuteFunctions, itemIndex: number): RunToolInput {
	const typed = String(ctx.getNodeParameter('tool', itemIndex, '', { extractValue: true }) ?? '').trim();
	const problem = toolNameProblem(typed);
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

	const chatId = optionalText(ctx, itemIndex, ctx.getNodeParameter('chatId', itemIndex, ''), 'Chat ID');
	if (chatId !== undefined && !isUuid(chatId)) {
		throw invalid(
			ctx,
			itemIndex,
			`Chat ID "${chatId.slice(0, 80)}" is not a chat ID`,
			'Use the chatId (a UUID) output by an earlier run, e.g. {{ $json.chatId }}, or leave it empty to start a new chat.',
		);
	}

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
