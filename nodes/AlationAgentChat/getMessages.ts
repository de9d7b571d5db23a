import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { outputForModel } from '../shared/agentStudio/toolOutput';
import { MAX_BUFFERED_BODY_BYTES } from '../shared/http/client';
import { errorCode } from '../shared/http/errors';
import { nodeOperationError, toNodeError } from '../shared/nodeErrors';
import type { ErrorContext } from '../shared/nodeErrors';
import { carryItemData, runPerItem, secretsOf, withItemData } from '../shared/items';
import { isRecord, parseJsonObject } from '../shared/json';
import { alationCredentialType } from '../shared/alationAuthentication';
import { CredentialSession } from '../shared/session';
import { readChatId } from '../shared/agentStudio/chatIdParameter';
import { invalid, wholeNumber } from '../shared/parameters';
import { retainedBytes } from '../shared/sse/retained';

/**
 * Get Messages: a chat's history, `GET /ai/api/v1/chats/{chat_id}/messages?limit=&offset=`.
 *
 * Alation documents no such endpoint; this follows its CLI (alation-plugins cli/clients/chat.py
 * `get_chat_messages`: limit 100, offset 0; search.py reads `data[].model_message.parts`). The
 * message fields beyond `model_message` (`id`, `created_at`) and a `total` are assumptions, read
 * when present.
 *
 * Paging: with a `total` in the answer, pages are asked for until `offset` reaches it (a page shorter
 * than asked is not the end: a server may cap its pages); without one, until a page comes back short.
 * A page the client cannot read (over its 1 MiB bound) is asked for again with half the messages; the
 * next page's size follows the size of the messages read. Guards: a page that starts with the
 * previous page's first message (a server that ignores `offset`) fails the item, so does a history
 * whose messages take more memory than Max Bytes, or more than MAX_PAGES pages.
 */

const PAGE_SIZE = 100;
/** Pages one item may read: a bound on requests whatever the server answers. */
const MAX_PAGES = 1000;
/** A page is sized to take about this much of the client's body bound, from the messages read so far. */
const PAGE_TARGET_BYTES = MAX_BUFFERED_BODY_BYTES / 2;
const DEFAULT_LIMIT = 50;
/** Max Bytes' default: as Agent Chat's Max Answer Bytes. */
export const DEFAULT_MAX_MESSAGES_BYTES = 64 * 1024 * 1024;
const ACTION = 'Reading the chat messages';
const MiB = 1024 * 1024;

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
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { chatOperation: ['getMessages'], returnAll: [false] } },
	},
	{
		displayName: 'Options',
		name: 'messageOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { chatOperation: ['getMessages'] } },
		options: [
			{
				displayName: 'Max Bytes',
				name: 'maxBytes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_MAX_MESSAGES_BYTES,
				description:
					'Memory the messages of one item may take (default 64 MiB; text counts two bytes a character). A larger history fails the item: read part of it with Limit.',
			},
		],
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

/** A tool call's args as Agent Chat gives them: JSON text of an object or array decoded, other text kept. */
function argsOf(args: unknown): unknown {
	if (args === undefined || args === null) return null;
	return typeof args === 'string' ? (parseJsonObject(args) ?? args) : args;
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
		.map((p) => ({ id: p.tool_call_id ?? null, name: p.tool_name ?? null, args: argsOf(p.args) }) as IDataObject);
	const stamp = [message.created_at, message.timestamp, ...parts.map((p) => p.timestamp)].find((t) => typeof t === 'string' && t !== '');
	return { role, text, toolCalls, createdAt: (stamp as string | undefined) ?? null, raw: message };
}

interface MessagesInput {
	chatId: string;
	limit: number;
	maxBytes: number;
}

/** The item's Chat ID, how many messages it asks for and its Max Bytes, checked before the credential is opened. */
function readMessagesInput(ctx: IExecuteFunctions, itemIndex: number): MessagesInput {
	const chatId = readChatId(ctx, itemIndex, { label: 'Chat ID', hint: 'Use the chatId (a UUID) output by an earlier Agent Chat or Run Tool run, e.g. {{ $json.chatId }}.' });
	if (chatId === undefined) {
		throw invalid(ctx, itemIndex, 'Chat ID is empty', 'Map the chatId of an earlier Agent Chat or Run Tool run, e.g. {{ $json.chatId }}.');
	}
	const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) === true;
	const limit = returnAll ? Number.POSITIVE_INFINITY : Number(ctx.getNodeParameter('limit', itemIndex, DEFAULT_LIMIT));
	if (!returnAll && (!Number.isInteger(limit) || limit < 1)) {
		throw invalid(ctx, itemIndex, 'Limit must be a whole number above 0', `Got ${JSON.stringify(limit)}.`);
	}
	const options = ctx.getNodeParameter('messageOptions', itemIndex, {}) as IDataObject;
	const maxBytes = wholeNumber(ctx, itemIndex, options.maxBytes, 'Max Bytes', DEFAULT_MAX_MESSAGES_BYTES, Number.MAX_SAFE_INTEGER);
	return { chatId, limit, maxBytes };
}

/** A failure of the paging itself, with what the user can do (the node error's description). */
class MessagesError extends Error {
	constructor(
		message: string,
		readonly hint: string,
	) {
		super(message);
		this.name = 'MessagesError';
	}
}

/** What identifies a message across pages: its id, or its whole JSON when it has none. */
function identity(message: unknown): string {
	const id = isRecord(message) ? message.id : undefined;
	return typeof id === 'string' || typeof id === 'number' ? `id:${id}` : JSON.stringify(message);
}

/** The next page's size: about PAGE_TARGET_BYTES of messages the size of this page's, 1 to PAGE_SIZE. */
function nextPageSize(bodyText: string, count: number): number {
	if (count === 0) return PAGE_SIZE;
	const perMessage = Math.max(1, Buffer.byteLength(bodyText) / count);
	return Math.max(1, Math.min(PAGE_SIZE, Math.floor(PAGE_TARGET_BYTES / perMessage)));
}

async function readMessages(itemIndex: number, session: CredentialSession, { chatId, limit, maxBytes }: MessagesInput): Promise<INodeExecutionData[]> {
	const out: INodeExecutionData[] = [];
	let offset = 0;
	let pageSize = PAGE_SIZE;
	let bytes = 0;
	let previousFirst: string | undefined;
	const failure = (message: string, hint: string) => withItemData(new MessagesError(message, hint), { chatId, messagesRead: out.length });
	for (let page = 0; out.length < limit; page++) {
		if (page >= MAX_PAGES) {
			throw failure(
				`the chat has more messages than ${MAX_PAGES.toLocaleString('en-US')} pages hold (${out.length.toLocaleString('en-US')} read); reading stopped`,
				'Read fewer messages at once with Limit.',
			);
		}
		const size = Math.min(pageSize, limit - out.length);
		const url = `${session.baseUrl}/ai/api/v1/chats/${chatId}/messages?limit=${size}&offset=${offset}`;
		const response = await session.json({ method: 'GET', url }).catch((error: unknown) => {
			if (errorCode(error) === 'ERR_BODY_TOO_LARGE') return error as Error;
			throw error;
		});
		if (response instanceof Error) {
			// Too large to read as one answer: ask for the same messages in smaller pages.
			if (size > 1) {
				pageSize = Math.ceil(size / 2);
				continue;
			}
			throw failure(
				`${response.message}, for a single message (offset ${offset})`,
				`Get Messages reads answers of at most ${MAX_BUFFERED_BODY_BYTES / MiB} MiB, and this message alone is larger.${offset === 0 ? '' : ` Set Limit to at most ${offset} to read the messages before it.`}`,
			);
		}
		const body = response.json;
		const data: unknown[] = isRecord(body) && Array.isArray(body.data) ? body.data : Array.isArray(body) ? body : [];
		if (data.length > 0) {
			const first = identity(data[0]);
			if (first === previousFirst) {
				throw failure(
					`the server sent the same messages again for offset ${offset} (it ignores offset), so the rest of the chat cannot be read`,
					`The first ${offset} messages were read. To get them without this error, set Limit to at most ${offset}.`,
				);
			}
			previousFirst = first;
		}
		for (const message of data.slice(0, limit - out.length)) {
			if (!isRecord(message)) continue;
			const json = toChatMessage(message as IDataObject) as unknown as IDataObject;
			bytes += retainedBytes(json);
			if (bytes > maxBytes) {
				throw failure(
					`the messages take more memory than Max Bytes (${maxBytes.toLocaleString('en-US')} bytes) after ${out.length.toLocaleString('en-US')} messages; reading stopped to bound memory`,
					'Raise Max Bytes in the node options if chats this large are expected, or read fewer messages with Limit.',
				);
			}
			out.push({ json, pairedItem: { item: itemIndex } });
		}
		offset += data.length;
		const total = isRecord(body) && typeof body.total === 'number' ? body.total : undefined;
		// With a total, a short page is not the end (a server may cap its pages); an empty one is.
		if (total !== undefined ? offset >= total || data.length === 0 : data.length < size) break;
		pageSize = nextPageSize(response.text, data.length);
	}
	return out;
}

/** The description of a body requestJson could not read (client.ts), or undefined for any other error. */
function bodyErrorHint(error: unknown): string | undefined {
	if (errorCode(error) === 'ERR_BODY_NOT_JSON') {
		return "The server answered with something other than the chat's messages. Check that the base URL in the credential points at Alation itself, not at a proxy or login page.";
	}
	return undefined;
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
			const session = await CredentialSession.open(ctx, alationCredentialType(ctx, scope.itemIndex), scope.itemIndex);
			scope.session = session;
			return await readMessages(scope.itemIndex, session, input);
		},
		(error, scope) => {
			const context: ErrorContext = { node, itemIndex: scope.itemIndex, secrets: secretsOf(scope), action: ACTION, statusHints: GET_MESSAGES_HINTS };
			const hint = error instanceof MessagesError ? error.hint : bodyErrorHint(error);
			if (hint === undefined) return toNodeError(error, context);
			return carryItemData(error, nodeOperationError(context, `${ACTION} failed: ${(error as Error).message}`, hint));
		},
		{ errorsAsOutput: asTool },
	);
	// As a tool the model gets each message without its raw payload, the text bounded (toolOutput.ts).
	return asTool ? items.map((item) => outputForModel(item, ['role', 'text', 'toolCalls', 'createdAt'], 'text')) : items;
}
