import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { runsAsTool } from '../shared/agentStudio/toolOutput';
import { alationAuthenticationProperty, alationCredentials } from '../shared/alationAuthentication';
import { ask } from './ask';
import { getMessages } from './getMessages';
import { searchAgents } from './listAgents';
import { agentChatNodeProperties } from './operations';

/**
 * Sends a message to an Alation Agent Studio agent, reads its Server-Sent-Events answer and
 * outputs the answer (streaming it to n8n's chat when the execution streams).
 */
export class AlationAgentChat implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alation Agent Chat',
		name: 'alationAgentChat',
		icon: { light: 'file:alation.svg', dark: 'file:alation.dark.svg' },
		group: ['transform'],
		version: 1,
		// In expressions a resource locator is its plain value (checked in n8n 2.41).
		// The name picked from the list (a custom agent's UUID means nothing on the canvas), else the ref.
		subtitle: '={{ $parameter["agent"].cachedResultName || $parameter["agent"].value || $parameter["agent"] }}',
		description:
			'Ask an Alation Agent Studio agent a question about your data catalog or data products and get its answer, tool calls and result files',
		defaults: { name: 'Alation Agent Chat' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: alationCredentials,
		properties: [alationAuthenticationProperty, ...agentChatNodeProperties],
	};

	methods = { listSearch: { searchAgents } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// As an AI Agent's tool a failed call is returned to the agent as the tool's output (toolOutput.ts).
		const asTool = runsAsTool(this, 'alationAgentChat');
		const operation = this.getNodeParameter('chatOperation', 0, 'ask');
		return [operation === 'getMessages' ? await getMessages(this, asTool) : await ask(this, asTool)];
	}
}
