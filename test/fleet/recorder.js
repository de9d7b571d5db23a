// @ts-check
'use strict';

/**
 * Everything the processes of a fleet run print, on disk (one file per process or command, under the
 * run's work folder) and the tail of it in memory: for the report on failure, and for the scan that
 * no secret appears in any output.
 */

const fs = require('node:fs');
const path = require('node:path');

const { tailLines } = require('../../scripts/lib/proc');
const { scanForSecrets } = require('../../scripts/lib/report');

/** What each process keeps in memory (its file has everything). */
const MEMORY_TAIL_CHARS = 256 * 1024;

class Recorder {
	/** @param {string} dir */
	constructor(dir) {
		this.dir = dir;
		fs.mkdirSync(dir, { recursive: true });
		/** @type {Array<{ label: string, file: string, tail: () => string }>} */
		this.entries = [];
	}

	/** @param {string} label */
	fileFor(label) {
		return path.join(this.dir, `${String(this.entries.length + 1).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}.log`);
	}

	/**
	 * Streams a child's stdout and stderr (interleaved, as a terminal would show them) into a file.
	 *
	 * @param {string} label
	 * @param {import('node:child_process').ChildProcess} child
	 * @param {(line: string) => void} [onLine]  sees every complete line
	 */
	attach(label, child, onLine) {
		const file = this.fileFor(label);
		const stream = fs.createWriteStream(file);
		let text = '';
		let pending = '';
		const onData = (/** @type {Buffer} */ chunk) => {
			const s = chunk.toString('utf8');
			stream.write(s);
			text = (text + s).slice(-MEMORY_TAIL_CHARS);
			if (!onLine) return;
			pending += s;
			const lines = pending.split('\n');
			pending = lines.pop() ?? '';
			for (const line of lines) onLine(line);
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', onData);
		child.once('close', (code, signal) => {
			stream.end(`\n[exited: ${signal ?? `code ${String(code)}`}]\n`);
		});
		this.entries.push({ label, file, tail: () => text });
		return { text: () => text };
	}

	/**
	 * A line-fed recorder for output that arrives line by line (n8n start through scripts/lib/server).
	 *
	 * @param {string} label
	 */
	lines(label) {
		const file = this.fileFor(label);
		const stream = fs.createWriteStream(file);
		let text = '';
		this.entries.push({ label, file, tail: () => text });
		return {
			/** @param {string} line */
			write: (line) => {
				stream.write(`${line}\n`);
				text = (text + line + '\n').slice(-MEMORY_TAIL_CHARS);
			},
			end: () => stream.end(),
		};
	}

	/**
	 * @param {string} label
	 * @param {string} text
	 */
	record(label, text) {
		const file = this.fileFor(label);
		fs.writeFileSync(file, text);
		const kept = text.slice(-MEMORY_TAIL_CHARS);
		this.entries.push({ label, file, tail: () => kept });
	}

	/**
	 * A log file a process writes itself (Postgres): read when scanned or reported.
	 *
	 * @param {string} label
	 * @param {string} file
	 */
	addFile(label, file) {
		const read = () => {
			try {
				return fs.readFileSync(file, 'utf8').slice(-MEMORY_TAIL_CHARS);
			} catch {
				return '';
			}
		};
		this.entries.push({ label, file, tail: read });
	}

	/**
	 * Every output, read whole from disk, checked for each secret. Returns the problems found (never
	 * the secret itself: its first 3 characters).
	 *
	 * @param {string[]} secrets
	 */
	scan(secrets) {
		const sources = this.entries.map((entry) => {
			let text = '';
			try {
				text = fs.readFileSync(entry.file, 'utf8');
			} catch {
				text = entry.tail();
			}
			return { label: `the output of ${entry.label}`, text };
		});
		return { ...scanForSecrets(sources, secrets), files: this.entries.length };
	}

	/**
	 * The last lines of every process and command, for the report on failure.
	 *
	 * @param {number} [n]
	 * @param {(label: string) => boolean} [which]
	 */
	tails(n = 12, which = () => true) {
		return this.entries
			.filter((e) => which(e.label))
			.map((e) => `--- ${e.label} (${path.basename(e.file)}) ---\n${tailLines(e.tail(), n) || '(no output)'}`)
			.join('\n');
	}
}

module.exports = { Recorder };
