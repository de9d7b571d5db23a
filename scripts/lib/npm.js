// @ts-check
'use strict';

/**
 * Running npm and node-gyp from the scripts, with the npm that runs them (the scripts are started by
 * `npm run …`, which tells us where its CLI lives) and the Node that runs them (Node 24).
 */

const fs = require('node:fs');
const path = require('node:path');

/** The npm CLI script: the one running us, else the one on PATH. */
function npmCli() {
	const fromNpm = process.env.npm_execpath;
	if (fromNpm && /npm-cli\.js$/.test(fromNpm) && fs.existsSync(fromNpm)) return fromNpm;
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		const candidate = path.join(dir, 'npm');
		if (!fs.existsSync(candidate)) continue;
		const real = fs.realpathSync(candidate);
		if (/npm-cli\.js$/.test(real)) return real;
		const sibling = path.join(path.dirname(real), 'npm-cli.js');
		if (fs.existsSync(sibling)) return sibling;
	}
	throw new Error('npm not found on PATH');
}

/** node-gyp as bundled with npm (no download): npm tells its scripts where it is. */
function nodeGypCli() {
	const fromNpm = process.env.npm_config_node_gyp;
	if (fromNpm && fs.existsSync(fromNpm)) return fromNpm;
	const bundled = path.resolve(path.dirname(npmCli()), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
	if (fs.existsSync(bundled)) return bundled;
	throw new Error('node-gyp not found (it ships with npm)');
}

/**
 * The environment for a child npm: ours without what `npm run` adds about *this* package, so the
 * child works on its own folder.
 *
 * @param {NodeJS.ProcessEnv} [extra]
 */
function npmEnv(extra = {}) {
	/** @type {NodeJS.ProcessEnv} */
	const env = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (/^npm_(package_|lifecycle_|config_local_prefix$|command$)/.test(key)) continue;
		env[key] = value;
	}
	// Keep npm itself quiet and offline-friendly: no audit, no funding notice, no update check.
	Object.assign(env, {
		npm_config_audit: 'false',
		npm_config_fund: 'false',
		npm_config_update_notifier: 'false',
	});
	return { ...env, ...extra };
}

/**
 * `[command, args]` that runs `npm <args>` with our Node, or with `node` (the Node 20 that installs
 * and runs n8n 1.x).
 *
 * @param {string[]} args
 * @param {string} [node]
 * @returns {[string, string[]]}
 */
function npmArgs(args, node = process.execPath) {
	return [node, [npmCli(), ...args]];
}

module.exports = { npmCli, nodeGypCli, npmEnv, npmArgs };
