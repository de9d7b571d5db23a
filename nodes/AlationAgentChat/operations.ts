import type { INodeProperties } from 'n8n-workflow';

import { agentChatProperties } from './description';
import { getMessagesProperties } from './getMessages';

/**
 * The node's operations. Kept apart from description.ts so that file stays as it is: Ask Agent's
 * parameters get `chatOperation: ['ask']` added here. 'ask' is the default, so workflows saved before
 * the operation existed (no value) keep running Ask Agent unchanged.
 *
 * Not named `operation`, on purpose: n8n gives the AI-tool variant of a node with a parameter named
 * `operation` (or `resource`) a "Tool Description: Set Automatically / Set Manually" switch whose
 * default hides `toolDescription` (n8n 2.41, tool-generation/ai-tools.js). Every Agent Chat tool saved
 * with its own description would lose it — the editor flags it as not shown, and the model would get
 * a generated one. Measured with examples 04 and 06 in the e2e suite.
 */
const operation: INodeProperties = {
	displayName: 'Operation',
	name: 'chatOperation',
	type: 'options',
	noDataExpression: true,
	default: 'ask',
	options: [
		{ name: 'Ask Agent', value: 'ask', action: 'Ask an agent', description: 'Send a message to an agent and get its answer' },
		{ name: 'Get Messages', value: 'getMessages', action: 'Get the messages of a chat', description: "Read a chat's history: one item per message" },
	],
};

function forAsk(property: INodeProperties): INodeProperties {
	const show = { ...property.displayOptions?.show, chatOperation: ['ask'] };
	return { ...property, displayOptions: { ...property.displayOptions, show } };
}

export const agentChatNodeProperties: INodeProperties[] = [operation, ...agentChatProperties.map(forAsk), ...getMessagesProperties];
