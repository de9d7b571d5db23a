#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run test:fleet [-- --json --outputFile=<file>] [--keep]`: this package in a real n8n fleet in
 * queue mode, against the loopback Alation simulator. One `n8n start` (main: editor, API, webhooks)
 * and FLEET_WORKERS × `n8n worker` (default 3, FLEET_CONCURRENCY jobs each, default 10) share one user
 * folder and encryption key, a private Postgres and a private Redis (test/fleet/services.js). A
 * published workflow Webhook → Agent Chat is called on main's /webhook/…; every call runs on some
 * worker, so concurrent workers use one Alation credential at once — and Alation invalidates a
 * client's previous token on every mint. Scenarios: a cold burst, a warm burst, then steady load with
 * 20 s and with 60 s tokens. Each scenario passes when it minted at most (token periods it spans + 1)
 * tokens and no call failed. Prints a table, exits 1 if any scenario fails.
 *
 * FLEET_QUICK=1 shortens the steady-load scenarios (local iteration), FLEET_KEEP=1 (or --keep) keeps
 * the work folder (user folder, Postgres, raw outputs) also after a pass.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { ensureN8n } = require('../../scripts/lib/install-n8n');
const { freshFolder, prepareInstance } = require('../../scripts/lib/instance');
const { formatDuration, info, step } = require('../../scripts/lib/log');
const { freePort, n8nCommand, n8nEnv } = require('../../scripts/lib/n8n');
const { PACKAGE } = require('../../scripts/lib/package');
const { WORK_ROOT } = require('../../scripts/lib/paths');
const { isStopping, onCleanup, runCleanups, startTracked, stop, stopAll, tailLines } = require('../../scripts/lib/proc');
const { login, startServer } = require('../../scripts/lib/server');
const { startLocalSimulator } = require('../../scripts/lib/simulator');
const { answerText } = require('../simulator');
const { crashResults, jestResults, writeResults } = require('../../scripts/lib/report');
const { Recorder } = require('./recorder');
const { startPostgres, startRedis, waitUntil } = require('./services');


/**
 * How long one token serves before the package renews it: its lifetime less the skew (dist/, built first).
 *
 * @param {number} lifetimeSeconds
 */
function renewalPeriodMs(lifetimeSeconds) {
	// A computed path: the type checker must not need dist/ (it is built just before this runs).
	const { skewMs } = require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'shared', 'auth', 'tokenCache.js'));
	const lifetimeMs = lifetimeSeconds * 1000;
	return lifetimeMs - skewMs({ mintedAt: 0, expiresAt: lifetimeMs });
}

/** The whole run, first n8n install excluded, must finish in this time. */
const SUITE_TIMEOUT_MS = 14 * 60 * 1000;
/** A bound for each n8n process to become ready, and for each webhook call. */
const START_TIMEOUT_MS = 3 * 60 * 1000;
const CALL_TIMEOUT_MS = 90 * 1000;
const AGENT_NAME = 'Catalog Search Agent';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (argValue('--outputFile') ?? path.join('.ci-results', 'fleet.json')) : argValue('--outputFile');
const keep = args.includes('--keep') || process.env.FLEET_KEEP === '1';
const quick = process.env.FLEET_QUICK === '1';
const WORKERS = positiveInt('FLEET_WORKERS', 3);
const CONCURRENCY = positiveInt('FLEET_CONCURRENCY', 10);

/** @param {string} name */
function argValue(name) {
	const inline = args.find((a) => a.startsWith(`${name}=`));
	if (inline) return inline.slice(name.length + 1);
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
}

/**
 * @param {string} name
 * @param {number} fallback
 */
function positiveInt(name, fallback) {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
	return value;
}

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {string} workflowId
 * @property {string} webhookPath
 * @property {number} lifetimeSeconds   of the tokens the simulator issues during the scenario
 * @property {number} [burst]           calls sent at once
 * @property {{ batch: number, everyMs: number, durationMs: number }} [steady]  `batch` calls every `everyMs`
 * @property {string} note
 */

/**
 * @typedef {object} CallResult
 * @property {boolean} ok
 * @property {number} status     HTTP status, 0 when no answer
 * @property {number} startedAt
 * @property {number} endedAt
 * @property {string} [problem]  why the call failed
 */

/**
 * @typedef {object} ScenarioResult
 * @property {string} name
 * @property {boolean} pass
 * @property {number} calls
 * @property {number} mints
 * @property {number} unauthorized
 * @property {number} failedCalls
 * @property {number} failedExecutions   executions that did not end in success (from the database)
 * @property {number} executions
 * @property {number} periods
 * @property {number} mintLimit
 * @property {number} durationMs
 * @property {number} p50Ms
 * @property {number} maxMs
 * @property {number[]} perWorker        executions each worker started
 * @property {string[]} problems         distinct failure reasons with counts
 * @property {string} [executionError]   the error of one failed execution, as n8n recorded it
 */

/** A random secret for an OAuth client of the simulator (scanned for in every output). */
const secret = () => `fleet-${crypto.randomBytes(12).toString('hex')}`;

/** Ports handed out in this run: freePort() could name one twice before anything binds it. */
const usedPorts = new Set();
async function uniquePort() {
	for (let i = 0; i < 20; i++) {
		const port = await freePort();
		if (!usedPorts.has(port)) {
			usedPorts.add(port);
			return port;
		}
	}
	throw new Error('no free loopback port');
}

/**
 * Webhook (POST, answers with the last node's output) → Agent Chat asking the catalog search agent
 * the question in the request body.
 *
 * @param {string} id
 * @param {string} webhookPath
 * @param {{ id: string, name: string }} credential
 */
function webhookWorkflow(id, webhookPath, credential) {
	return {
		id,
		name: `fleet: ${webhookPath}`,
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
		nodes: [
			{
				id: `${id}-webhook`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: crypto.randomUUID(),
				parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'lastNode', options: {} },
			},
			{
				id: `${id}-chat`,
				name: 'Agent Chat',
				type: `${PACKAGE.name}.alationAgentChat`,
				typeVersion: 1,
				position: [220, 0],
				parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: '={{ $json.body.question }}', options: {} },
				credentials: { alationApi: credential },
			},
		],
		connections: { Webhook: { main: [[{ node: 'Agent Chat', type: 'main', index: 0 }]] } },
	};
}

/** The public chat's webhook id (its URL is /webhook/<id>/chat). */
const CHAT_WEBHOOK_ID = crypto.randomUUID();
const CHAT_MESSAGES = 8;

/**
 * Chat Trigger (public, answers when the last node finishes) → Agent Chat with Chat ID empty: each
 * message of a chat session is an execution that any worker may run, and must continue the session's
 * Alation chat (AlationAgentChat/chatMemory.ts keeps it in the fleet's Redis).
 *
 * @param {{ id: string, name: string }} credential
 */
function chatWorkflow(credential) {
	return {
		id: 'fleetChat',
		name: 'fleet: chat session',
		active: false,
		settings: { executionOrder: 'v1' },
		pinData: {},
		nodes: [
			{
				id: 'fleetChat-trigger',
				name: 'Chat',
				type: '@n8n/n8n-nodes-langchain.chatTrigger',
				typeVersion: 1.3,
				position: [0, 0],
				webhookId: CHAT_WEBHOOK_ID,
				parameters: { public: true, mode: 'webhook', options: { responseMode: 'lastNode' } },
			},
			{
				id: 'fleetChat-agent',
				name: 'Agent Chat',
				type: `${PACKAGE.name}.alationAgentChat`,
				typeVersion: 1,
				position: [220, 0],
				parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: '={{ $json.chatInput }}', options: {} },
				credentials: { alationApi: credential },
			},
		],
		connections: { Chat: { main: [[{ node: 'Agent Chat', type: 'main', index: 0 }]] } },
	};
}

/**
 * One chat session of CHAT_MESSAGES messages, one after another: message n must be answered as
 * turn n of one Alation chat, and the executions must have run on more than one worker.
 *
 * @param {{ base: string, workers: Worker[], recorder: Recorder }} env
 */
async function runChatSession(env) {
	const started = Date.now();
	const log = env.recorder.lines('responses-chat-session');
	const before = env.workers.map((w) => w.executions());
	/** @type {string[]} */
	const problems = [];
	/** @type {string[]} */
	const turns = [];
	for (let n = 1; n <= CHAT_MESSAGES; n++) {
		const question = `Chat message ${n}`;
		const response = await fetch(`${env.base}/webhook/${CHAT_WEBHOOK_ID}/chat`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ action: 'sendMessage', sessionId: 'fleet-session', chatInput: question }),
			signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
		}).catch((/** @type {unknown} */ error) => error);
		if (!(response instanceof Response)) {
			problems.push(`message ${n}: no answer (${String(response)})`);
			continue;
		}
		const text = await response.text();
		log.write(`${question} → HTTP ${response.status}: ${text.slice(0, 1000)}`);
		const turn = /\(turn (\d+)\)/.exec(text)?.[1] ?? '?';
		turns.push(turn);
		let answer;
		try {
			answer = JSON.parse(text).answer;
		} catch {
			answer = undefined;
		}
		if (response.status !== 200 || answer !== answerText(question, AGENT_NAME, n)) problems.push(`message ${n}: HTTP ${response.status}, turn ${turn}: ${text.slice(0, 160)}`);
	}
	log.end();
	const perWorker = env.workers.map((w, i) => w.executions() - before[i]);
	const workersUsed = perWorker.filter((count) => count > 0).length;
	if (workersUsed < 2) problems.push(`all ${CHAT_MESSAGES} executions ran on one worker (${perWorker.join(' / ')}): nothing shown about sharing`);
	return { pass: problems.length === 0, problems, turns, perWorker, durationMs: Date.now() - started };
}

/** @param {number[]} values */
function percentile50(values) {
	if (values.length === 0) return 0;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
	const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
	const line = (/** @type {string[]} */ cells) =>
		cells
			.map((cell, c) => cell.padEnd(widths[c]))
			.join('  ')
			.trimEnd();
	return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
	const startTime = Date.now();
	info(`${PACKAGE.name} fleet suite: n8n in queue mode (main + ${WORKERS} workers × concurrency ${CONCURRENCY}), against the Alation simulator\n`);
	const runtime = await ensureN8n();
	const suiteStarted = Date.now();
	const watchdog = setTimeout(() => {
		process.stderr.write(`\nThe fleet suite did not finish within ${formatDuration(SUITE_TIMEOUT_MS)}: stopping.\n`);
		void stopAll(3000)
			.then(runCleanups)
			.finally(() => process.exit(1));
	}, SUITE_TIMEOUT_MS);
	watchdog.unref();

	const workDir = freshFolder(WORK_ROOT, 'fleet');
	// mkdtemp makes it 0700; the Postgres cluster inside belongs to the postgres user when this is root.
	fs.chmodSync(workDir, 0o755);
	const userFolder = path.join(workDir, 'n8n');
	const recorder = new Recorder(path.join(workDir, 'outputs'));
	let passed = false;
	onCleanup(() => {
		if (passed && !keep) fs.rmSync(workDir, { recursive: true, force: true });
	});
	/** Printed when anything fails: where to look, and the last lines of every process. */
	const report = () => {
		info(`\nLast lines of each process and command (everything is in ${path.relative(process.cwd(), recorder.dir)}):`);
		info(recorder.tails(12, (label) => !label.startsWith('responses-')));
	};

	try {
		await runSuite({ runtime, workDir, userFolder, recorder, startTime, suiteStarted }).then((ok) => {
			passed = ok;
		});
	} catch (error) {
		if (!isStopping()) {
			process.stderr.write(`\nfleet suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			writeJson(crashResults());
		}
		passed = false;
	}
	if (!passed) report();
	if (!passed || keep) info(`\nWork folder (n8n user folder, Postgres cluster, raw outputs) kept in ${path.relative(process.cwd(), workDir)}`);
	clearTimeout(watchdog);
	step('Stopping everything');
	const stopping = Date.now();
	await stopAll(15000);
	await runCleanups();
	info(`  stopped (${formatDuration(Date.now() - stopping)}); total ${formatDuration(Date.now() - startTime)}`);
	process.exitCode = passed ? 0 : 1;
}

/** @param {object} json */
function writeJson(json) {
	if (!jsonOut) return;
	writeResults(jsonOut, json);
	info(`results: ${jsonOut}`);
}

/**
 * @param {{ runtime: import('../../scripts/lib/install-n8n').N8nRuntime, workDir: string, userFolder: string,
 *   recorder: Recorder, startTime: number, suiteStarted: number }} p
 * @returns {Promise<boolean>} true when every scenario passed
 */
async function runSuite(p) {
	const { runtime, workDir, userFolder, recorder } = p;

	let started = Date.now();
	step('Private Redis and Postgres on free loopback ports');
	const redis = await startRedis(workDir, recorder);
	const pg = await startPostgres(workDir, recorder);
	info(`  Redis on 127.0.0.1:${redis.port}, Postgres ${pg.version} on 127.0.0.1:${pg.port} (${formatDuration(Date.now() - started)})`);

	// One OAuth client per credential: Alation invalidates a client's previous token on every mint,
	// so each scenario that must start cold gets a client (and a credential) of its own.
	const clients = {
		burst: { clientId: 'fleet-burst', clientSecret: secret() },
		steady20: { clientId: 'fleet-steady-20s', clientSecret: secret() },
		steady60: { clientId: 'fleet-steady-60s', clientSecret: secret() },
	};
	const secrets = Object.values(clients).map((c) => c.clientSecret);
	const sim = await startLocalSimulator({ oauthClients: Object.fromEntries(Object.values(clients).map((c) => [c.clientId, c.clientSecret])) });
	info(`  Alation simulator on ${sim.url}`);

	const credential = (/** @type {string} */ id, /** @type {string} */ name, /** @type {{ clientId: string, clientSecret: string }} */ client) => ({
		id,
		name,
		type: 'alationApi',
		data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: client.clientId, clientSecret: client.clientSecret },
	});
	const credentials = [
		credential('fleetBurst', 'fleet Alation (bursts)', clients.burst),
		credential('fleetSteady20', 'fleet Alation (20 s tokens)', clients.steady20),
		credential('fleetSteady60', 'fleet Alation (60 s tokens)', clients.steady60),
	];
	const ref = (/** @type {number} */ i) => ({ id: credentials[i].id, name: credentials[i].name });
	const workflows = [
		webhookWorkflow('fleetBurst', 'alation-fleet-burst', ref(0)),
		webhookWorkflow('fleetSteady20', 'alation-fleet-20s', ref(1)),
		webhookWorkflow('fleetSteady60', 'alation-fleet-60s', ref(2)),
		chatWorkflow(ref(0)),
	];

	/** @type {Scenario[]} */
	const scenarios = [
		{ name: 'cold burst', workflowId: 'fleetBurst', webhookPath: 'alation-fleet-burst', lifetimeSeconds: 3600, burst: 30, note: 'no token held' },
		{ name: 'warm burst', workflowId: 'fleetBurst', webhookPath: 'alation-fleet-burst', lifetimeSeconds: 3600, burst: 30, note: 'right after the cold one' },
		{
			name: '20 s tokens',
			workflowId: 'fleetSteady20',
			webhookPath: 'alation-fleet-20s',
			lifetimeSeconds: 20,
			steady: { batch: 10, everyMs: 2000, durationMs: quick ? 30000 : 60000 },
			note: `10 calls every 2 s for ${quick ? 30 : 60} s`,
		},
		{
			name: '60 s tokens',
			workflowId: 'fleetSteady60',
			webhookPath: 'alation-fleet-60s',
			lifetimeSeconds: 60,
			steady: { batch: 10, everyMs: 2000, durationMs: quick ? 70000 : 130000 },
			note: `10 calls every 2 s for ${quick ? 70 : 130} s`,
		},
	];

	// Every n8n process of the fleet: the same user folder and encryption key (n8nEnv), Postgres,
	// queue mode on our Redis. The package's shared token store finds Redis by the same variables.
	const queueEnv = {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(pg.port),
		DB_POSTGRESDB_DATABASE: 'n8n',
		DB_POSTGRESDB_USER: 'n8n',
		DB_POSTGRESDB_PASSWORD: '',
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		// Manual executions go to the workers too (and n8n stops warning that they do not).
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// Stopping takes seconds, not n8n's default 30 s per process.
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		// n8n removes a finished job from the Bull queue at once by default (keep last 0). A job that a
		// worker finishes before main has started waiting for it (main logs "Execution N finished"
		// before "Enqueued execution N") is then gone, and main's job.finished() waits forever: the
		// webhook call never gets an answer. Seen about once in 500 calls of a few ms each here. Kept
		// jobs make main find the result; this is n8n's race, not the package's, so the suite avoids it.
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
	};

	started = Date.now();
	const ctx = await prepareInstance({
		runtime,
		userFolder,
		credentials,
		workflows,
		env: queueEnv,
		onOutput: (label, text) => recorder.record(label, text),
	});
	step(`Publishing ${workflows.length} webhook workflows (n8n publish:workflow, before n8n starts)`);
	const publishStarted = Date.now();
	for (const w of workflows) {
		// One at a time: three n8n CLI start-ups at once are slower than in a row on a small machine.
		const result = await n8nCommand(ctx, ['publish:workflow', `--id=${w.id}`], START_TIMEOUT_MS);
		recorder.record(`publish-${w.id}`, `${result.stdout}\n${result.stderr}`);
		if (result.code !== 0) throw new Error(`n8n publish:workflow --id=${w.id} failed (exit ${String(result.code)}):\n${tailLines(`${result.stdout}\n${result.stderr}`)}`);
	}
	info(`  published (${formatDuration(Date.now() - publishStarted)}); set-up so far ${formatDuration(Date.now() - started)}`);

	step(`Starting n8n main (n8n start) and ${WORKERS} × n8n worker --concurrency=${CONCURRENCY}`);
	started = Date.now();
	const mainLog = recorder.lines('n8n-main');
	// Jobs a worker finished before main logged that it enqueued them (see the queue settings above).
	const enqueued = new Set();
	let finishedFirst = 0;
	const onMainLine = (/** @type {string} */ line) => {
		mainLog.write(line);
		const queued = /Enqueued execution (\d+)/.exec(line);
		if (queued) enqueued.add(queued[1]);
		const done = /^Execution (\d+) \(job \d+\) finished/.exec(line);
		if (done && !enqueued.has(done[1])) finishedFirst += 1;
	};
	const mainPort = await uniquePort();
	// All at once, and awaited together: if one fails, the others' later failures are handled too.
	const [server, workers] = await Promise.all([
		startServer(ctx, { port: mainPort, onLine: onMainLine }),
		Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(ctx, i, recorder))),
	]);
	server.child.once('close', () => mainLog.end());
	info(`  main on ${server.base}; workers ready: ${workers.map((w) => `${w.label} (health :${w.healthPort})`).join(', ')} (${formatDuration(Date.now() - started)})`);

	// Production webhooks are registered while main starts; a GET on a POST-only webhook tells whether
	// one is registered without running the workflow.
	/** @type {string[]} */
	const probes = [];
	for (const w of workflows) {
		const first = /** @type {{ path?: string }} */ (w.nodes[0].parameters);
		const webhookPath = w.id === 'fleetChat' ? `${CHAT_WEBHOOK_ID}/chat` : String(first.path);
		let last = '';
		await waitUntil(
			`webhook /webhook/${webhookPath} registered on main`,
			async () => {
				const r = await fetch(`${server.base}/webhook/${webhookPath}`, { signal: AbortSignal.timeout(5000) });
				last = `HTTP ${r.status} ${(await r.text()).slice(0, 300)}`;
				probes.push(`GET /webhook/${webhookPath} → ${last}`);
				// Unknown path: 404 "… is not registered". Registered for POST only: 404 "… not registered
				// for GET requests. Did you mean to make a POST request?".
				// The Chat Trigger also serves GET (its chat page), which answers without "not registered".
				return /POST/.test(last) || !/not registered/.test(last);
			},
			{ timeoutMs: 60000, everyMs: 500, gone: () => (server.child.exitCode !== null ? 'n8n main exited' : null) },
		).catch((error) => {
			throw new Error(`${error instanceof Error ? error.message : String(error)}; last answer: ${last}`);
		});
	}
	recorder.record('webhook-probes', probes.join('\n'));
	const session = await login(server.base).catch(() => null);

	step(`Scenarios (${quick ? 'FLEET_QUICK: shortened steady load' : 'full set'})`);
	/** @type {ScenarioResult[]} */
	const results = [];
	for (const scenario of scenarios) {
		const result = await runScenario(scenario, { base: server.base, sim, pg, workers, recorder, session, runtime });
		results.push(result);
		const verdict = result.pass ? 'pass' : 'FAIL';
		info(
			`  ${scenario.name}: ${verdict} — ${result.calls} calls, ${result.mints} mints (limit ${result.mintLimit}), ${result.unauthorized}×401, ${result.failedCalls} failed calls, ${result.failedExecutions} failed executions (${formatDuration(result.durationMs)})`,
		);
		for (const problem of result.problems.slice(0, 4)) info(`      ${problem}`);
		if (result.executionError) info(`      a failed execution: ${result.executionError}`);
	}

	const chat = await runChatSession({ base: server.base, workers, recorder });
	info(`  chat session across workers: ${chat.pass ? 'pass' : 'FAIL'} — turns ${chat.turns.join(', ')}; executions per worker ${chat.perWorker.join(' / ')} (${formatDuration(chat.durationMs)})`);
	for (const problem of chat.problems.slice(0, 4)) info(`      ${problem}`);

	const scan = recorder.scan(secrets);

	const durationMs = Date.now() - p.suiteStarted;
	const c = sim.counters;
	info(
		`\nn8n ${runtime.version} on Node ${process.versions.node}, queue mode: main + ${WORKERS} workers × concurrency ${CONCURRENCY}, Postgres ${pg.version}, Redis; simulator totals: ${c.oauthMints} OAuth mints, ${c.unauthorized}×401, ${c.requests.agentStream} agent streams\n`,
	);
	info(
		table(
			['scenario', 'webhook calls', 'mints', 'mint limit', '401s', 'failed calls', 'failed executions', 'token periods', 'time', 'p50 / max', 'executions per worker', 'verdict'],
			results.map((r, i) => [
				`${r.name} (${scenarios[i].note})`,
				String(r.calls),
				String(r.mints),
				`≤ ${r.mintLimit}`,
				String(r.unauthorized),
				String(r.failedCalls),
				String(r.failedExecutions),
				`${r.periods} × ${Math.round(renewalPeriodMs(scenarios[i].lifetimeSeconds) / 1000)} s`,
				formatDuration(r.durationMs),
				`${(r.p50Ms / 1000).toFixed(1)} / ${(r.maxMs / 1000).toFixed(1)} s`,
				r.perWorker.join(' / '),
				r.pass ? 'pass' : 'FAIL',
			]),
		),
	);
	info(`\nno secret in the raw output: ${scan.problems.length === 0 ? 'pass' : 'FAIL'} (${scan.files} outputs, ${Math.round(scan.bytes / 1024)} KB scanned for ${secrets.length} secrets)`);
	for (const problem of scan.problems) info(`  ${problem}`);
	const failed = results.filter((r) => !r.pass).length + (scan.problems.length > 0 ? 1 : 0) + (chat.pass ? 0 : 1);
	info(`n8n queue race (a job finished before main saw it enqueued, answered thanks to the kept jobs): ${finishedFirst}×`);
	info(`${results.length + 2 - failed} passed, ${failed} failed; suite ${formatDuration(durationMs)} (set-up included, n8n install excluded)`);

	writeJson(jestJson(results, scan, chat, p.startTime));

	step('Stopping n8n (main and workers)');
	started = Date.now();
	await Promise.all([server.close(), ...workers.map((w) => stop(w.child, 15000))]);
	await redis.close();
	await pg.close();
	info(`  stopped (${formatDuration(Date.now() - started)})`);
	return failed === 0;
}

/**
 * @typedef {object} Worker
 * @property {string} label
 * @property {number} healthPort
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => number} executions   executions this worker started so far (from its log)
 */

/**
 * `n8n worker --concurrency=N` with its own health-check port and task-runner broker port (every n8n
 * process starts a task broker; two on one port fail). Resolves once it logged that it is ready and
 * its health endpoint answers.
 *
 * @param {import('../../scripts/lib/n8n').N8nContext} ctx
 * @param {number} index
 * @param {Recorder} recorder
 * @returns {Promise<Worker>}
 */
async function startWorker(ctx, index, recorder) {
	const label = `worker-${index + 1}`;
	const healthPort = await uniquePort();
	// Worker 1 runs without EXECUTIONS_MODE, as a user may start it: `n8n worker` switches itself to
	// queue mode, and the package must see that too (token/fleet.ts isQueueMode).
	const { EXECUTIONS_MODE: _mode, ...withoutMode } = ctx.env ?? {};
	const env = n8nEnv(ctx.userFolder, {
		...(index === 0 ? withoutMode : ctx.env),
		N8N_RUNNERS_BROKER_PORT: String(await uniquePort()),
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		QUEUE_HEALTH_CHECK_PORT: String(healthPort),
	});
	const child = startTracked(process.execPath, [ctx.runtime.bin, 'worker', `--concurrency=${CONCURRENCY}`], { cwd: ctx.userFolder, env });
	let ready = false;
	let executions = 0;
	const out = recorder.attach(label, child, (line) => {
		if (/n8n worker is now ready/.test(line)) ready = true;
		if (/Worker started execution/.test(line)) executions += 1;
	});
	await waitUntil(
		`${label}`,
		async () => {
			if (!ready) return false;
			const r = await fetch(`http://127.0.0.1:${healthPort}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
			return r.status === 200;
		},
		{
			timeoutMs: START_TIMEOUT_MS,
			everyMs: 500,
			gone: () => (child.exitCode !== null || child.signalCode !== null ? `exited during start-up:\n${tailLines(out.text(), 20)}` : null),
		},
	);
	return { label, healthPort, child, executions: () => executions };
}

/**
 * One POST to the webhook; ok when n8n answers 2xx with the agent's exact answer.
 *
 * @param {string} url
 * @param {string} question
 * @param {(line: string) => void} log
 * @returns {Promise<CallResult>}
 */
async function callWebhook(url, question, log) {
	const startedAt = Date.now();
	try {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ question }),
			signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
		});
		const text = await response.text();
		const endedAt = Date.now();
		log(`${new Date(startedAt).toISOString()} ${question} → HTTP ${response.status} in ${endedAt - startedAt} ms: ${text.slice(0, 2000)}`);
		if (response.status < 200 || response.status >= 300) return { ok: false, status: response.status, startedAt, endedAt, problem: `HTTP ${response.status}: ${text.slice(0, 160)}` };
		/** @type {any} */
		let body;
		try {
			body = JSON.parse(text);
		} catch {
			return { ok: false, status: response.status, startedAt, endedAt, problem: `HTTP ${response.status}, not JSON: ${text.slice(0, 120)}` };
		}
		const expected = answerText(question, AGENT_NAME, 1);
		if (body?.answer !== expected) return { ok: false, status: response.status, startedAt, endedAt, problem: `HTTP ${response.status}, wrong answer: ${text.slice(0, 160)}` };
		return { ok: true, status: response.status, startedAt, endedAt };
	} catch (error) {
		const endedAt = Date.now();
		const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		log(`${new Date(startedAt).toISOString()} ${question} → no answer after ${endedAt - startedAt} ms: ${message}`);
		return { ok: false, status: 0, startedAt, endedAt, problem: `no answer: ${message}` };
	}
}

/**
 * Runs one scenario: the calls, then the simulator's counts and the executions n8n recorded.
 *
 * @param {Scenario} scenario
 * @param {{ base: string, sim: import('../simulator').Simulator, pg: import('./services').PostgresService,
 *   workers: Worker[], recorder: Recorder, session: Awaited<ReturnType<typeof login>> | null,
 *   runtime: import('../../scripts/lib/install-n8n').N8nRuntime }} env
 * @returns {Promise<ScenarioResult>}
 */
async function runScenario(scenario, env) {
	const { sim, pg, workers, recorder } = env;
	const url = `${env.base}/webhook/${scenario.webhookPath}`;
	const responses = recorder.lines(`responses-${scenario.name}`);
	sim.options.tokenLifetimeSeconds = scenario.lifetimeSeconds;
	const [[maxIdBefore]] = await pg.sql('SELECT COALESCE(MAX(id), 0) FROM execution_entity');
	const before = { mints: sim.counters.oauthMints, unauthorized: sim.counters.unauthorized, perWorker: workers.map((w) => w.executions()) };
	const tag = scenario.name.replace(/\W+/g, '-');
	process.stdout.write(`▸ ${scenario.name} (${scenario.note}) … `);

	/** @type {Array<Promise<CallResult>>} */
	const calls = [];
	const t0 = Date.now();
	let n = 0;
	if (scenario.burst) {
		for (let i = 0; i < scenario.burst; i++) calls.push(callWebhook(url, `fleet ${tag} #${++n}`, responses.write));
	} else if (scenario.steady) {
		const { batch, everyMs, durationMs } = scenario.steady;
		for (let at = 0; at < durationMs; at += everyMs) {
			const wait = t0 + at - Date.now();
			if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
			for (let i = 0; i < batch; i++) calls.push(callWebhook(url, `fleet ${tag} #${++n}`, responses.write));
		}
	}
	const outcomes = await Promise.all(calls);
	responses.end();
	const first = Math.min(...outcomes.map((o) => o.startedAt));
	const last = Math.max(...outcomes.map((o) => o.endedAt));
	const durationMs = last - first;
	const mints = sim.counters.oauthMints - before.mints;
	const unauthorized = sim.counters.unauthorized - before.unauthorized;

	// The executions n8n recorded for this scenario (ids are increasing), once none is still running.
	/** @type {string[][]} */
	let rows = [];
	const query = `SELECT status, COUNT(*) FROM execution_entity WHERE id > ${Number(maxIdBefore)} AND "workflowId" = '${scenario.workflowId}' GROUP BY status`;
	await waitUntil(
		'executions finished in the database',
		async () => {
			rows = await pg.sql(query);
			return !rows.some(([status]) => ['new', 'running', 'waiting'].includes(status));
		},
		{ timeoutMs: 20000, everyMs: 500 },
	).catch(() => undefined);
	const byStatus = Object.fromEntries(rows.map(([status, count]) => [status, Number(count)]));
	const executions = Object.values(byStatus).reduce((a, b) => a + b, 0);
	const failedExecutions = executions - (byStatus.success ?? 0);

	/** @type {string | undefined} */
	let executionError;
	if (failedExecutions > 0) executionError = await oneExecutionError(scenario, Number(maxIdBefore), env).catch((error) => `(could not read it: ${String(error)})`);

	/** @type {Map<string, number>} */
	const reasons = new Map();
	for (const o of outcomes) if (!o.ok && o.problem) reasons.set(o.problem, (reasons.get(o.problem) ?? 0) + 1);
	/** @type {string[]} */
	const problems = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([problem, count]) => `${count}× ${problem}`);
	if (executions !== outcomes.length) problems.push(`${executions} executions recorded for ${outcomes.length} calls (${JSON.stringify(byStatus)})`);

	// Token periods the scenario spans, counted generously: from the first call sent to the last answer.
	// A token's period is its lifetime less the skew the package renews it by (the package's own rule,
	// from the built code): 20 s tokens are renewed every 15 s, so 60 s of load spans 4 periods.
	const periods = Math.max(1, Math.ceil(durationMs / renewalPeriodMs(scenario.lifetimeSeconds)));
	const mintLimit = periods + 1;
	const failedCalls = outcomes.filter((o) => !o.ok).length;
	const latencies = outcomes.map((o) => o.endedAt - o.startedAt);
	const pass = mints <= mintLimit && failedCalls === 0 && failedExecutions === 0;
	process.stdout.write(`${pass ? 'ok' : 'FAILED'} (${formatDuration(Date.now() - t0)})\n`);
	return {
		name: scenario.name,
		pass,
		calls: outcomes.length,
		mints,
		unauthorized,
		failedCalls,
		failedExecutions,
		executions,
		periods,
		mintLimit,
		durationMs,
		p50Ms: percentile50(latencies),
		maxMs: Math.max(...latencies),
		perWorker: workers.map((w, i) => w.executions() - before.perWorker[i]),
		problems,
		executionError,
	};
}

/**
 * The error message of the first failed execution of a scenario, as the editor's execution list
 * shows it (REST API; the run data is stored "flatted").
 *
 * @param {Scenario} scenario
 * @param {number} afterId
 * @param {{ pg: import('./services').PostgresService, session: Awaited<ReturnType<typeof login>> | null,
 *   runtime: import('../../scripts/lib/install-n8n').N8nRuntime }} env
 */
async function oneExecutionError(scenario, afterId, env) {
	const [[id] = []] = await env.pg.sql(`SELECT id FROM execution_entity WHERE id > ${afterId} AND "workflowId" = '${scenario.workflowId}' AND status <> 'success' ORDER BY id LIMIT 1`);
	if (!id || !env.session) return undefined;
	const execution = await env.session.request('GET', `/rest/executions/${id}`);
	/** @type {any} */
	let data = execution?.data;
	if (typeof data === 'string') {
		const flatted = require(path.join(env.runtime.dir, 'node_modules', 'flatted'));
		data = flatted.parse(data);
	}
	const error = data?.resultData?.error;
	if (!error) return `execution ${id}: status ${String(execution?.status)}, no error recorded`;
	return `execution ${id} (${String(execution?.status)}): ${String(error.message).slice(0, 300)}${error.description ? ` — ${String(error.description).slice(0, 200)}` : ''}`;
}

/**
 * Results in the shape of `jest --json` (the fields .ci/run's summary reads), one test per scenario
 * and one for the secret scan.
 *
 * @param {ScenarioResult[]} results
 * @param {{ problems: string[] }} scan
 * @param {{ pass: boolean, problems: string[], durationMs: number }} chat
 * @param {number} startTime
 */
function jestJson(results, scan, chat, startTime) {
	return jestResults('test/fleet/run.js', startTime, [
		...results.map((r) => ({
			title: r.name,
			fullName: `fleet: ${r.name}`,
			status: r.pass ? /** @type {const} */ ('passed') : /** @type {const} */ ('failed'),
			duration: r.durationMs,
			failureMessages: r.pass ? [] : [`${r.mints} mints (limit ${r.mintLimit}), ${r.unauthorized}×401, ${r.failedCalls} failed calls, ${r.failedExecutions} failed executions; ${r.problems.slice(0, 3).join('; ')}`],
			fleet: r,
		})),
		{
			title: `a chat session of ${CHAT_MESSAGES} messages continues one Alation chat across workers`,
			fullName: 'fleet: chat session across workers',
			status: chat.pass ? /** @type {const} */ ('passed') : /** @type {const} */ ('failed'),
			duration: chat.durationMs,
			failureMessages: chat.problems,
		},
		{ title: 'no secret in the raw output', fullName: 'fleet: no secret in the raw output', status: scan.problems.length === 0 ? 'passed' : 'failed', duration: 0, failureMessages: scan.problems },
	]);
}

main().catch(async (error) => {
	process.stderr.write(`\nfleet suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	await stopAll(5000);
	await runCleanups();
	process.exit(1);
});
