/**
 * The fleet: several processes (here: several token authorities, each with its own Redis client,
 * as n8n's main and workers would have) share one token per lifetime through a real Redis, against
 * the simulator, which invalidates the previous token at every mint as Alation does.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

import Redis from 'ioredis';
import { LoggerProxy } from 'n8n-workflow';

import { startRedisServer } from '../helpers/redisServer';
import type { RedisServer } from '../helpers/redisServer';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { alationClientCredentialsGrant } from '../../nodes/shared/auth/grants';
import type { AccessToken } from '../../nodes/shared/auth/types';
import { TokenAuthority } from '../../nodes/shared/token/authority';
import { isQueueMode, LOCK_TTL_MS, redisFleetFromEnvironment } from '../../nodes/shared/token/fleet';
import type { RedisFleet } from '../../nodes/shared/token/fleet';
import { undiciCheck, undiciPost } from '../../nodes/shared/token/transports';

const sim = useSimulator();
let redis: RedisServer;
const fleets: RedisFleet[] = [];

beforeAll(async () => {
	redis = await startRedisServer();
}, 200_000);
afterAll(async () => {
	await Promise.all(fleets.map(async (f) => await f.close()));
	await redis.stop();
});

const grant = (secret = DEMO.clientSecret) => alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: secret });
const post = undiciPost({ allowUnauthorizedCerts: false });
let prefix = 0;

/** n8n's queue settings, as a worker would have them. */
const queueEnv = (port: number, bullPrefix: string) => ({
	EXECUTIONS_MODE: 'queue',
	QUEUE_BULL_REDIS_HOST: '127.0.0.1',
	QUEUE_BULL_REDIS_PORT: String(port),
	QUEUE_BULL_PREFIX: bullPrefix,
});

/** `count` processes of one fleet (a fresh key prefix per test, so tests do not share tokens). */
function fleetOf(count: number, port = redis.port, now?: () => number): TokenAuthority[] {
	const bullPrefix = `fleet-test-${++prefix}`;
	return Array.from({ length: count }, () => {
		const fleet = redisFleetFromEnvironment(queueEnv(port, bullPrefix), [])!;
		fleets.push(fleet);
		return new TokenAuthority(now, fleet);
	});
}

const raw = () => new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });

describe('settings', () => {
	test('regular mode (no EXECUTIONS_MODE=queue): no fleet, each process on its own', () => {
		const start = ['node', '/n8n/bin/n8n', 'start'];
		expect(redisFleetFromEnvironment({}, start)).toBeUndefined();
		expect(redisFleetFromEnvironment({ EXECUTIONS_MODE: 'regular', QUEUE_BULL_REDIS_HOST: '127.0.0.1' }, start)).toBeUndefined();
	});

	test('queue mode: EXECUTIONS_MODE=queue, or an `n8n worker` (which switches itself to queue mode without it)', () => {
		expect(isQueueMode({ EXECUTIONS_MODE: 'queue' }, ['node', '/n8n/bin/n8n', 'start'])).toBe(true);
		expect(isQueueMode({}, ['node', '/n8n/bin/n8n', 'worker', '--concurrency=10'])).toBe(true);
		expect(isQueueMode({}, ['node', '/n8n/bin/n8n', 'execute', '--id=1'])).toBe(false);
	});
});

describe('one mint per lifetime across processes', () => {
	test('4 processes × 25 callers at once, cold → 1 mint, every caller the same token', async () => {
		const processes = fleetOf(4);
		const tokens = await Promise.all(processes.flatMap((authority) => Array.from({ length: 25 }, () => authority.get(grant(), post))));
		expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('at expiry the fleet refreshes once: one process mints, the others take its token', async () => {
		let now = Date.now();
		sim.options.tokenLifetimeSeconds = 20; // skew: 5 s
		const processes = fleetOf(3, redis.port, () => now);
		const first = await processes[0].get(grant(), post);
		await Promise.all(processes.map((a) => a.get(grant(), post)));
		expect(sim.counters.oauthMints).toBe(1);
		now = first.expiresAt - 4_000; // inside the skew for every process
		const renewed = await Promise.all(processes.flatMap((a) => [a.get(grant(), post), a.get(grant(), post)]));
		expect(new Set(renewed.map((t) => t.value)).size).toBe(1);
		expect(renewed[0].value).not.toBe(first.value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('after a 401 on one process, the others adopt the token it minted: no second mint', async () => {
		const [a, b, c] = fleetOf(3);
		const t1 = await a.get(grant(), post);
		await b.get(grant(), post);
		await c.get(grant(), post);
		sim.revokeAllTokens();
		// Process a sees the 401 first: the check confirms it, a mints under the lock and publishes.
		expect(await a.check(grant(), t1.value, undiciCheck({ allowUnauthorizedCerts: false }))).toBe('refused');
		const t2 = await a.get(grant(), post);
		// b and c meet their own 401s for t1 a moment later.
		b.refuse(grant(), t1.value);
		c.refuse(grant(), t1.value);
		expect((await b.get(grant(), post)).value).toBe(t2.value);
		expect((await c.get(grant(), post)).value).toBe(t2.value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('Force New on one process: one new token for the fleet, which the others then use', async () => {
		const [a, b] = fleetOf(2);
		const before = await a.get(grant(), post);
		const forced = await Promise.all([a.get(grant(), post, { forceNew: true }), b.get(grant(), post, { forceNew: true })]);
		expect(forced[0].value).toBe(forced[1].value);
		expect(forced[0].value).not.toBe(before.value);
		expect((await b.get(grant(), post)).value).toBe(forced[0].value);
		expect(sim.counters.oauthMints).toBe(2);
	});
});

describe('what is stored in Redis', () => {
	test('no secret and no token in clear, in any key or value; another secret cannot read it and mints its own', async () => {
		const [a] = fleetOf(1);
		const token = await a.get(grant(), post);
		const client = raw();
		await client.connect();
		try {
			const keys = await client.keys(`fleet-test-${prefix}:*`);
			expect(keys).toHaveLength(1);
			const value = (await client.get(keys[0])) ?? '';
			for (const text of [keys[0], value]) {
				expect(text).not.toContain(DEMO.clientSecret);
				expect(text).not.toContain(token.value);
				expect(text).not.toContain(token.value.split('.')[1]); // not even the JWT's payload
			}
			expect(value).toMatch(/^\d+\.v1\./);
			// Tampered ciphertext: unreadable, as if there were none.
			const [other] = fleetOf(1);
			const tampered = value.replace(/\.([A-Za-z0-9_-])/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
			await client.set(keys[0].replace(`fleet-test-${prefix - 1}`, `fleet-test-${prefix}`), tampered);
			expect(await other.find(grant())).toBeUndefined();
		} finally {
			client.disconnect();
		}
		// The same fleet, another secret (say, a changed credential): its own identity, its own token.
		const [changed] = fleetOf(1);
		expect((await changed.get(grant('another-secret-entirely'), post).catch(() => undefined))?.value).not.toBe(token.value);
	});

	test('tokens only move forward: publishing an older token leaves the newer one', async () => {
		const [a] = fleetOf(1);
		const fleet = fleets[fleets.length - 1];
		const newer: AccessToken = { value: 'newer', mintedAt: Date.now(), expiresAt: Date.now() + 600_000 };
		const older: AccessToken = { value: 'older', mintedAt: Date.now() - 10_000, expiresAt: Date.now() + 600_000 };
		await fleet.publish(grant(), newer, false);
		await fleet.publish(grant(), older, false); // offered by a process that minted alone (Redis was away)
		expect((await fleet.read(grant()))?.value).toBe('newer');
		expect((await a.find(grant()))?.value).toBe('newer');
	});
});

describe('failures of the fleet never fail an item', () => {
	const warnings: string[] = [];
	beforeAll(() => {
		const record = (message: string) => warnings.push(message);
		LoggerProxy.init({ error: () => {}, warn: record, info: () => {}, debug: () => {} } as never);
	});

	test('a lock holder that died: minting waits at most one lock lifetime, then one mint', async () => {
		const [a] = fleetOf(1);
		await a.find(grant()); // derives this identity's key names (see below)
		// Another process took the lock and died before minting: the lock is there, nobody renews it.
		const client = raw();
		await client.connect();
		const lockKey = (await client.keys(`fleet-test-${prefix}:*`)).length === 0 ? undefined : 'unexpected';
		expect(lockKey).toBeUndefined();
		const fleet = fleets[fleets.length - 1];
		const release = await fleet.lock(grant());
		expect(release).toBeDefined();
		const [key] = await client.keys(`fleet-test-${prefix}:*:lock:*`);
		await release!(); // stops this process's renewal …
		await client.set(key, 'a-process-that-died', 'PX', LOCK_TTL_MS); // … and a dead holder takes the lock
		client.disconnect();
		const started = Date.now();
		const token = await a.get(grant(), post);
		expect(token.value).toEqual(expect.any(String));
		expect(Date.now() - started).toBeLessThan(LOCK_TTL_MS + 1_000);
		expect(sim.counters.oauthMints).toBe(1);
	}, 20_000);

	test('no Redis at all (unreachable): each process mints on its own, a warning in n8n\'s log', async () => {
		warnings.length = 0;
		const closed = await startRedisServer();
		const port = closed.port;
		await closed.stop();
		const [a] = fleetOf(1, port);
		const token = await a.get(grant(), post);
		expect(token.value).toEqual(expect.any(String));
		expect(sim.counters.oauthMints).toBe(1);
		expect(warnings.join('\n')).toMatch(/Redis/);
	}, 20_000);

	test.each([
		['a Redis that accepts connections and never answers', (port: number) => ({ QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) })],
		['a Redis Cluster that is unreachable', (port: number) => ({ QUEUE_BULL_REDIS_CLUSTER_NODES: `127.0.0.1:${port}` })],
	])('%s: every call has a deadline, the process mints alone within seconds', async (_case, settings) => {
		const silent = createServer(() => undefined); // takes the connection, says nothing
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		try {
			const fleet = redisFleetFromEnvironment({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_PREFIX: `fleet-test-${++prefix}`, ...settings((silent.address() as AddressInfo).port) }, [])!;
			fleets.push(fleet);
			const authority = new TokenAuthority(undefined, fleet);
			const started = Date.now();
			expect((await authority.get(grant(), post)).value).toEqual(expect.any(String));
			expect(Date.now() - started).toBeLessThan(15_000);
			expect(sim.counters.oauthMints).toBe(1);
		} finally {
			silent.close();
		}
	}, 30_000);

	test('a living holder whose token request is slow (16 s): the others wait for its token, no second mint', async () => {
		const [a, b] = fleetOf(2);
		sim.faults.add({ route: 'oauthToken', delayMs: 16_000 });
		const first = a.get(grant(), post);
		await new Promise((resolve) => setTimeout(resolve, 300)); // a holds the lock and is minting
		const second = b.get(grant(), post);
		const [ta, tb] = await Promise.all([first, second]);
		expect(tb.value).toBe(ta.value);
		expect(sim.counters.oauthMints).toBe(1);
	}, 40_000);

	test('Redis going away mid-run: the process goes on with its token, and mints alone after a refusal', async () => {
		const server = await startRedisServer();
		const [a] = fleetOf(1, server.port);
		const t1 = await a.get(grant(), post);
		await server.stop();
		expect((await a.get(grant(), post)).value).toBe(t1.value);
		a.refuse(grant(), t1.value);
		const t2 = await a.get(grant(), post);
		expect(t2.value).not.toBe(t1.value);
		expect(sim.counters.oauthMints).toBe(2);
	}, 20_000);
});
