#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run dev [-- --fresh] [-- --verbose] [-- --check]`: the n8n editor at http://localhost:5678
 * with this package installed (from its freshly built tarball, as a community package), the Alation
 * simulator on 127.0.0.1:8765, a ready "Alation API (simulator)" credential and the example
 * workflows imported. For trying the nodes by hand. Ctrl-C stops everything.
 *
 * The n8n user folder is $TMPDIR/n8n-nodes-alation/dev (scripts/lib/paths.js) and is kept between runs (your own workflows stay); the package,
 * the credential and the examples are re-installed/re-imported on every start. --fresh starts from
 * an empty folder. --check starts everything, verifies the editor serves the package's nodes, then
 * stops (used to test this script). Ports: N8N_PORT (5678), ALATION_SIM_PORT (8765);
 * N8N_LISTEN_ADDRESS (127.0.0.1; 0.0.0.0 to reach the editor from outside a container).
 */

const fs = require('node:fs');
const path = require('node:path');

const { examplesForSimulator, SIGN_IN_CREDENTIAL, SIMULATOR_CREDENTIAL } = require('./lib/examples');
const { examplesOnFakeModel, fakeModelCredential, startFakeModel } = require('./lib/fake-model');
const { ensureN8n } = require('./lib/install-n8n');
const { prepareInstance } = require('./lib/instance');
const { info, step, warn } = require('./lib/log');
const { DEV_USER_FOLDER } = require('./lib/paths');
const { isStopping, onCleanup, runCleanups } = require('./lib/proc');
const { login, OWNER, startServer } = require('./lib/server');
const { DEMO, startLocalSimulator } = require('./lib/simulator');
const { PACKAGE } = require('./lib/package');

const args = new Set(process.argv.slice(2));
const fresh = args.has('--fresh');
const verbose = args.has('--verbose');
const checkOnly = args.has('--check');

// Read before anything strips N8N_* from the environment handed to n8n.
const n8nPort = Number(process.env.N8N_PORT || 5678);
const simPort = Number(process.env.ALATION_SIM_PORT || 8765);
const listenAddress = process.env.N8N_LISTEN_ADDRESS || '127.0.0.1';
const userFolder = process.env.N8N_DEV_USER_FOLDER ? path.resolve(process.env.N8N_DEV_USER_FOLDER) : DEV_USER_FOLDER;

async function main() {
	info(`${PACKAGE.name} dev: n8n with this package, the Alation simulator and the example workflows\n`);
	const runtime = await ensureN8n();
	const sim = await startLocalSimulator({ port: simPort, quiet: !verbose });
	info(`Alation simulator on ${sim.url}`);

	if (fresh) fs.rmSync(userFolder, { recursive: true, force: true });
	// Example 04's AI Agent gets a chat model without an OpenAI account: the loopback fake model
	// (scripts/lib/fake-model.js: it calls the Alation tool and quotes its answer).
	const model = await startFakeModel();
	onCleanup(() => model.close());
	const { examples, credentials, workflows } = examplesOnFakeModel(examplesForSimulator(sim.url, DEMO), model.url);
	const ctx = await prepareInstance({ runtime, userFolder, credentials, workflows });

	step(`Starting n8n ${runtime.version} (editor and API) on port ${n8nPort}`);
	const logFile = path.join(userFolder, 'n8n.log');
	const log = fs.createWriteStream(logFile, { flags: 'a' });
	const server = await startServer(ctx, {
		port: n8nPort,
		listenAddress,
		onLine: (line) => {
			log.write(`${line}\n`);
			if (verbose) process.stdout.write(`n8n │ ${line}\n`);
		},
	});
	onCleanup(() => server.close());

	// What the editor will get: the node types n8n serves it, and our credential.
	const session = await login(server.base);
	const nodeTypes = /** @type {Array<{ name: string }>} */ (await session.request('GET', '/types/nodes.json'));
	const ours = nodeTypes.map((t) => t.name).filter((name) => name.startsWith(`${PACKAGE.name}.`));
	const expectedTypes = [...PACKAGE.n8n.nodes.map(nodeNameOf), `${PACKAGE.name}.alationAgentChatTool`, `${PACKAGE.name}.alationRunToolTool`];
	const missing = expectedTypes.filter((name) => !ours.includes(name));
	if (missing.length > 0) throw new Error(`the editor does not offer ${missing.join(', ')} (n8n log: ${logFile})`);

	info('');
	info(`  Editor       ${server.url}`);
	info(`  Sign in      ${OWNER.email} / ${OWNER.password}   (local throw-away account of this instance)`);
	info(`  Credential   "${SIMULATOR_CREDENTIAL.name}" → ${sim.url} (OAuth client ${DEMO.clientId})`);
	info(`  Chat model   "${fakeModelCredential(model.url).name}" → ${model.url} (example 04's AI Agent; deterministic, no account)`);
	info(`  Workflows    ${examples.map((e) => `"${e.workflow.name.replace(/^Alation: /, '')}"`).join(', ')}`);
	info(`  Nodes        ${ours.length} types from ${PACKAGE.name} (search "Alation" in the nodes panel)`);
	info(`  n8n log      ${path.relative(process.cwd(), logFile)}${verbose ? '' : ' (--verbose prints it here)'}`);
	info('');
	info(`  User sign-in "${SIGN_IN_CREDENTIAL.name}" → ${sim.url} (OAuth client ${DEMO.userOauthClientId}): to act as a`);
	info('    named Alation user, open it under Credentials and click "Connect": the simulator\'s sign-in page offers');
	info(`    ${DEMO.oauthUsers.map((u) => `${u.displayName} (id ${u.id})`).join(' and ')}; then run example 08. The redirect URI is the "OAuth Redirect URL"`);
	info('    the form shows (n8n\'s .../rest/oauth2-credential/callback): the simulator accepts it on localhost/127.0.0.1, any port.');
	info('');
	info('  The examples and the credentials are re-imported at every start (edits to them, and a connected sign-in, are replaced).');
	info('  After changing the package: Ctrl-C, then npm run dev again (it rebuilds and reinstalls).');

	if (checkOnly) {
		info('\n--check: everything is up; stopping.');
		await runCleanups();
		return;
	}
	info('  Ctrl-C stops n8n and the simulator.\n');

	await new Promise((resolve) => {
		server.child.once('exit', (code, signal) => {
			if (isStopping()) return; // Ctrl-C: the signal handler finishes the shut-down
			warn(`n8n stopped by itself (${signal ?? `exit ${String(code)}`}); see ${logFile}`);
			resolve(undefined);
		});
	});
	await runCleanups();
	process.exitCode = 1;
}

/** `dist/nodes/AlationAgentChat/AlationAgentChat.node.js` → `n8n-nodes-alation.alationAgentChat` */
function nodeNameOf(/** @type {string} */ file) {
	const base = path.basename(file, '.node.js');
	return `${PACKAGE.name}.${base.charAt(0).toLowerCase()}${base.slice(1)}`;
}

main().catch(async (error) => {
	process.stderr.write(`\ndev failed: ${error instanceof Error ? error.message : String(error)}\n`);
	await runCleanups();
	process.exit(1);
});
