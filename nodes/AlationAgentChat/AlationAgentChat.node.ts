import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { AttemptsExhaustedError } from '../shared/agentStudio/streamErrors';
import { HttpStatusError } from '../shared/http/errors';
import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import type { StreamItemScope } from '../shared/agentStudio/streamNodeError';
import { outputForModel, runsAsTool } from '../shared/agentStudio/toolOutput';
import { runPerItem } from '../shared/items';
import { CredentialSession } from '../shared/session';
import { AGENT_WORDING } from './agentErrors';
import { ChatLocks } from './chatLocks';
import { chatMemory, sessionLockName } from './chatMemory';
import { readAgentChatInput, readConcurrency } from './chatRequest';
import type { AgentChatInput } from './chatRequest';
import { chatSessionOf } from './chatSession';
import { getMessages } from './getMessages';
import { searchAgents } from './listAgents';
import { alationAuthenticationProperty, alationCredentials, alationCredentialType } from '../shared/alationAuthentication';
import { agentChatNodeProperties } from './operations';
import { runAgentChat } from './runAgentChat';
import type { RunContext } from './runAgentChat';

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
		if (this.getNodeParameter('chatOperation', 0, 'ask') === 'getMessages') return [await getMessages(this, asTool)];
		const concurrency = readConcurrency(this);
		// Older n8n versions have no streaming helpers. As a tool the node never streams: its answer is
		// for the AI Agent's model, and the chat gets the AI Agent's own answer (n8n streams that).
		const streaming = !asTool && typeof this.isStreaming === 'function' && this.isStreaming();
		const locks = new ChatLocks();
		const node = this.getNode();

		const toError = (error: unknown, scope: StreamItemScope) => streamNodeError(error, scope, node, AGENT_WORDING);
		// In a streaming chat every item is one message: opened by the handler, closed with 'end' on
		// success and with 'error' + 'end' on any failure, so the chat never waits for a message that died.
		// As a tool the AI Agent gets the error as the tool's output and the execution may well succeed:
		// n8n's log is where an operator sees that a tool call failed (messages carry no secret).
		const onFailure = (failure: Error, scope: StreamItemScope) => {
			if (streaming) {
				this.sendChunk('error', scope.itemIndex, failure.message);
				this.sendChunk('end', scope.itemIndex);
			}
			if (asTool) this.logger.warn(`Alation Agent Chat "${node.name}" failed as an AI Agent tool: ${failure.message}`, { itemIndex: scope.itemIndex });
		};

		const items = await runPerItem<StreamItemScope>(
			this,
			async (scope) => {
				const { itemIndex } = scope;
				if (streaming) this.sendChunk('begin', itemIndex);
				const input = readAgentChatInput(this, itemIndex, { asTool });
				scope.idleTimeoutMs = input.idleTimeoutMs;
				const session = await CredentialSession.open(this, alationCredentialType(this, itemIndex), itemIndex);
				scope.session = session;
				const run = { ctx: this, session, input, itemIndex, streaming };
				const output = await runInChatSession(run, asTool, locks);
				if (streaming) this.sendChunk('end', itemIndex);
				return output;
			},
			toError,
			{ concurrency, errorsAsOutput: asTool, onFailure },
		);
		if (!asTool) return [items];
		const full = (this.getNodeParameter('options', 0, {}) as { toolResult?: string }).toolResult === 'full';
		return [full ? items : items.map((item) => outputForModel(item, ['answer', 'chatId', 'status'], 'answer'))];
	}
}

/**
 * Runs the item; in a Chat Trigger's workflow with Chat ID empty, inside the n8n chat session's
 * Alation chat (chatMemory.ts), so a follow-up keeps its context. Items of one session run one after
 * another (a chat answers 409 to a second run at once), recall and remember included. A remembered
 * chat Alation no longer knows — a 404 to the message itself, before anything ran — is forgotten and
 * the message starts a new chat; a 404 after the answer (an asset download) is just an error.
 */
async function runInChatSession(run: RunContext, asTool: boolean, locks: ChatLocks): Promise<INodeExecutionData> {
	const { ctx, input, itemIndex } = run;
	const key = !asTool && input.chatId === undefined && input.continueChatSession ? chatSessionOf(ctx, itemIndex, input.agent) : undefined;
	if (!key) return await locks.run(input.chatId, async () => await runAgentChat(run));
	return await locks.run(sessionLockName(key), async () => {
		// The credential's secret keys the MAC of the session's chat in the fleet's Redis (chatMemory.ts).
		const secret = run.session.grant;
		const remembered = await chatMemory.recall(key, secret);
		const inChat = (chatId: string | undefined): RunContext => ({ ...run, input: { ...input, chatId } satisfies AgentChatInput });
		let output: INodeExecutionData;
		if (remembered === undefined) {
			output = await runAgentChat(run);
		} else {
			const result = await runAgentChat(inChat(remembered)).then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			);
			if ('value' in result) {
				output = result.value;
			} else if (isUnknownChat(result.error)) {
				await chatMemory.forget(key);
				output = await runAgentChat(run);
			} else {
				throw result.error;
			}
		}
		const chatId = output.json.chatId;
		if (typeof chatId === 'string' && chatId !== '') await chatMemory.remember(key, chatId, secret);
		return output;
	});
}

/** A 404 to the message itself (the POST that opens the stream, after any retries): Alation does not know the chat. */
function isUnknownChat(error: unknown): boolean {
	const inner = error instanceof AttemptsExhaustedError ? error.last : error;
	return inner instanceof HttpStatusError && inner.status === 404 && inner.target.startsWith('POST ') && inner.target.endsWith('/stream');
}
