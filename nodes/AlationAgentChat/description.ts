import type { INodeProperties } from 'n8n-workflow';

import { idleTimeoutOption, includeEventsOption, maxRetriesOption } from '../shared/agentStudio/streamOptions';
import { TOOL_OUTPUT_CHARS } from '../shared/agentStudio/toolOutput';
import { DEFAULT_MAX_ANSWER_BYTES } from '../shared/sse/assembler';

/** Defaults of the options collection; the node reads them from here too, so docs and code agree. */
export const DEFAULTS = {
	timeout: 600,
	idleTimeout: 120,
	maxRetries: 2,
	concurrency: 1,
	maxAssets: 20,
	maxAssetBytes: 100 * 1024 * 1024,
	maxAnswerBytes: DEFAULT_MAX_ANSWER_BYTES,
} as const;

export const agentChatProperties: INodeProperties[] = [
	{
		displayName: 'Agent',
		name: 'agent',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The Agent Studio agent to ask',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select an agent…',
				typeOptions: { searchListMethod: 'searchAgents', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. catalog_search_agent, or a custom agent\'s UUID',
				hint: "A built-in agent's ref (e.g. catalog_search_agent) or a custom agent's UUID",
				// No `validation` regex here: n8n runs it with a 250 ms limit before the node, and on a busy
				// worker it timed out and failed the execution (1 in 650 under load). The node checks the
				// value itself (ask.ts) and says what to type.
			},
		],
	},
	{
		displayName: 'Message',
		name: 'message',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'e.g. Find me sales related tables',
		description: 'What to ask the agent',
	},
	{
		displayName: 'Chat ID',
		name: 'chatId',
		type: 'string',
		default: '',
		placeholder: 'e.g. {{ $json.chatId }}',
		description:
			'To continue a conversation, the chatId output by an earlier run. Leave empty to start a new chat.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Auth ID',
				name: 'authId',
				type: 'string',
				default: '',
				description: 'Warehouse credential to use for SQL (auth_id). Leave empty to use the one configured for the OAuth client.',
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 20 },
				default: 1,
				description: 'How many items to run at the same time. Items with the same Chat ID never run at the same time.',
			},
			{
				displayName: 'Continue Chat Session',
				name: 'continueChatSession',
				type: 'boolean',
				default: true,
				description:
					"Whether, in a workflow started by a Chat Trigger and with Chat ID empty, to continue the Alation chat of the n8n chat session (its sessionId), so follow-ups keep their context. Off: every message starts a new Alation chat.",
			},
			{
				displayName: 'Data Product ID',
				name: 'dataProductId',
				type: 'string',
				default: '',
				description: 'Data product for SQL agents (data_product_id)',
			},
			{
				displayName: 'Download Assets',
				name: 'downloadAssets',
				type: 'boolean',
				default: false,
				description: 'Whether to download the files the agent produced (SQL results as CSV, charts as images) as binary data',
			},
			idleTimeoutOption('agent', DEFAULTS.idleTimeout),
			includeEventsOption(),
			{
				displayName: 'Input Payload',
				name: 'inputPayload',
				type: 'json',
				default: '{}',
				description: 'Extra fields for the agent, merged into the request body last (for custom agents with their own input schema)',
			},
			{
				displayName: 'Marketplace ID',
				name: 'marketplaceId',
				type: 'string',
				default: '',
				description: 'Marketplace for marketplace agents (marketplace_id)',
			},
			{
				displayName: 'Max Answer Bytes',
				name: 'maxAnswerBytes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 67108864,
				description: 'Memory one answer may take (default 64 MiB; text counts two bytes a character): its text, tool calls and tool results. A larger answer fails the item, with the part received so far in the error details.',
			},
			{
				displayName: 'Max Asset Bytes',
				name: 'maxAssetBytes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 104857600,
				displayOptions: { show: { downloadAssets: [true] } },
				description: 'With Download Assets: at most this many bytes of files per item (default 100 MiB); a file that does not fit is listed in assetsSkipped',
			},
			{
				displayName: 'Max Assets',
				name: 'maxAssets',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1000 },
				default: 20,
				displayOptions: { show: { downloadAssets: [true] } },
				description: 'With Download Assets: download at most this many files per item; the rest are listed in assetsSkipped',
			},
			maxRetriesOption('agent', 'answer', DEFAULTS.maxRetries),
			{
				displayName: 'Parse JSON Answer',
				name: 'parseJsonAnswer',
				type: 'boolean',
				default: false,
				description: 'Whether to decode an answer that is JSON into an object',
			},
			{
				displayName: 'Pre-Execution SQL',
				name: 'preExecSql',
				type: 'string',
				default: '',
				description: 'SQL to run before the agent\'s queries, e.g. to set a role or warehouse (pre_exec_sql)',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 600,
				description: 'Longest time one answer may take, from sending the message to the end of the answer',
			},
			{
				displayName: 'Tool Approvals',
				name: 'toolApprovals',
				type: 'json',
				default: '{}',
				description:
					'Answers to tool calls waiting for approval: {"&lt;tool call ID&gt;": true} to approve, false to reject. Use with the Chat ID of the waiting chat.',
			},
			{
				displayName: 'Tool Result',
				name: 'toolResult',
				type: 'options',
				options: [
					{
						name: 'Compact',
						value: 'compact',
						description: `The answer (at most ${TOOL_OUTPUT_CHARS.toLocaleString('en-US')} characters), chatId and status; on failure the error and its hint`,
					},
					{ name: 'Full Item', value: 'full', description: 'The whole output item: tool calls, tool results, assets, timings' },
				],
				default: 'compact',
				description: "Only when the node runs as an AI Agent's tool: what the model gets back",
			},
		],
	},
];
