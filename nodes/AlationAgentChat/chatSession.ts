import type { IExecuteFunctions } from 'n8n-workflow';

import type { SessionKey } from './chatMemory';

/** n8n's Chat Trigger (the hosted chat, the editor's chat, embedded chat widgets). */
const CHAT_TRIGGER_TYPES = new Set(['@n8n/n8n-nodes-langchain.chatTrigger', '@n8n/n8n-nodes-langchain.manualChatTrigger']);

/**
 * The n8n chat session an item belongs to, when the node runs downstream of a Chat Trigger and gets
 * one item: a chat message. The trigger gives every message of a session the same `sessionId`.
 *
 * Undefined anywhere else — scheduled jobs, manual runs, a node running as an AI Agent's tool — and
 * when the node gets several items: a workflow that splits a chat message into many questions (one per
 * data product, say) asked each in a chat of its own before chat sessions existed, and still does.
 */
export function chatSessionOf(ctx: IExecuteFunctions, itemIndex: number, agent: string): SessionKey | undefined {
	const node = ctx.getNode();
	if (ctx.getInputData().length !== 1) return undefined;
	const trigger = ctx.getParentNodes(node.name).find((parent) => CHAT_TRIGGER_TYPES.has(parent.type) && !parent.disabled);
	if (!trigger) return undefined;
	const sessionId = sessionIdOf(ctx, itemIndex, trigger.name);
	if (sessionId === undefined) return undefined;
	const workflowId = String(ctx.getWorkflow().id ?? '');
	const credentialId = String(node.credentials?.alationApi?.id ?? node.credentials?.alationApi?.name ?? '');
	return { workflowId, nodeId: node.id, credentialId, agent, sessionId };
}

/**
 * The trigger's own `sessionId`, through pairedItem (as `$('<trigger>').item` in an expression): a
 * node in between may output a `sessionId` of its own (a third-party API's, a constant) that must not
 * decide whose chat this is. The item's own field is used only when the trigger feeds the node directly.
 */
function sessionIdOf(ctx: IExecuteFunctions, itemIndex: number, triggerName: string): string | undefined {
	const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
	try {
		const quoted = triggerName.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
		const found = text(ctx.evaluateExpression(`={{ $('${quoted}').item.json.sessionId }}`, itemIndex));
		if (found !== undefined) return found;
	} catch {
		// No paired item leads back to the trigger (a node in between dropped it).
	}
	const direct = ctx.getParentNodes(ctx.getNode().name, { depth: 1 }).some((parent) => parent.name === triggerName);
	return direct ? text(ctx.getInputData()[itemIndex]?.json?.sessionId) : undefined;
}
