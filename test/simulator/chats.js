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
 *
 * @typedef {object} Asset
 * @property {'sql' | 'chart'} kind
 * @property {string} chatId
 */

/** Bounds memory in long benchmark runs. */
const MAX_CHATS = 1000;
const MAX_ASSETS = 2000;

class ChatStore {
	/** @type {Map<string, Chat>} */
	#chats = new Map();

	/** @param {string} agentId @returns {Chat} */
	create(agentId) {
		/** @type {Chat} */
		const chat = { id: crypto.randomUUID(), agentId, turns: 0, messageCount: 0, busy: false, pendingToolCall: null };
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
