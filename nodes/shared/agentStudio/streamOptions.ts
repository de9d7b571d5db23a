import type { INodeProperties } from 'n8n-workflow';

/*
 * The options every Agent Studio stream run reads (shared/agentStudio/eventStreamRun.ts), as each
 * node's options collection shows them: the same field, default and bound, in the node's own words.
 * `subject` is who answers ("agent", "tool"), `run` what is never sent twice ("answer", "run").
 */

export function idleTimeoutOption(subject: string, seconds: number): INodeProperties {
	return {
		displayName: 'Idle Timeout (Seconds)',
		name: 'idleTimeout',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: seconds,
		description: `Give up when the ${subject} sends nothing (not even a keep-alive) for this long`,
	};
}

export function includeEventsOption(): INodeProperties {
	return {
		displayName: 'Include Events',
		name: 'includeEvents',
		type: 'boolean',
		default: false,
		description: 'Whether to add the raw stream events to the output (the first 1,000 at most, and at most 10 MiB of memory; eventsTruncated says when some were left out)',
	};
}

export function maxRetriesOption(subject: string, run: string, retries: number): INodeProperties {
	return {
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 10 },
		default: retries,
		description: `How often to retry when the server is busy (429, 502, 503, 504) or refuses the connection, before the ${subject} starts. A started ${run} is never sent twice.`,
	};
}
