import { isUuid } from '../shared/agentStudio/identifiers';

/**
 * How an agent is addressed. Built-in agents are called by their ref
 * (`/ai/api/v1/chats/agent/default/{ref}/stream`), custom agents by their UUID
 * (`/ai/api/v1/chats/agent/{uuid}/stream`) — Alation's own CLI tells them apart the same way.
 */

export function agentStreamUrl(baseUrl: string, agent: string, chatId?: string): string {
	const path = isUuid(agent) ? `/ai/api/v1/chats/agent/${agent}/stream` : `/ai/api/v1/chats/agent/default/${encodeURIComponent(agent)}/stream`;
	return `${baseUrl}${path}${chatId ? `?chat_id=${encodeURIComponent(chatId)}` : ''}`;
}
