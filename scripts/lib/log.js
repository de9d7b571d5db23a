// @ts-check
'use strict';

/**
 * Console output of the scripts: short lines, elapsed times, and a heartbeat for slow steps so a
 * first run (minutes of npm install) never looks hung.
 */

/** @param {number} ms */
function formatDuration(ms) {
	const s = Math.round(ms / 1000);
	if (s < 60) return `${s}s`;
	return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** @param {string} text */
function info(text) {
	process.stdout.write(`${text}\n`);
}

/** @param {string} text */
function step(text) {
	process.stdout.write(`▸ ${text}\n`);
}

/** @param {string} text */
function warn(text) {
	process.stderr.write(`! ${text}\n`);
}

/**
 * Prints "  … <what()> (<elapsed>)" every `everyMs` until stopped. `what` is a function so the line
 * can say how far the step got (e.g. packages installed so far).
 *
 * @param {() => string} what
 * @param {number} [everyMs]
 * @returns {() => void} stop
 */
function heartbeat(what, everyMs = 15000) {
	const started = Date.now();
	const timer = setInterval(() => {
		let text;
		try {
			text = what();
		} catch {
			text = 'working';
		}
		process.stdout.write(`  … ${text} (${formatDuration(Date.now() - started)} elapsed)\n`);
	}, everyMs);
	timer.unref();
	return () => clearInterval(timer);
}

/**
 * Runs `fn`, printing the step before and its duration after.
 *
 * @template T
 * @param {string} label
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function timed(label, fn) {
	const started = Date.now();
	step(label);
	const result = await fn();
	info(`  done in ${formatDuration(Date.now() - started)}`);
	return result;
}

/**
 * A plain-text table: the header, a rule, one line a row; columns as wide as their widest cell.
 *
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
	const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
	const line = (/** @type {string[]} */ cells) =>
		cells
			.map((cell, c) => cell.padEnd(widths[c]))
			.join('  ')
			.trimEnd();
	return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

module.exports = { formatDuration, info, step, warn, heartbeat, timed, table };
