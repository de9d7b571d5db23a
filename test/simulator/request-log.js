// @ts-check
'use strict';

/** Keeps the log useful for assertions without growing without bound. */
const MAX_ENTRIES = 1000;
const MAX_BODY_CHARS = 10 * 1024;

/** Header values that are credentials: the log records only that they were sent. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'token', 'cookie', 'set-cookie']);

/**
 * @param {import('./types').RequestLogEntry[]} log  the array exposed as `sim.requestLog`
 * @param {import('node:http').IncomingMessage} req
 * @param {URL} url
 * @returns {import('./types').RequestLogEntry} the entry; the caller fills in body and status later
 */
function recordRequest(log, req, url) {
	/** @type {Record<string, string>} */
	const headers = {};
	for (const [name, value] of Object.entries(req.headers)) {
		if (value === undefined) continue;
		const lower = name.toLowerCase();
		headers[lower] = SECRET_HEADERS.has(lower) ? '[present]' : Array.isArray(value) ? value.join(', ') : value;
	}
	/** @type {import('./types').RequestLogEntry} */
	const entry = {
		method: req.method ?? 'GET',
		path: url.pathname,
		query: Object.fromEntries(url.searchParams),
		headers,
		body: '',
		status: null,
		at: Date.now(),
	};
	log.push(entry);
	if (log.length > MAX_ENTRIES) log.splice(0, log.length - MAX_ENTRIES);
	return entry;
}

/** @param {string} text */
function boundedBody(text) {
	return text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text;
}

/**
 * The one stdout line per request printed when `quiet` is false. Only method,
 * path, status and duration: no query, headers or body, so no secrets.
 *
 * @param {import('./types').RequestLogEntry} entry
 * @param {number} durationMs
 */
function formatLine(entry, durationMs) {
	const status = entry.status === null ? 'aborted' : String(entry.status);
	return `${new Date(entry.at).toISOString()} ${entry.method} ${entry.path} ${status} ${durationMs}ms`;
}

module.exports = { recordRequest, boundedBody, formatLine };
