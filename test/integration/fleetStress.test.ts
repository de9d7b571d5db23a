/**
 * The fleet under the stresses users meet (a busy thread pool, Redis Cluster, clocks that disagree, a
 * token endpoint that drips), with real redis-server processes and the simulator: several token
 * authorities, each with its own Redis client and its own clock, stand for n8n's main and workers.
 */
import { pbkdf2 } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import Redis from 'ioredis';

import { startRedisCluster, startRedisServer } from '../helpers/redisServer';
import type { RedisCluster, RedisServer } from '../helpers/redisServer';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { alationClientCredentialsGrant } from '../../nodes/shared/auth/grants';
import { fleetRedisFromEnvironment, untilReady } from '../../nodes/shared/fleetRedis';
import { TokenAuthority } from '../../nodes/shared/token/authority';
import { RedisFleet } from '../../nodes/shared/token/fleet';
import { undiciPost } from '../../nodes/shared/token/transports';

const sim = useSimulator();
let redis: RedisServer;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
	redis = await startRedisServer();
}, 200_000);
afterAll(async () => {
	for (const close of closers) await close();
	await redis.stop();
});

const grant = () => alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: DEMO.clientSecret });
const post = undiciPost({ allowUnauthorizedCerts: false });
let prefixes = 0;
const nextPrefix = () => `stress-${++prefixes}`;

/** One process of a fleet: its own Redis connection, its own clock. */
function processOf(prefix: string, now: () => number = Date.now, options?: ConstructorParameters<typeof TokenAuthority>[2]): TokenAuthority {
	const redisOf = fleetRedisFromEnvironment({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(redis.port), QUEUE_BULL_PREFIX: prefix }, [])!;
	const fleet = new RedisFleet(redisOf.client, redisOf.prefix, now);
	closers.push(async () => await fleet.close());
	return new TokenAuthority(now, fleet, options);
}

async function lockKeys(prefix: string): Promise<string[]> {
	const client = new Redis({ host: '127.0.0.1', port: redis.port });
	try {
		return await client.keys(`${prefix}:n8n-nodes-alation:lock:*`);
	} finally {
		client.disconnect();
	}
}

/** Keeps libuv's thread pool (4 threads) busy with `jobs` jobs of about `ms` each, as file, DNS and crypto work in n8n can. */
async function occupyThreadPool(jobs: number, ms: number): Promise<void> {
	// Calibrated on this machine: iterations that take about `ms` on one thread.
	const probe = 20_000;
	const started = Date.now();
	await new Promise((resolve, reject) => pbkdf2('x', 'y', probe, 32, 'sha512', (error) => (error ? reject(error) : resolve(undefined))));
	const iterations = Math.max(probe, Math.round((probe * ms) / Math.max(1, Date.now() - started)));
	await Promise.all(
		Array.from({ length: jobs }, async () => await new Promise((resolve, reject) => pbkdf2('x', 'y', iterations, 32, 'sha512', (error) => (error ? reject(error) : resolve(undefined))))),
	);
}

describe('a busy thread pool (key derivation waits behind other work)', () => {
	test('the first mint under a busy pool leaves no lock behind: the next forced mint elsewhere does not wait', async () => {
		const prefix = nextPrefix();
		const [a, b] = [processOf(prefix), processOf(prefix)];
		const busy = occupyThreadPool(4, 3_500);
		await sleep(50); // the jobs are queued before the mint asks for its keys
		const t1 = await a.get(grant(), post);
		await busy;
		await sleep(1_000); // time for a late SET NX to land, were one still on its way
		expect(await lockKeys(prefix)).toEqual([]);
		const started = Date.now();
		const t2 = await b.get(grant(), post, { forceNew: true });
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(t2.value).not.toBe(t1.value);
		expect(await lockKeys(prefix)).toEqual([]);
	}, 40_000);
});

describe('Redis Cluster', () => {
	let cluster: RedisCluster;
	beforeAll(async () => {
		cluster = await startRedisCluster(3);
	}, 60_000);
	afterAll(async () => await cluster?.stop());

	const clusterEnv = (prefix: string) => ({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_BULL_PREFIX: prefix });

	test('a new worker\'s first command, sent while the cluster connects, waits for it instead of failing', async () => {
		// The cause, as ioredis has it: a command sent before the cluster is ready is refused at once.
		const bare = fleetRedisFromEnvironment(clusterEnv(`{${nextPrefix()}}`), [])!;
		closers.push(async () => bare.client.disconnect());
		await expect(bare.client.get('stress:first')).rejects.toThrow(/Cluster isn't ready/);
		// What the fleet does before each command (RedisFleet, ChatMemory): wait for the first connection.
		const fresh = fleetRedisFromEnvironment(clusterEnv(`{${nextPrefix()}}`), [])!;
		closers.push(async () => fresh.client.disconnect());
		expect(fresh.client.status).not.toBe('ready');
		await untilReady(fresh.client);
		await expect(fresh.client.get('stress:first')).resolves.toBeNull();
	});

	test('workers started one after another share one token: 1 mint', async () => {
		const prefix = `{${nextPrefix()}}`;
		const start = () => {
			const r = fleetRedisFromEnvironment(clusterEnv(prefix), [])!;
			const fleet = new RedisFleet(r.client, r.prefix);
			closers.push(async () => await fleet.close());
			return new TokenAuthority(Date.now, fleet);
		};
		const t1 = await start().get(grant(), post);
		const t2 = await start().get(grant(), post);
		const t3 = await start().get(grant(), post);
		expect([t2.value, t3.value]).toEqual([t1.value, t1.value]);
		expect(sim.counters.oauthMints).toBe(1);
	}, 30_000);
});

describe('clocks that disagree (tokens are ordered without comparing wall clocks across processes)', () => {
	test('a worker 120 s fast adopts the token a normal worker minted after its own: no second mint after its 401', async () => {
		const prefix = nextPrefix();
		const normal = processOf(prefix);
		const fast = processOf(prefix, () => Date.now() + 120_000);
		const t1 = await fast.get(grant(), post);
		await sleep(20); // a later mint, in real time
		const t2 = await normal.get(grant(), post, { forceNew: true });
		expect(t2.value).not.toBe(t1.value);
		// The fast worker's token is refused (the normal one's mint invalidated it): it takes t2.
		fast.refuse(grant(), t1.value);
		const taken = await fast.get(grant(), post);
		expect(taken.value).toBe(t2.value);
		expect(sim.counters.oauthMints).toBe(2);
	}, 20_000);

	test('a worker 2 s fast: the same', async () => {
		const prefix = nextPrefix();
		const normal = processOf(prefix);
		const fast = processOf(prefix, () => Date.now() + 2_000);
		const t1 = await fast.get(grant(), post);
		await sleep(20); // a later mint, in real time
		const t2 = await normal.get(grant(), post, { forceNew: true });
		fast.refuse(grant(), t1.value);
		expect((await fast.get(grant(), post)).value).toBe(t2.value);
		expect(sim.counters.oauthMints).toBe(2);
	}, 20_000);

	test('a worker 120 s slow renews a token another worker minted when it is due, not 120 s late', async () => {
		sim.options.tokenLifetimeSeconds = 12;
		const prefix = nextPrefix();
		const normal = processOf(prefix);
		const slow = processOf(prefix, () => Date.now() - 120_000);
		const t1 = await normal.get(grant(), post);
		expect((await slow.get(grant(), post)).value).toBe(t1.value);
		await sleep(8_000); // past the renewal point (12 s − 5 s skew)
		expect((await slow.find(grant()))?.value).not.toBe(t1.value);
		const t2 = await slow.get(grant(), post);
		expect(t2.value).not.toBe(t1.value);
		expect((await normal.get(grant(), post)).value).toBe(t2.value);
		expect(sim.counters.oauthMints).toBe(2);
	}, 30_000);
});

describe('a token endpoint that drips (a byte every 500 ms, never ending)', () => {
	test('one overall deadline ends the shared request for every waiter, with a clear error, and releases the lock', async () => {
		const prefix = nextPrefix();
		const [a, b] = [processOf(prefix, Date.now, { tokenDeadlineMs: 3_000 }), processOf(prefix, Date.now, { tokenDeadlineMs: 3_000 })];
		const stop = sim.intercept(
			'POST',
			'/oauth/v2/token/',
			async (_req, res) => {
				res.writeHead(200, { 'content-type': 'application/json' });
				for (let i = 0; i < 60 && !res.destroyed; i++) {
					res.write(' ');
					await sleep(500);
				}
				res.end('{}');
			},
			{ times: Infinity },
		);
		const started = Date.now();
		const results = await Promise.allSettled([a.get(grant(), post), a.get(grant(), post), b.get(grant(), post)]);
		stop();
		const elapsed = Date.now() - started;
		for (const result of results) {
			expect(result.status).toBe('rejected');
			expect(String((result as PromiseRejectedResult).reason)).toMatch(/did not complete within 3 s/);
		}
		expect(elapsed).toBeLessThan(10_000);
		expect(await lockKeys(prefix)).toEqual([]);
		// The endpoint answers again: one mint, no waiting for a stale lock.
		const token = await b.get(grant(), post);
		expect(token.value).toEqual(expect.any(String));
	}, 40_000);
});
