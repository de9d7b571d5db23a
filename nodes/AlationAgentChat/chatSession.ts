import type { IExecuteFunctions } from 'n8n-workflow';

import type { SessionKey } from './chatMemory';

/** n8n's Chat Trigger (the hosted chat, the editor's chat, embedded chat widgets). */
const CHAT_TRIGGER_TYPES = new Set(['@n8n/n8n-nodes-langchain.chatTrigger', '@n8n/n8n-nodes-langchain.manualChatTrigger']);

/**
 * The n8n chat session an item belongs to, when the node runs downstream of a Chat Trigger: the
 * trigger gives every message of a session the same `sessionId`. Read from the item itself (the
 * trigger's output, or a node that kept it), else from the trigger's item this one descends from.
 * Undefined anywhere else (scheduled jobs, manual runs, a node running as an AI Agent's tool).
 */
export function chatSessionOf(ctx: IExecuteFunctions, itemIndex: number, agent: string): SessionKey | undefined {
	const node = ctx.getNode();
	const trigger = ctx.getParentNodes(node.name).find((parent) => CHAT_TRIGGER_TYPES.has(parent.type) && !parent.disabled);
	if (!trigger) return undefined;
	const sessionId = sessionIdOf(ctx, itemIndex, trigger.name);
	if (sessionId === undefined) return undefined;
	const workflowId = String(ctx.getWorkflow().id ?? '');
	const credentialId = String(node.credentials?.alationApi?.id ?? node.credentials?.alationApi?.name ?? '');
	return { workflowId, nodeId: node.id, credentialId, agent, sessionId };
}

function sessionIdOf(ctx: IExecuteFunctions, itemIndex: number, triggerName: string): string | undefined {
	const own = ctx.getInputData()[itemIndex]?.json?.sessionId;
	if (typeof own === 'string' && own.trim() !== '') return own;
	try {
		// Through pairedItem, as `$('<trigger>').item` does in an expression.
		const quoted = triggerName.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
		const found = ctx.evaluateExpression(`={{ $('${quoted}').item.json.sessionId }}`, itemIndex);
		return typeof found === 'string' && found.trim() !== '' ? found : undefined;
	} catch {
		// No paired item leads back to the trigger (a node in between dropped it): no session.
		return undefined;
	}
}
