// @ts-check
'use strict';

/**
 * The small test harness of the e2e suite: one row per check, each check a function that runs
 * workflows with `n8n execute` and asserts on their run data and on the simulator. It records the
 * raw output of every n8n command (for the secret scan and for debugging), the token mints and 401s
 * the simulator counted during each check, and prints a summary table. No jest: every check needs
 * the same slow, shared set-up (an installed n8n, a user folder, imports), and the table with token
 * counts is the point of the suite.
 */

const fs = require('node:fs');
const path = require('node:path');

const { executeWorkflow } = require('../../scripts/lib/n8n');
const { formatDuration } = require('../../scripts/lib/log');
const { jestResults } = require('../../scripts/lib/report');

/**
 * @typedef {object} CheckResult
 * @property {string} name
 * @property {'pass' | 'fail'} status
 * @property {number} runs          n8n executions
 * @property {number} durationMs
 * @property {number} mints         access tokens the simulator issued during the check
 * @property {number} unauthorized  401 answers the simulator gave during the check
 * @property {string} note
 * @property {string} [error]
 */

class Harness {
	/**
	 * @param {{ ctx: import('../../scripts/lib/n8n').N8nContext, sim: import('../simulator').Simulator, outputDir: string }} options
	 */
	constructor(options) {
		this.ctx = options.ctx;
		this.sim = options.sim;
		this.outputDir = options.outputDir;
		fs.mkdirSync(this.outputDir, { recursive: true });
		/** @type {Array<{ label: string, text: string }>} every raw output of every n8n command */
		this.outputs = [];
		/** @type {CheckResult[]} */
		this.results = [];
		this.runsInCheck = 0;
	}

	/**
	 * Keeps a command's raw output for the secret scan, and on disk for whoever debugs a failure.
	 *
	 * @param {string} label
	 * @param {string} text
	 */
	record(label, text) {
		this.outputs.push({ label, text });
		const file = path.join(this.outputDir, `${String(this.outputs.length).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}.log`);
		fs.writeFileSync(file, text);
	}

	/**
	 * `n8n execute --id=<id> --rawOutput`.
	 *
	 * @param {string} workflowId
	 * @param {Record<string, string>} [env]  settings of this n8n process (e.g. N8N_SSRF_*), on top of the suite's
	 */
	async execute(workflowId, env = {}) {
		this.runsInCheck += 1;
		const execution = await executeWorkflow({ ...this.ctx, env: { ...this.ctx.env, ...env } }, workflowId);
		this.record(`execute-${workflowId}`, `${execution.stdout}\n----- stderr -----\n${execution.stderr}`);
		return execution;
	}

	/**
	 * Runs a workflow that must succeed and returns its run data.
	 *
	 * @param {string} workflowId
	 * @param {Record<string, string>} [env]
	 */
	async executeOk(workflowId, env = {}) {
		const execution = await this.execute(workflowId, env);
		if (execution.code !== 0 || !execution.run || execution.run.data.resultData.error) {
			const error = execution.run?.data.resultData.error;
			const detail = error ? `${String(error.message)}${error.description ? ` — ${String(error.description)}` : ''}` : tail(`${execution.stdout}\n${execution.stderr}`);
			throw new Error(`n8n execute ${workflowId} failed (exit ${String(execution.code)}): ${detail}`);
		}
		return execution.run;
	}

	/**
	 * Runs one check and records its row.
	 *
	 * @param {string} name
	 * @param {() => Promise<string | void>} fn  returns the row's note
	 */
	async check(name, fn) {
		const before = { ...this.sim.counters };
		const started = Date.now();
		this.runsInCheck = 0;
		/** @type {CheckResult} */
		const result = { name, status: 'pass', runs: 0, durationMs: 0, mints: 0, unauthorized: 0, note: '' };
		process.stdout.write(`▸ ${name} … `);
		try {
			result.note = (await fn()) ?? '';
		} catch (error) {
			result.status = 'fail';
			result.error = error instanceof Error ? error.message : String(error);
		}
		result.runs = this.runsInCheck;
		result.durationMs = Date.now() - started;
		result.mints = this.sim.counters.tokensMinted - before.tokensMinted;
		result.unauthorized = this.sim.counters.unauthorized - before.unauthorized;
		process.stdout.write(`${result.status === 'pass' ? 'ok' : 'FAILED'} (${formatDuration(result.durationMs)})\n`);
		if (result.error) process.stdout.write(indent(result.error, '    ') + '\n');
		this.results.push(result);
		return result;
	}

	/** The summary table, as text. */
	table() {
		const header = ['#', 'check', 'result', 'n8n runs', 'time', 'token mints', '401s', 'notes'];
		const rows = this.results.map((r, i) => [
			String(i + 1),
			r.name,
			r.status === 'pass' ? 'pass' : 'FAIL',
			String(r.runs),
			formatDuration(r.durationMs),
			String(r.mints),
			String(r.unauthorized),
			r.status === 'pass' ? r.note : `${r.error?.split('\n')[0] ?? ''}`,
		]);
		const widths = header.map((h, c) => Math.min(c === 7 ? 200 : 70, Math.max(h.length, ...rows.map((row) => row[c].length))));
		const line = (/** @type {string[]} */ cells) => cells.map((cell, c) => (c === 7 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd();
		return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
	}

	/**
	 * Results in the shape of `jest --json` (the fields .ci/run's summary reads, plus the rows).
	 *
	 * @param {number} startTime
	 */
	jestJson(startTime) {
		return jestResults(
			'test/e2e/run.js',
			startTime,
			this.results.map((r) => ({
				title: r.name,
				status: r.status === 'pass' ? 'passed' : 'failed',
				duration: r.durationMs,
				failureMessages: r.error ? [r.error] : [],
				e2e: { runs: r.runs, tokenMints: r.mints, unauthorized: r.unauthorized, note: r.note },
			})),
		);
	}
}

/** @param {string} text */
function tail(text) {
	return text.trim().split('\n').slice(-6).join(' | ');
}

/** @param {string} text @param {string} prefix */
function indent(text, prefix) {
	return text
		.split('\n')
		.map((l) => prefix + l)
		.join('\n');
}

module.exports = { Harness };
