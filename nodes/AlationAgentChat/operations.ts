import type { INodeProperties } from 'n8n-workflow';

import { agentChatProperties } from './description';
import { getMessagesProperties } from './getMessages';

/**
 * The node's operations. Kept apart from description.ts so that file stays as it is: Ask Agent's
 * parameters get `operation: ['ask']` added here. 'ask' is the default, so workflows saved before
 * the operation existed (no `operation` value) keep running Ask Agent unchanged.
 */
const operation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	default: 'ask',
	options: [
		{ name: 'Ask Agent', value: 'ask', action: 'Ask an agent', description: 'Send a message to an agent and get its answer' },
		{ name: 'Get Messages', value: 'getMessages', action: 'Get the messages of a chat', description: "Read a chat's history: one item per message" },
	],
};

function forAsk(property: INodeProperties): INodeProperties {
	const show = { ...property.displayOptions?.show, operation: ['ask'] };
	return { ...property, displayOptions: { ...property.displayOptions, show } };
}

export const agentChatNodeProperties: INodeProperties[] = [operation, ...agentChatProperties.map(forAsk), ...getMessagesProperties];
