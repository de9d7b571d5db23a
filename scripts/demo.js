#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run demo`: the package's main job in a real n8n, with no Alation account.
 *
 * Builds (the npm script does), installs n8n on first use, starts the Alation simulator, installs
 * the packed package into a fresh n8n user folder, imports the "Alation API (simulator)" credential
 * and the example workflows, runs the runnable examples headless with `n8n execute`, and prints what
 * each produced. Never prints a secret (no client secret, no token: only its expiry).
 */

const fs = require('node:fs');
const path = require('node:path');

const { ensureN8n } = require('./lib/install-n8n');
const { examplesForSimulator } = require('./lib/examples');
const { freshFolder, prepareInstance } = require('./lib/instance');
const { formatDuration, info, step } = require('./lib/log');
const { executeWorkflow } = require('./lib/n8n');
const { WORK_ROOT } = require('./lib/paths');
const { onCleanup, runCleanups } = require('./lib/proc');
const { itemsOf } = require('./lib/run-data');
const { DEMO, startLocalSimulator } = require('./lib/simulator');

/** The examples the demo runs headless, and how to show each result in a few lines. */
const RUNNABLE = {
	alationScheduledJob: showScheduledJob,
	alationMultiTurn: showMultiTurn,
	alationWarehouseSql: showWarehouseSql,
	alationScheduledDps: showScheduledDataProducts,
};

/** @param {string} text @param {number} max */
const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** @param {import('./lib/run-data').RunData} run */
function showScheduledJob(run) {
	const token = itemsOf(run, 'Create Access Token')[0].json;
	const result = itemsOf(run, 'Result')[0].json;
	return [
		`access token (${String(token.tokenType)}, header ${String(token.headerName)}) valid until ${String(token.expiresAt)} (${String(token.expiresIn)} s)`,
		`HTTP Request GET /integration/v1/userinfo/ with it → ${String(result.user)} (${String(result.role)})`,
	];
}

/** @param {import('./lib/run-data').RunData} run */
function showMultiTurn(run) {
	const first = itemsOf(run, 'Ask')[0].json;
	const second = itemsOf(run, 'Follow up')[0].json;
	const summary = itemsOf(run, 'Summary');
	return [
		`Q1 → ${clip(String(first.answer), 110)}`,
		`Q2 → ${clip(String(second.answer), 110)}`,
		`same chat: ${first.chatId === second.chatId ? 'yes' : 'NO'} (chatId ${String(second.chatId)}); IF "Answered?" → ${summary.length > 0 ? 'Summary' : 'Needs attention'}`,
	];
}

/** @param {import('./lib/run-data').RunData} run */
function showWarehouseSql(run) {
	const configured = itemsOf(run, 'Set Warehouse Credentials');
	const answers = itemsOf(run, 'Ask the SQL agent');
	return configured.flatMap((item, i) => {
		const answer = answers[i]?.json ?? {};
		const tools = Array.isArray(answer.toolCalls) ? answer.toolCalls.map((call) => String(call.name)).join(', ') : '';
		return [
			`${String(item.json.dataProductId).padEnd(16)} credentials for ${String(item.json.username)} configured: ${String(item.json.configured)} (HTTP ${String(item.json.httpStatus)})`,
			`${''.padEnd(16)} SQL agent${tools ? ` (ran ${tools})` : ''} → ${clip(String(answer.answer), 90)}`,
		];
	});
}

/** @param {import('./lib/run-data').RunData} run */
function showScheduledDataProducts(run) {
	const listed = itemsOf(run, 'List data products')[0]?.json ?? {};
	const products = itemsOf(run, 'One item per product');
	const answers = itemsOf(run, 'Ask the SQL agent');
	return [
		`Run Tool ${String(listed.tool)} → ${products.length} data product(s)`,
		...products.map((item, i) => `${String(item.json.product_id ?? item.json.name ?? i).padEnd(16)} SQL agent → ${clip(String(answers[i]?.json.answer), 90)}`),
	];
}

async function main() {
	const started = Date.now();
	info('n8n-nodes-alation demo: the package in a real n8n, against the bundled Alation simulator (no account needed)\n');
	const runtime = await ensureN8n();
	const sim = await startLocalSimulator();
	info(`Alation simulator on ${sim.url}`);

	const userFolder = freshFolder(WORK_ROOT, 'demo');
	let keep = true;
	onCleanup(() => {
		if (!keep) fs.rmSync(userFolder, { recursive: true, force: true });
	});
	const { examples, credentials, workflows } = examplesForSimulator(sim.url, DEMO);
	const ctx = await prepareInstance({ runtime, userFolder, credentials, workflows });

	step('Running the examples headless (n8n execute; each run starts n8n, which takes a few seconds)');
	let failed = 0;
	for (const example of examples) {
		const show = RUNNABLE[/** @type {keyof typeof RUNNABLE} */ (example.workflow.id)];
		if (!show) continue;
		const execution = await executeWorkflow(ctx, example.workflow.id);
		info(`\n■ ${example.workflow.name}  (${example.file}, ${formatDuration(execution.durationMs)})`);
		try {
			if (execution.code !== 0 || !execution.run) throw new Error(firstError(execution));
			for (const line of show(execution.run)) info(`    ${line}`);
		} catch (error) {
			failed += 1;
			info(`    ✗ failed: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
	const notRun = examples.filter((example) => !(example.workflow.id in RUNNABLE));
	info('');
	for (const example of notRun) {
		info(`■ ${example.workflow.name}  (${example.file}): imported; it needs the editor's chat${example.workflow.id === 'alationAiAgentTool' ? ' and an LLM credential' : ''} → npm run dev`);
	}

	const c = sim.counters;
	info(`\nThe simulator saw ${c.tokensMinted} token request(s), ${c.requests.agentStream} agent run(s), ${c.requests.warehouseCredentials} warehouse credential update(s) and ${c.unauthorized} refused (401) request(s).`);
	info(`n8n ${runtime.version} user folder: ${path.relative(process.cwd(), userFolder)}${failed === 0 ? ' (removed)' : ' (kept for inspection)'}`);
	info(`${failed === 0 ? 'Demo finished' : `Demo FAILED (${failed} workflow(s))`} in ${formatDuration(Date.now() - started)}.`);
	keep = failed > 0;
	await runCleanups();
	process.exitCode = failed === 0 ? 0 : 1;
}

/** @param {import('./lib/n8n').Execution} execution */
function firstError(execution) {
	const error = execution.run?.data.resultData.error;
	if (error?.message) return `${String(error.message)}${error.description ? ` — ${String(error.description)}` : ''}`;
	const lines = `${execution.stdout}\n${execution.stderr}`.trim().split('\n');
	return `n8n execute exited with ${String(execution.code)}: ${lines.slice(-5).join(' | ')}`;
}

main().catch(async (error) => {
	process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
	await runCleanups();
	process.exit(1);
});
