import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import type { StreamItemScope } from '../shared/agentStudio/streamNodeError';
import { outputForModel, runsAsTool } from '../shared/agentStudio/toolOutput';
import { runPerItem } from '../shared/items';
import { alationAuthenticationProperty, alationCredentials, alationCredentialType } from '../shared/alationAuthentication';
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
		credentials: alationCredentials,
		properties: [alationAuthenticationProperty, ...runToolProperties],
	};

	methods = { listSearch: { searchTools } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// As an AI Agent's tool a failed run goes back to the agent as the tool's output, so it can
		// correct its input, instead of failing the whole workflow (toolOutput.ts).
		const asTool = runsAsTool(this, 'alationRunTool');
		const node = this.getNode();
		const toError = (error: unknown, scope: StreamItemScope) => streamNodeError(error, scope, node, TOOL_WORDING);
		// As with Agent Chat: the AI Agent gets the error and may succeed; n8n's log keeps the trace.
		const onFailure = (failure: Error, scope: StreamItemScope) => {
			if (asTool) this.logger.warn(`Alation Run Tool "${node.name}" failed as an AI Agent tool: ${failure.message}`, { itemIndex: scope.itemIndex });
		};
		const items = await runPerItem<StreamItemScope>(
			this,
			async (scope) => {
				const input = readRunToolInput(this, scope.itemIndex);
				scope.idleTimeoutMs = input.idleTimeoutMs;
				const session = await CredentialSession.open(this, alationCredentialType(this, scope.itemIndex), scope.itemIndex);
				scope.session = session;
				return await runTool({ ctx: this, session, input, itemIndex: scope.itemIndex, streaming: false });
			},
			toError,
			{ errorsAsOutput: asTool, onFailure },
		);
		// As a tool, the model gets the result (bounded), the tool, the chat and the status; see toolOutput.ts.
		return [asTool ? items.map((item) => outputForModel(item, ['result', 'tool', 'chatId', 'status'], 'result')) : items];
	}
}
