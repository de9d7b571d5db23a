import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { runPerItem } from '../shared/items';
import { CredentialSession } from '../shared/session';
import { agentChatError } from './agentChatError';
import { ChatLocks } from './chatLocks';
import { readAgentChatInput, readConcurrency } from './chatRequest';
import { agentChatProperties } from './description';
import { searchAgents } from './listAgents';
import { runAgentChat } from './runAgentChat';

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
		subtitle: '={{ $parameter["agent"].cachedResultName || $parameter["agent"].value }}',
		description:
			'Ask an Alation Agent Studio agent a question about your data catalog or data products and get its answer, tool calls and result files',
		defaults: { name: 'Alation Agent Chat' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'alationApi', required: true }],
		properties: agentChatProperties,
	};

	methods = { listSearch: { searchAgents } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const concurrency = readConcurrency(this);
		// Older n8n versions have no streaming helpers.
		const streaming = typeof this.isStreaming === 'function' && this.isStreaming();
		// As an AI Agent's tool the node's type is `<name>Tool`: a failed call is returned to the agent
		// as the tool's output, so it can react, instead of failing the whole workflow.
		const asTool = this.getNode().type.endsWith('Tool');
		const locks = new ChatLocks();
		const sessions = new Map<number, CredentialSession>();

		const items = await runPerItem(
			this,
			async (itemIndex) => {
				let input;
				let session;
				try {
					input = readAgentChatInput(this, itemIndex);
					session = await CredentialSession.open(this, 'alationApi', itemIndex);
					sessions.set(itemIndex, session);
				} catch (error) {
					const failure = agentChatError(error, { node: this.getNode(), itemIndex, secrets: session?.secrets ?? [] }, session);
					if (streaming) {
						// Even a run that fails before it starts closes its chat bubble.
						this.sendChunk('error', itemIndex, failure.message);
						this.sendChunk('end', itemIndex);
					}
					throw failure;
				}
				const run = { ctx: this, session, input, itemIndex, streaming };
				return await locks.run(input.chatId, async () => await runAgentChat(run));
			},
			(error, itemIndex) =>
				agentChatError(error, { node: this.getNode(), itemIndex, secrets: sessions.get(itemIndex)?.secrets ?? [] }, sessions.get(itemIndex)),
			{ concurrency, errorsAsOutput: asTool },
		);
		return [items];
	}
}
