import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import { carryItemData, runPerItem } from '../shared/items';
import { CredentialSession } from '../shared/session';
import { runToolProperties } from './description';
import { searchTools } from './listTools';
import { TOOL_WORDING } from './toolErrors';
import { readRunToolInput } from './toolRequest';
import { runTool } from './runTool';

/**
 * Runs one Alation Agent Studio tool (catalog context, data products, lineage, data quality, a
 * custom tool…) with the item's input and outputs its result.
 */
export class AlationRunTool implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alation Run Tool',
		name: 'alationRunTool',
		icon: { light: 'file:alation.svg', dark: 'file:alation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["tool"].cachedResultName || $parameter["tool"].value || $parameter["tool"] }}',
		description:
			'Run an Alation Agent Studio tool (catalog context, data products, lineage, data quality, custom tools) and get its result',
		defaults: { name: 'Alation Run Tool' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'alationApi', required: true }],
		properties: runToolProperties,
	};

	methods = { listSearch: { searchTools } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// As an AI Agent's tool the node's type is `<name>Tool`: a failed run goes back to the agent as
		// the tool's output, so it can correct its input, instead of failing the whole workflow. This
		// node's own name ends in 'Tool' already, so the whole name is compared.
		const asTool = this.getNode().type.split('.').pop() === 'alationRunToolTool';
		const node = this.getNode();
		const items = await runPerItem(
			this,
			async (itemIndex) => {
				let session: CredentialSession | undefined;
				let idleTimeoutMs: number | undefined;
				try {
					const input = readRunToolInput(this, itemIndex);
					idleTimeoutMs = input.idleTimeoutMs;
					session = await CredentialSession.open(this, 'alationApi', itemIndex);
					return await runTool({ ctx: this, session, input, itemIndex, streaming: false });
				} catch (error) {
					const context = { node, itemIndex, secrets: session?.secrets ?? [], headersTimeoutMs: idleTimeoutMs, bodyTimeoutMs: idleTimeoutMs };
					const failure = carryItemData(error, streamNodeError(error, context, TOOL_WORDING, session));
					// As with Agent Chat: the AI Agent gets the error and may succeed; n8n's log keeps the trace.
					if (asTool) this.logger.warn(`Alation Run Tool "${node.name}" failed as an AI Agent tool: ${failure.message}`, { itemIndex });
					throw failure;
				}
			},
			// Failures arrive already mapped (above); this only types the contract.
			(error, itemIndex) => streamNodeError(error, { node, itemIndex, secrets: [] }, TOOL_WORDING),
			{ errorsAsOutput: asTool },
		);
		return [items];
	}
}
