// @ts-check
'use strict';

/**
 * Child processes with bounded waits, and a guarantee that none outlives the script: every child is
 * started in its own process group (n8n starts task-runner children of its own) and the whole group
 * is killed when the script exits, fails or gets Ctrl-C.
 */

const { spawn } = require('node:child_process');

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();
/** @type {Array<() => Promise<void> | void>} */
const cleanups = [];
let handlersInstalled = false;
let exiting = false;

/**
 * Sends `signal` to the child's whole process group (it is the group leader: spawned detached).
 *
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
function killGroup(child, signal) {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {
			// already gone
		}
	}
}

/** Kills every live child group at once; used on the way out, where nothing can be awaited. */
function killAllNow() {
	for (const child of live) killGroup(child, 'SIGKILL');
}

/**
 * Registers something to undo on SIGINT/SIGTERM/uncaught failure (e.g. closing the in-process
 * simulator, removing a temporary folder). Runs in reverse order of registration.
 *
 * @param {() => Promise<void> | void} fn
 */
function onCleanup(fn) {
	installHandlers();
	cleanups.push(fn);
}

async function runCleanups() {
	while (cleanups.length > 0) {
		const fn = cleanups.pop();
		try {
			await fn?.();
		} catch {
			// best effort on the way out
		}
	}
}

function installHandlers() {
	if (handlersInstalled) return;
	handlersInstalled = true;
	process.on('exit', killAllNow);
	/** @param {NodeJS.Signals} signal */
	const onSignal = (signal) => {
		if (exiting) {
			killAllNow();
			process.exit(130);
		}
		exiting = true;
		process.stderr.write(`\n${signal}: stopping child processes\n`);
		void stopAll(5000)
			.then(runCleanups)
			.finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
}

/**
 * SIGTERM to every child group, SIGKILL for those still alive after `graceMs`.
 *
 * @param {number} graceMs
 */
async function stopAll(graceMs) {
	await Promise.all([...live].map((child) => stop(child, graceMs)));
}

/**
 * Stops one child: SIGTERM to its group, SIGKILL after `graceMs`. Resolves when it has exited.
 *
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} [graceMs]
 */
function stop(child, graceMs = 10000) {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) {
			resolve(undefined);
			return;
		}
		const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
		child.once('exit', () => {
			clearTimeout(timer);
			// Grandchildren (task runners) may still hold the group: make sure it is gone.
			killGroup(child, 'SIGKILL');
			resolve(undefined);
		});
		killGroup(child, 'SIGTERM');
	});
}

/**
 * Starts a long-running child (n8n start, the simulator) in its own process group, tracked for
 * clean-up. Output is piped; the caller reads it.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options]
 */
function startTracked(command, args, options = {}) {
	installHandlers();
	const child = spawn(command, args, {
		cwd: options.cwd,
		env: options.env ?? process.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	live.add(child);
	child.once('exit', () => live.delete(child));
	child.once('error', () => live.delete(child));
	return child;
}

class TimeoutError extends Error {
	/**
	 * @param {string} what
	 * @param {number} ms
	 */
	constructor(what, ms) {
		super(`${what} did not finish within ${Math.round(ms / 1000)} s`);
		this.name = 'TimeoutError';
	}
}

/**
 * Runs a command to completion with a hard time limit. Keeps at most `maxBytes` of each stream (the
 * tail, which holds the errors).
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs: number, label?: string, maxBytes?: number,
 *   onStdout?: (chunk: string) => void, onStderr?: (chunk: string) => void }} options
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, durationMs: number }>}
 */
function run(command, args, options) {
	const label = options.label ?? [command, ...args].join(' ');
	const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
	const started = Date.now();
	return new Promise((resolve, reject) => {
		/** @type {import('node:child_process').ChildProcess} */
		let child;
		try {
			child = startTracked(command, args, { cwd: options.cwd, env: options.env });
		} catch (error) {
			reject(error);
			return;
		}
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout?.setEncoding('utf8');
		child.stderr?.setEncoding('utf8');
		child.stdout?.on('data', (/** @type {string} */ chunk) => {
			stdout = keepTail(stdout + chunk, maxBytes);
			options.onStdout?.(chunk);
		});
		child.stderr?.on('data', (/** @type {string} */ chunk) => {
			stderr = keepTail(stderr + chunk, maxBytes);
			options.onStderr?.(chunk);
		});
		const timer = setTimeout(() => {
			timedOut = true;
			void stop(child, 5000);
		}, options.timeoutMs);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			if (timedOut) {
				const error = new TimeoutError(label, options.timeoutMs);
				Object.assign(error, { stdout, stderr });
				reject(error);
				return;
			}
			resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
		});
	});
}

/**
 * @param {string} text
 * @param {number} max
 */
function keepTail(text, max) {
	return text.length > max ? text.slice(text.length - max) : text;
}

/**
 * The last `n` lines of a text, for error reports.
 *
 * @param {string} text
 * @param {number} [n]
 */
function tailLines(text, n = 30) {
	return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** True once Ctrl-C (or SIGTERM) started the shut-down: children exiting now are expected. */
function isStopping() {
	return exiting;
}

module.exports = { run, startTracked, stop, stopAll, onCleanup, runCleanups, isStopping, tailLines, TimeoutError };
