import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { outputForModel } from '../shared/agentStudio/toolOutput';
import { toNodeError } from '../shared/http/nodeErrors';
import type { ErrorContext } from '../shared/http/nodeErrors';
import { runPerItem, secretsOf } from '../shared/items';
import { isRecord } from '../shared/json';
import { CredentialSession } from '../shared/session';
import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { invalid } from '../shared/parameters';

/**
 * Get Messages: a chat's history, `GET /ai/api/v1/chats/{chat_id}/messages?limit=&offset=`.
 *
 * Alation documents no such endpoint; this follows its CLI (alation-plugins cli/clients/chat.py
 * `get_chat_messages`: limit 100, offset 0; search.py reads `data[].model_message.parts`). The
 * message fields beyond `model_message` (`id`, `created_at`) and a `total` are assumptions, read
 * when present. Pages are read until one comes back short (or `total` is reached).
 */

const PAGE_SIZE = 100;
/** Return All stops here (100,000 messages), so a server that never ends a list cannot loop forever. */
const MAX_PAGES = 1000;
const DEFAULT_LIMIT = 50;

export const getMessagesProperties: INodeProperties[] = [
	{
		displayName: 'Chat ID',
		name: 'chatId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.chatId }}',
		description: 'The chat to read: the chatId output by an Agent Chat or Run Tool run',
		displayOptions: { show: { chatOperation: ['getMessages'] } },
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show: { chatOperation: ['getMessages'] } },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_LIMIT,
		description: 'Max number of results to return',
		displayOptions: { show: { chatOperation: ['getMessages'], returnAll: [false] } },
	},
];

export interface ChatMessage {
	role: 'user' | 'assistant' | 'tool' | 'system';
	text: string;
	toolCalls: IDataObject[];
	createdAt: string | null;
	raw: IDataObject;
}

function partsOf(message: IDataObject): IDataObject[] {
	const model = message.model_message;
	if (!isRecord(model) || !Array.isArray(model.parts)) return [];
	return model.parts.filter(isRecord) as IDataObject[];
}

function contentText(content: unknown): string {
	if (typeof content === 'string') return content;
	return content === undefined || content === null ? '' : JSON.stringify(content);
}

/** One message of the API as an output item's JSON (pydantic-ai message parts, see docs §4.2). */
export function toChatMessage(message: IDataObject): ChatMessage {
	const parts = partsOf(message);
	const kinds = new Set(parts.map((p) => p.part_kind));
	const kind = isRecord(message.model_message) ? message.model_message.kind : undefined;
	let role: ChatMessage['role'];
	if (kind === 'response') role = 'assistant';
	else if (kinds.has('user-prompt')) role = 'user';
	else if (kinds.has('tool-return') || kinds.has('builtin-tool-return')) role = 'tool';
	else if (kinds.has('system-prompt')) role = 'system';
	else role = 'user';

	const textKinds = role === 'tool' ? ['tool-return', 'builtin-tool-return'] : ['text', 'user-prompt', 'system-prompt'];
	const text = parts
		.filter((p) => textKinds.includes(String(p.part_kind)))
		.map((p) => contentText(p.content))
		.join('');
	const toolCalls = parts
		.filter((p) => p.part_kind === 'tool-call')
		.map((p) => ({ id: p.tool_call_id ?? null, name: p.tool_name ?? null, args: p.args ?? null }) as IDataObject);
	const stamp = [message.created_at, message.timestamp, ...parts.map((p) => p.timestamp)].find((t) => typeof t === 'string' && t !== '');
	return { role, text, toolCalls, createdAt: (stamp as string | undefined) ?? null, raw: message };
}

/** The item's Chat ID and how many messages it asks for, checked before the credential is opened. */
function readMessagesInput(ctx: IExecuteFunctions, itemIndex: number): { chatId: string; limit: number } {
	const chatId = readChatId(ctx, itemIndex, { label: 'Chat ID', hint: 'Use the chatId (a UUID) output by an earlier Agent Chat or Run Tool run, e.g. {{ $json.chatId }}.' });
	if (chatId === undefined) {
		throw invalid(ctx, itemIndex, 'Chat ID is empty', 'Map the chatId of an earlier Agent Chat or Run Tool run, e.g. {{ $json.chatId }}.');
	}
	const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) === true;
	const limit = returnAll ? Number.POSITIVE_INFINITY : Number(ctx.getNodeParameter('limit', itemIndex, DEFAULT_LIMIT));
	if (!returnAll && (!Number.isInteger(limit) || limit < 1)) {
		throw invalid(ctx, itemIndex, 'Limit must be a whole number above 0', `Got ${JSON.stringify(limit)}.`);
	}
	return { chatId, limit };
}

async function readMessages(itemIndex: number, session: CredentialSession, { chatId, limit }: { chatId: string; limit: number }): Promise<INodeExecutionData[]> {

	const out: INodeExecutionData[] = [];
	let offset = 0;
	for (let page = 0; page < MAX_PAGES && out.length < limit; page++) {
		const size = Math.min(PAGE_SIZE, limit - out.length);
		const url = `${session.baseUrl}/ai/api/v1/chats/${chatId}/messages?limit=${size}&offset=${offset}`;
		const response = await session.json({ method: 'GET', url });
		const body = response.json;
		const data = isRecord(body) && Array.isArray(body.data) ? body.data : Array.isArray(body) ? body : [];
		const messages = data.filter(isRecord) as IDataObject[];
		for (const message of messages.slice(0, limit - out.length)) out.push({ json: toChatMessage(message) as unknown as IDataObject, pairedItem: { item: itemIndex } });
		offset += data.length;
		const total = isRecord(body) && typeof body.total === 'number' ? body.total : undefined;
		if (data.length < size || (total !== undefined && offset >= total)) break;
	}
	return out;
}

const GET_MESSAGES_HINTS: ErrorContext['statusHints'] = {
	403: "The OAuth client's role may not read this chat, or Agent Studio is not enabled. Chats are visible to the OAuth client that created them.",
	404: 'Chat not found, or not visible to this OAuth client: check the Chat ID (the chatId output by an earlier run with the same credential).',
	422: 'The server did not accept the Chat ID: it must be the chatId (a UUID) output by an earlier run.',
};

/**
 * The Get Messages operation: one output item per message, in order, each paired with its input item.
 * `asTool`: as an AI Agent's tool a failure goes back to the agent as the tool's output (see Agent Chat).
 */
export async function getMessages(ctx: IExecuteFunctions, asTool: boolean): Promise<INodeExecutionData[]> {
	const node = ctx.getNode();
	const items = await runPerItem(
		ctx,
		async (scope) => {
			const input = readMessagesInput(ctx, scope.itemIndex);
			const session = await CredentialSession.open(ctx, 'alationApi', scope.itemIndex);
			scope.session = session;
			return await readMessages(scope.itemIndex, session, input);
		},
		(error, scope) => toNodeError(error, { node, itemIndex: scope.itemIndex, secrets: secretsOf(scope), action: 'Reading the chat messages', statusHints: GET_MESSAGES_HINTS }),
		{ errorsAsOutput: asTool },
	);
	// As a tool the model gets each message without its raw payload, the text bounded (toolOutput.ts).
	return asTool ? items.map((item) => outputForModel(item, ['role', 'text', 'toolCalls', 'createdAt'], 'text')) : items;
}
