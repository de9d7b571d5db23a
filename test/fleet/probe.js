// @ts-check
'use strict';

/**
 * Preloaded into every n8n process of the fleet suite (NODE_OPTIONS=--require <this file>): records
 * each HTTP request the process sends to the Alation simulator — through undici (the package's own
 * client) and through Node's http module (n8n's request helpers, which the package's token requests
 * go through) — as one JSON line in FLEET_PROBE_FILE: when it was sent and answered, method, path,
 * status, and a fingerprint of the token it carried (the first 12 hex digits of its SHA-256: tells
 * tokens apart, reveals nothing of them). The suite reads these files to attribute each mint to the
 * process that made it and to explain each 401 (test/fleet/tokens.js). It only observes: nothing is
 * changed, delayed or sent.
 *
 * FLEET_PROBE_CLOCK_OFFSET_MS: how far this process's clock is set ahead (faketime), subtracted from
 * every time recorded so that all files share one clock. Lines are written synchronously on the
 * main thread (writeSync), not through libuv's thread pool, which a stress may keep busy.
 *
 * Active only in the n8n process itself (`n8n start` / `n8n worker`), not in task runners.
 */

const crypto = require('node:crypto');
const diagnostics = require('node:diagnostics_channel');
const fs = require('node:fs');

const file = process.env.FLEET_PROBE_FILE;
const simPort = process.env.FLEET_PROBE_PORT;
const command = process.argv[2];

if (file && simPort && (command === 'start' || command === 'worker')) install(file, simPort, Number(process.env.FLEET_PROBE_CLOCK_OFFSET_MS ?? 0) || 0);

/**
 * @param {string} path
 * @param {string} port
 * @param {number} offsetMs
 */
function install(path, port, offsetMs) {
	const fd = fs.openSync(path, 'a');
	let next = 0;
	/** @type {WeakMap<object, number>} */
	const ids = new WeakMap();
	const now = () => Date.now() - offsetMs;
	/** @param {Record<string, unknown>} event */
	const write = (event) => {
		try {
			fs.writeSync(fd, `${JSON.stringify(event)}\n`);
		} catch {
			// observing must never break the process
		}
	};
	/** @param {unknown} value */
	const fingerprint = (value) => {
		if (typeof value !== 'string' || value === '') return null;
		const token = value.replace(/^Bearer\s+/i, '').trim();
		return token ? crypto.createHash('sha256').update(token).digest('hex').slice(0, 12) : null;
	};
	const sim = new RegExp(`^(https?://)?(127\\.0\\.0\\.1|localhost):${port}$`);
	// `raw`: this process's own clock, unadjusted (the suite checks that faketime really moved it).
	write({ k: 'start', t: now(), raw: Date.now(), pid: process.pid, offsetMs });

	// undici (the package's own client): headers are [name, value, name, value, …].
	diagnostics.subscribe('undici:request:create', (message) => {
		const request = /** @type {any} */ (message).request;
		if (!request || !sim.test(String(request.origin))) return;
		const id = ++next;
		ids.set(request, id);
		/** @type {unknown} */
		let token = null;
		const headers = Array.isArray(request.headers) ? request.headers : [];
		for (let i = 0; i + 1 < headers.length; i += 2) {
			const name = String(headers[i]).toLowerCase();
			if (name === 'authorization' || name === 'token') token = headers[i + 1];
		}
		write({ k: 'q', id, t: now(), via: 'undici', m: request.method, u: String(request.path).split('?')[0], f: fingerprint(token) });
	});
	diagnostics.subscribe('undici:request:headers', (message) => {
		const { request, response } = /** @type {any} */ (message);
		const id = ids.get(request);
		if (id !== undefined) write({ k: 's', id, t: now(), st: response?.statusCode });
	});
	diagnostics.subscribe('undici:request:error', (message) => {
		const { request, error } = /** @type {any} */ (message);
		const id = ids.get(request);
		if (id !== undefined) write({ k: 'e', id, t: now(), err: String(error?.code ?? error?.name ?? 'error') });
	});

	// Node's http module (n8n's helpers: axios).
	diagnostics.subscribe('http.client.request.start', (message) => {
		const request = /** @type {any} */ (message).request;
		const host = typeof request?.getHeader === 'function' ? String(request.getHeader('host')) : '';
		if (!sim.test(host)) return;
		const id = ++next;
		ids.set(request, id);
		const token = request.getHeader('authorization') ?? request.getHeader('token') ?? null;
		write({ k: 'q', id, t: now(), via: 'http', m: request.method, u: String(request.path).split('?')[0], f: fingerprint(token) });
	});
	diagnostics.subscribe('http.client.response.finish', (message) => {
		const { request, response } = /** @type {any} */ (message);
		const id = ids.get(request);
		if (id !== undefined) write({ k: 's', id, t: now(), st: response?.statusCode });
	});
	diagnostics.subscribe('http.client.request.error', (message) => {
		const { request, error } = /** @type {any} */ (message);
		const id = ids.get(request);
		if (id !== undefined) write({ k: 'e', id, t: now(), err: String(error?.code ?? error?.name ?? 'error') });
	});
}
