import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { LoggerProxy } from 'n8n-workflow';

import { identityKey, slowDigest } from '../shared/auth/identity';
import type { TokenGrant } from '../shared/auth/types';
import { fleetCall, sharedFleetRedis, untilReady } from '../shared/fleetRedis';
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
 *
 * Whoever can write n8n's Redis must not be able to send one session's follow-ups into another's
 * chat (swapping two values, or writing one): a value in Redis is the chat id bound to its Redis key
 * by an HMAC-SHA256 keyed from the credential's own secret (scrypt via auth/identity.ts, salted
 * apart from the token fleet's key, derived once per process and identity), as token/fleet.ts binds
 * the token. A value that does not verify (another session's, another secret's, malformed, the
 * earlier plain chat id) is no memory: a new chat, and a warning in n8n's log. The process's own
 * memory holds no MAC: nothing outside the process writes it.
 */

/** A session silent this long starts a new Alation chat with its next message. */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** Sessions kept per process (least recently used forgotten first). */
export const MAX_SESSIONS = 10_000;
/** A slow Redis must not hold the chat up: after this the process's own memory answers. */
const REDIS_CALL_MS = 1_000;
/** A value in Redis: `m1.<chat id, base64url>.<HMAC-SHA256, base64url>`. */
const FORMAT = 'm1';
const MAC_BYTES = 32;
/** Bound on the derived MAC keys kept per process: one per credential identity seen. */
const MAX_KEYS = 1_000;
const WARN_EVERY_MS = 60_000;

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
	private readonly macKeys = new Map<string, Promise<Buffer>>();
	private warnedAt = -Infinity;

	constructor(
		private readonly redis: () => FleetRedis | undefined,
		private readonly now: () => number = Date.now,
		private readonly maxSessions = MAX_SESSIONS,
	) {}

	/**
	 * The Alation chat of this session, if one is remembered and was used within SESSION_IDLE_MS.
	 * `secret`: the credential's grant, whose secret keys the MAC of the value in the fleet's Redis.
	 */
	async recall(key: SessionKey, secret: TokenGrant): Promise<string | undefined> {
		const name = keyName(key);
		const shared = await this.ask(secret, async (redis, macKey) => {
			const stored = await redis.client.get(redisKey(redis, name));
			return stored === null ? null : verify(stored, macKey, redisKey(redis, name));
		});
		if (typeof shared === 'string') return shared;
		if (shared instanceof Unverified) {
			this.warnUnverified(shared.problem);
			return undefined;
		}
		const entry = this.local.get(name);
		if (!entry) return undefined;
		if (this.now() - entry.usedAt > SESSION_IDLE_MS) {
			this.local.delete(name);
			return undefined;
		}
		return entry.chatId;
	}

	/** Remembers (or refreshes) the session's chat. `secret`: as for recall. */
	async remember(key: SessionKey, chatId: string, secret: TokenGrant): Promise<void> {
		const name = keyName(key);
		this.local.delete(name);
		this.local.set(name, { chatId, usedAt: this.now() });
		if (this.local.size > this.maxSessions) this.local.delete(this.local.keys().next().value as string);
		await this.ask(secret, (redis, macKey) => redis.client.set(redisKey(redis, name), seal(chatId, macKey, redisKey(redis, name)), 'PX', SESSION_IDLE_MS));
	}

	/** Forgets the session's chat (Alation no longer knows it): the next message starts a new one. */
	async forget(key: SessionKey): Promise<void> {
		const name = keyName(key);
		this.local.delete(name);
		await this.ask(undefined, (redis) => redis.client.del(redisKey(redis, name)));
	}

	/**
	 * A Redis call that never fails the item: undefined when there is no fleet, the MAC key cannot be
	 * derived, or Redis does not answer in time (the derivation is not Redis: it has no deadline).
	 */
	private async ask<T>(secret: TokenGrant | undefined, call: (redis: FleetRedis, macKey: Buffer) => Promise<T>): Promise<T | undefined> {
		let redis: FleetRedis | undefined;
		try {
			redis = this.redis();
		} catch {
			return undefined;
		}
		if (!redis) return undefined;
		let macKey: Buffer = Buffer.alloc(0);
		if (secret) {
			try {
				macKey = await this.macKeyOf(secret);
			} catch {
				return undefined;
			}
		}
		const client = redis;
		return await fleetCall(
			untilReady(client.client).then(async () => await call(client, macKey)),
			REDIS_CALL_MS,
			undefined,
		);
	}

	/** The MAC key of a credential identity, derived once per process and identity (scrypt: slow on purpose). */
	private async macKeyOf(secret: TokenGrant): Promise<Buffer> {
		const id = identityKey(secret);
		let macKey = this.macKeys.get(id);
		if (!macKey) {
			macKey = deriveMacKey(secret);
			macKey.catch(() => this.macKeys.delete(id));
			this.macKeys.set(id, macKey);
			if (this.macKeys.size > MAX_KEYS) this.macKeys.delete(this.macKeys.keys().next().value as string);
		}
		return await macKey;
	}

	/** At most once a minute, and naming the problem only: no chat id, no session, no secret. */
	private warnUnverified(problem: string): void {
		if (this.now() - this.warnedAt < WARN_EVERY_MS) return;
		this.warnedAt = this.now();
		LoggerProxy.warn(
			`n8n-nodes-alation: a remembered Alation chat in the fleet's Redis did not verify (${problem}); the n8n chat session starts a new Alation chat. If this repeats, check who can write to n8n's Redis.`,
		);
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

async function deriveMacKey(secret: TokenGrant): Promise<Buffer> {
	// Salted with what identifies the credential without being secret, and apart from the token fleet's salt.
	return await slowDigest(secret, `n8n-nodes-alation chat ${FORMAT}\u0000${secret.tokenUrl}\u0000${secret.principal}`, MAC_BYTES);
}

/** The MAC binds the chat id to the Redis key it is stored under: a value is good only where it was written. */
function mac(chatId: string, macKey: Buffer, storedAt: string): Buffer {
	return createHmac('sha256', macKey).update([FORMAT, storedAt, chatId].join('\u0000')).digest();
}

function seal(chatId: string, macKey: Buffer, storedAt: string): string {
	return [FORMAT, Buffer.from(chatId, 'utf8').toString('base64url'), mac(chatId, macKey, storedAt).toString('base64url')].join('.');
}

/** A value from Redis that is not this session's chat under this secret. */
class Unverified {
	constructor(readonly problem: string) {}
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function verify(stored: string, macKey: Buffer, storedAt: string): string | Unverified {
	const parts = stored.split('.');
	if (parts[0] !== FORMAT) return new Unverified('not in the current format, e.g. written by an earlier version');
	const [, encodedChat, encodedMac] = parts;
	if (parts.length !== 3 || !BASE64URL.test(encodedChat) || !BASE64URL.test(encodedMac)) return new Unverified('malformed');
	const chatId = Buffer.from(encodedChat, 'base64url').toString('utf8');
	const given = Buffer.from(encodedMac, 'base64url');
	if (chatId === '' || given.length !== MAC_BYTES) return new Unverified('malformed');
	if (!timingSafeEqual(given, mac(chatId, macKey, storedAt))) {
		return new Unverified("its MAC does not match: written for another session, with another credential secret, or altered");
	}
	return chatId;
}

/** The process's memory, on the fleet's Redis in queue mode. */
export const chatMemory = new ChatMemory(sharedFleetRedis);
