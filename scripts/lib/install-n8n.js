// @ts-check
'use strict';

/**
 * Installs a real n8n on demand into an ignored folder (.n8n-runtime/n8n-<version>/), once, and
 * reuses it afterwards. The recipe (see README "Try it in a real n8n"):
 *  - `npm install --ignore-scripts n8n@<version>` in a folder of its own: the install scripts of
 *    n8n's dependencies would download prebuilt binaries, which this network does not allow, and n8n
 *    must stay out of the package's own node_modules (it is ~3 GB).
 *  - build sqlite3's native binding (n8n's default database) with the node-gyp that ships with npm.
 *  - write a marker file with the version only after sqlite3 loads, so an interrupted install is
 *    resumed rather than trusted.
 */

const fs = require('node:fs');
const path = require('node:path');

const { N8N_VERSION, RUNTIME_ROOT } = require('./paths');
const { heartbeat, info, step, formatDuration } = require('./log');
const { nodeGypCli, npmArgs, npmEnv } = require('./npm');
const { run, tailLines } = require('./proc');

const MARKER = 'n8n-runtime.json';
const NPM_INSTALL_TIMEOUT_MS = 25 * 60 * 1000;
const SQLITE_BUILD_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * @typedef {object} N8nRuntime
 * @property {string} version
 * @property {string} dir       the runtime folder
 * @property {string} bin       n8n's CLI script (run it with process.execPath)
 */

/** @param {string} version */
function runtimeDir(version) {
	return path.join(RUNTIME_ROOT, `n8n-${version}`);
}

/** n8n 2.x runs on Node 24 only; npm scripts of this package put Node 24 first on PATH. */
function assertNode24() {
	const major = Number(process.versions.node.split('.')[0]);
	if (major < 24) {
		throw new Error(
			`n8n 2.x needs Node 24; this is Node ${process.versions.node}. Run the scripts through npm (npm run demo, npm run dev, npm run test:e2e): the node@24 devDependency provides it.`,
		);
	}
}

/**
 * A cheap check that the runtime works: the marker names this version, n8n's package.json says the
 * same, and sqlite3's native binding loads in this Node.
 *
 * @param {string} dir
 * @param {string} version
 * @returns {Promise<string | null>} null when usable, else why not
 */
async function checkRuntime(dir, version) {
	let marker;
	try {
		marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
	} catch {
		return 'not installed yet';
	}
	if (marker.version !== version) return `marker names n8n ${String(marker.version)}`;
	try {
		const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'n8n', 'package.json'), 'utf8'));
		if (pkg.version !== version) return `node_modules holds n8n ${String(pkg.version)}`;
	} catch {
		return 'n8n is missing from node_modules';
	}
	return (await sqliteLoads(dir)) ? null : 'sqlite3 does not load';
}

/** @param {string} dir */
async function sqliteLoads(dir) {
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	const result = await run(process.execPath, ['-e', `require(${JSON.stringify(sqlite)})`], {
		timeoutMs: 30000,
		label: 'loading sqlite3',
	}).catch(() => null);
	return result !== null && result.code === 0;
}

/**
 * How far npm got, for the progress line: top-level packages whose folder exists (npm creates them
 * all early) and those already unpacked (their package.json is written).
 *
 * @param {string} dir
 * @returns {{ folders: number, unpacked: number }}
 */
function countPackages(dir) {
	const modules = path.join(dir, 'node_modules');
	const progress = { folders: 0, unpacked: 0 };
	/** @param {string} folder */
	const visit = (folder) => {
		progress.folders += 1;
		if (fs.existsSync(path.join(folder, 'package.json'))) progress.unpacked += 1;
	};
	let entries = [];
	try {
		entries = fs.readdirSync(modules);
	} catch {
		return progress;
	}
	for (const name of entries) {
		if (name.startsWith('.')) continue;
		if (!name.startsWith('@')) {
			visit(path.join(modules, name));
			continue;
		}
		try {
			for (const scoped of fs.readdirSync(path.join(modules, name))) visit(path.join(modules, name, scoped));
		} catch {
			// being written
		}
	}
	return progress;
}

/**
 * Headers for node-gyp without a download. sqlite3 is a Node-API addon, so any Node's headers with
 * Node-API fit; these machines configure `nodedir=/usr` (the system Node's headers).
 */
function nodeDir() {
	if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
	const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr/local', '/usr'];
	return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) ?? null;
}

/**
 * Returns a usable n8n, installing it first when needed.
 *
 * @param {{ version?: string, force?: boolean }} [options]
 * @returns {Promise<N8nRuntime>}
 */
async function ensureN8n(options = {}) {
	assertNode24();
	const version = options.version ?? N8N_VERSION;
	const dir = runtimeDir(version);
	const bin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const why = options.force ? 'reinstall requested' : await checkRuntime(dir, version);
	if (why === null) {
		info(`n8n ${version}: using ${path.relative(process.cwd(), dir) || dir}`);
		return { version, dir, bin };
	}

	const started = Date.now();
	step(`Installing n8n ${version} into ${dir} (${why}). The first time takes several minutes and ~3 GB.`);
	fs.mkdirSync(dir, { recursive: true });
	fs.rmSync(path.join(dir, MARKER), { force: true });
	fs.writeFileSync(
		path.join(dir, 'package.json'),
		`${JSON.stringify({ name: 'n8n-runtime', private: true, description: 'n8n for the demo and e2e tests of n8n-nodes-alation', dependencies: { n8n: version } }, null, 2)}\n`,
	);

	// --ignore-scripts: dependency install scripts would fetch prebuilt binaries from the internet.
	// --prefer-offline: a warm npm cache installs without revalidating ~2000 packages.
	const stopBeat = heartbeat(() => {
		const { folders, unpacked } = countPackages(dir);
		return folders === 0
			? `npm install n8n@${version}: resolving the dependency tree`
			: `npm install n8n@${version}: ${unpacked} of ${folders} packages unpacked`;
	});
	try {
		const [cmd, args] = npmArgs(['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
		const result = await run(cmd, args, { cwd: dir, env: npmEnv(), timeoutMs: NPM_INSTALL_TIMEOUT_MS, label: `npm install n8n@${version}` });
		if (result.code !== 0) throw new Error(`npm install n8n@${version} failed (exit ${String(result.code)}):\n${tailLines(result.stderr || result.stdout)}`);
	} finally {
		stopBeat();
	}
	info(`  n8n ${version} installed: ${countPackages(dir).unpacked} packages (${formatDuration(Date.now() - started)})`);

	await buildSqlite(dir);

	fs.writeFileSync(
		path.join(dir, MARKER),
		`${JSON.stringify({ version, node: process.versions.node, sqlite3: 'loads', installedAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`,
	);
	info(`n8n ${version} ready in ${formatDuration(Date.now() - started)}`);
	return { version, dir, bin };
}

/**
 * Compiles sqlite3's binding with the node-gyp bundled in npm, for the Node that runs us.
 *
 * @param {string} dir
 */
async function buildSqlite(dir) {
	if (await sqliteLoads(dir)) return;
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	if (!fs.existsSync(path.join(sqlite, 'binding.gyp'))) throw new Error(`sqlite3 not found in ${sqlite}`);
	const started = Date.now();
	step('Building sqlite3 for n8n (node-gyp, about 1–2 minutes)');
	const headers = nodeDir();
	const args = [nodeGypCli(), 'rebuild', '--jobs=max', '--loglevel=error', ...(headers ? [`--nodedir=${headers}`] : [])];
	const stopBeat = heartbeat(() => 'compiling sqlite3');
	try {
		// PATH keeps our Node 24 first, so the binding is built for the Node that runs n8n.
		const env = npmEnv({ PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` });
		const result = await run(process.execPath, args, { cwd: sqlite, env, timeoutMs: SQLITE_BUILD_TIMEOUT_MS, label: 'node-gyp rebuild (sqlite3)' });
		if (result.code !== 0) throw new Error(`building sqlite3 failed (exit ${String(result.code)}):\n${tailLines(result.stderr || result.stdout)}`);
	} finally {
		stopBeat();
	}
	if (!(await sqliteLoads(dir))) throw new Error('sqlite3 was built but does not load');
	info(`  sqlite3 built (${formatDuration(Date.now() - started)})`);
}

module.exports = { ensureN8n, runtimeDir, checkRuntime, assertNode24 };
