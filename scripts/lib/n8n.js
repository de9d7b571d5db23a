// @ts-check
'use strict';

/**
 * Running the n8n CLI (import:credentials, import:workflow, execute, start) against one n8n user
 * folder, quietly and offline: no telemetry, no version check, no templates, no banners.
 */

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { parseRunData } = require('./run-data');
const { run, startTracked, tailLines } = require('./proc');

/**
 * A fixed key, so credentials imported by one command decrypt in the next. It protects only demo
 * credentials in throw-away folders.
 */
const ENCRYPTION_KEY = 'n8n-nodes-alation-local-demo-key';

const IMPORT_TIMEOUT_MS = 3 * 60 * 1000;
const EXECUTE_TIMEOUT_MS = 4 * 60 * 1000;

/**
 * The environment of every n8n command. Everything that would phone home is off (the network here
 * allows only loopback and the npm registry, and the demo must not send telemetry anywhere).
 *
 * @param {string} userFolder
 * @param {NodeJS.ProcessEnv} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function n8nEnv(userFolder, extra = {}) {
	/** @type {NodeJS.ProcessEnv} */
	const env = {};
	// Start from our environment minus other N8N_* settings of whoever runs us, and minus what
	// `npm run` adds: the run must not depend on the caller's n8n configuration.
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('N8N_') || key.startsWith('npm_') || key.startsWith('DB_')) continue;
		env[key] = value;
	}
	return {
		...env,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		// Privacy and offline: telemetry, surveys, version checks, templates, banners, AI assistant.
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
		N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		// The config file n8n writes into the fresh user folder is ours: no permission warning.
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		// No Python runner is installed; n8n would log an error about it on every start.
		N8N_PYTHON_ENABLED: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		...extra,
	};
}

/**
 * @typedef {object} N8nContext
 * @property {import('./install-n8n').N8nRuntime} runtime
 * @property {string} userFolder
 * @property {NodeJS.ProcessEnv} [env]   extra environment
 */

/**
 * Runs one n8n CLI command to completion.
 *
 * @param {N8nContext} ctx
 * @param {string[]} args
 * @param {number} timeoutMs
 */
async function n8nCommand(ctx, args, timeoutMs) {
	return await run(nodeOf(ctx.runtime), [ctx.runtime.bin, ...args], {
		cwd: ctx.userFolder,
		env: n8nEnv(ctx.userFolder, { N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...ctx.runtime.env, ...ctx.env }),
		timeoutMs,
		label: `n8n ${args.join(' ')}`,
	});
}

/**
 * @param {N8nContext} ctx
 * @param {string[]} args
 * @param {string} what
 */
async function mustSucceed(ctx, args, what) {
	const result = await n8nCommand(ctx, args, IMPORT_TIMEOUT_MS);
	if (result.code !== 0) throw new Error(`${what} failed (exit ${String(result.code)}):\n${tailLines(`${result.stdout}\n${result.stderr}`)}`);
	return result;
}

/**
 * Imports credentials given as plain data (n8n encrypts them with the encryption key).
 *
 * @param {N8nContext} ctx
 * @param {Array<{ id: string, name: string, type: string, data: Record<string, unknown> }>} credentials
 */
async function importCredentials(ctx, credentials) {
	const file = path.join(ctx.userFolder, 'import-credentials.json');
	fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
	try {
		return await mustSucceed(ctx, ['import:credentials', `--input=${file}`], 'n8n import:credentials');
	} finally {
		// Plain-text demo secrets: gone as soon as n8n has them encrypted.
		fs.rmSync(file, { force: true });
	}
}

/**
 * Imports workflows (one n8n start-up for all of them).
 *
 * @param {N8nContext} ctx
 * @param {object[]} workflows  workflow JSON objects, each with an id of at most 21 characters
 */
async function importWorkflows(ctx, workflows) {
	const dir = path.join(ctx.userFolder, 'import-workflows');
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	for (const workflow of workflows) {
		const id = /** @type {{ id?: unknown }} */ (workflow).id;
		if (typeof id !== 'string' || id.length === 0 || id.length > 21) throw new Error(`workflow id must be 1–21 characters: ${String(id)}`);
		fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(workflow, null, 2));
	}
	return await mustSucceed(ctx, ['import:workflow', '--separate', `--input=${dir}`], 'n8n import:workflow');
}

/**
 * @typedef {object} Execution
 * @property {string} workflowId
 * @property {number | null} code          exit code of `n8n execute`
 * @property {import('./run-data').RunData | null} run   the run data, also for a failed run
 * @property {string} stdout
 * @property {string} stderr
 * @property {number} durationMs
 */

/**
 * `n8n execute --id=<id> --rawOutput`: runs a workflow headless in a fresh n8n process and returns
 * its run data. A failed run exits 1; its run data comes from n8n's info log.
 *
 * @param {N8nContext} ctx
 * @param {string} workflowId
 * @returns {Promise<Execution>}
 */
async function executeWorkflow(ctx, workflowId) {
	const result = await n8nCommand(ctx, ['execute', `--id=${workflowId}`, '--rawOutput'], EXECUTE_TIMEOUT_MS);
	return {
		workflowId,
		code: result.code,
		run: parseRunData(result.stdout) ?? parseRunData(result.stderr),
		stdout: result.stdout,
		stderr: result.stderr,
		durationMs: result.durationMs,
	};
}

/**
 * `n8n start`: the editor and API. Returns the child process; the caller waits for health.
 *
 * @param {N8nContext} ctx
 */
async function startN8n(ctx) {
	const env = n8nEnv(ctx.userFolder, { N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...ctx.runtime.env, ...ctx.env });
	return startTracked(nodeOf(ctx.runtime), [ctx.runtime.bin, 'start'], { cwd: ctx.userFolder, env });
}

/**
 * The Node that runs this n8n: ours (Node 24) for 2.x, the machine's Node 20 for 1.x (see
 * install-n8n.js). Spawn every n8n process (start, execute, worker, imports) with it, and with
 * `runtime.env` in its environment.
 *
 * @param {import('./install-n8n').N8nRuntime} runtime
 */
function nodeOf(runtime) {
	return runtime.node ?? process.execPath;
}

/**
 * A free loopback port. Every n8n process starts a task broker (default port 5679); two n8n
 * processes on one machine (the editor of `npm run dev` and an e2e run, or two engineers' runs)
 * must not fight over it.
 *
 * @returns {Promise<number>}
 */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** Ports handed out by uniquePort in this process: freePort() could name one twice before anything binds it. */
const usedPorts = new Set();

/** A free loopback port not handed out before in this process (several n8n processes start at once). */
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
 * Makes a workflow active so its triggers and webhooks run in `n8n start`. n8n 2.x publishes it
 * (`n8n publish:workflow`); n8n 1.x has no publishing and activates it with
 * `n8n update:workflow --active=true`.
 *
 * @param {N8nContext} ctx
 * @param {string} workflowId
 */
async function activateWorkflow(ctx, workflowId) {
	const args = (ctx.runtime.major ?? 2) >= 2 ? ['publish:workflow', `--id=${workflowId}`] : ['update:workflow', `--id=${workflowId}`, '--active=true'];
	return await n8nCommand(ctx, args, IMPORT_TIMEOUT_MS);
}

module.exports = { n8nEnv, n8nCommand, nodeOf, importCredentials, importWorkflows, executeWorkflow, startN8n, activateWorkflow, freePort, uniquePort, ENCRYPTION_KEY };
