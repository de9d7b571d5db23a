#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * The README's manual install, as a user types it, on whatever Node runs this script (CI runs it on
 * the machine's Node 20, outside npm scripts): `npm install <the packed tarball>` inside a folder like
 * `~/.n8n/nodes`. Checks that it succeeds without flags, that only the package and its runtime
 * dependencies land (no n8n-workflow: it is an optional peer, which n8n itself provides), and that
 * the installed nodes and credentials load against n8n-workflow as n8n would provide it.
 *
 *   npm run build && node test/install/manual-install.js
 */

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

/** @param {string} cwd @param {string[]} args */
function npm(cwd, args) {
	return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5 * 60 * 1000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

/**
 * Every installed package in an `npm ls --all --json` tree, as name@version (an optional peer that
 * is not installed is listed as an empty entry: skipped).
 *
 * @param {{ dependencies?: Record<string, any> }} tree
 * @param {Set<string>} [into]
 */
function flatten(tree, into = new Set()) {
	for (const [name, dep] of Object.entries(tree.dependencies ?? {})) {
		if (typeof dep.version !== 'string') continue;
		into.add(`${name}@${dep.version}`);
		flatten(dep, into);
	}
	return into;
}

function main() {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alation-manual-install-'));
	try {
		const tarball = path.join(work, JSON.parse(npm(REPO, ['pack', '--json', '--ignore-scripts', `--pack-destination=${work}`]).trim())[0].filename);
		// ~/.n8n/nodes: n8n creates it with a package.json of its own.
		const nodes = path.join(work, '.n8n', 'nodes');
		fs.mkdirSync(nodes, { recursive: true });
		fs.writeFileSync(path.join(nodes, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }, null, 2));

		const started = Date.now();
		npm(nodes, ['install', tarball]);
		const seconds = ((Date.now() - started) / 1000).toFixed(1);

		const installed = flatten(JSON.parse(npm(nodes, ['ls', '--all', '--json'])));
		const names = [...installed].map((entry) => entry.slice(0, entry.lastIndexOf('@')));
		for (const forbidden of ['n8n-workflow', 'n8n-core', 'isolated-vm', '@n8n/expression-runtime']) {
			assert.ok(!names.includes(forbidden), `${forbidden} was installed: the peer must stay optional`);
		}
		// Only the package and what its runtime dependencies need.
		const runtime = JSON.parse(npm(REPO, ['ls', '--omit=dev', '--all', '--json']));
		const allowed = new Set([...flatten(runtime)].map((entry) => entry.slice(0, entry.lastIndexOf('@'))));
		allowed.add(manifest.name);
		const extra = names.filter((name) => !allowed.has(name));
		assert.deepEqual(extra, [], `packages beyond the runtime dependencies: ${extra.join(', ')}`);
		for (const dependency of Object.keys(manifest.dependencies)) assert.ok(names.includes(dependency), `${dependency} is missing`);

		// Load what n8n loads, with n8n-workflow where n8n provides it (here: this repository's copy).
		const packageDir = path.join(nodes, 'node_modules', manifest.name);
		const files = [...manifest.n8n.credentials, ...manifest.n8n.nodes];
		const loaded = execFileSync(
			process.execPath,
			[
				'-e',
				`const path = require('path');
				const out = [];
				for (const file of ${JSON.stringify(files)}) {
					const exports = require(path.join(${JSON.stringify(packageDir)}, file));
					for (const Type of Object.values(exports)) { const t = new Type(); out.push(t.name ?? t.description.name); }
				}
				console.log(out.join(','));`,
			],
			{ encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') } },
		).trim();
		assert.deepEqual(loaded.split(',').sort(), ['alationAgentChat', 'alationApi', 'alationCreateAccessToken', 'alationOAuth2Api', 'alationRunTool', 'alationSetWarehouseCredentials', 'dataClarityApi']);

		console.log(`manual install on Node ${process.versions.node}, npm ${npm(REPO, ['--version']).trim()}: ok in ${seconds} s`);
		console.log(`  installed: ${[...installed].sort().join(', ')}`);
		console.log(`  loaded: ${loaded}`);
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

try {
	main();
} catch (error) {
	const e = /** @type {Error & { stderr?: string }} */ (error);
	console.error(`manual install FAILED on Node ${process.versions.node}: ${e.message}${e.stderr ? `\n${String(e.stderr).slice(-3000)}` : ''}`);
	process.exit(1);
}
