// @ts-check
'use strict';

/**
 * The UI suite's harness: one row per check (pass / FAIL / KNOWN for a known problem, which is
 * reported, not failed), at least one screenshot per check, a text snapshot of the page per
 * screenshot (what the secret scan reads), bounded retries of flaky UI steps, a results table, and
 * results in the shape of `jest --json` for .ci/run's summary.
 */

const fs = require('node:fs');
const path = require('node:path');

const { formatDuration } = require('../../scripts/lib/log');
const { jestResults } = require('../../scripts/lib/report');

/**
 * @typedef {object} UiCheckResult
 * @property {string} id            a, b, c…
 * @property {string} name
 * @property {'pass' | 'fail' | 'known'} status
 * @property {number} durationMs
 * @property {number} retries       flaky UI steps that needed another try
 * @property {string[]} screenshots file names under the screenshots folder
 * @property {string} note
 * @property {string} [error]
 */

/** Thrown by a check to report a known problem: the row says KNOWN, the suite does not fail. */
class KnownProblem extends Error {
	/** @param {string} message */
	constructor(message) {
		super(message);
		this.name = 'KnownProblem';
	}
}

class UiHarness {
	/**
	 * @param {{ page: import('playwright-core').Page, screenshotDir: string, outputDir: string, picturesDir?: string }} options
	 */
	constructor(options) {
		this.page = options.page;
		this.screenshotDir = options.screenshotDir;
		/** Where `picture` writes (the README's images), or undefined. */
		this.picturesDir = options.picturesDir;
		this.outputDir = options.outputDir;
		fs.mkdirSync(this.screenshotDir, { recursive: true });
		fs.mkdirSync(this.outputDir, { recursive: true });
		/** @type {UiCheckResult[]} */
		this.results = [];
		/** @type {UiCheckResult | null} */
		this.current = null;
		/** Files written under outputDir (the secret scan reads them all). */
		this.outputFiles = /** @type {string[]} */ ([]);
	}

	/**
	 * Writes a text output (page text, logs) under outputDir.
	 *
	 * @param {string} name
	 * @param {string} text
	 */
	record(name, text) {
		const file = path.join(this.outputDir, name.replace(/[^\w.-]+/g, '_'));
		fs.writeFileSync(file, text);
		if (!this.outputFiles.includes(file)) this.outputFiles.push(file);
		return file;
	}

	/**
	 * A screenshot of the whole window for the current check, plus the page's visible text next to
	 * it (for the secret scan and for reading without opening the image).
	 *
	 * @param {string} [label]
	 */
	async screenshot(label = '') {
		const check = this.current;
		const index = this.results.length + 1;
		const base = `${String(index).padStart(2, '0')}-${check ? check.id : 'x'}${label ? `-${label}` : ''}`.replace(/[^\w.-]+/g, '_');
		const file = path.join(this.screenshotDir, `${base}.png`);
		try {
			await this.page.screenshot({ path: file, timeout: 15000 });
			check?.screenshots.push(path.basename(file));
		} catch (error) {
			this.record(`${base}.screenshot-error.txt`, error instanceof Error ? error.message : String(error));
		}
		try {
			const text = await this.page.locator('body').innerText({ timeout: 5000 });
			this.record(`${base}.page.txt`, `${this.page.url()}\n\n${text}`);
		} catch {
			// the page may be mid-navigation; the screenshot is what matters
		}
		return file;
	}

	/**
	 * With `--pictures`: the window as a JPEG for the README (`docs/images/<name>.jpg`; quality 70 keeps
	 * each under ~150 KB, and docs/ is not in the npm package). Without it: nothing.
	 *
	 * @param {string} name
	 */
	async picture(name) {
		if (!this.picturesDir) return;
		fs.mkdirSync(this.picturesDir, { recursive: true });
		await this.page.screenshot({ path: path.join(this.picturesDir, `${name}.jpg`), type: 'jpeg', quality: 70, timeout: 15000 });
	}

	/**
	 * Runs a UI step up to `tries` times; between tries `recover` puts the page back (Escape, reload).
	 * Every extra try is counted in the row, so flakiness stays visible.
	 *
	 * @template T
	 * @param {string} what
	 * @param {() => Promise<T>} fn
	 * @param {{ tries?: number, recover?: () => Promise<void> }} [options]
	 * @returns {Promise<T>}
	 */
	async retry(what, fn, options = {}) {
		const tries = options.tries ?? 2;
		let lastError;
		for (let attempt = 1; attempt <= tries; attempt++) {
			try {
				return await fn();
			} catch (error) {
				lastError = error;
				if (attempt === tries) break;
				if (this.current) this.current.retries += 1;
				process.stdout.write(`(retrying ${what}) `);
				await options.recover?.().catch(() => undefined);
			}
		}
		const message = lastError instanceof Error ? lastError.message : String(lastError);
		throw new Error(`${what}: ${message.split('\n')[0]}${tries > 1 ? ` (after ${tries} tries)` : ''}`);
	}

	/**
	 * Runs one check, records its row and takes its final screenshot.
	 *
	 * @param {string} id
	 * @param {string} name
	 * @param {() => Promise<string | void>} fn  returns the row's note
	 */
	async check(id, name, fn) {
		/** @type {UiCheckResult} */
		const result = { id, name, status: 'pass', durationMs: 0, retries: 0, screenshots: [], note: '' };
		this.current = result;
		const started = Date.now();
		process.stdout.write(`▸ ${id}. ${name} … `);
		try {
			result.note = (await fn()) ?? '';
		} catch (error) {
			result.status = error instanceof KnownProblem ? 'known' : 'fail';
			result.error = error instanceof Error ? error.message : String(error);
		}
		await this.screenshot(result.status === 'pass' ? 'end' : result.status === 'known' ? 'known' : 'FAILED');
		result.durationMs = Date.now() - started;
		this.current = null;
		const label = { pass: 'ok', fail: 'FAILED', known: 'KNOWN PROBLEM' }[result.status];
		process.stdout.write(`${label} (${formatDuration(result.durationMs)})\n`);
		if (result.error) process.stdout.write(`${result.error.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
		this.results.push(result);
		return result;
	}

	/** The summary table, as text. */
	table() {
		const header = ['#', 'check', 'result', 'time', 'retries', 'screenshots', 'notes'];
		const rows = this.results.map((r) => [
			r.id,
			r.name,
			{ pass: 'pass', fail: 'FAIL', known: 'KNOWN' }[r.status],
			formatDuration(r.durationMs),
			String(r.retries),
			String(r.screenshots.length),
			r.status === 'pass' ? r.note : `${(r.error ?? '').split('\n')[0]}${r.note ? ` — ${r.note}` : ''}`,
		]);
		const last = header.length - 1;
		const widths = header.map((h, c) => Math.min(c === last ? 400 : 80, Math.max(h.length, ...rows.map((row) => row[c].length))));
		const line = (/** @type {string[]} */ cells) => cells.map((cell, c) => (c === last ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd();
		return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
	}

	/**
	 * Results in the shape of `jest --json` (the fields .ci/run's summary reads, plus the rows). A
	 * known problem counts as pending (jest's word for a test that neither passed nor failed).
	 *
	 * @param {number} startTime
	 */
	jestJson(startTime) {
		return jestResults(
			'test/ui/run.js',
			startTime,
			this.results.map((r) => ({
				title: `${r.id}. ${r.name}`,
				status: /** @type {const} */ ({ pass: 'passed', fail: 'failed', known: 'pending' })[r.status],
				duration: r.durationMs,
				failureMessages: r.status === 'fail' && r.error ? [r.error] : [],
				ui: { retries: r.retries, screenshots: r.screenshots, note: r.note, knownProblem: r.status === 'known' ? r.error : undefined },
			})),
		);
	}
}

module.exports = { UiHarness, KnownProblem };
