import { readFileSync } from 'node:fs';
import { argv as processArgv, env as processEnv } from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

import Redis from 'ioredis';
import type { Cluster, RedisOptions } from 'ioredis';
import { LoggerProxy } from 'n8n-workflow';

/*
 * The connection to the Redis an n8n fleet already shares (queue mode: main + workers), opened
 * from n8n's own queue settings. What the package keeps fleet-wide lives there: a credential's
 * token (token/fleet.ts) and the Alation chat of an n8n chat session (AlationAgentChat/chatMemory.ts).
 * One connection per process serves both.
 */

export type RedisClient = Redis | Cluster;

export interface FleetRedis {
	client: RedisClient;
	/** n8n's QUEUE_BULL_PREFIX: every key the package writes starts with it. */
	prefix: string;
}

/** An n8n setting: the variable itself, or the file named by `<name>_FILE` (n8n's convention for secrets). */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
	const value = env[name];
	if (value !== undefined && value !== '') return value;
	const file = env[`${name}_FILE`];
	if (file) {
		try {
			return readFileSync(file, 'utf8').trim();
		} catch {
			return undefined;
		}
	}
	return undefined;
}

/**
 * Whether this process is part of a queue-mode fleet: `EXECUTIONS_MODE=queue`, or an `n8n worker`
 * (a worker switches itself to queue mode even when the variable is not set — measured in 2.41.1).
 */
export function isQueueMode(env: NodeJS.ProcessEnv, argv: readonly string[]): boolean {
	return setting(env, 'EXECUTIONS_MODE') === 'queue' || argv[2] === 'worker';
}

/**
 * The fleet's Redis, from n8n's own queue settings — only in queue mode, where n8n always has one.
 * Anywhere else: undefined, and each process keeps its token alone.
 */
export function fleetRedisFromEnvironment(env: NodeJS.ProcessEnv = processEnv, argv: readonly string[] = processArgv): FleetRedis | undefined {
	if (!isQueueMode(env, argv)) return undefined;
	const tls = setting(env, 'QUEUE_BULL_REDIS_TLS') === 'true' ? { rejectUnauthorized: setting(env, 'QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE') !== 'false' } : undefined;
	const options: RedisOptions = {
		username: setting(env, 'QUEUE_BULL_REDIS_USERNAME'),
		password: setting(env, 'QUEUE_BULL_REDIS_PASSWORD'),
		db: Number(setting(env, 'QUEUE_BULL_REDIS_DB') ?? 0),
		tls,
		connectionName: 'n8n-nodes-alation',
		// No offline queue: while Redis is down, commands fail at once (the authority falls back) instead
		// of waiting to be sent when it is back — a token published then would carry a lifetime counted
		// before the wait and outlive Alation's copy (measured: 4.5–6.5 s, then 401s). A worker's first
		// commands wait for the first connection instead (`untilReady`).
		enableOfflineQueue: false,
		// Bounded: a command waits for a connection at most this long, then the caller falls back.
		connectTimeout: 2_000,
		commandTimeout: 2_000,
		maxRetriesPerRequest: 1,
		retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
	};
	const prefix = setting(env, 'QUEUE_BULL_PREFIX') ?? 'bull';
	const clusterNodes = setting(env, 'QUEUE_BULL_REDIS_CLUSTER_NODES');
	let client: RedisClient;
	if (clusterNodes) {
		const nodes = clusterNodes.split(',').map((entry) => {
			const [host, port] = entry.trim().split(':');
			return { host, port: Number(port || 6379) };
		});
		// No offline queue: while the cluster is unreachable, commands fail at once (the authority falls
		// back) instead of piling up. A new worker's first commands wait for the cluster instead
		// (`untilReady`): failing them would make every worker start mint alone.
		client = new Redis.Cluster(nodes, { redisOptions: options, enableOfflineQueue: false });
	} else {
		client = new Redis({ ...options, host: setting(env, 'QUEUE_BULL_REDIS_HOST') ?? 'localhost', port: Number(setting(env, 'QUEUE_BULL_REDIS_PORT') ?? 6379) });
	}
	watchConnection(client);
	return { client, prefix };
}

/** Redis going away is a warning in n8n's log (once per outage), never an error: the authority falls back. */
function watchConnection(client: RedisClient): void {
	// The connection must not keep a process alive that is otherwise done (e.g. `n8n execute`).
	client.on('connect', () => (client as Redis).stream?.unref?.());
	let down = false;
	client.on('error', (error: Error) => {
		if (down) return;
		down = true;
		LoggerProxy.warn(
			`n8n-nodes-alation: the fleet's Redis is unreachable (${error.message}); each process now keeps its own Alation token (and chat sessions) until it is back, so tokens may be minted more often than once per lifetime.`,
		);
	});
	client.on('ready', () => {
		if (down) LoggerProxy.info('n8n-nodes-alation: the fleet\'s Redis is reachable again; tokens are shared again.');
		down = false;
	});
}

/** How long a command waits for a connection that is still being opened for the first time. */
export const FIRST_CONNECT_WAIT_MS = 2_000;

/**
 * Resolves once `client` may take commands: at once when it is ready, or when it is down after
 * having been up (the command then fails fast and the caller falls back); while it is opened for the
 * first time (a worker that just started), when it becomes ready — at most `ms`.
 */
export async function untilReady(client: RedisClient, ms: number = FIRST_CONNECT_WAIT_MS): Promise<void> {
	if (client.status !== 'connecting' && client.status !== 'wait' && client.status !== 'connect') return;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let onReady: (() => void) | undefined;
	await new Promise<void>((resolve) => {
		onReady = resolve;
		client.once('ready', onReady);
		timer = setTimeout(resolve, ms);
		timer.unref();
	}).finally(() => {
		clearTimeout(timer);
		if (onReady) client.off('ready', onReady);
	});
}

let shared: FleetRedis | undefined | null = null;

/** This process's one connection (opened on first use; undefined outside queue mode). */
export function sharedFleetRedis(): FleetRedis | undefined {
	if (shared === null) shared = fleetRedisFromEnvironment();
	return shared;
}

/**
 * A call to the fleet's Redis with a deadline, that never throws: a Redis that is down or too slow
 * must hold up neither a token request nor an item. `fallback` when the call failed or took longer
 * than `ms`; `onProblem` is told why.
 */
export async function fleetCall<T, F>(work: Promise<T>, ms: number, fallback: F, onProblem: (error: unknown) => void = () => undefined): Promise<T | F> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<F>((resolve) => {
		timer = setTimeout(() => {
			onProblem(new Error(`no answer within ${ms} ms`));
			resolve(fallback);
		}, ms);
		timer.unref();
	});
	const answered = work.then(
		(value): T | F => value,
		(error: unknown): F => {
			onProblem(error);
			return fallback;
		},
	);
	try {
		return await Promise.race([answered, late]);
	} finally {
		clearTimeout(timer);
	}
}
