// @ts-check
'use strict';

/**
 * Preloaded into one `n8n worker` of the fleet suite (NODE_OPTIONS=--require <this file>): keeps
 * libuv's thread pool busy, as file, DNS, compression and crypto work of other workflows can. Once the
 * file FLEET_BUSY_POOL_TRIGGER exists (the suite creates it when the worker is ready: n8n's start-up
 * reads files through the same pool), FLEET_BUSY_POOL_JOBS pbkdf2 jobs (default 4, the pool's default
 * size: UV_THREADPOOL_SIZE is left alone) of about FLEET_BUSY_POOL_MS each (default 3000) are kept
 * queued: each one that ends is replaced at once, so any other work on the pool — the package's key
 * derivation (scrypt) among it — waits behind them. Progress lines go to stderr ("busy-pool: …").
 *
 * Active only in the n8n worker process itself, not in its task runners.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');

const trigger = process.env.FLEET_BUSY_POOL_TRIGGER;
if (trigger && process.argv[2] === 'worker') {
	const jobs = Number(process.env.FLEET_BUSY_POOL_JOBS ?? 4) || 4;
	const jobMs = Number(process.env.FLEET_BUSY_POOL_MS ?? 3000) || 3000;
	const waiting = setInterval(() => {
		if (!fs.existsSync(trigger)) return;
		clearInterval(waiting);
		occupy(jobs, jobMs);
	}, 200);
	waiting.unref();
}

/**
 * @param {number} jobs
 * @param {number} jobMs
 */
function occupy(jobs, jobMs) {
	// Calibrated on the main thread, once: how many iterations take about jobMs on one thread.
	const probe = 20_000;
	const started = process.hrtime.bigint();
	crypto.pbkdf2Sync('busy', 'pool', probe, 32, 'sha512');
	const probeMs = Math.max(1, Number(process.hrtime.bigint() - started) / 1e6);
	const iterations = Math.max(probe, Math.round((probe * jobMs) / probeMs));
	let done = 0;
	let slowest = 0;
	process.stderr.write(`busy-pool: keeping ${jobs} pbkdf2 jobs of ~${jobMs} ms (${iterations} iterations) queued on libuv's thread pool (UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 'default 4'})\n`);
	const submit = () => {
		const at = Date.now();
		crypto.pbkdf2('busy', 'pool', iterations, 32, 'sha512', () => {
			done++;
			slowest = Math.max(slowest, Date.now() - at);
			submit();
		});
	};
	for (let i = 0; i < jobs; i++) submit();
	const report = setInterval(() => process.stderr.write(`busy-pool: ${done} jobs done so far, the slowest in ${slowest} ms\n`), 15000);
	report.unref();
}
