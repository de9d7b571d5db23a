// @ts-check
'use strict';

const crypto = require('node:crypto');

/**
 * Conversations and the assets (SQL results, charts) produced in them.
 *
 * @typedef {object} Chat
 * @property {string} id
 * @property {string} agentId          agent that started the chat
 * @property {number} turns            user turns so far (a tool approval continues a turn)
 * @property {number} messageCount     messages streamed in this chat
 * @property {boolean} busy            a stream is running; a second one gets 409
 * @property {{ id: string, name: string } | null} pendingToolCall  waiting for tool_approvals
 * @property {ChatMessage[]} messages   what GET /chats/{id}/messages returns, oldest first
 *
 * The message shape is `{ id, chat_id, model_message: { kind, parts }, created_at }`: Alation's CLI
 * reads `data[].model_message.parts` (alation-plugins cli/clients/search.py); `created_at` is assumed.
 * @typedef {object} ChatMessage
 * @property {string} id
 * @property {string} chat_id
 * @property {{ kind: 'request' | 'response', parts: Record<string, unknown>[] }} model_message
 * @property {string} created_at
 *
 * @typedef {object} Asset
 * @property {'sql' | 'chart'} kind
 * @property {string} chatId
 */

/** Bounds memory in long benchmark runs. */
const MAX_CHATS = 1000;
const MAX_ASSETS = 2000;
const MAX_MESSAGES = 1000;

class ChatStore {
	/** @type {Map<string, Chat>} */
	#chats = new Map();

	/** @param {string} agentId @returns {Chat} */
	create(agentId) {
		/** @type {Chat} */
		const chat = { id: crypto.randomUUID(), agentId, turns: 0, messageCount: 0, busy: false, pendingToolCall: null, messages: [] };
		this.#chats.set(chat.id, chat);
		// Evict the oldest idle chats; a busy one is still streaming and stays.
		for (const [id, candidate] of this.#chats) {
			if (this.#chats.size <= MAX_CHATS) break;
			if (!candidate.busy) this.#chats.delete(id);
		}
		return chat;
	}

	/** @param {string} id */
	get(id) {
		return this.#chats.get(id.toLowerCase()) ?? null;
	}

	/**
	 * Keeps a finished message of a chat for the messages endpoint. Timestamps are a millisecond
	 * apart at least, so their order is the messages' order.
	 *
	 * @param {Chat} chat
	 * @param {string} id
	 * @param {'request' | 'response'} kind
	 * @param {Record<string, unknown>[]} parts
	 */
	record(chat, id, kind, parts) {
		const last = chat.messages.at(-1);
		const at = Math.max(Date.now(), last ? Date.parse(last.created_at) + 1 : 0);
		chat.messages.push({ id, chat_id: chat.id, model_message: { kind, parts: structuredClone(parts) }, created_at: new Date(at).toISOString() });
		if (chat.messages.length > MAX_MESSAGES) chat.messages.shift();
	}
}

class AssetStore {
	/** @type {Map<string, Asset>} */
	#assets = new Map();

	/**
	 * @param {'sql' | 'chart'} kind
	 * @param {string} chatId
	 * @returns {string} the new asset id
	 */
	create(kind, chatId) {
		const id = crypto.randomUUID();
		this.#assets.set(id, { kind, chatId });
		for (const key of this.#assets.keys()) {
			if (this.#assets.size <= MAX_ASSETS) break;
			this.#assets.delete(key);
		}
		return id;
	}

	/** @param {string} id */
	get(id) {
		return this.#assets.get(id.toLowerCase()) ?? null;
	}
}

/** The rows behind every SQL asset (matches SQL_RESULT in agents.js). */
const SQL_ASSET_CSV = 'id,name\n1,alpha\n2,beta\n';

/** A valid 1×1 PNG, so clients that sniff or decode images are satisfied. */
const CHART_ASSET_PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
	'base64',
);

module.exports = { ChatStore, AssetStore, SQL_ASSET_CSV, CHART_ASSET_PNG };
