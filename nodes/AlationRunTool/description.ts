import type { INodeProperties } from 'n8n-workflow';

import { idleTimeoutOption, includeEventsOption, maxRetriesOption } from '../shared/agentStudio/streamOptions';

/** Defaults of the options collection; the node reads them from here too, so docs and code agree. */
export const DEFAULTS = {
	timeout: 300,
	idleTimeout: 120,
	maxRetries: 2,
} as const;

export const runToolProperties: INodeProperties[] = [
	{
		displayName: 'Tool',
		name: 'tool',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The Agent Studio tool to run',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a tool…',
				typeOptions: { searchListMethod: 'searchTools', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: "e.g. list_data_products_tool, or a custom tool's UUID",
				hint: "A built-in tool's ref (e.g. alation_context_tool; the SDK's names such as alation_context work too) or a custom tool's UUID",
				// No `validation` regex: n8n runs it with a 250 ms limit (see Agent Chat); the node checks the value.
			},
		],
	},
	{
		displayName: 'Tool Input',
		name: 'toolInput',
		type: 'json',
		default: '{}',
		required: true,
		description: "The tool's arguments as a JSON object",
		hint: 'Picked from the list, each tool shows its inputs (required ones marked *). E.g. list_data_products_tool: {"search_term": "sales", "limit": 5}.',
	},
	{
		displayName: 'Chat ID',
		name: 'chatId',
		type: 'string',
		default: '',
		placeholder: 'e.g. {{ $json.chatId }}',
		description: 'Run the tool in an existing chat (the chatId of an earlier run). Leave empty to start a new chat.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			idleTimeoutOption('tool', DEFAULTS.idleTimeout),
			includeEventsOption(),
			maxRetriesOption('tool', 'run', DEFAULTS.maxRetries),
			{
				displayName: 'Parse JSON Result',
				name: 'parseJsonResult',
				type: 'boolean',
				default: true,
				description: 'Whether to decode a result that is JSON into an object (most tools return JSON)',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 300,
				description: 'Longest time one run may take, from sending the input to the end of the result',
			},
		],
	},
];
