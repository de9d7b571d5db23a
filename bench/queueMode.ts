/**
 * Benchmark 6b — queue mode against regular mode: one workflow,
 *
 *   Webhook → 100 items → Agent Chat warm-up → 1 item → Agent Chat ×1 → 100 items → Agent Chat ×100
 *
 * called on two long-running n8n instances side by side, alternately: a queue-mode fleet (`n8n start`
 * main + one `n8n worker`, a private Redis for n8n's Bull queue and the package's shared token) and a
 * regular-mode `n8n start`. Both use the instance's Postgres (regular mode in a schema of its own) and
 * user folder. Per item, as in 6a: (executionTime ×100 − ×1) / 99 of the Agent Chat nodes, from the
 * run data n8n saved (read from Postgres). Redis: MONITOR on the private redis-server, counting only
 * commands naming a key under `<QUEUE_BULL_PREFIX>:n8n-nodes-alation:` (the package's keys; n8n's queue
 * traffic is under `<prefix>:jobs:`), during the calls after the first one (whose execution minted the
 * fleet's token).
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

import type { BenchN8n, RunData } from './lib/n8nInstance';
import { n8nLib, nodeRun, procLib, repoRequire } from './lib/n8nInstance';
import { agentChat, items, node, workflow } from './lib/n8nWorkflows';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { fmt, medianRange, nowMs, summarize } from './lib/stats';

const WORKFLOW_ID = 'benchQueue';
const WEBHOOK_PATH = 'bench-queue';
const PREFIX = 'benchq';
const ITEMS = 100;
/** Agent Chat items in one execution: warm-up, ×1, ×ITEMS. */
const ITEMS_PER_EXECUTION = ITEMS + 1 + ITEMS;
const START_TIMEOUT_MS = 3 * 60_000;
const CALL_TIMEOUT_MS = 120_000;

export function queueWorkflows(): object[] {
	const chain = [node('Webhook', 'n8n-nodes-base.webhook', 2, { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', options: {} }, { webhookId: randomUUID() })];
	for (const stage of ['warm-up', '×1', `×${ITEMS}`]) {
		chain.push(...items(`items (${stage})`, stage === '×1' ? 1 : ITEMS));
		chain.push(agentChat(`Agent Chat ${stage}`));
	}
	return [workflow(WORKFLOW_ID, 'bench: queue mode against regular mode', chain)];
}

/** Redis MONITOR, counting the commands that name a key starting with `needle`. */
class RedisMonitor {
	count = 0;
	private buffered = '';

	private constructor(private readonly socket: Socket) {}

	static async open(port: number, needle: string): Promise<RedisMonitor> {
		const socket = connect({ host: '127.0.0.1', port });
		const monitor = new RedisMonitor(socket);
		const quoted = `"${needle}`;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('redis MONITOR: no +OK within 10 s')), 10_000);
			socket.once('error', reject);
			socket.once('connect', () => socket.write('MONITOR\r\n'));
			socket.on('data', (chunk: Buffer) => {
				monitor.buffered += chunk.toString('utf8');
				const lines = monitor.buffered.split('\r\n');
				monitor.buffered = lines.pop() ?? '';
				for (const line of lines) {
					if (line === '+OK') {
						clearTimeout(timer);
						resolve();
					} else if (line.includes(quoted)) monitor.count += 1;
				}
			});
		});
		return monitor;
	}

	close(): void {
		this.socket.destroy();
	}
}

/** A running instance: where its webhook is, and the Postgres schema it saves executions in. */
interface Instance {
	base: string;
	schema: string;
}

const REGULAR_SCHEMA = 'regular';

/**
 * Both instances, ready, the webhook registered on each: a private Redis, `n8n start` (queue mode) and
 * one `n8n worker` on the shared instance's database; `n8n start` (regular mode) on a schema of its
 * own (the same workflow and credential imported there). Everything started is stopped by
 * closeBenchN8n().
 */
async function startInstances(n8n: BenchN8n, log: (line: string) => void): Promise<{ queue: Instance; regular: Instance; redisPort: number }> {
	const started = nowMs();
	const services = repoRequire<{ startRedis(workDir: string, recorder: unknown): Promise<{ port: number; close(): Promise<void> }> }>('test/fleet/services.js');
	const { startServer } = repoRequire<{ startServer(ctx: object, options: { port: number }): Promise<{ base: string; child: ChildProcess; close(): Promise<void> }> }>('scripts/lib/server.js');
	const { freePort, importCredentials, importWorkflows, n8nCommand, n8nEnv, nodeOf } = n8nLib();
	const { startTracked, stop, tailLines } = procLib();
	const mustSucceed = async (what: string, run: Promise<{ code: number | null; stdout: string; stderr: string }>) => {
		const result = await run;
		if (result.code !== 0) throw new Error(`${what} failed: ${tailLines(`${result.stdout}\n${result.stderr}`, 10)}`);
	};

	const regularCtx = { ...n8n.ctx, env: { ...n8n.ctx.env, DB_POSTGRESDB_SCHEMA: REGULAR_SCHEMA } };
	await n8n.pg.sql(`CREATE SCHEMA ${REGULAR_SCHEMA} AUTHORIZATION n8n`);
	const [redis] = await Promise.all([
		services.startRedis(n8n.workDir, n8n.recorder),
		mustSucceed('n8n publish:workflow (queue mode)', n8nCommand(n8n.ctx, ['publish:workflow', `--id=${WORKFLOW_ID}`], START_TIMEOUT_MS)),
		(async () => {
			await mustSucceed('n8n import:credentials (regular mode)', importCredentials(regularCtx, n8n.credentials));
			await mustSucceed('n8n import:workflow (regular mode)', importWorkflows(regularCtx, queueWorkflows()));
			await mustSucceed('n8n publish:workflow (regular mode)', n8nCommand(regularCtx, ['publish:workflow', `--id=${WORKFLOW_ID}`], START_TIMEOUT_MS));
		})(),
	]);
	n8n.onClose(() => redis.close());
	const queueEnv = {
		...n8n.ctx.env,
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		QUEUE_BULL_PREFIX: PREFIX,
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		// As the fleet suite: a job the worker finished before main waited for it stays findable.
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
	};
	const queueCtx = { ...n8n.ctx, env: queueEnv };
	const startWorker = async () => {
		const healthPort = await freePort();
		const env = n8nEnv(queueCtx.userFolder, { ...queueEnv, ...queueCtx.runtime.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()), QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(healthPort) });
		const child = startTracked(nodeOf(queueCtx.runtime), [queueCtx.runtime.bin, 'worker', '--concurrency=1'], { cwd: queueCtx.userFolder, env });
		n8n.onClose(() => stop(child, 15_000));
		const out = n8n.recorder.attach('worker', child);
		const deadline = Date.now() + START_TIMEOUT_MS;
		for (;;) {
			if (child.exitCode !== null || child.signalCode !== null) throw new Error(`n8n worker exited during start-up:\n${tailLines(out.text(), 15)}`);
			if (Date.now() > deadline) throw new Error('n8n worker: not ready within 3 minutes');
			const ready = await fetch(`http://127.0.0.1:${healthPort}/healthz/readiness`, { signal: AbortSignal.timeout(2000) }).then(
				(r) => r.status === 200,
				() => false,
			);
			if (ready) return;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	};
	const startMain = async (ctx: typeof n8n.ctx) => {
		const server = await startServer(ctx, { port: await freePort() });
		n8n.onClose(() => server.close());
		return server;
	};
	const [queueMain, regularMain] = await Promise.all([startMain(queueCtx), startMain(regularCtx), startWorker()]);
	// Production webhooks register while main starts: a GET on the POST-only webhook says when.
	for (const base of [queueMain.base, regularMain.base]) {
		for (let attempt = 0; ; attempt++) {
			const answer = await fetch(`${base}/webhook/${WEBHOOK_PATH}`, { signal: AbortSignal.timeout(5000) }).then(
				async (r) => await r.text(),
				() => '',
			);
			if (/POST/.test(answer)) break;
			if (attempt >= 120) throw new Error(`the webhook did not register on ${base}: ${answer.slice(0, 200)}`);
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}
	log(`  queue mode (Redis :${redis.port}, main ${queueMain.base}, one worker) and regular mode (${regularMain.base}) ready (${fmt((nowMs() - started) / 1000, 0)} s with the imports)`);
	return { queue: { base: queueMain.base, schema: 'public' }, regular: { base: regularMain.base, schema: REGULAR_SCHEMA }, redisPort: redis.port };
}

/** Per item of one run: (×ITEMS − ×1) / (ITEMS − 1), each Agent Chat node's executionTime. */
function perItem(run: RunData): { perItem: number; one: number; many: number } {
	const one = nodeRun(run, 'Agent Chat ×1');
	const many = nodeRun(run, `Agent Chat ×${ITEMS}`);
	const bad = many.items.filter((item) => typeof item.json.answer !== 'string' || item.json.error !== undefined).length;
	if (many.items.length !== ITEMS || bad > 0) throw new Error(`Agent Chat ×${ITEMS}: ${bad} of ${many.items.length} items without an answer`);
	return { perItem: (many.ms - one.ms) / (ITEMS - 1), one: one.ms, many: many.ms };
}

/** One webhook call; the execution's run data from Postgres once n8n has saved it. */
async function callRun(n8n: BenchN8n, instance: Instance): Promise<{ run: RunData; wallMs: number }> {
	const table = (name: string) => `${instance.schema}.${name}`;
	const [[before]] = await n8n.pg.sql(`SELECT COALESCE(MAX(id), 0) FROM ${table('execution_entity')}`);
	const t0 = nowMs();
	const response = await fetch(`${instance.base}/webhook/${WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
	const text = await response.text();
	const wallMs = nowMs() - t0;
	if (response.status !== 200) throw new Error(`webhook: HTTP ${response.status} ${text.slice(0, 300)}`);
	for (let attempt = 0; attempt < 100; attempt++) {
		const rows = await n8n.pg.sql(`SELECT e.status, d.data FROM ${table('execution_entity')} e JOIN ${table('execution_data')} d ON d."executionId" = e.id WHERE e.id > ${Number(before)} AND e."workflowId" = '${WORKFLOW_ID}' ORDER BY e.id LIMIT 1`);
		const [status, data] = rows[0] ?? [];
		if (status === 'success') {
			const flatted = require(join(n8n.runtime.dir, 'node_modules', 'flatted')) as { parse(text: string): unknown };
			return { run: { data: flatted.parse(data) } as RunData, wallMs };
		}
		if (status !== undefined && !['new', 'running', 'waiting'].includes(status)) throw new Error(`the execution (${instance.schema}) ended ${status}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`the execution (${instance.schema}) was not saved within 20 s`);
}

export async function queueModeBench(sim: RemoteSimulator, options: { reps: number; n8n: () => Promise<BenchN8n>; log: (line: string) => void }): Promise<Row[]> {
	const { log } = options;
	await sim.setOptions({ chunkDelayMs: 0, pingIntervalMs: 0 });
	await sim.serve({ kind: 'bytes', style: 'snapshot', totalBytes: 2048, events: 4, writeSize: 1024 * 1024 });
	let monitor: RedisMonitor | undefined;
	try {
		const n8n = await options.n8n();
		const instances = await startInstances(n8n, log);
		monitor = await RedisMonitor.open(instances.redisPort, `${PREFIX}:n8n-nodes-alation:`);
		const [first, firstRegular] = [await callRun(n8n, instances.queue), await callRun(n8n, instances.regular)];
		await new Promise((resolve) => setTimeout(resolve, 200));
		const firstCommands = monitor.count;
		log(`  first calls (not measured): queue ${fmt(first.wallMs / 1000, 1)} s (mints the fleet's token: ${firstCommands} Redis commands on the package's keys), regular ${fmt(firstRegular.wallMs / 1000, 1)} s`);
		const queue: number[] = [];
		const regular: number[] = [];
		const ratios: number[] = [];
		const walls: Record<'queue' | 'regular', number[]> = { queue: [], regular: [] };
		let queueCalls = 0;
		for (let r = 0; r < options.reps; r++) {
			// Alternate which mode runs first in a pair.
			const order = r % 2 === 0 ? (['queue', 'regular'] as const) : (['regular', 'queue'] as const);
			const pair: Record<string, ReturnType<typeof perItem>> = {};
			for (const mode of order) {
				const { run, wallMs } = await callRun(n8n, instances[mode]);
				if (mode === 'queue') queueCalls += 1;
				walls[mode].push(wallMs);
				pair[mode] = perItem(run);
			}
			queue.push(pair.queue.perItem);
			regular.push(pair.regular.perItem);
			ratios.push(pair.queue.perItem / pair.regular.perItem);
			log(
				`  queue ${pair.queue.one} / ${pair.queue.many} ms → ${fmt(pair.queue.perItem, 2)} ms/item; regular ${pair.regular.one} / ${pair.regular.many} ms → ${fmt(pair.regular.perItem, 2)} ms/item; ${fmt(pair.queue.perItem / pair.regular.perItem, 3)}×`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
		const laterCommands = monitor.count - firstCommands;
		const perItemCommands = laterCommands / (queueCalls * ITEMS_PER_EXECUTION);
		const ratio = summarize(ratios);
		const ok = ratio.median <= 1.05 && perItemCommands <= 1;
		return [
			{
				id: '6b',
				measure: `queue mode (main + 1 worker, Redis, Postgres) against regular mode (n8n start, Postgres), the same webhook workflow called alternately: Agent Chat per item ((executionTime ×${ITEMS} − ×1) / ${ITEMS - 1}); Redis commands on the package's keys per Agent Chat item after the first token`,
				ours: `${medianRange(summarize(queue), 2)} ms/item, ${medianRange(ratio, 3)}× regular mode (${ratios.length} pairs, alternating order); ${fmt(perItemCommands, 3)} Redis commands/item (${laterCommands} in ${queueCalls} executions × ${ITEMS_PER_EXECUTION} items; the first execution, which minted the fleet's token: ${firstCommands}); webhook call ${fmt(summarize(walls.queue).median / 1000, 2)} s (regular ${fmt(summarize(walls.regular).median / 1000, 2)} s) for ${ITEMS_PER_EXECUTION} items`,
				reference: `regular mode ${medianRange(summarize(regular), 2)} ms/item`,
				target: '≤ 1.05× regular; ≤ 1 Redis command/item',
				verdict: verdict(ok),
			},
		];
	} finally {
		monitor?.close();
		await sim.unserve();
	}
}
