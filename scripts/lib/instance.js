// @ts-check
'use strict';

/**
 * A ready n8n instance for the demo, `npm run dev` and the e2e suite: an n8n user folder with this
 * package installed from its packed tarball, and the given credentials and workflows imported.
 */

const fs = require('node:fs');
const path = require('node:path');

const { info, step, formatDuration } = require('./log');
const { importCredentials, importWorkflows } = require('./n8n');
const { installIntoN8n, packPackage } = require('./package');

/**
 * A new, empty folder under `root` (which is created when missing).
 *
 * @param {string} root
 * @param {string} prefix
 */
function freshFolder(root, prefix) {
	fs.mkdirSync(root, { recursive: true });
	return fs.mkdtempSync(path.join(root, `${prefix}-`));
}

/**
 * @typedef {object} PrepareOptions
 * @property {import('./install-n8n').N8nRuntime} runtime
 * @property {string} userFolder           the N8N_USER_FOLDER (created if missing)
 * @property {Array<{ id: string, name: string, type: string, data: Record<string, unknown> }>} credentials
 * @property {object[]} workflows
 * @property {string} [tarball]            an already packed tarball; packed into userFolder otherwise
 * @property {NodeJS.ProcessEnv} [env]
 * @property {(command: string, output: string) => void} [onOutput]  sees every command's raw output
 */

/**
 * @param {PrepareOptions} options
 * @returns {Promise<import('./n8n').N8nContext & { tarball: string }>}
 */
async function prepareInstance(options) {
	const { runtime, userFolder } = options;
	fs.mkdirSync(userFolder, { recursive: true });
	const ctx = { runtime, userFolder, env: options.env };

	let started = Date.now();
	step('Packing the package (npm pack) and installing it into the n8n user folder, as Settings → Community Nodes does');
	const tarball = options.tarball ?? (await packPackage(userFolder));
	const installed = await installIntoN8n(userFolder, tarball);
	info(`  ${path.relative(process.cwd(), installed)} (${formatDuration(Date.now() - started)})`);

	started = Date.now();
	step(`Importing ${options.credentials.length} credential(s) and ${options.workflows.length} workflow(s) (the first n8n start also creates its database)`);
	const creds = await importCredentials(ctx, options.credentials);
	options.onOutput?.('import:credentials', `${creds.stdout}\n${creds.stderr}`);
	const flows = await importWorkflows(ctx, options.workflows);
	options.onOutput?.('import:workflow', `${flows.stdout}\n${flows.stderr}`);
	info(`  imported (${formatDuration(Date.now() - started)})`);
	return { ...ctx, tarball };
}

module.exports = { freshFolder, prepareInstance };
