import { createHash } from 'node:crypto';

import { fleetCall, sharedFleetRedis } from '../shared/fleetRedis';
import type { FleetRedis } from '../shared/fleetRedis';

/*
 * Which Alation chat belongs to which n8n chat session, so that a follow-up typed in n8n's chat
 * continues the same Alation conversation (a Chat Trigger gives every message of a session the same
 * `sessionId`; each message is a new execution, so nothing in the execution remembers the chat).
 *
 * Where it lives: in the n8n process (bounded: the most recently used MAX_SESSIONS), and in queue
 * mode also in the fleet's Redis, so a follow-up handled by another worker finds it. How long: until
 * SESSION_IDLE_MS pass without a message in that session (then the next message starts a new Alation
 * chat); a restart of a single-process n8n forgets it. Nothing secret is kept: the key is a hash of
 * where the node is and the session id, the value the chat's id.
 */

/** A session silent this long starts a new Alation chat with its next message. */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** Sessions kept per process (least recently used forgotten first). */
export const MAX_SESSIONS = 10_000;
/** A slow Redis must not hold the chat up: after this the process's own memory answers. */
const REDIS_CALL_MS = 1_000;

/** What identifies one conversation: the node in its workflow, its credential and agent, the chat session. */
export interface SessionKey {
	workflowId: string;
	nodeId: string;
	credentialId: string;
	agent: string;
	sessionId: string;
}

interface Entry {
	chatId: string;
	usedAt: number;
}

export class ChatMemory {
	private readonly local = new Map<string, Entry>();

	constructor(
		private readonly redis: () => FleetRedis | undefined,
		private readonly now: () => number = Date.now,
		private readonly maxSessions = MAX_SESSIONS,
	) {}

	/** The Alation chat of this session, if one is remembered and was used within SESSION_IDLE_MS. */
	async recall(key: SessionKey): Promise<string | undefined> {
		const name = keyName(key);
		const shared = await this.ask((redis) => redis.client.get(redisKey(redis, name)));
		if (typeof shared === 'string' && shared !== '') return shared;
		const entry = this.local.get(name);
		if (!entry) return undefined;
		if (this.now() - entry.usedAt > SESSION_IDLE_MS) {
			this.local.delete(name);
			return undefined;
		}
		return entry.chatId;
	}

	/** Remembers (or refreshes) the session's chat. */
	async remember(key: SessionKey, chatId: string): Promise<void> {
		const name = keyName(key);
		this.local.delete(name);
		this.local.set(name, { chatId, usedAt: this.now() });
		if (this.local.size > this.maxSessions) this.local.delete(this.local.keys().next().value as string);
		await this.ask((redis) => redis.client.set(redisKey(redis, name), chatId, 'PX', SESSION_IDLE_MS));
	}

	/** Forgets the session's chat (Alation no longer knows it): the next message starts a new one. */
	async forget(key: SessionKey): Promise<void> {
		const name = keyName(key);
		this.local.delete(name);
		await this.ask((redis) => redis.client.del(redisKey(redis, name)));
	}

	/** A Redis call that never fails the item: undefined when there is no fleet or it does not answer in time. */
	private async ask<T>(call: (redis: FleetRedis) => Promise<T>): Promise<T | undefined> {
		let redis: FleetRedis | undefined;
		try {
			redis = this.redis();
		} catch {
			return undefined;
		}
		if (!redis) return undefined;
		return await fleetCall(call(redis), REDIS_CALL_MS, undefined);
	}
}

/** A name for the session in ChatLocks: its items run one after another within an execution. */
export function sessionLockName(key: SessionKey): string {
	return ['session', keyName(key)].join(':');
}

function keyName(key: SessionKey): string {
	const parts = [key.workflowId, key.nodeId, key.credentialId, key.agent, key.sessionId];
	return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}

function redisKey(redis: FleetRedis, name: string): string {
	return [redis.prefix, 'n8n-nodes-alation', 'chat', name].join(':');
}

/** The process's memory, on the fleet's Redis in queue mode. */
export const chatMemory = new ChatMemory(sharedFleetRedis);
