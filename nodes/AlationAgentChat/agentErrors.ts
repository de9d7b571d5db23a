import type { StreamWording } from '../shared/agentStudio/streamNodeError';

/**
 * What each failure of an agent run means for the user, and what to do. The message names the
 * cause (with the server's own `detail`); these are the descriptions.
 */
export const AGENT_STATUS_HINTS: Partial<Record<number, string>> = {
	400: "The agent rejected the input. Check Message and the options (Data Product ID, Input Payload…) against what this agent expects; custom agents take the fields of their input schema.",
	402: "The tool-call quota of your Alation licence is used up. Ask your Alation administrator; retrying will not help until the quota is raised or renewed.",
	403: "The OAuth client's role may not use this agent, or Agent Studio (or this agent) is not enabled. Check the System User Role of the OAuth client (Admin Settings → Authentication → OAuth Client Applications).",
	404: 'Agent or chat not found, or not visible to this OAuth client: check the agent (built-in agents by ref, e.g. catalog_search_agent; custom agents by UUID), that it is shared with the client\'s role, and the Chat ID.',
	409: 'Another run is using this chat right now (chat busy). Runs on the same Chat ID must not overlap: wait for the other run, or start a new chat (empty Chat ID).',
	413: "The message, with the chat's history, is too long for the agent's model. Shorten it, or start a new chat (empty Chat ID).",
	422: "The agent could not process the input. Check Message and the options against what this agent expects; custom agents take the fields of their input schema.",
	429: 'Agent Studio is rate limiting requests and still was after the retries. Lower Concurrency, raise Max Retries, or run later.',
	502: 'A gateway in front of Alation failed, and still did after the retries. Try again later.',
	503: 'Agent Studio is unavailable, and still was after the retries. Try again later.',
	504: 'A gateway in front of Alation timed out, and still did after the retries. Try again later.',
};

/** How Agent Chat words its stream's failures (shared/agentStudio/streamNodeError.ts maps them). */
export const AGENT_WORDING: StreamWording = { action: 'Asking the agent', statusHints: AGENT_STATUS_HINTS };
