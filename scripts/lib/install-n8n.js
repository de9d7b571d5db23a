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
 *
 * Which Node runs n8n depends on its major version (`runtimeProfile`):
 *  - n8n 2.x: Node 24 (2.x needs it), which npm scripts of this package put first on PATH (the
 *    node@24 devDependency), i.e. the Node running these scripts.
 *  - n8n 1.x (e.g. N8N_VERSION=1.123.81, the newest 1.x): the machine's own Node 20, with
 *    N8N_EXPRESSION_ENGINE=legacy. 1.x wants Node 22 for its default expression engine, whose
 *    isolated-vm 6 has no Node 20 build; the legacy engine needs no native sandbox. The install, the
 *    sqlite3 build and every n8n process of a 1.x runtime use that Node (N8N_NODE picks another
 *    binary, e.g. a Node 22, which then runs 1.x without the legacy engine). Installing 1.x also
 *    needs an npm override `xlsx: 0.18.5`: n8n-nodes-base 1.x names a tarball URL outside the npm
 *    registry (cdn.sheetjs.com), and only the registry is reachable here.
 */

const { execFileSync } = require('node:child_process');
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
 * @property {string} bin       n8n's CLI script (run it with `node`)
 * @property {number} major     n8n's major version
 * @property {string} node      the Node binary that runs this n8n (process.execPath for 2.x)
 * @property {string} nodeVersion  that Node's version, e.g. 20.20.2
 * @property {Record<string, string>} env  environment every process of this n8n needs (1.x on Node 20: N8N_EXPRESSION_ENGINE=legacy)
 */

/**
 * @typedef {object} RuntimeProfile
 * @property {number} major
 * @property {string} node
 * @property {string} nodeVersion
 * @property {Record<string, string>} env
 * @property {Record<string, string>} overrides  npm overrides for the runtime folder's package.json
 */

/** npm overrides that n8n 1.x needs to install from the npm registry alone. */
const OVERRIDES_1X = Object.freeze({ xlsx: '0.18.5' });

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

/** @param {string} version */
function majorOf(version) {
	const major = Number(version.split('.')[0]);
	if (!Number.isInteger(major) || major < 1) throw new Error(`not an n8n version: ${version}`);
	return major;
}

/**
 * The machine's own Node: the first `node` on PATH that is not a node_modules copy (the node@24
 * devDependency puts node_modules/.bin/node first inside npm scripts). N8N_NODE overrides it.
 *
 * @returns {string}
 */
function hostNode() {
	if (process.env.N8N_NODE) return path.resolve(process.env.N8N_NODE);
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		if (!dir) continue;
		const candidate = path.join(dir, 'node');
		let real;
		try {
			fs.accessSync(candidate, fs.constants.X_OK);
			real = fs.realpathSync(candidate);
		} catch {
			continue;
		}
		if (real.split(path.sep).includes('node_modules')) continue;
		return real;
	}
	throw new Error('no Node outside node_modules on PATH (n8n 1.x runs on the machine\'s own Node); set N8N_NODE to a Node 20 or 22 binary');
}

/** @param {string} node */
function versionOfNode(node) {
	if (node === process.execPath) return process.versions.node;
	return execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 30000 }).trim();
}

/**
 * Which Node runs this n8n version, with which environment, and the npm overrides its install needs.
 *
 * @param {string} version
 * @returns {RuntimeProfile}
 */
function runtimeProfile(version) {
	const major = majorOf(version);
	if (major >= 2) {
		assertNode24();
		return { major, node: process.execPath, nodeVersion: process.versions.node, env: {}, overrides: {} };
	}
	// n8n 1.x: the machine's Node 20 (not the node@24 of npm scripts) with the legacy expression
	// engine: 1.x's default engine ("vm") needs isolated-vm 6, which ships prebuilt binaries for
	// Node 22 and 24 only (no Node 20 build, and nothing may be compiled or downloaded at install).
	const node = hostNode();
	const nodeVersion = versionOfNode(node);
	const [nodeMajor, nodeMinor] = nodeVersion.split('.').map(Number);
	if (nodeMajor < 20 || (nodeMajor === 20 && nodeMinor < 19) || nodeMajor > 24) {
		throw new Error(`n8n ${version} needs Node >= 20.19 and <= 24; ${node} is Node ${nodeVersion} (set N8N_NODE to another binary)`);
	}
	/** @type {Record<string, string>} */
	const env = nodeMajor < 22 ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {};
	return { major, node, nodeVersion, env, overrides: { ...OVERRIDES_1X } };
}

/**
 * A cheap check that the runtime works: the marker names this version, n8n's package.json says the
 * same, and sqlite3's native binding loads in the Node that runs this n8n.
 *
 * @param {string} dir
 * @param {string} version
 * @param {string} [node]  the Node that runs this n8n (default: ours)
 * @returns {Promise<string | null>} null when usable, else why not
 */
async function checkRuntime(dir, version, node = process.execPath) {
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
	return (await sqliteLoads(dir, node)) ? null : 'sqlite3 does not load';
}

/**
 * @param {string} dir
 * @param {string} node
 */
async function sqliteLoads(dir, node) {
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	const result = await run(node, ['-e', `require(${JSON.stringify(sqlite)})`], {
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
 *
 * @param {string} node
 */
function nodeDir(node) {
	if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
	const candidates = [path.resolve(path.dirname(node), '..'), '/usr/local', '/usr'];
	return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) ?? null;
}

/**
 * Returns a usable n8n, installing it first when needed.
 *
 * @param {{ version?: string, force?: boolean }} [options]
 * @returns {Promise<N8nRuntime>}
 */
async function ensureN8n(options = {}) {
	const version = options.version ?? N8N_VERSION;
	const profile = runtimeProfile(version);
	const dir = runtimeDir(version);
	const bin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	/** @type {N8nRuntime} */
	const runtime = { version, dir, bin, major: profile.major, node: profile.node, nodeVersion: profile.nodeVersion, env: profile.env };
	const onNode = `Node ${profile.nodeVersion}${profile.node === process.execPath ? '' : ` (${profile.node})`}${Object.entries(profile.env)
		.map(([k, v]) => `, ${k}=${v}`)
		.join('')}`;
	const why = options.force ? 'reinstall requested' : await checkRuntime(dir, version, profile.node);
	if (why === null) {
		info(`n8n ${version} on ${onNode}: using ${path.relative(process.cwd(), dir) || dir}`);
		return runtime;
	}

	const started = Date.now();
	step(`Installing n8n ${version} for ${onNode} into ${dir} (${why}). The first time takes several minutes and ~3 GB.`);
	fs.mkdirSync(dir, { recursive: true });
	fs.rmSync(path.join(dir, MARKER), { force: true });
	/** @type {Record<string, unknown>} */
	const manifest = { name: 'n8n-runtime', private: true, description: 'n8n for the demo and e2e tests of n8n-nodes-alation', dependencies: { n8n: version } };
	if (Object.keys(profile.overrides).length > 0) manifest.overrides = profile.overrides;
	fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

	// --ignore-scripts: dependency install scripts would fetch prebuilt binaries from the internet.
	// --prefer-offline: a warm npm cache installs without revalidating ~2000 packages.
	const stopBeat = heartbeat(() => {
		const { folders, unpacked } = countPackages(dir);
		return folders === 0
			? `npm install n8n@${version}: resolving the dependency tree`
			: `npm install n8n@${version}: ${unpacked} of ${folders} packages unpacked`;
	});
	try {
		// npm runs on the Node that will run n8n (Node 20 for 1.x), so engine checks match it.
		const [cmd, args] = npmArgs(['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], profile.node);
		const env = npmEnv({ PATH: `${path.dirname(profile.node)}${path.delimiter}${process.env.PATH ?? ''}` });
		const result = await run(cmd, args, { cwd: dir, env, timeoutMs: NPM_INSTALL_TIMEOUT_MS, label: `npm install n8n@${version}` });
		if (result.code !== 0) throw new Error(`npm install n8n@${version} failed (exit ${String(result.code)}):\n${tailLines(result.stderr || result.stdout)}`);
	} finally {
		stopBeat();
	}
	info(`  n8n ${version} installed: ${countPackages(dir).unpacked} packages (${formatDuration(Date.now() - started)})`);

	await buildSqlite(dir, profile.node);

	fs.writeFileSync(
		path.join(dir, MARKER),
		`${JSON.stringify(
			{ version, node: profile.nodeVersion, nodeBinary: profile.node, env: profile.env, overrides: profile.overrides, sqlite3: 'loads', installedAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) },
			null,
			2,
		)}\n`,
	);
	info(`n8n ${version} ready in ${formatDuration(Date.now() - started)}`);
	return runtime;
}

/**
 * Compiles sqlite3's binding with the node-gyp bundled in npm, for the Node that runs this n8n.
 *
 * @param {string} dir
 * @param {string} node
 */
async function buildSqlite(dir, node) {
	if (await sqliteLoads(dir, node)) return;
	const sqlite = path.join(dir, 'node_modules', 'sqlite3');
	if (!fs.existsSync(path.join(sqlite, 'binding.gyp'))) throw new Error(`sqlite3 not found in ${sqlite}`);
	const started = Date.now();
	step('Building sqlite3 for n8n (node-gyp, about 1–2 minutes)');
	const headers = nodeDir(node);
	const args = [nodeGypCli(), 'rebuild', '--jobs=max', '--loglevel=error', ...(headers ? [`--nodedir=${headers}`] : [])];
	const stopBeat = heartbeat(() => 'compiling sqlite3');
	try {
		// The Node that runs n8n first on PATH (Node 24 for 2.x, Node 20 for 1.x), so the binding is
		// built for it.
		const env = npmEnv({ PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` });
		const result = await run(node, args, { cwd: sqlite, env, timeoutMs: SQLITE_BUILD_TIMEOUT_MS, label: 'node-gyp rebuild (sqlite3)' });
		if (result.code !== 0) throw new Error(`building sqlite3 failed (exit ${String(result.code)}):\n${tailLines(result.stderr || result.stdout)}`);
	} finally {
		stopBeat();
	}
	if (!(await sqliteLoads(dir, node))) throw new Error('sqlite3 was built but does not load');
	info(`  sqlite3 built (${formatDuration(Date.now() - started)})`);
}

module.exports = { ensureN8n, runtimeDir, runtimeProfile, hostNode, checkRuntime, assertNode24, OVERRIDES_1X };
