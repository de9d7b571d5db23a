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
 * 20 s and with 60 s tokens, a chat session across workers, a person's sign-in (20 s user tokens,
 * rotating refresh tokens) shared by the workers; then the stresses, each on 20 s tokens
 * and a client of its own: a worker started in the middle of the load, workers whose clocks are
 * 2 minutes fast and slow (faketime), a worker whose libuv thread pool is kept busy, Redis stopped
 * for 20 s and started again empty, and (a second fleet) n8n and the package on a Redis Cluster.
 *
 * Each scenario passes when it minted at most (token periods it spans + 1) tokens, no call and no
 * execution failed, and every 401 is explained (test/fleet/tokens.js: a probe preloaded into every
 * n8n process, test/fleet/probe.js, tells which process sent what with which token). Prints a table,
 * exits 1 if any scenario fails.
 *
 * FLEET_QUICK=1 shortens the steady-load scenarios (local iteration), FLEET_ONLY=<ids> runs only some
 * (base, chat, signin, late, clocks, busy, outage, cluster; comma-separated), FLEET_KEEP=1 (or --keep) keeps
 * the work folder (user folder, Postgres, raw outputs) also after a pass.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { argValue } = require('../../scripts/lib/args');
const { ensureN8n } = require('../../scripts/lib/install-n8n');
const { freshFolder, prepareInstance } = require('../../scripts/lib/instance');
const { formatDuration, info, step, table } = require('../../scripts/lib/log');
const { n8nCommand, n8nEnv, nodeOf, uniquePort } = require('../../scripts/lib/n8n');
const { PACKAGE } = require('../../scripts/lib/package');
const { WORK_ROOT } = require('../../scripts/lib/paths');
const { isStopping, onCleanup, run, runCleanups, startTracked, stop, stopAll, tailLines } = require('../../scripts/lib/proc');
const { connectAccount } = require('../../scripts/lib/oauth-connect');
const { login, startServer } = require('../../scripts/lib/server');
const { startLocalSimulator } = require('../../scripts/lib/simulator');
const { webhookAgentChatWorkflow, webhookNode } = require('../../scripts/lib/webhook-workflow');
const { answerText, DEMO } = require('../simulator');
const { crashResults, jestResults, writeResults } = require('../../scripts/lib/report');
const { Recorder } = require('./recorder');
const { ensureTool, startPostgres, startRedis, startRedisCluster, startRedisOnPort, waitUntil } = require('./services');
const { analyzeTokens, readProbes, RACE_MS } = require('./tokens');


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
const SUITE_TIMEOUT_MS = 22 * 60 * 1000;
/** A bound for each n8n process to become ready, and for each webhook call. */
const START_TIMEOUT_MS = 3 * 60 * 1000;
const CALL_TIMEOUT_MS = 90 * 1000;
const AGENT_NAME = 'Catalog Search Agent';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (argValue(args, '--outputFile') ?? path.join('.ci-results', 'fleet.json')) : argValue(args, '--outputFile');
const keep = args.includes('--keep') || process.env.FLEET_KEEP === '1';
const quick = process.env.FLEET_QUICK === '1';
const WORKERS = positiveInt('FLEET_WORKERS', 3);
const CONCURRENCY = positiveInt('FLEET_CONCURRENCY', 10);
const SCENARIO_GROUPS = ['base', 'chat', 'signin', 'late', 'clocks', 'busy', 'outage', 'cluster'];
const only = (process.env.FLEET_ONLY ?? '').split(',').map((id) => id.trim()).filter(Boolean);
for (const id of only) if (!SCENARIO_GROUPS.includes(id)) throw new Error(`FLEET_ONLY: unknown scenario "${id}" (one of ${SCENARIO_GROUPS.join(', ')})`);
/** @param {string} id */
const selected = (id) => only.length === 0 || only.includes(id);
/** Preloaded into every n8n process of the fleet: what it sends to the simulator (probe.js). */
const PROBE = path.join(__dirname, 'probe.js');
/** Preloaded into the busy-pool worker: keeps libuv's thread pool busy (busy-pool.js). */
const BUSY_POOL = path.join(__dirname, 'busy-pool.js');
/** A clock this far off for the two skewed workers (faketime). */
const SKEW_MS = 120_000;
/** The Redis outage: stopped this long after the load started, for this long. */
const OUTAGE_AT_MS = 20_000;
const OUTAGE_MS = 20_000;
/** The long executions that span the outage: this many Agent Chat steps, 1 s apart. */
const LONG_STEPS = 45;
/** The warning the package logs when the fleet's Redis goes away (shared/fleetRedis.ts). */
const REDIS_WARNING = /n8n-nodes-alation: the fleet's Redis is unreachable/;

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
 * What a scenario's own steps found out, and what they left to undo.
 *
 * @typedef {object} ScenarioState
 * @property {string[]} notes          shown under the scenario's line
 * @property {string[]} problems       each one fails the scenario
 * @property {number} extraCalls       executions started besides the webhook calls (long executions)
 * @property {Worker[]} extraWorkers   started for this scenario, stopped after it
 * @property {{ from: number, to: number }} [outage]   Redis's stop to one token period after it was back
 * @property {number} [restartedAt]
 * @property {number} [loadUntil]      the steady load goes on at least until then (a late worker that starts slowly)
 * @property {Array<{ seenAt: number, expiresAt: number }>} [fleetTokenExpiries]  the expiry of the fleet's token in Redis, each time it changed
 */

/**
 * @typedef {object} Scenario
 * @property {string} id                 its group (FLEET_ONLY)
 * @property {string} name
 * @property {string} workflowId
 * @property {string} webhookPath
 * @property {number} lifetimeSeconds   of the tokens the simulator issues during the scenario
 * @property {number} [burst]           calls sent at once
 * @property {{ batch: number, everyMs: number, durationMs: number }} [steady]  `batch` calls every `everyMs`
 * @property {string} note
 * @property {string} [lane]           the stress workflow's branch (sent in the body; see stressWorkflow)
 * @property {string} [askedBy]        user sign-in: the person the answers must name; the scenario's
 *   "mints" are then the sign-in's refreshes, and its tokens are user tokens of `lifetimeSeconds`
 * @property {(state: ScenarioState) => Promise<void>} [before]   set-up before the load (not timed as load)
 * @property {(t0: number, state: ScenarioState) => Promise<void>} [during]   runs alongside the load
 * @property {(a: import('./tokens').TokenAnalysis, state: ScenarioState, perWorker: Map<string, number>) => Promise<void> | void} [check]
 *   adds the scenario's own notes and problems
 * @property {(a: import('./tokens').TokenAnalysis, span: { t0: number, end: number, renewalMs: number }, state: ScenarioState) => { ok: boolean, limitText: string, periodsText: string, limit: number }} [mintRule]
 *   the mint limit, when it is not (periods + 1) over the whole scenario
 * @property {(state: ScenarioState) => Promise<void>} [after]
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
 * @property {string} note
 * @property {boolean} pass
 * @property {number} calls
 * @property {number} mints
 * @property {string} mintsBy            mints per process, from the probes
 * @property {number} unauthorized
 * @property {number} race               401s of the race no client can close
 * @property {number} outage401          401s explained by the Redis outage
 * @property {number} other401           unexplained 401s
 * @property {number} failedCalls
 * @property {number} failedExecutions   executions that did not end in success (from the database)
 * @property {number} executions
 * @property {number} periods
 * @property {string} periodsText
 * @property {number} mintLimit
 * @property {string} mintLimitText
 * @property {number} durationMs         of the load: first call sent to last answer
 * @property {number} totalMs            of the whole scenario, its set-up and clean-up included
 * @property {number} p50Ms
 * @property {number} maxMs
 * @property {string} perWorker          executions each worker started
 * @property {string[]} problems         distinct failure reasons with counts
 * @property {string[]} notes
 * @property {string} [executionError]   the error of one failed execution, as n8n recorded it
 */

/** A random secret for an OAuth client of the simulator (scanned for in every output). */
const secret = () => `fleet-${crypto.randomBytes(12).toString('hex')}`;

/**
 * The load scenarios' workflow, imported with the n8n CLI (scripts/lib/webhook-workflow.js).
 *
 * @param {string} id
 * @param {string} webhookPath
 * @param {{ id: string, name: string }} credential
 * @param {{ signIn?: boolean }} [options]  signIn: the credential is an Alation User Sign-In one
 */
function webhookWorkflow(id, webhookPath, credential, options = {}) {
	return { ...webhookAgentChatWorkflow({ id, name: `fleet: ${webhookPath}`, webhookPath, credential, signIn: options.signIn }), id, active: false, pinData: {} };
}

/** The stress scenarios, each with an OAuth client (credential) of its own, in one workflow (see stressWorkflow). */
const LANES = ['late', 'clocks', 'busy', 'outage', 'cluster'];
const STRESS_PATH = 'alation-fleet-stress';
/** The sign-in scenario's webhook. */
const SIGN_IN_PATH = 'alation-fleet-signin';
/** The person who signs in for the sign-in scenario. */
const ADA = DEMO.oauthUsers[0];
const LONG_PATH = 'alation-fleet-outage-long';

/**
 * The stress scenarios' workflow (one, so that n8n publishes one more workflow, not six):
 *
 *   - Webhook (POST /webhook/alation-fleet-stress, answers with the last node's output) → Switch on
 *     the body's `lane` → the Agent Chat of that lane, whose credential is the lane's own;
 *   - a long execution: Webhook (POST /webhook/alation-fleet-outage-long, answers at once) → Agent
 *     Chat → Wait 1 s → Agent Chat → … (`steps` Agent Chat nodes, the outage lane's credential). A Wait
 *     under 65 s waits inside the worker, so the execution stays on one worker and asks Alation about
 *     once a second for as long as it runs — through a Redis outage too.
 *
 * @param {Record<string, { id: string, name: string }>} credentialOf   lane → credential
 * @param {number} steps
 */
function stressWorkflow(credentialOf, steps) {
	const id = 'fleetStress';
	const agent = (/** @type {string} */ name, /** @type {[number, number]} */ position, /** @type {string} */ message, /** @type {{ id: string, name: string }} */ credential) => ({
		id: `${id}-${name.replace(/\W+/g, '-')}`,
		name,
		type: `${PACKAGE.name}.alationAgentChat`,
		typeVersion: 1,
		position,
		parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message, options: {} },
		credentials: { alationApi: credential },
	});
	/** @type {any[]} */
	const nodes = [
		webhookNode({ id: `${id}-webhook`, name: 'Webhook', webhookPath: STRESS_PATH, position: [0, 0] }),
		{
			id: `${id}-switch`,
			name: 'Lane',
			type: 'n8n-nodes-base.switch',
			typeVersion: 3.2,
			position: [220, 0],
			parameters: { mode: 'expression', numberOutputs: LANES.length, output: `={{ ${JSON.stringify(LANES)}.indexOf($json.body.lane) }}` },
		},
		...LANES.map((lane, i) => agent(`Agent Chat (${lane})`, [440, 200 * i], '={{ $json.body.question }}', credentialOf[lane])),
		webhookNode({ id: `${id}-long-webhook`, name: 'Long run', webhookPath: LONG_PATH, position: [0, 1200], responseMode: 'onReceived' }),
	];
	/** @type {Record<string, any>} */
	const connections = {
		Webhook: { main: [[{ node: 'Lane', type: 'main', index: 0 }]] },
		Lane: { main: LANES.map((lane) => [{ node: `Agent Chat (${lane})`, type: 'main', index: 0 }]) },
	};
	let previous = 'Long run';
	for (let i = 1; i <= steps; i++) {
		const chat = `Long step ${i}`;
		nodes.push(agent(chat, [220 * (2 * i - 1), 1200], `long run, step ${i}`, credentialOf.outage));
		connections[previous] = { main: [[{ node: chat, type: 'main', index: 0 }]] };
		previous = chat;
		if (i === steps) break;
		const wait = `Wait ${i}`;
		nodes.push({
			id: `${id}-wait-${i}`,
			name: wait,
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [220 * 2 * i, 1200],
			webhookId: crypto.randomUUID(),
			parameters: { amount: 1, unit: 'seconds' },
		});
		connections[previous] = { main: [[{ node: wait, type: 'main', index: 0 }]] };
		previous = wait;
	}
	return { id, name: 'fleet: stresses', active: false, settings: { executionOrder: 'v1' }, pinData: {}, nodes, connections };
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
	let redis = await startRedis(workDir, recorder);
	const pg = await startPostgres(workDir, recorder);
	info(`  Redis on 127.0.0.1:${redis.port}, Postgres ${pg.version} on 127.0.0.1:${pg.port} (${formatDuration(Date.now() - started)})`);

	// One OAuth client per credential: Alation invalidates a client's previous token on every mint,
	// so each scenario that must start cold gets a client (and a credential) of its own.
	const clients = {
		burst: { clientId: 'fleet-burst', clientSecret: secret() },
		steady20: { clientId: 'fleet-steady-20s', clientSecret: secret() },
		steady60: { clientId: 'fleet-steady-60s', clientSecret: secret() },
		late: { clientId: 'fleet-late-worker', clientSecret: secret() },
		clocks: { clientId: 'fleet-clocks', clientSecret: secret() },
		busy: { clientId: 'fleet-busy-pool', clientSecret: secret() },
		outage: { clientId: 'fleet-redis-outage', clientSecret: secret() },
		cluster: { clientId: 'fleet-redis-cluster', clientSecret: secret() },
	};
	const secrets = [...Object.values(clients).map((c) => c.clientSecret), DEMO.userOauthClientSecret];
	const sim = await startLocalSimulator({ oauthClients: Object.fromEntries(Object.values(clients).map((c) => [c.clientId, c.clientSecret])) });
	info(`  Alation simulator on ${sim.url}`);
	const probeDir = path.join(workDir, 'probes');
	fs.mkdirSync(probeDir, { recursive: true });

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
		credential('fleetLate', 'fleet Alation (late worker)', clients.late),
		credential('fleetClocks', 'fleet Alation (clocks ±2 min)', clients.clocks),
		credential('fleetBusy', 'fleet Alation (busy thread pool)', clients.busy),
		credential('fleetOutage', 'fleet Alation (Redis outage)', clients.outage),
		credential('fleetCluster', 'fleet Alation (Redis Cluster)', clients.cluster),
		{
			// Connected by "Connect my account" in the sign-in scenario's set-up.
			id: 'fleetSignIn',
			name: 'fleet Alation (user sign-in)',
			type: 'alationOAuth2Api',
			data: { baseUrl: sim.url, clientId: DEMO.userOauthClientId, clientSecret: DEMO.userOauthClientSecret },
		},
	];
	const ref = (/** @type {string} */ id) => {
		const c = credentials.find((x) => x.id === id);
		if (!c) throw new Error(`no credential ${id}`);
		return { id: c.id, name: c.name };
	};
	const workflows = [
		...(selected('base') || selected('chat') ? [webhookWorkflow('fleetBurst', 'alation-fleet-burst', ref('fleetBurst'))] : []),
		...(selected('base') ? [webhookWorkflow('fleetSteady20', 'alation-fleet-20s', ref('fleetSteady20')), webhookWorkflow('fleetSteady60', 'alation-fleet-60s', ref('fleetSteady60'))] : []),
		...(selected('chat') ? [chatWorkflow(ref('fleetBurst'))] : []),
		...(selected('signin') ? [webhookWorkflow('fleetSignIn', SIGN_IN_PATH, ref('fleetSignIn'), { signIn: true })] : []),
		...(LANES.some(selected)
			? [
					stressWorkflow(
						{ late: ref('fleetLate'), clocks: ref('fleetClocks'), busy: ref('fleetBusy'), outage: ref('fleetOutage'), cluster: ref('fleetCluster') },
						LONG_STEPS,
					),
				]
			: []),
	];

	const steadyFor = (/** @type {number} */ seconds) => ({ batch: 10, everyMs: 2000, durationMs: seconds * 1000 });
	/** @type {Scenario[]} */
	const baseScenarios = [
		{ id: 'base', name: 'cold burst', workflowId: 'fleetBurst', webhookPath: 'alation-fleet-burst', lifetimeSeconds: 3600, burst: 30, note: 'no token held' },
		{ id: 'base', name: 'warm burst', workflowId: 'fleetBurst', webhookPath: 'alation-fleet-burst', lifetimeSeconds: 3600, burst: 30, note: 'right after the cold one' },
		{
			id: 'base',
			name: '20 s tokens',
			workflowId: 'fleetSteady20',
			webhookPath: 'alation-fleet-20s',
			lifetimeSeconds: 20,
			steady: steadyFor(quick ? 30 : 60),
			note: `10 calls every 2 s for ${quick ? 30 : 60} s`,
		},
		{
			id: 'base',
			name: '60 s tokens',
			workflowId: 'fleetSteady60',
			webhookPath: 'alation-fleet-60s',
			lifetimeSeconds: 60,
			steady: steadyFor(quick ? 70 : 130),
			note: `10 calls every 2 s for ${quick ? 70 : 130} s`,
		},
	].filter((s) => selected(s.id));

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
		// n8n exits when Redis has been unreachable for longer than this (default 10 s): the outage
		// scenario stops Redis for 20 s, which n8n's own default would turn into a fleet that exits.
		QUEUE_BULL_REDIS_TIMEOUT_THRESHOLD: '60000',
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

	/**
	 * What every n8n process of the fleet gets besides: the probe (probe.js) and where it writes.
	 *
	 * @param {string} label
	 * @param {{ offsetMs?: number, preload?: string[] }} [options]
	 */
	const probeEnv = (label, options = {}) => ({
		NODE_OPTIONS: [process.env.NODE_OPTIONS, ...[PROBE, ...(options.preload ?? [])].map((file) => `--require ${JSON.stringify(file)}`)].filter(Boolean).join(' '),
		FLEET_PROBE_FILE: path.join(probeDir, `${label}.jsonl`),
		FLEET_PROBE_PORT: String(sim.port),
		FLEET_PROBE_CLOCK_OFFSET_MS: String(options.offsetMs ?? 0),
	});

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

	/** @type {ScenarioResult[]} */
	const results = [];
	const report = (/** @type {ScenarioResult} */ result) => {
		results.push(result);
		info(
			`  ${result.name}: ${result.pass ? 'pass' : 'FAIL'} — ${result.calls} calls, ${result.mints} mints (limit ${result.mintLimitText}; by process: ${result.mintsBy || 'none'}), ${result.unauthorized}×401 (race ${result.race}, outage ${result.outage401}, unexplained ${result.other401}), ${result.failedCalls} failed calls, ${result.failedExecutions} failed executions; load ${formatDuration(result.durationMs)}, scenario ${formatDuration(result.totalMs)}`,
		);
		for (const note of result.notes) info(`      ${note}`);
		for (const problem of result.problems.slice(0, 6)) info(`      ✗ ${problem}`);
		if (result.executionError) info(`      a failed execution: ${result.executionError}`);
	};

	// ---- The fleet on one Redis: main + workers ----
	const mainFleet = await startFleet({ ctx, recorder, probeEnv, prefix: '', workflows, label: 'Redis' });
	const { server, workers } = mainFleet;
	const env = { base: server.base, sim, pg, workers, recorder, session: mainFleet.session, runtime, probeDir };

	step(`Scenarios (${quick ? 'FLEET_QUICK: shortened steady load' : 'full set'}${only.length > 0 ? `; FLEET_ONLY=${only.join(',')}` : ''})`);
	for (const scenario of baseScenarios) report(await runScenario(scenario, env));

	/** @type {{ pass: boolean, problems: string[], turns: string[], perWorker: number[], durationMs: number } | null} */
	let chat = null;
	if (selected('chat')) {
		chat = await runChatSession({ base: server.base, workers, recorder });
		info(`  chat session across workers: ${chat.pass ? 'pass' : 'FAIL'} — turns ${chat.turns.join(', ')}; executions per worker ${chat.perWorker.join(' / ')} (${formatDuration(chat.durationMs)})`);
		for (const problem of chat.problems.slice(0, 4)) info(`      ${problem}`);
	}

	// A person's sign-in shared by every worker: connected once through n8n's OAuth callback (as the
	// editor's "Connect my account" does), then 20 s user tokens under steady load. Alation rotates the
	// refresh token at each use, and a spent one coming back signs the person out: at most one refresh
	// per token period, and the sign-in never lost.
	if (selected('signin')) {
		const signInLoadSeconds = quick ? 30 : 60;
		/** @type {{ revoked: number }} */
		const signInBefore = { revoked: 0 };
		report(
			await runScenario(
				{
					id: 'signin',
					name: 'user sign-in, 20 s tokens',
					workflowId: 'fleetSignIn',
					webhookPath: SIGN_IN_PATH,
					lifetimeSeconds: 20,
					askedBy: ADA.displayName,
					steady: steadyFor(signInLoadSeconds),
					note: `${ADA.displayName} connected once; 20 s user tokens, 10 calls every 2 s for ${signInLoadSeconds} s`,
					before: async (state) => {
						if (!mainFleet.session) throw new Error('no REST session on main');
						sim.options.userAccessTokenLifetimeSeconds = 20;
						signInBefore.revoked = sim.counters.userFamiliesRevoked;
						await connectAccount({ base: server.base, session: mainFleet.session, credentialId: 'fleetSignIn', userId: ADA.id });
						state.notes.push(`${ADA.displayName} connected through n8n's OAuth callback on main`);
						// The code exchange is a token request too: let it fall before the probes' window of the load
						// (from 500 ms before the first call), which counts refreshes only.
						await new Promise((resolve) => setTimeout(resolve, 1000));
					},
					check: (_a, state) => {
						const revoked = sim.counters.userFamiliesRevoked - signInBefore.revoked;
						if (revoked > 0) state.problems.push(`the sign-in was revoked ${revoked} time(s): a spent refresh token was used again`);
						else state.notes.push('the sign-in kept: no spent refresh token came back');
					},
					after: async () => {
						sim.options.userAccessTokenLifetimeSeconds = 3600;
					},
				},
				env,
			),
		);
	}

	// Seconds of load: 60 s (4 token periods) where the stress needs the time, 45 s (3) elsewhere.
	const longLoadSeconds = quick ? 45 : 60;
	const shortLoadSeconds = quick ? 30 : 45;
	const sleepUntil = (/** @type {number} */ at) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
	const stopExtraWorkers = async (/** @type {ScenarioState} */ state) => {
		await Promise.all(state.extraWorkers.map((w) => stop(w.child, 15000)));
		for (const w of state.extraWorkers) {
			const i = workers.indexOf(w);
			if (i >= 0) workers.splice(i, 1);
		}
	};
	/** The first request a process sent with a token, and where that token came from. */
	const firstToken = (/** @type {import('./tokens').TokenAnalysis} */ a, /** @type {string} */ label) => {
		const first = a.requests.find((r) => r.p === label && r.f);
		if (!first?.f) return { text: `${label} sent no request with a token`, adopted: false };
		const seen = a.firstSeen.get(first.f);
		// The mint that produced it: the last one answered before anyone used it.
		const origin = seen ? [...a.mintList].reverse().find((m) => m.end <= seen.t) : undefined;
		if (origin && origin.p !== label) return { text: `${label}'s first Alation request carried the fleet's token, minted by ${origin.p} ${seconds(first.t - origin.end)} earlier`, adopted: true };
		if (origin) return { text: `${label}'s first Alation request carried a token it had minted itself`, adopted: false };
		return { text: `${label}'s first Alation request carried a token whose mint the probes did not see`, adopted: false };
	};
	/** Mints of `label` that came before the token they replaced was due. */
	const earlyBy = (/** @type {import('./tokens').TokenAnalysis} */ a, /** @type {string} */ label) => a.early.filter((m) => m.p === label);

	/** @type {Scenario[]} */
	const stressScenarios = [];
	if (selected('late')) {
		const label = `worker-${WORKERS + 1}`;
		stressScenarios.push({
			id: 'late',
			name: 'late worker',
			workflowId: 'fleetStress',
			webhookPath: STRESS_PATH,
			lane: 'late',
			lifetimeSeconds: 20,
			steady: steadyFor(longLoadSeconds),
			note: `20 s tokens, 10 calls every 2 s for ${longLoadSeconds} s; ${label} started at +3 s`,
			during: async (t0, state) => {
				// The load goes on until the late worker has had 30 s of it, however slowly it starts.
				state.loadUntil = t0 + 2 * longLoadSeconds * 1000;
				await sleepUntil(t0 + 3000);
				const worker = await startWorker(ctx, WORKERS, recorder, { label, env: probeEnv(label) });
				state.extraWorkers.push(worker);
				workers.push(worker);
				state.loadUntil = Math.max(t0 + longLoadSeconds * 1000, Date.now() + 30000);
				state.notes.push(`${label} started at +3 s, ready at +${seconds(Date.now() - t0)}`);
			},
			check: (a, state, perWorker) => {
				const ran = perWorker.get(label) ?? 0;
				if (ran === 0) state.problems.push(`${label} ran no execution: nothing shown about a late worker`);
				const first = firstToken(a, label);
				state.notes.push(`${first.text}; mints by ${label}: ${a.mintsBy[label] ?? 0}, of them before the fleet's token was due: ${earlyBy(a, label).length}`);
				if (!first.adopted) state.problems.push(`${label} did not adopt the fleet's token`);
				if (earlyBy(a, label).length > 0) state.problems.push(`${label} minted ${earlyBy(a, label).length} token(s) before the fleet's token was due`);
			},
			after: stopExtraWorkers,
		});
	}
	if (selected('clocks')) {
		const skewed = [
			{ label: 'clock+120s', spec: `+${SKEW_MS / 1000}s`, offsetMs: SKEW_MS },
			{ label: 'clock-120s', spec: `-${SKEW_MS / 1000}s`, offsetMs: -SKEW_MS },
		];
		stressScenarios.push({
			id: 'clocks',
			name: 'clocks ±2 min',
			workflowId: 'fleetStress',
			webhookPath: STRESS_PATH,
			lane: 'clocks',
			lifetimeSeconds: 20,
			steady: steadyFor(longLoadSeconds),
			note: `20 s tokens, 10 calls every 2 s for ${longLoadSeconds} s; + a worker 2 min fast and one 2 min slow (faketime)`,
			before: async (state) => {
				const faketime = await ensureTool('faketime', 'faketime', recorder);
				// Does libfaketime move Node's Date.now() here? Measured, not assumed.
				for (const s of skewed) {
					const before = Date.now();
					const probe = await run(faketime, ['-f', s.spec, nodeOf(runtime), '-e', 'process.stdout.write(String(Date.now()))'], {
						env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
						timeoutMs: 30000,
						label: `faketime -f ${s.spec} node`,
					});
					const measured = Number(probe.stdout.trim()) - (before + Date.now()) / 2;
					if (probe.code !== 0 || !Number.isFinite(measured) || Math.abs(measured - s.offsetMs) > 2000) {
						throw new Error(`faketime -f '${s.spec}' does not move Node's Date.now() by ${s.offsetMs} ms here (measured ${Math.round(measured)} ms; exit ${String(probe.code)}: ${tailLines(probe.stderr, 3)})`);
					}
					state.notes.push(`faketime -f '${s.spec}': Node's Date.now() measured ${measured > 0 ? '+' : ''}${(measured / 1000).toFixed(1)} s`);
				}
				const started = await Promise.all(
					skewed.map(async (s, i) => {
						const spawnedAt = Date.now();
						const worker = await startWorker(ctx, WORKERS + 1 + i, recorder, {
							label: s.label,
							wrap: [faketime, '-f', s.spec],
							// A wrong wall clock, a right monotonic one (timers), as on a host whose time is off.
							env: { ...probeEnv(s.label, { offsetMs: s.offsetMs }), FAKETIME_DONT_FAKE_MONOTONIC: '1' },
						});
						// And inside the worker itself: the clock its probe read when n8n started, against ours.
						const ownClock = probeStartClock(path.join(probeDir, `${s.label}.jsonl`));
						const skew = ownClock === undefined ? NaN : ownClock - spawnedAt;
						if (!(skew >= s.offsetMs - 1000 && skew <= s.offsetMs + (Date.now() - spawnedAt) + 1000)) {
							throw new Error(`${s.label}: its own clock read ${ownClock === undefined ? 'nothing' : new Date(ownClock).toISOString()} at start-up, not ${s.spec} off`);
						}
						state.notes.push(`${s.label}: n8n worker's own Date.now() at start-up ${skew > 0 ? '+' : ''}${seconds(skew)} from when it was spawned`);
						return worker;
					}),
				);
				state.extraWorkers.push(...started);
				workers.push(...started);
			},
			check: (a, state, perWorker) => {
				for (const s of skewed) {
					const ran = perWorker.get(s.label) ?? 0;
					if (ran === 0) state.problems.push(`${s.label} ran no execution: nothing shown about its clock`);
					const first = firstToken(a, s.label);
					state.notes.push(`${first.text}; mints by ${s.label}: ${a.mintsBy[s.label] ?? 0}, before the token was due: ${earlyBy(a, s.label).length}`);
					if (earlyBy(a, s.label).length > 0) state.problems.push(`${s.label} minted ${earlyBy(a, s.label).length} token(s) before the fleet's token was due`);
				}
			},
			after: stopExtraWorkers,
		});
	}
	if (selected('busy')) {
		const label = 'busy-pool';
		const trigger = path.join(workDir, 'busy-pool.start');
		stressScenarios.push({
			id: 'busy',
			name: 'busy thread pool',
			workflowId: 'fleetStress',
			webhookPath: STRESS_PATH,
			lane: 'busy',
			lifetimeSeconds: 20,
			steady: steadyFor(shortLoadSeconds),
			note: `20 s tokens, 10 calls every 2 s for ${shortLoadSeconds} s; + a worker whose libuv pool runs 4 pbkdf2 jobs of ~3 s without pause`,
			before: async (state) => {
				const worker = await startWorker(ctx, WORKERS + 3, recorder, { label, env: { ...probeEnv(label, { preload: [BUSY_POOL] }), FLEET_BUSY_POOL_TRIGGER: trigger } });
				state.extraWorkers.push(worker);
				workers.push(worker);
				fs.writeFileSync(trigger, '');
				await waitUntil(`${label}: the thread pool jobs started`, async () => /busy-pool: keeping/.test(worker.output()), { timeoutMs: 15000, everyMs: 200 });
				// The first jobs are on the pool before the load starts.
				await new Promise((resolve) => setTimeout(resolve, 1000));
			},
			check: async (a, state, perWorker) => {
				const worker = state.extraWorkers.find((w) => w.label === label);
				const ran = perWorker.get(label) ?? 0;
				if (ran === 0) state.problems.push(`${label} ran no execution: nothing shown about a busy pool`);
				const progress = [...(worker?.output() ?? '').matchAll(/busy-pool: (\d+) jobs done so far, the slowest in (\d+) ms/g)].pop();
				state.notes.push(`${firstToken(a, label).text}; mints by ${label}: ${a.mintsBy[label] ?? 0}, before the token was due: ${earlyBy(a, label).length}; pool: ${progress ? `${progress[1]} pbkdf2 jobs done, the slowest in ${progress[2]} ms` : 'no progress line yet'}`);
				if (earlyBy(a, label).length > 0) state.problems.push(`${label} minted ${earlyBy(a, label).length} token(s) before the fleet's token was due`);
				// A lock granted after its caller gave up must not stay behind (it would hold every later mint).
				let locks = await redisKeys(redis.port, '*:n8n-nodes-alation:lock:*');
				if (locks.length > 0) {
					// A lock lives 5 s unless its holder renews it: one being used now is gone by then.
					await new Promise((resolve) => setTimeout(resolve, 6000));
					locks = await redisKeys(redis.port, '*:n8n-nodes-alation:lock:*');
				}
				if (locks.length > 0) state.problems.push(`${locks.length} mint lock(s) still in Redis 6 s after the load: a lock outlived its mint`);
				else state.notes.push('no mint lock left in Redis after the load');
			},
			after: stopExtraWorkers,
		});
	}
	if (selected('outage')) {
		const longCalls = 3;
		stressScenarios.push({
			id: 'outage',
			name: 'Redis outage',
			workflowId: 'fleetStress',
			webhookPath: STRESS_PATH,
			lane: 'outage',
			lifetimeSeconds: 20,
			steady: steadyFor(quick ? 70 : 85),
			note: `20 s tokens, 10 calls every 2 s for ${quick ? 70 : 85} s; Redis stopped at +${OUTAGE_AT_MS / 1000} s for ${OUTAGE_MS / 1000} s, started again empty; ${longCalls} long executions (${LONG_STEPS} Agent Chat steps, 1 s apart) across it`,
			during: async (t0, state) => {
				const longLog = recorder.lines('responses-outage-long');
				await sleepUntil(t0 + 2000);
				const answers = await Promise.all(
					Array.from({ length: longCalls }, async (_, i) => {
						const r = await fetch(`${server.base}/webhook/${LONG_PATH}`, {
							method: 'POST',
							headers: { 'content-type': 'application/json' },
							body: JSON.stringify({ run: i + 1 }),
							signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
						}).catch((/** @type {unknown} */ error) => error);
						const text = r instanceof Response ? await r.text() : String(r);
						longLog.write(`long run ${i + 1} → ${r instanceof Response ? `HTTP ${r.status}` : 'no answer'}: ${text.slice(0, 300)}`);
						return r instanceof Response && r.status === 200;
					}),
				);
				longLog.end();
				state.extraCalls += longCalls;
				if (answers.some((ok) => !ok)) state.problems.push(`a long execution was not started (${answers.filter((ok) => !ok).length} of ${longCalls})`);
				await sleepUntil(t0 + OUTAGE_AT_MS);
				const stoppedAt = Date.now();
				await redis.close();
				state.notes.push(`Redis stopped at +${seconds(stoppedAt - t0)}`);
				await sleepUntil(stoppedAt + OUTAGE_MS);
				redis = await startRedisOnPort(workDir, recorder, { port: redis.port, label: 'redis-after-outage' });
				state.restartedAt = Date.now();
				state.outage = { from: stoppedAt, to: state.restartedAt + renewalPeriodMs(20) };
				state.notes.push(`Redis started again (empty) at +${seconds(state.restartedAt - t0)}`);
				// The fleet's token in the restarted Redis: when its key (re)appears, and when Redis will expire it.
				/** @type {Array<{ seenAt: number, expiresAt: number }>} */
				const expiries = [];
				state.fleetTokenExpiries = expiries;
				const end = t0 + (quick ? 70 : 85) * 1000;
				for (let i = 0; i < 200 && Date.now() < end; i++) {
					const keys = await redisKeys(redis.port, '*:n8n-nodes-alation:token:*').catch(() => []);
					for (const key of keys) {
						const ttl = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), 'PTTL', key], { timeoutMs: 5000, label: 'redis-cli PTTL' }).catch(() => null);
						const ms = Number(ttl?.stdout.trim());
						if (!Number.isFinite(ms) || ms <= 0) continue;
						const expiresAt = Date.now() + ms;
						const last = expiries[expiries.length - 1];
						if (!last || Math.abs(last.expiresAt - expiresAt) > 300) expiries.push({ seenAt: Date.now(), expiresAt });
					}
					await new Promise((resolve) => setTimeout(resolve, 300));
				}
			},
			mintRule: (a, span, state) => {
				const outage = state.outage;
				if (!outage) return { ok: false, limit: 0, limitText: 'no outage happened', periodsText: '' };
				const beforeMints = a.mintList.filter((m) => m.t < outage.from).length;
				const afterMints = a.mintList.filter((m) => m.t > outage.to).length;
				const during = a.mints - beforeMints - afterMints;
				const pb = Math.max(1, Math.ceil((outage.from - span.t0) / span.renewalMs));
				const pa = Math.max(1, Math.ceil((span.end - outage.to) / span.renewalMs));
				const duringBy = Object.entries(countBy(a.mintList.filter((m) => m.t >= outage.from && m.t <= outage.to).map((m) => m.p)))
					.map(([p, n]) => `${p} ${n}`)
					.join(', ');
				state.notes.push(`mints before the outage ${beforeMints} (limit ${pb + 1}), during it and until every process's token came due once after it ${during} (${duringBy || 'none'}), after ${afterMints} (limit ${pa + 1})`);
				return {
					ok: beforeMints <= pb + 1 && afterMints <= pa + 1,
					limit: pb + pa + 2,
					limitText: `≤ ${pb + 1} before, ≤ ${pa + 1} after (${during} during)`,
					periodsText: `${pb} before + ${pa} after × ${Math.round(span.renewalMs / 1000)} s`,
				};
			},
			check: (a, state) => {
				const outage = state.outage;
				if (!outage || state.restartedAt === undefined) return;
				const restartedAt = state.restartedAt;
				const answeredDuring = a.requests.filter((r) => r.t >= outage.from && r.t <= restartedAt && r.st === 200 && r.f);
				const mintedDuring = a.mintList.filter((m) => m.t >= outage.from && m.t <= restartedAt);
				state.notes.push(
					`while Redis was down: ${answeredDuring.length} Alation requests answered 200 (by ${[...new Set(answeredDuring.map((r) => r.p))].join(', ') || 'none'}), ${mintedDuring.length} mints (${mintedDuring.map((m) => m.p).join(', ') || 'none'})`,
				);
				if (answeredDuring.length === 0) state.problems.push('no Alation request was answered while Redis was down: nothing shown about the outage');
				const warned = workers.filter((w) => REDIS_WARNING.test(w.output())).map((w) => w.label);
				state.notes.push(`the package's warning in n8n's log: ${warned.length > 0 ? warned.join(', ') : 'none'}`);
				if (warned.length === 0) state.problems.push("no worker logged the package's warning that the fleet's Redis is unreachable");
				// Each token the fleet held after the restart against the mint it came from: Redis must expire
				// it when Alation does (a mint's answer + the token's lifetime).
				for (const e of state.fleetTokenExpiries ?? []) {
					const from = [...a.mintList].reverse().find((m) => m.end + 20_000 <= e.expiresAt + 300);
					const off = from ? e.expiresAt - (from.end + 20_000) : NaN;
					const when = from ? (from.t < restartedAt ? `${seconds(restartedAt - from.t)} before` : `${seconds(from.t - restartedAt)} after`) : '';
					const text = from ? `${off > 0 ? '+' : ''}${seconds(off)} later than Alation does: ${from.p}'s mint ${when} the restart` : 'no mint matches';
					state.notes.push(`the fleet's token in Redis (seen ${seconds(e.seenAt - restartedAt)} after the restart) expires ${text}`);
				}
				const lostJobs = workers.map((w) => (w.output().match(/Missing key for job \d+ updateProgress/g) ?? []).length).reduce((x, y) => x + y, 0);
				if (lostJobs > 0) state.notes.push(`n8n's own bookkeeping: ${lostJobs} job(s) running across the restart were gone from the emptied Redis ("Missing key for job … updateProgress" in the workers' logs; main keeps waiting for them); their executions are recorded as success`);
				const gone = [server.child, ...workers.map((w) => w.child)].filter((c) => c.exitCode !== null || c.signalCode !== null).length;
				if (gone > 0) state.problems.push(`${gone} n8n process(es) exited during the outage`);
			},
		});
	}
	for (const scenario of stressScenarios) report(await runScenario(scenario, env));

	step('Stopping n8n (main and workers)');
	started = Date.now();
	await mainFleet.close();
	await redis.close();
	info(`  stopped (${formatDuration(Date.now() - started)})`);

	// ---- A second fleet on a Redis Cluster: n8n's queue and the package's keys ----
	if (selected('cluster')) {
		step('Redis Cluster: 3 masters on free loopback ports (redis-server --cluster-enabled, redis-cli --cluster create)');
		started = Date.now();
		const cluster = await startRedisCluster(workDir, recorder, 3);
		info(`  cluster ${cluster.nodes} (${formatDuration(Date.now() - started)})`);
		const { QUEUE_BULL_REDIS_HOST: _host, QUEUE_BULL_REDIS_PORT: _port, ...rest } = queueEnv;
		const clusterCtx = { ...ctx, env: { ...rest, QUEUE_BULL_REDIS_CLUSTER_NODES: cluster.nodes } };
		const clusterFleet = await startFleet({ ctx: clusterCtx, recorder, probeEnv, prefix: 'cluster-', workflows: workflows.filter((w) => w.id === 'fleetStress'), label: 'the Redis Cluster' });
		const clusterEnv = { ...env, base: clusterFleet.server.base, workers: clusterFleet.workers, session: clusterFleet.session };
		const scenario = /** @type {Scenario} */ ({
			id: 'cluster',
			name: 'Redis Cluster',
			workflowId: 'fleetStress',
			webhookPath: STRESS_PATH,
			lane: 'cluster',
			lifetimeSeconds: 20,
			steady: steadyFor(shortLoadSeconds),
			note: `20 s tokens, 10 calls every 2 s for ${shortLoadSeconds} s; main + ${WORKERS} workers with QUEUE_BULL_REDIS_CLUSTER_NODES (3 masters)`,
			check: async (_a, state) => {
				const keys = (await Promise.all(cluster.ports.map((port) => redisKeys(port, '*')))).flat();
				const queueKeys = keys.filter((k) => k.startsWith('{bull}:')).length;
				const packageKeys = keys.filter((k) => k.includes(':n8n-nodes-alation:'));
				const perNode = await Promise.all(cluster.ports.map(async (port) => (await redisKeys(port, '*')).length));
				state.notes.push(`keys on the cluster's nodes ${perNode.join(' / ')}: n8n's queue ${queueKeys} ({bull}:…), the package's ${packageKeys.length} (${[...new Set(packageKeys.map((k) => k.split(':')[2]))].join(', ') || 'expired'})`);
				if (queueKeys === 0) state.problems.push("no key of n8n's queue on the cluster: n8n did not run its queue there");
				const warned = clusterFleet.workers.filter((w) => REDIS_WARNING.test(w.output())).map((w) => w.label);
				if (warned.length > 0) state.problems.push(`${warned.join(', ')} logged that the fleet's Redis is unreachable: the package fell back to per-process tokens`);
			},
		});
		report(await runScenario(scenario, clusterEnv));
		step('Stopping the cluster fleet');
		started = Date.now();
		await clusterFleet.close();
		await cluster.close();
		info(`  stopped (${formatDuration(Date.now() - started)})`);
	}

	const scan = recorder.scan(secrets);

	const durationMs = Date.now() - p.suiteStarted;
	const c = sim.counters;
	info(
		`\nn8n ${runtime.version} on Node ${process.versions.node}, queue mode: main + ${WORKERS} workers × concurrency ${CONCURRENCY}, Postgres ${pg.version}, Redis; simulator totals: ${c.oauthMints} OAuth mints, ${c.unauthorized}×401, ${c.requests.agentStream} agent streams\n`,
	);
	info(
		table(
			['scenario', 'webhook calls', 'mints', 'mint limit', 'mints by process', '401s (race/outage/other)', 'failed calls', 'failed executions', 'token periods', 'load', 'scenario', 'p50 / max', 'executions per worker', 'verdict'],
			results.map((r) => [
				`${r.name} (${r.note})`,
				String(r.calls),
				String(r.mints),
				r.mintLimitText,
				r.mintsBy || '-',
				`${r.unauthorized} (${r.race}/${r.outage401}/${r.other401})`,
				String(r.failedCalls),
				String(r.failedExecutions),
				r.periodsText,
				formatDuration(r.durationMs),
				formatDuration(r.totalMs),
				`${(r.p50Ms / 1000).toFixed(1)} / ${(r.maxMs / 1000).toFixed(1)} s`,
				r.perWorker,
				r.pass ? 'pass' : 'FAIL',
			]),
		),
	);
	info(
		`\n401s: "race" = sent with the old token at most ${RACE_MS} ms after it came due, as another process's due renewal reached Alation; "outage" = while Redis was down, or before every process's own token came due once after it; "other" (unexplained) fails the scenario.`,
	);
	info(`no secret in the raw output: ${scan.problems.length === 0 ? 'pass' : 'FAIL'} (${scan.files} outputs, ${Math.round(scan.bytes / 1024)} KB scanned for ${secrets.length} secrets)`);
	for (const problem of scan.problems) info(`  ${problem}`);
	const failed = results.filter((r) => !r.pass).length + (scan.problems.length > 0 ? 1 : 0) + (chat && !chat.pass ? 1 : 0);
	info(`n8n queue race (a job finished before main saw it enqueued, answered thanks to the kept jobs): ${mainFleet.finishedFirst()}×`);
	info(`${results.length + (chat ? 1 : 0) + 1 - failed} passed, ${failed} failed; suite ${formatDuration(durationMs)} (set-up included, n8n install excluded)`);

	writeJson(jestJson(results, scan, chat, p.startTime));

	await pg.close();
	return failed === 0;
}

/** @param {number} ms */
function seconds(ms) {
	return `${Math.round(ms / 100) / 10} s`;
}

/**
 * @param {string[]} values
 * @returns {Record<string, number>}
 */
function countBy(values) {
	/** @type {Record<string, number>} */
	const counts = {};
	for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
	return counts;
}

/**
 * The wall clock a process's probe read when it started (probe.js writes it unadjusted as `raw`).
 *
 * @param {string} file
 * @returns {number | undefined}
 */
function probeStartClock(file) {
	try {
		const first = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]);
		return typeof first.raw === 'number' ? first.raw : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The keys of one Redis node matching `pattern` (redis-cli --scan).
 *
 * @param {number} port
 * @param {string} pattern
 * @returns {Promise<string[]>}
 */
async function redisKeys(port, pattern) {
	const result = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan', '--pattern', pattern], { timeoutMs: 15000, label: 'redis-cli --scan' });
	if (result.code !== 0) throw new Error(`redis-cli --scan on port ${port} failed: ${tailLines(result.stderr, 3)}`);
	return result.stdout.split('\n').filter((line) => line.length > 0);
}

/**
 * @typedef {object} Fleet
 * @property {import('../../scripts/lib/server').Server} server
 * @property {Worker[]} workers
 * @property {Awaited<ReturnType<typeof login>> | null} session
 * @property {() => number} finishedFirst   jobs a worker finished before main logged that it enqueued them
 * @property {() => Promise<void>} close
 */

/**
 * `n8n start` and WORKERS × `n8n worker`, each with the probe; resolves once all are ready and every
 * webhook of `workflows` is registered on main.
 *
 * @param {{ ctx: import('../../scripts/lib/n8n').N8nContext, recorder: Recorder, prefix: string, label: string,
 *   probeEnv: (label: string, options?: { offsetMs?: number, preload?: string[] }) => Record<string, string>,
 *   workflows: Array<{ id: string, nodes: any[] }> }} o
 * @returns {Promise<Fleet>}
 */
async function startFleet(o) {
	const { ctx, recorder, prefix } = o;
	step(`Starting n8n main (n8n start) and ${WORKERS} × n8n worker --concurrency=${CONCURRENCY} on ${o.label}`);
	const started = Date.now();
	const mainLog = recorder.lines(`${prefix}n8n-main`);
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
		startServer({ ...ctx, env: { ...ctx.env, ...o.probeEnv(`${prefix}main`) } }, { port: mainPort, onLine: onMainLine }),
		Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(ctx, i, recorder, { label: `${prefix}worker-${i + 1}`, env: o.probeEnv(`${prefix}worker-${i + 1}`) }))),
	]);
	server.child.once('close', () => mainLog.end());
	info(`  main on ${server.base}; workers ready: ${workers.map((w) => `${w.label} (health :${w.healthPort})`).join(', ')} (${formatDuration(Date.now() - started)})`);

	// Production webhooks are registered while main starts; a GET on a POST-only webhook tells whether
	// one is registered without running the workflow.
	/** @type {string[]} */
	const probes = [];
	const paths = o.workflows.flatMap((w) =>
		w.id === 'fleetChat' ? [`${CHAT_WEBHOOK_ID}/chat`] : w.nodes.filter((node) => node.type === 'n8n-nodes-base.webhook').map((node) => String(node.parameters.path)),
	);
	for (const webhookPath of paths) {
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
	recorder.record(`${prefix}webhook-probes`, probes.join('\n'));
	const session = await login(server.base).catch(() => null);
	return {
		server,
		workers,
		session,
		finishedFirst: () => finishedFirst,
		close: async () => {
			await Promise.all([server.close(), ...workers.map((w) => stop(w.child, 15000))]);
		},
	};
}

/**
 * @typedef {object} Worker
 * @property {string} label
 * @property {number} healthPort
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => number} executions   executions this worker started so far (from its log)
 * @property {() => string} output       the tail of what it printed
 * @property {Array<{ t: number, line: string }>} failures   lines where the package or n8n said something failed
 */

/**
 * `n8n worker --concurrency=N` with its own health-check port and task-runner broker port (every n8n
 * process starts a task broker; two on one port fail). Resolves once it logged that it is ready and
 * its health endpoint answers. `wrap`: a command line the worker runs under (faketime).
 *
 * @param {import('../../scripts/lib/n8n').N8nContext} ctx
 * @param {number} index
 * @param {Recorder} recorder
 * @param {{ label?: string, env?: Record<string, string>, wrap?: string[] }} [options]
 * @returns {Promise<Worker>}
 */
async function startWorker(ctx, index, recorder, options = {}) {
	const label = options.label ?? `worker-${index + 1}`;
	const healthPort = await uniquePort();
	// Worker 1 runs without EXECUTIONS_MODE, as a user may start it: `n8n worker` switches itself to
	// queue mode, and the package must see that too (token/fleet.ts isQueueMode).
	const { EXECUTIONS_MODE: _mode, ...withoutMode } = ctx.env ?? {};
	const env = n8nEnv(ctx.userFolder, {
		...(index === 0 ? withoutMode : ctx.env),
		...options.env,
		N8N_RUNNERS_BROKER_PORT: String(await uniquePort()),
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		QUEUE_HEALTH_CHECK_PORT: String(healthPort),
	});
	const argv = [process.execPath, ctx.runtime.bin, 'worker', `--concurrency=${CONCURRENCY}`];
	const [command, ...rest] = [...(options.wrap ?? []), ...argv];
	const child = startTracked(command, rest, { cwd: ctx.userFolder, env });
	let ready = false;
	let executions = 0;
	/** @type {Array<{ t: number, line: string }>} */
	const failures = [];
	const out = recorder.attach(label, child, (line) => {
		if (/n8n worker is now ready/.test(line)) ready = true;
		if (/Worker started execution/.test(line)) executions += 1;
		if (/^(Asking the agent failed|Problem in node|n8n-nodes-alation: could not)/.test(line) && failures.length < 1000) failures.push({ t: Date.now(), line: line.slice(0, 200) });
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
	return { label, healthPort, child, executions: () => executions, output: () => out.text(), failures };
}

/**
 * One POST to the webhook; ok when n8n answers 2xx with the agent's exact answer.
 *
 * @param {string} url
 * @param {string} question
 * @param {(line: string) => void} log
 * @param {string} [lane]   the stress workflow's branch
 * @param {string} [askedBy]  user sign-in: the person the answer names
 * @returns {Promise<CallResult>}
 */
async function callWebhook(url, question, log, lane, askedBy) {
	const startedAt = Date.now();
	try {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(lane ? { question, lane } : { question }),
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
		const expected = answerText(question, AGENT_NAME, 1, askedBy);
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
 * Runs one scenario: its set-up, the calls (and what it does alongside them), then the simulator's
 * counts, the executions n8n recorded, and what the probes saw (who minted, why each 401).
 *
 * @param {Scenario} scenario
 * @param {{ base: string, sim: import('../simulator').Simulator, pg: import('./services').PostgresService,
 *   workers: Worker[], recorder: Recorder, session: Awaited<ReturnType<typeof login>> | null,
 *   runtime: import('../../scripts/lib/install-n8n').N8nRuntime, probeDir: string }} env
 * @returns {Promise<ScenarioResult>}
 */
async function runScenario(scenario, env) {
	const { sim, pg, workers, recorder } = env;
	const scenarioStarted = Date.now();
	/** @type {ScenarioState} */
	const state = { notes: [], problems: [], extraCalls: 0, extraWorkers: [] };
	const message = (/** @type {unknown} */ error) => (error instanceof Error ? error.message : String(error));
	if (scenario.before) {
		process.stdout.write(`▸ ${scenario.name}: set-up … `);
		const setup = Date.now();
		try {
			await scenario.before(state);
			process.stdout.write(`done (${formatDuration(Date.now() - setup)})\n`);
		} catch (error) {
			process.stdout.write(`FAILED (${formatDuration(Date.now() - setup)})\n`);
			state.problems.push(`set-up failed: ${message(error)}`);
		}
	}
	const url = `${env.base}/webhook/${scenario.webhookPath}`;
	const responses = recorder.lines(`responses-${scenario.name}`);
	sim.options.tokenLifetimeSeconds = scenario.lifetimeSeconds;
	const renewalMs = renewalPeriodMs(scenario.lifetimeSeconds);
	const [[maxIdBefore]] = await pg.sql('SELECT COALESCE(MAX(id), 0) FROM execution_entity');
	// A sign-in's "mints" are its refreshes (each mints the person's next access token).
	const minted = () => (scenario.askedBy ? sim.counters.userRefreshes : sim.counters.oauthMints);
	const before = { mints: minted(), unauthorized: sim.counters.unauthorized, perWorker: new Map(workers.map((w) => [w.label, w.executions()])) };
	const tag = scenario.name.replace(/\W+/g, '-');
	process.stdout.write(`▸ ${scenario.name} (${scenario.note}) … `);

	/** @type {Array<Promise<CallResult>>} */
	const calls = [];
	const t0 = Date.now();
	const alongside =
		scenario.during && state.problems.length === 0
			? scenario.during(t0, state).catch((error) => {
				state.problems.push(`${scenario.name}: ${message(error)}`);
			})
		: Promise.resolve();
	let n = 0;
	if (state.problems.length === 0) {
		if (scenario.burst) {
			for (let i = 0; i < scenario.burst; i++) calls.push(callWebhook(url, `fleet ${tag} #${++n}`, responses.write, scenario.lane, scenario.askedBy));
		} else if (scenario.steady) {
			const { batch, everyMs, durationMs } = scenario.steady;
			// Bounded: at most twice the scenario's own duration, whatever loadUntil says.
			const more = (/** @type {number} */ at) => at < durationMs || (state.loadUntil !== undefined && t0 + at < Math.min(state.loadUntil, t0 + 2 * durationMs));
			for (let at = 0; more(at); at += everyMs) {
				const wait = t0 + at - Date.now();
				if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
				for (let i = 0; i < batch; i++) calls.push(callWebhook(url, `fleet ${tag} #${++n}`, responses.write, scenario.lane, scenario.askedBy));
			}
		}
	}
	const outcomes = await Promise.all(calls);
	await alongside;
	responses.end();
	const first = outcomes.length > 0 ? Math.min(...outcomes.map((o) => o.startedAt)) : t0;
	const last = outcomes.length > 0 ? Math.max(...outcomes.map((o) => o.endedAt)) : Date.now();
	const durationMs = last - first;

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
		{ timeoutMs: 60000, everyMs: 500 },
	).catch(() => undefined);
	const mints = minted() - before.mints;
	const unauthorized = sim.counters.unauthorized - before.unauthorized;
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
	const expected = outcomes.length + state.extraCalls;
	if (executions !== expected) problems.push(`${executions} executions recorded for ${expected} calls (${JSON.stringify(byStatus)})`);

	/** @type {Map<string, number>} */
	const perWorker = new Map(workers.map((w) => [w.label, w.executions() - (before.perWorker.get(w.label) ?? 0)]));

	// What the probes saw, from the first call to now (long executions may end after the last call).
	const analysis = analyzeTokens(readProbes(env.probeDir), { from: t0 - 500, to: Date.now(), renewalMs, lifetimeMs: scenario.lifetimeSeconds * 1000, outage: state.outage });
	if (analysis.mints !== mints) problems.push(`the probes saw ${analysis.mints} mints, the simulator counted ${mints}`);
	if (analysis.unauthorized !== unauthorized) problems.push(`the probes saw ${analysis.unauthorized} × 401, the simulator counted ${unauthorized}`);
	if (analysis.other > 0) problems.push(`${analysis.other} × 401 not explained by the race (nor by an outage): ${analysis.details.slice(0, 3).join('; ')}`);
	if (analysis.outage > 0 && !state.outage) problems.push(`${analysis.outage} × 401 put down to an outage in a scenario without one`);
	if (analysis.race > 0) state.notes.push(`${analysis.race} × 401 of the race: sent at most ${analysis.maxRaceGapMs} ms after the old token came due, as another process's due renewal reached Alation (401s by process: ${Object.entries(analysis.unauthorizedBy).map(([p, c]) => `${p} ${c}`).join(', ')})`);
	const pastDue = Object.entries(analysis.pastDue);
	if (pastDue.length > 0) {
		state.notes.push(`requests sent more than ${RACE_MS} ms after their token came due: ${pastDue.map(([p, v]) => `${p} ${v.count} (up to ${seconds(v.maxMs)})`).join(', ')}`);
	}
	const early = analysis.early.filter((m) => !(state.outage && m.t >= state.outage.from && m.t <= state.outage.to));
	if (early.length > 0) state.notes.push(`mints before the previous token was due: ${early.map((m) => `${m.p} ${Math.round((m.sincePreviousMs ?? 0) / 100) / 10} s after the previous`).join(', ')}`);
	// What the workers logged as failing meanwhile (the package's own messages): shown, not judged.
	/** @type {Map<string, Set<string>>} */
	const logged = new Map();
	for (const w of workers) {
		for (const f of w.failures) {
			if (f.t < t0) continue;
			const seen = logged.get(f.line) ?? new Set();
			seen.add(w.label);
			logged.set(f.line, seen);
		}
	}
	for (const [line, who] of [...logged.entries()].slice(0, 4)) state.notes.push(`logged by ${[...who].join(', ')}: "${line}"`);
	if (scenario.check) {
		try {
			await scenario.check(analysis, state, perWorker);
		} catch (error) {
			state.problems.push(`check failed: ${message(error)}`);
		}
	}

	// Token periods the scenario spans, counted generously: from the first call sent to the last answer.
	// A token's period is its lifetime less the skew the package renews it by (the package's own rule,
	// from the built code): 20 s tokens are renewed every 15 s, so 60 s of load spans 4 periods.
	const periods = Math.max(1, Math.ceil(durationMs / renewalMs));
	const rule = scenario.mintRule
		? scenario.mintRule(analysis, { t0: first, end: Math.max(last, Date.now() - 1), renewalMs }, state)
		: { ok: mints <= periods + 1, limit: periods + 1, limitText: `≤ ${periods + 1}`, periodsText: `${periods} × ${Math.round(renewalMs / 1000)} s` };
	if (!rule.ok) problems.push(`mints over the limit: ${mints} (${rule.limitText})`);
	problems.push(...state.problems);
	const failedCalls = outcomes.filter((o) => !o.ok).length;
	const latencies = outcomes.map((o) => o.endedAt - o.startedAt);
	const pass = outcomes.length > 0 && rule.ok && failedCalls === 0 && failedExecutions === 0 && problems.length === 0;
	process.stdout.write(`${pass ? 'ok' : 'FAILED'} (${formatDuration(Date.now() - t0)})\n`);
	if (scenario.after) await scenario.after(state).catch((error) => problems.push(`clean-up failed: ${message(error)}`));
	return {
		name: scenario.name,
		note: scenario.note,
		pass,
		calls: outcomes.length + state.extraCalls,
		mints,
		mintsBy: Object.entries(analysis.mintsBy)
			.map(([p, c]) => `${p} ${c}`)
			.join(', '),
		unauthorized,
		race: analysis.race,
		outage401: analysis.outage,
		other401: analysis.other,
		failedCalls,
		failedExecutions,
		executions,
		periods,
		periodsText: rule.periodsText,
		mintLimit: rule.limit,
		mintLimitText: rule.limitText,
		durationMs,
		totalMs: Date.now() - scenarioStarted,
		p50Ms: percentile50(latencies),
		maxMs: latencies.length > 0 ? Math.max(...latencies) : 0,
		perWorker: [...perWorker.entries()]
			.filter(([, count]) => count > 0)
			.map(([label, count]) => `${label} ${count}`)
			.join(' / '),
		problems,
		notes: state.notes,
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
 * @param {{ pass: boolean, problems: string[], durationMs: number } | null} chat   null when not run (FLEET_ONLY)
 * @param {number} startTime
 */
function jestJson(results, scan, chat, startTime) {
	return jestResults('test/fleet/run.js', startTime, [
		...results.map((r) => ({
			title: r.name,
			fullName: `fleet: ${r.name}`,
			status: r.pass ? /** @type {const} */ ('passed') : /** @type {const} */ ('failed'),
			duration: r.totalMs,
			failureMessages: r.pass
				? []
				: [`${r.mints} mints (limit ${r.mintLimitText}), ${r.unauthorized}×401 (race ${r.race}, outage ${r.outage401}, unexplained ${r.other401}), ${r.failedCalls} failed calls, ${r.failedExecutions} failed executions; ${r.problems.slice(0, 3).join('; ')}`],
			fleet: r,
		})),
		...(chat
			? [
					{
						title: `a chat session of ${CHAT_MESSAGES} messages continues one Alation chat across workers`,
						fullName: 'fleet: chat session across workers',
						status: chat.pass ? /** @type {const} */ ('passed') : /** @type {const} */ ('failed'),
						duration: chat.durationMs,
						failureMessages: chat.problems,
					},
				]
			: []),
		{ title: 'no secret in the raw output', fullName: 'fleet: no secret in the raw output', status: scan.problems.length === 0 ? 'passed' : 'failed', duration: 0, failureMessages: scan.problems },
	]);
}

main().catch(async (error) => {
	process.stderr.write(`\nfleet suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	await stopAll(5000);
	await runCleanups();
	process.exit(1);
});
