// @ts-check
'use strict';

/**
 * Reading what `n8n execute --rawOutput` prints. n8n writes the run data as pretty-printed JSON, but
 * other lines may come before it (start-up logs, task-runner logs), and a failed run is only
 * logged (at info level) before the error. So: find every line that is exactly "{", scan a balanced
 * JSON object from there (strings and escapes respected), and keep the first one that is run data.
 */

/**
 * The end index (exclusive) of the JSON object starting at `start`, or -1.
 *
 * @param {string} text
 * @param {number} start index of "{"
 */
function scanObject(text, start) {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i += 1) {
		const c = text[i];
		if (inString) {
			if (c === '\\') i += 1;
			else if (c === '"') inString = false;
			continue;
		}
		if (c === '"') inString = true;
		else if (c === '{' || c === '[') depth += 1;
		else if (c === '}' || c === ']') {
			depth -= 1;
			if (depth === 0) return i + 1;
		}
	}
	return -1;
}

/**
 * Every JSON object in the output that starts on a line of its own.
 *
 * @param {string} text
 * @returns {unknown[]}
 */
function jsonObjects(text) {
	const found = [];
	const startLine = /^\{\s*$/gm;
	let match;
	let resumeAt = 0;
	while ((match = startLine.exec(text)) !== null) {
		if (match.index < resumeAt) continue;
		const end = scanObject(text, match.index);
		if (end === -1) continue;
		try {
			found.push(JSON.parse(text.slice(match.index, end)));
			resumeAt = end;
		} catch {
			// a log line that happens to be "{": keep looking
		}
	}
	return found;
}

/**
 * @typedef {{ json: Record<string, any>, pairedItem?: { item: number } | Array<{ item: number }>, binary?: Record<string, unknown> }} Item
 * @typedef {{ data?: { main?: Array<Item[] | null> }, error?: Record<string, any>, executionStatus?: string, startTime?: number, executionTime?: number }} TaskData
 * @typedef {{ status?: string, data: { resultData: { runData: Record<string, TaskData[]>, error?: Record<string, any>, lastNodeExecuted?: string } } }} RunData
 */

/**
 * The run data in an `n8n execute` output, or null.
 *
 * @param {string} text
 * @returns {RunData | null}
 */
function parseRunData(text) {
	for (const value of jsonObjects(text)) {
		const run = /** @type {any} */ (value);
		if (run && typeof run === 'object' && run.data && run.data.resultData && typeof run.data.resultData.runData === 'object') {
			return /** @type {RunData} */ (run);
		}
	}
	return null;
}

/**
 * The items a node output in a run (main output `output`, run `runIndex`).
 *
 * @param {RunData} run
 * @param {string} nodeName
 * @param {{ output?: number, runIndex?: number }} [where]
 * @returns {Item[]}
 */
function itemsOf(run, nodeName, where = {}) {
	const task = run.data.resultData.runData[nodeName]?.[where.runIndex ?? 0];
	if (!task) throw new Error(`node "${nodeName}" did not run (ran: ${Object.keys(run.data.resultData.runData).join(', ')})`);
	if (task.error) throw new Error(`node "${nodeName}" failed: ${String(task.error.message)}`);
	return task.data?.main?.[where.output ?? 0] ?? [];
}

/**
 * The error a node ended the run with, if any.
 *
 * @param {RunData} run
 * @param {string} nodeName
 */
function errorOf(run, nodeName) {
	return run.data.resultData.runData[nodeName]?.[0]?.error ?? null;
}

module.exports = { parseRunData, jsonObjects, itemsOf, errorOf };
