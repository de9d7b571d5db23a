#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run test:install:env [-- --json --outputFile=<file>] [--keep]`: n8n's environment-variable
 * installation of community packages (n8n ≥ 2.21), for real, on n8n 2.41.1:
 *
 *   N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV=true
 *   N8N_COMMUNITY_PACKAGES='[{"name":"n8n-nodes-alation","version":"<v>","checksum":"sha512-<base64>"}]'
 *   N8N_COMMUNITY_PACKAGES_REGISTRY=http://127.0.0.1:<port>/     N8N_UNVERIFIED_PACKAGES_ENABLED=false
 *
 * 1. A private registry: verdaccio on 127.0.0.1 (test/install/verdaccio.js: no uplinks), holding the
 *    packed tarball of this package and its runtime dependencies at the versions package-lock.json
 *    resolves (fetched with `npm pack <name>@<version>`, checked against the lock's integrity).
 * 2. Without the license stand-in (below), n8n refuses that registry.
 * 3. A wrong checksum: refused, nothing half-installed.
 * 4. `n8n start` (fresh user folder, sqlite) installs the package from the registry and loads it;
 *    5. an Agent Chat execution (REST-created credential and workflow, published, called on its
 *    webhook) answers with the loopback simulator's answer.
 * 6. Queue mode (Postgres, Redis; main and workers in user folders of their own, as on separate
 *    machines): a worker that runs while main installs gets the package from main's
 *    "community-package-install" command and runs the execution; 7. a worker started afterwards does
 *    not install it from N8N_COMMUNITY_PACKAGES (only `n8n start` reads it), even with
 *    N8N_REINSTALL_MISSING_PACKAGES=true, and cannot run the execution.
 *
 * LICENSE STAND-IN: n8n 2.41.1 accepts a registry other than the public one only on a licensed
 * instance (CommunityPackagesService#getNpmRegistry → License#isCustomNpmRegistryEnabled, feature
 * feat:communityNodes:customRegistry). The n8n processes of checks 3–7 preload
 * test/install/custom-registry-license.js (NODE_OPTIONS=--require), which makes n8n's License report
 * that ONE feature as enabled and changes nothing else. Check 2 runs without it and shows n8n's refusal.
 *
 * Prints a table; with --json writes jest-shaped results (scripts/lib/report.js) for .ci/run's summary.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { argValue } = require('../../scripts/lib/args');
const { ensureN8n } = require('../../scripts/lib/install-n8n');
const { freshFolder } = require('../../scripts/lib/instance');
const { formatDuration, info, step, table } = require('../../scripts/lib/log');
const { n8nEnv, nodeOf, uniquePort } = require('../../scripts/lib/n8n');
const { npmArgs, npmEnv } = require('../../scripts/lib/npm');
const { PACKAGE, packPackage } = require('../../scripts/lib/package');
const { REPO, WORK_ROOT } = require('../../scripts/lib/paths');
const { isStopping, onCleanup, run, runCleanups, startTracked, stop, stopAll, tailLines } = require('../../scripts/lib/proc');
const { crashResults, jestResults, writeResults } = require('../../scripts/lib/report');
const { login, startServer } = require('../../scripts/lib/server');
const { startLocalSimulator } = require('../../scripts/lib/simulator');
const { webhookAgentChatWorkflow } = require('../../scripts/lib/webhook-workflow');
const { answerText } = require('../simulator');
const { Recorder } = require('../fleet/recorder');
const { startPostgres, startRedis, waitUntil } = require('../fleet/services');
const { VERDACCIO_VERSION, ensureVerdaccio, integrityOf, startRegistry } = require('./verdaccio');

const SUITE_TIMEOUT_MS = 8 * 60 * 1000;
const START_TIMEOUT_MS = 3 * 60 * 1000;
const LOG_TIMEOUT_MS = 2 * 60 * 1000;
const CALL_TIMEOUT_MS = 90 * 1000;
const PRELOAD = path.join(__dirname, 'custom-registry-license.js');
const FEATURE = 'feat:communityNodes:customRegistry';
const AGENT_NAME = 'Catalog Search Agent';
/** An OAuth client of the simulator's for this run, its secret made at run time (the secret scan reads literals). */
const CLIENT = { clientId: 'env-install', clientSecret: ['env-install', crypto.randomBytes(12).toString('hex')].join('-') };

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (argValue(args, '--outputFile') ?? path.join('.ci-results', 'install-env.json')) : argValue(args, '--outputFile');
const keep = args.includes('--keep') || process.env.ENV_INSTALL_KEEP === '1';

/** @param {string} text */
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * @typedef {object} Check
 * @property {string} title
 * @property {'passed' | 'failed'} status
 * @property {number} duration
 * @property {string[]} failureMessages
 * @property {string} detail   one line for the table
 */

/** @type {Check[]} */
const checks = [];

/**
 * Runs one check: `fn` returns the table's detail or throws (its message is the failure). Its time
 * counts from `since` (the start of the n8n processes it judges) when given.
 *
 * @param {string} title
 * @param {() => Promise<string>} fn
 * @param {number} [since]
 */
async function check(title, fn, since) {
	const started = since ?? Date.now();
	process.stdout.write(`▸ ${title} … `);
	try {
		const detail = await fn();
		checks.push({ title, status: 'passed', duration: Date.now() - started, failureMessages: [], detail });
		process.stdout.write(`ok (${formatDuration(Date.now() - started)})\n  ${detail}\n`);
		return true;
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		checks.push({ title, status: 'failed', duration: Date.now() - started, failureMessages: [message], detail: message.split('\n')[0] });
		process.stdout.write(`FAILED (${formatDuration(Date.now() - started)})\n${message}\n`);
		return false;
	}
}

/** @param {boolean} condition @param {string} message */
function expect(condition, message) {
	if (!condition) throw new Error(message);
}

/**
 * The runtime dependencies as package-lock.json resolves them: every non-dev package of the lock.
 *
 * @returns {Array<{ name: string, version: string, integrity: string }>}
 */
function lockedRuntimeDependencies() {
	const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8'));
	/** @type {Array<{ name: string, version: string, integrity: string }>} */
	const out = [];
	for (const [key, entry] of Object.entries(/** @type {Record<string, any>} */ (lock.packages))) {
		if (key === '' || entry.dev || entry.devOptional || entry.link) continue;
		out.push({ name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version, integrity: entry.integrity });
	}
	return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `npm pack <name>@<version>` into `dir` (from the npm cache when it has it, else the npm registry);
 * the tarball must match the lock's integrity.
 *
 * @param {{ name: string, version: string, integrity: string }} dep
 * @param {string} dir
 */
async function fetchTarball(dep, dir) {
	const [cmd, argv] = npmArgs(['pack', `${dep.name}@${dep.version}`, '--json', '--prefer-offline', '--ignore-scripts', `--pack-destination=${dir}`]);
	const result = await run(cmd, argv, { cwd: dir, env: npmEnv(), timeoutMs: 2 * 60 * 1000, label: `npm pack ${dep.name}@${dep.version}` });
	if (result.code !== 0) throw new Error(`npm pack ${dep.name}@${dep.version} failed:\n${tailLines(result.stderr || result.stdout)}`);
	const [packed] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
	const file = path.join(dir, packed.filename);
	const integrity = integrityOf(fs.readFileSync(file));
	if (integrity !== dep.integrity) throw new Error(`${dep.name}@${dep.version}: the fetched tarball is ${integrity}, package-lock.json says ${dep.integrity}`);
	return file;
}

/**
 * Collects a process's output line by line (into a recorder file too) and waits for lines.
 *
 * @param {Recorder} recorder
 * @param {string} label
 */
function lineLog(recorder, label) {
	const file = recorder.lines(label);
	/** @type {string[]} */
	const lines = [];
	const onLine = (/** @type {string} */ line) => {
		const text = plain(line);
		lines.push(text);
		file.write(text);
	};
	return {
		onLine,
		end: () => file.end(),
		text: () => lines.join('\n'),
		/** @param {RegExp} re */
		find: (re) => lines.find((l) => re.test(l)),
		/**
		 * @param {RegExp} re
		 * @param {string} what
		 * @param {() => string | null} [gone]
		 */
		waitFor: async (re, what, gone) => {
			await waitUntil(what, async () => lines.some((l) => re.test(l)), { timeoutMs: LOG_TIMEOUT_MS, everyMs: 250, gone });
			return /** @type {string} */ (lines.find((l) => re.test(l)));
		},
	};
}

/**
 * Streams a child's output into a lineLog.
 *
 * @param {import('node:child_process').ChildProcess} child
 * @param {ReturnType<typeof lineLog>} log
 */
function feed(child, log) {
	let pending = '';
	const onData = (/** @type {Buffer} */ chunk) => {
		pending += chunk.toString('utf8');
		const parts = pending.split('\n');
		pending = parts.pop() ?? '';
		for (const line of parts) log.onLine(line);
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	child.once('close', () => {
		if (pending) log.onLine(pending);
		log.end();
	});
}

/**
 * What the user folder holds of the package: its folder, its version, its runtime dependencies, and
 * the entry in n8n's ledger (.n8n/nodes/package.json).
 *
 * @param {string} userFolder
 */
function installedState(userFolder) {
	const nodes = path.join(userFolder, '.n8n', 'nodes');
	const dir = path.join(nodes, 'node_modules', PACKAGE.name);
	const exists = fs.existsSync(dir);
	let version = null;
	try {
		version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
	} catch {
		// not there
	}
	let ledger = null;
	try {
		ledger = JSON.parse(fs.readFileSync(path.join(nodes, 'package.json'), 'utf8')).dependencies?.[PACKAGE.name] ?? null;
	} catch {
		// not there
	}
	/** @type {string[]} */
	let leftovers = [];
	try {
		leftovers = fs.readdirSync(path.join(nodes, 'node_modules')).filter((n) => n.startsWith(PACKAGE.name));
	} catch {
		// no node_modules
	}
	/** @type {string[]} */
	let tarballs = [];
	try {
		tarballs = fs.readdirSync(nodes).filter((n) => n.endsWith('.tgz'));
	} catch {
		// no folder
	}
	const deps = Object.keys(PACKAGE.dependencies).filter((d) => fs.existsSync(path.join(dir, 'node_modules', d, 'package.json')));
	return { dir, exists, version, ledger, leftovers, tarballs, deps };
}

/**
 * As a user does in the editor: a credential for the simulator, the webhook workflow, published.
 *
 * @param {string} base
 * @param {string} simUrl
 * @param {string} webhookPath
 */
async function createWorkflow(base, simUrl, webhookPath) {
	const session = await login(base);
	const credential = await session.request('POST', '/rest/credentials', {
		name: 'Alation simulator',
		type: 'alationApi',
		data: { baseUrl: simUrl, authType: 'clientCredentials', clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret },
	});
	const workflow = await session.request('POST', '/rest/workflows', webhookAgentChatWorkflow({ name: `env-install: ${webhookPath}`, webhookPath, credential: { id: credential.id, name: credential.name } }));
	await session.request('POST', `/rest/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
	// n8n 2.41 publishes through an outbox: the production webhook is registered a moment later. A GET on
	// a POST-only webhook tells whether it is registered without running the workflow.
	let last = '';
	await waitUntil(
		`webhook /webhook/${webhookPath} registered`,
		async () => {
			const r = await fetch(`${base}/webhook/${webhookPath}`, { signal: AbortSignal.timeout(5000) });
			last = `HTTP ${r.status} ${(await r.text()).slice(0, 200)}`;
			return /POST/.test(last) || !/not registered/.test(last);
		},
		{ timeoutMs: 60000, everyMs: 250 },
	).catch((error) => {
		throw new Error(`${error instanceof Error ? error.message : String(error)}; last answer: ${last}`);
	});
	return { session, workflowId: String(workflow.id) };
}

/**
 * One POST to the webhook; returns the status and body.
 *
 * @param {string} base
 * @param {string} webhookPath
 * @param {string} question
 */
async function callWebhook(base, webhookPath, question) {
	const response = await fetch(`${base}/webhook/${webhookPath}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ question }),
		signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
	});
	const text = await response.text();
	/** @type {any} */
	let body = null;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: response.status, text, body, ok: response.status === 200 && body?.answer === answerText(question, AGENT_NAME, 1) };
}

async function main() {
	const startTime = Date.now();
	info(`${PACKAGE.name}: n8n's environment-variable install of community packages (N8N_COMMUNITY_PACKAGES), from a private registry on 127.0.0.1\n`);
	const runtime = await ensureN8n();
	const verdaccio = await ensureVerdaccio();
	const suiteStarted = Date.now();
	const watchdog = setTimeout(() => {
		process.stderr.write(`\nThe env-install suite did not finish within ${formatDuration(SUITE_TIMEOUT_MS)}: stopping.\n`);
		void stopAll(3000)
			.then(runCleanups)
			.finally(() => process.exit(1));
	}, SUITE_TIMEOUT_MS);
	watchdog.unref();

	const workDir = freshFolder(WORK_ROOT, 'env-install');
	// mkdtemp makes it 0700; the Postgres cluster inside belongs to the postgres user when this is root.
	fs.chmodSync(workDir, 0o755);
	const recorder = new Recorder(path.join(workDir, 'outputs'));
	let passed = false;
	onCleanup(() => {
		if (passed && !keep) fs.rmSync(workDir, { recursive: true, force: true });
	});
	try {
		await runSuite({ runtime, verdaccio, workDir, recorder });
		passed = checks.length > 0 && checks.every((c) => c.status === 'passed');
	} catch (error) {
		if (!isStopping()) process.stderr.write(`\nenv-install suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		passed = false;
	}
	clearTimeout(watchdog);
	const failed = checks.filter((c) => c.status === 'failed').length;
	info(`\nn8n ${runtime.version} on Node ${runtime.nodeVersion}, verdaccio ${VERDACCIO_VERSION} (${verdaccio.installedNowMs > 0 ? `installed in this run: ${formatDuration(verdaccio.installedNowMs)}` : `reused; its first install took ${verdaccio.firstInstallSeconds} s`})`);
	info(`License stand-in: checks 3–7 preload ${path.relative(REPO, PRELOAD)}, which makes n8n's License report ${FEATURE} (and nothing else) as enabled.\n`);
	info(table(['#', 'check', 'result', 'time', 'detail'], checks.map((c, i) => [String(i + 1), c.title, c.status === 'passed' ? 'pass' : 'FAIL', formatDuration(c.duration), c.detail])));
	info(`\n${checks.length - failed} passed, ${failed} failed; suite ${formatDuration(Date.now() - suiteStarted)} (n8n and verdaccio installs excluded)`);
	if (jsonOut) {
		writeResults(jsonOut, checks.length > 0 ? jestResults('test/install/env-install.js', startTime, checks.map((c) => ({ ...c, fullName: `env install: ${c.title}` }))) : crashResults());
		info(`results: ${jsonOut}`);
	}
	if (!passed) {
		info(`\nLast lines of each process (everything is in ${path.relative(process.cwd(), recorder.dir)}):`);
		info(recorder.tails(15));
		info(`\nWork folder kept in ${path.relative(process.cwd(), workDir)}`);
	}
	step('Stopping everything');
	await stopAll(15000);
	await runCleanups();
	info(`total ${formatDuration(Date.now() - startTime)}`);
	process.exitCode = passed ? 0 : 1;
}

/**
 * @param {{ runtime: import('../../scripts/lib/install-n8n').N8nRuntime, verdaccio: { bin: string },
 *   workDir: string, recorder: Recorder }} p
 */
async function runSuite(p) {
	const { runtime, workDir, recorder } = p;

	// ---- 1. the private registry ------------------------------------------------------------------
	step('Packing the package, fetching its runtime dependencies, starting verdaccio');
	const tarballs = path.join(workDir, 'tarballs');
	fs.mkdirSync(tarballs, { recursive: true });
	const tarball = await packPackage(tarballs);
	const checksum = integrityOf(fs.readFileSync(tarball));
	const deps = lockedRuntimeDependencies();
	const registry = await startRegistry(p.verdaccio, path.join(workDir, 'verdaccio'));
	onCleanup(() => registry.close());
	const registryLog = recorder.lines('verdaccio');
	registry.child.stdout?.on('data', (/** @type {Buffer} */ chunk) => registryLog.write(chunk.toString('utf8').trimEnd()));
	info(`  verdaccio on ${registry.url}; ${PACKAGE.name}@${PACKAGE.version} ${checksum}`);

	await check(`private registry: verdaccio on 127.0.0.1 (no uplinks) holds ${PACKAGE.name}@${PACKAGE.version} and its ${deps.length} runtime dependencies at package-lock.json's versions`, async () => {
		const files = [];
		for (const dep of deps) files.push(await fetchTarball(dep, tarballs));
		const published = [await registry.publish(tarball)];
		for (const file of files) published.push(await registry.publish(file));
		for (const item of published) {
			const manifest = await registry.manifest(item.name, item.version);
			expect(manifest?.dist?.integrity === item.integrity, `${item.name}@${item.version}: the registry serves ${String(manifest?.dist?.integrity)}, published ${item.integrity}`);
		}
		expect(published[0].integrity === checksum, 'the package was published with another integrity');
		// No uplinks: anything not published is not found.
		const missing = await fetch(`${registry.url}/left-pad`, { signal: AbortSignal.timeout(10000) });
		expect(missing.status === 404, `an unpublished package answered HTTP ${missing.status} (uplinks?)`);
		return `${published.map((x) => `${x.name}@${x.version}`).join(', ')}; integrity as served = as published = package-lock.json's; unpublished → 404`;
	});

	const sim = await startLocalSimulator({ oauthClients: { [CLIENT.clientId]: CLIENT.clientSecret } });
	info(`  Alation simulator on ${sim.url}`);

	/**
	 * The environment of n8n's env route for one process.
	 *
	 * @param {string} sum
	 * @param {boolean} standIn  preload the license stand-in
	 */
	const packageEnv = (sum, standIn) => ({
		N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: 'true',
		N8N_COMMUNITY_PACKAGES: JSON.stringify([{ name: PACKAGE.name, version: PACKAGE.version, checksum: sum }]),
		N8N_COMMUNITY_PACKAGES_REGISTRY: `${registry.url}/`,
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'false',
		...(standIn ? { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require=${PRELOAD}`].filter(Boolean).join(' ') } : {}),
	});

	/**
	 * `n8n start` in a fresh user folder (sqlite) with the env route; resolves when ready.
	 *
	 * @param {string} label
	 * @param {NodeJS.ProcessEnv} env
	 * @param {string} [userFolder]
	 */
	const startMain = async (label, env, userFolder = path.join(workDir, label)) => {
		fs.mkdirSync(userFolder, { recursive: true });
		const log = lineLog(recorder, label);
		const server = await startServer({ runtime, userFolder, env }, { port: await uniquePort(), onLine: log.onLine });
		server.child.once('close', () => log.end());
		return { server, log, userFolder };
	};

	/** A refused install: n8n logs why and starts without the package; nothing of it is left. */
	const refusal = async (/** @type {string} */ label, /** @type {NodeJS.ProcessEnv} */ env, /** @type {RegExp} */ reason) => {
		const { server, log, userFolder } = await startMain(label, env);
		try {
			const line = await log.waitFor(/Failed to install community package/, `${label}: n8n's verdict on the package`);
			expect(reason.test(line), `n8n refused for another reason: ${line}`);
			const state = installedState(userFolder);
			expect(!state.exists && state.leftovers.length === 0, `left in .n8n/nodes/node_modules: ${state.leftovers.join(', ')}`);
			expect(state.ledger === null, `.n8n/nodes/package.json lists ${PACKAGE.name}@${String(state.ledger)}`);
			expect(state.tarballs.length === 0, `tarballs left in .n8n/nodes: ${state.tarballs.join(', ')}`);
			const installed = await (await login(server.base)).request('GET', '/rest/community-packages');
			expect(Array.isArray(installed) && installed.length === 0, `n8n lists installed packages: ${JSON.stringify(installed).slice(0, 200)}`);
			return line.replace(/^.*?(Failed to install)/, '$1');
		} finally {
			await server.close();
		}
	};

	// ---- 2 + 3: refusals (two n8n at once: each waits mostly on its own start-up) -------------------
	step('n8n start without the license stand-in, and with a wrong checksum (two fresh user folders, at once)');
	const refusalsStarted = Date.now();
	const wrongChecksum = integrityOf(Buffer.concat([fs.readFileSync(tarball), Buffer.from('not the tarball')]));
	const [unlicensed, wrong] = await Promise.allSettled([
		refusal('n8n-unlicensed', packageEnv(checksum, false), new RegExp(`Your license does not allow for ${FEATURE}`)),
		refusal('n8n-wrong-checksum', packageEnv(wrongChecksum, true), /Failed to verify package checksum/),
	]);
	await check(`without the license stand-in, n8n refuses the private registry (${FEATURE}); nothing installed`, async () => {
		if (unlicensed.status === 'rejected') throw unlicensed.reason;
		return unlicensed.value;
	}, refusalsStarted);
	await check('a wrong checksum is refused and nothing is left half-installed (no package folder, no ledger entry, no tarball, no DB record)', async () => {
		if (wrong.status === 'rejected') throw wrong.reason;
		return wrong.value;
	}, refusalsStarted);

	// ---- 4 + 5: the install and an execution ------------------------------------------------------
	step('n8n start with the right checksum (fresh user folder, sqlite)');
	const mainStarted = Date.now();
	const main = await startMain('n8n-env-install', packageEnv(checksum, true)).catch((error) => {
		checks.push({ title: 'n8n start installs the package', status: 'failed', duration: 0, failureMessages: [String(error)], detail: String(error).split('\n')[0] });
		return null;
	});
	if (main) {
		try {
			const installedOk = await check(`n8n start installs ${PACKAGE.name}@${PACKAGE.version} from N8N_COMMUNITY_PACKAGES (private registry, checksum checked) and loads its nodes`, async () => {
				const standIn = await main.log.waitFor(/\[env-install test stand-in\]/, 'the license stand-in applied');
				expect(standIn.includes(path.join('n8n', 'dist', 'license.js')), standIn);
				const line = await main.log.waitFor(/(Installed|Failed to install) community package/, "n8n's verdict on the package");
				expect(/^Installed community package 'n8n-nodes-alation@[^']+' from env/.test(line.trim()), line);
				const state = installedState(main.userFolder);
				expect(state.exists && state.version === PACKAGE.version, `package folder: ${state.exists ? `version ${String(state.version)}` : 'missing'}`);
				expect(state.ledger === PACKAGE.version, `ledger entry: ${String(state.ledger)}`);
				expect(state.deps.length === Object.keys(PACKAGE.dependencies).length, `runtime dependencies installed: ${state.deps.join(', ')}`);
				const session = await login(main.server.base);
				/** @type {any[]} */
				const installed = await session.request('GET', '/rest/community-packages');
				const entry = installed.find((x) => x.packageName === PACKAGE.name);
				expect(entry && entry.installedVersion === PACKAGE.version && !entry.failedLoading, `n8n lists: ${JSON.stringify(installed).slice(0, 300)}`);
				/** @type {Array<{ name: string }>} */
				const types = await session.request('GET', '/types/nodes.json');
				const ours = types.map((t) => t.name).filter((n) => n.startsWith(`${PACKAGE.name}.`));
				expect(ours.includes(`${PACKAGE.name}.alationAgentChat`), `node types served: ${ours.join(', ') || 'none of the package'}`);
				// Served by the private registry: n8n asked it for the version, npm for the packument and the tarball.
				const served = plain(registry.log());
				for (const request of [`GET /${PACKAGE.name}/${PACKAGE.version}`, `GET /${PACKAGE.name}/-/${PACKAGE.name}-${PACKAGE.version}.tgz`, 'GET /undici']) {
					expect(new RegExp(`200, user: .*req: '${request.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`).test(served), `verdaccio did not serve ${request}`);
				}
				return `${line.trim()}; ${path.relative(main.userFolder, state.dir)} ${state.version} with ${state.deps.join(', ')}; ${entry.installedNodes.length} nodes recorded; ${ours.length} node types served; all from ${registry.url}`;
			}, mainStarted);
			await check('an Agent Chat execution with the env-installed package answers with the simulator (REST-created credential + published webhook workflow)', async () => {
				expect(installedOk, 'the package is not installed');
				await createWorkflow(main.server.base, sim.url, 'env-install-regular');
				const before = sim.counters.requests.agentStream ?? 0;
				const answer = await callWebhook(main.server.base, 'env-install-regular', 'Which tables hold revenue?');
				expect(answer.ok, `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
				const streams = (sim.counters.requests.agentStream ?? 0) - before;
				expect(streams === 1, `the simulator served ${streams} agent streams`);
				return `HTTP 200, answer = the simulator's: "${String(answer.body.answer).slice(0, 80)}"`;
			});
		} finally {
			await main.server.close();
		}
	}

	// ---- 6 + 7: queue mode ------------------------------------------------------------------------
	step('Queue mode: private Redis and Postgres; a worker, then main, then a late worker (each its own user folder)');
	const redis = await startRedis(workDir, recorder);
	const pg = await startPostgres(workDir, recorder);
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
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		// See test/fleet/run.js: kept jobs let main find a job a worker finished before main waited on it.
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '100',
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '100',
	};
	const env = { ...queueEnv, ...packageEnv(checksum, true) };

	/**
	 * `n8n worker` in a user folder of its own; resolves when its health endpoint is ready.
	 *
	 * @param {string} label
	 * @param {NodeJS.ProcessEnv} extra
	 */
	const startWorker = async (label, extra = {}) => {
		const userFolder = path.join(workDir, label);
		fs.mkdirSync(userFolder, { recursive: true });
		const healthPort = await uniquePort();
		const workerEnv = n8nEnv(userFolder, {
			...runtime.env,
			...env,
			...extra,
			N8N_RUNNERS_BROKER_PORT: String(await uniquePort()),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(healthPort),
		});
		const child = startTracked(nodeOf(runtime), [runtime.bin, 'worker', '--concurrency=5'], { cwd: userFolder, env: workerEnv });
		const log = lineLog(recorder, label);
		feed(child, log);
		await waitUntil(
			label,
			async () => {
				if (!log.find(/n8n worker is now ready/)) return false;
				const r = await fetch(`http://127.0.0.1:${healthPort}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
				return r.status === 200;
			},
			{
				timeoutMs: START_TIMEOUT_MS,
				everyMs: 500,
				gone: () => (child.exitCode !== null || child.signalCode !== null ? `exited during start-up:\n${tailLines(log.text(), 20)}` : null),
			},
		);
		return { child, log, userFolder, gone: () => (child.exitCode !== null ? `${label} exited` : null) };
	};

	// The first worker is up before main: it migrates the empty database and subscribes to main's commands.
	const queueStarted = Date.now();
	const early = await startWorker('worker-early');
	const queueMain = await startMain('n8n-queue-main', env);
	try {
		await check('queue mode: a worker running while main installs gets the package (main\'s "community-package-install" command) and runs the execution', async () => {
			const mainLine = await queueMain.log.waitFor(/(Installed|Failed to install) community package/, "main's verdict on the package");
			expect(/^Installed community package/.test(mainLine.trim()), `main: ${mainLine}`);
			const workerLine = await early.log.waitFor(/Community package installed|(Skipped|Failed to) install(ing)? community package/, 'the worker installing the package', early.gone);
			expect(/Community package installed: n8n-nodes-alation/.test(workerLine), `worker: ${workerLine}`);
			expect(!early.log.find(/N8N_COMMUNITY_PACKAGES|from env/), 'the worker logged the env route');
			const state = installedState(early.userFolder);
			expect(state.exists && state.version === PACKAGE.version && state.deps.length === Object.keys(PACKAGE.dependencies).length, `worker's folder: ${JSON.stringify(state)}`);
			await createWorkflow(queueMain.server.base, sim.url, 'env-install-queue');
			const before = sim.counters.requests.agentStream ?? 0;
			const answer = await callWebhook(queueMain.server.base, 'env-install-queue', 'Who owns the orders table?');
			expect(answer.ok, `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
			expect((sim.counters.requests.agentStream ?? 0) - before === 1, 'the simulator served no agent stream');
			const ran = early.log.find(/Worker started execution/);
			expect(Boolean(ran), 'the worker logged no execution');
			return `main: "${mainLine.trim()}"; worker: "${workerLine.trim().replace(/^.*?(Community package installed)/, '$1')}" into its own ${path.relative(early.userFolder, state.dir)}; the webhook's execution ran on the worker: HTTP 200, the simulator's answer`;
		}, queueStarted);
		await stop(early.child, 15000);

		await check('queue mode: a worker started after the install does not install from N8N_COMMUNITY_PACKAGES (only n8n start reads it), even with N8N_REINSTALL_MISSING_PACKAGES=true; its execution fails', async () => {
			const late = await startWorker('worker-late', { N8N_REINSTALL_MISSING_PACKAGES: 'true' });
			try {
				const refused = late.log.find(/Failed to reinstall community package/) ?? late.log.find(/packages are missing/);
				expect(Boolean(refused), `the late worker logged nothing about the missing package:\n${tailLines(late.log.text(), 15)}`);
				const state = installedState(late.userFolder);
				expect(!state.exists && state.leftovers.length === 0, `the late worker has ${state.leftovers.join(', ')}`);
				expect(!late.log.find(/Installed community package|from env/), 'the late worker logged the env route');
				const before = sim.counters.requests.agentStream ?? 0;
				const answer = await callWebhook(queueMain.server.base, 'env-install-queue', 'Is the late worker able to answer?');
				expect(!answer.ok, 'the late worker answered: it has the package after all');
				expect((sim.counters.requests.agentStream ?? 0) - before === 0, 'the simulator served an agent stream');
				expect(Boolean(late.log.find(/Worker started execution/)), 'the late worker did not pick up the execution');
				const why = late.log.find(/Unrecognized node type|is not known|Unknown node/i) ?? `HTTP ${answer.status}: ${answer.text.slice(0, 120)}`;
				return `late worker: "${String(refused).trim().replace(/^.*?(Failed to reinstall|n8n detected)/, '$1')}"; no package folder; the execution it picked up failed (${why.trim().slice(0, 140)}); webhook HTTP ${answer.status}`;
			} finally {
				await stop(late.child, 15000);
			}
		});
	} finally {
		await queueMain.server.close();
		await stop(early.child, 15000);
		await redis.close();
		await pg.close();
	}
}

main().catch(async (error) => {
	process.stderr.write(`\nenv-install suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	if (jsonOut) writeResults(jsonOut, crashResults());
	await stopAll(5000);
	await runCleanups();
	process.exit(1);
});
