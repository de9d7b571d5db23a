// @ts-check
'use strict';

/**
 * This package as users get it: `npm pack` of the built dist/, installed into an n8n user folder's
 * `.n8n/nodes` the way n8n's own installer (Settings → Community Nodes) does it in n8n 2.41:
 * unpack the tarball into `.n8n/nodes/node_modules/<name>`, drop its dev/peer/optional
 * dependencies from its package.json, `npm install` its runtime dependencies inside it (shallow, no
 * scripts, no lock), and record it in `.n8n/nodes/package.json`.
 */

const fs = require('node:fs');
const path = require('node:path');

const { REPO } = require('./paths');
const { npmArgs, npmEnv } = require('./npm');
const { run, tailLines } = require('./proc');

const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

/** Fails early with a useful message when `npm run build` has not run. */
function assertBuilt() {
	/** @type {string[]} */
	const files = [...PACKAGE.n8n.nodes, ...PACKAGE.n8n.credentials];
	const missing = files.filter((file) => !fs.existsSync(path.join(REPO, file)));
	if (missing.length > 0) throw new Error(`the package is not built (missing ${missing[0]}): run npm run build first`);
}

/**
 * `npm pack` into `destination`; returns the tarball's path.
 *
 * @param {string} destination
 */
async function packPackage(destination) {
	assertBuilt();
	fs.mkdirSync(destination, { recursive: true });
	const [cmd, args] = npmArgs(['pack', '--json', '--ignore-scripts', `--pack-destination=${destination}`]);
	const result = await run(cmd, args, { cwd: REPO, env: npmEnv(), timeoutMs: 2 * 60 * 1000, label: 'npm pack' });
	if (result.code !== 0) throw new Error(`npm pack failed:\n${tailLines(result.stderr || result.stdout)}`);
	const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
	return path.join(destination, info.filename);
}

/**
 * Installs the tarball into `<userFolder>/.n8n/nodes` as n8n's community-package installer would.
 *
 * @param {string} userFolder
 * @param {string} tarball
 */
async function installIntoN8n(userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE.name);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });

	const untar = await run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], { timeoutMs: 60000, label: 'tar' });
	if (untar.code !== 0) throw new Error(`unpacking ${tarball} failed:\n${untar.stderr}`);

	const manifestPath = path.join(packageDir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
	void devDependencies;
	void peerDependencies;
	void optionalDependencies;
	fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));

	// The flags n8n 2.41 passes (community-packages.service.js, downloadPackage), plus
	// --prefer-offline so the npm cache serves undici and eventsource-parser when it has them.
	const [cmd, args] = npmArgs([
		'install',
		'--audit=false',
		'--fund=false',
		'--bin-links=false',
		'--install-strategy=shallow',
		'--ignore-scripts=true',
		'--package-lock=false',
		'--prefer-offline',
		'--loglevel=error',
	]);
	const result = await run(cmd, args, { cwd: packageDir, env: npmEnv(), timeoutMs: 5 * 60 * 1000, label: `npm install (${PACKAGE.name} dependencies)` });
	if (result.code !== 0) throw new Error(`installing ${PACKAGE.name}'s dependencies failed:\n${tailLines(result.stderr || result.stdout)}`);

	const nodesManifest = path.join(nodesDir, 'package.json');
	/** @type {{ name: string, private: boolean, dependencies: Record<string, string> }} */
	let nodes = { name: 'installed-nodes', private: true, dependencies: {} };
	try {
		nodes = JSON.parse(fs.readFileSync(nodesManifest, 'utf8'));
	} catch {
		// first package in this user folder
	}
	nodes.dependencies = { ...nodes.dependencies, [PACKAGE.name]: manifest.version };
	fs.writeFileSync(nodesManifest, JSON.stringify(nodes, null, 2));
	return packageDir;
}

module.exports = { PACKAGE, assertBuilt, packPackage, installIntoN8n };
