// @ts-check
'use strict';

const { setTimeout: sleep } = require('node:timers/promises');
const { sendJson } = require('./http');

/**
 * Fault mode: a per-request script of failures, for the fault suite and the benchmarks.
 *
 * `sim.faults.add(spec)` (or `sim.faults.script([spec, spec, …])`) queues faults for requests that
 * match `spec.method` and `spec.route` (a route name such as 'agentStream') or `spec.path` (an exact
 * pathname). Each matching request uses up one fault, oldest first, so a script is a list of what
 * the 1st, 2nd, 3rd… matching request meets; `{}` lets one request through untouched.
 *
 * A fault either answers instead of the route (`status`, `reset`, `answer`) or lets the route answer
 * and shapes what it writes, byte by byte (`delayMs`, `cutAtByte`, `stallAtByte`, `silenceAfterHeaders`,
 * `dripEveryMs`, `revokeAtByte`, `bom`, `lineEnds`, `malformEvent`, `malformJson`, `errorEvent`). Byte positions count
 * response body bytes as the client receives them (after the text transforms, before chunked framing).
 *
 * Nothing here runs unless a fault was added: without faults the simulator behaves as before.
 * Every wait ends when the client goes away or `sim.close()` destroys the socket.
 *
 * @typedef {import('./types').FaultSpec} FaultSpec
 * @typedef {import('./types').FaultRecord} FaultRecord
 *
 * @typedef {object} FaultEntry
 * @property {FaultSpec} spec
 * @property {number} remaining
 */

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Bounds `log` when a benchmark drives faults in a loop. */
const MAX_LOG = 1000;

class FaultRegistry {
	/** @type {FaultEntry[]} */
	#entries = [];
	/** What was applied, oldest first (at most 1000). @type {FaultRecord[]} */
	log = [];

	/**
	 * @param {FaultSpec} spec
	 * @returns {() => void} removes the fault if it is still queued
	 */
	add(spec) {
		validate(spec);
		/** @type {FaultEntry} */
		const entry = { spec, remaining: spec.times ?? 1 };
		this.#entries.push(entry);
		return () => this.#remove(entry);
	}

	/**
	 * Queues one fault per spec, in order: the 1st matching request gets the 1st spec, and so on.
	 * `defaults` (e.g. `{ route: 'agentStream' }`) is merged into each spec.
	 *
	 * @param {FaultSpec[]} specs
	 * @param {Partial<FaultSpec>} [defaults]
	 * @returns {() => void} removes those still queued
	 */
	script(specs, defaults = {}) {
		const removers = specs.map((spec) => this.add({ ...defaults, ...spec }));
		return () => {
			for (const remove of removers) remove();
		};
	}

	/** Removes every queued fault (the log stays). */
	clear() {
		this.#entries.length = 0;
	}

	/** How many faults are still queued (a fault with `times: n` counts n). */
	get pending() {
		return this.#entries.reduce((sum, entry) => sum + entry.remaining, 0);
	}

	/**
	 * Consumes one use of the oldest fault matching this request.
	 *
	 * @param {string} method
	 * @param {string} pathname
	 * @param {string} routeName
	 * @returns {FaultSpec | null}
	 */
	take(method, pathname, routeName) {
		const entry = this.#entries.find((e) => matches(e.spec, method, pathname, routeName));
		if (!entry) return null;
		entry.remaining -= 1;
		if (entry.remaining <= 0) this.#remove(entry);
		this.log.push({ at: Date.now(), method, path: pathname, route: routeName, fault: describe(entry.spec) });
		if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
		return entry.spec;
	}

	/** @param {FaultEntry} entry */
	#remove(entry) {
		const index = this.#entries.indexOf(entry);
		if (index >= 0) this.#entries.splice(index, 1);
	}
}

/**
 * @param {FaultSpec} spec
 * @param {string} method
 * @param {string} pathname
 * @param {string} routeName
 */
function matches(spec, method, pathname, routeName) {
	if (spec.method !== undefined && spec.method.toUpperCase() !== method.toUpperCase()) return false;
	if (spec.route !== undefined && spec.route !== routeName) return false;
	if (spec.path !== undefined && spec.path.split('?')[0] !== pathname) return false;
	return true;
}

/** @param {FaultSpec} spec */
function validate(spec) {
	if (spec === null || typeof spec !== 'object') throw new TypeError('a fault is an object');
	if (spec.route === undefined && spec.path === undefined) throw new TypeError('a fault needs a route or a path');
	const times = spec.times ?? 1;
	if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
		throw new TypeError('fault times must be a positive integer or Infinity');
	}
	for (const key of /** @type {const} */ (['delayMs', 'cutAtByte', 'stallAtByte', 'stallMs', 'dripEveryMs', 'dripBytes', 'revokeAtByte', 'malformEvent'])) {
		const value = spec[key];
		if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
			throw new TypeError(`fault ${key} must be a number ≥ 0`);
		}
	}
	if (spec.stallAtByte !== undefined && spec.stallMs === undefined) throw new TypeError('stallAtByte needs stallMs');
	if (spec.errorEvent !== undefined) {
		const { at, data } = spec.errorEvent;
		if (!(Number.isInteger(at) && at >= 0) || typeof data !== 'string' || /[\r\n]/.test(data)) {
			throw new TypeError('fault errorEvent needs an integer `at` ≥ 0 and a one-line `data` string');
		}
	}
	if (spec.lineEnds !== undefined && spec.lineEnds !== 'cr' && spec.lineEnds !== 'crlf') {
		throw new TypeError("fault lineEnds must be 'cr' or 'crlf'");
	}
	const answers = [spec.status !== undefined, spec.reset === true, spec.answer !== undefined].filter(Boolean).length;
	if (answers > 1) throw new TypeError('a fault answers with at most one of status, reset, answer');
}

/** A short label for the log. @param {FaultSpec} spec */
function describe(spec) {
	const parts = [];
	for (const [key, value] of Object.entries(spec)) {
		if (key === 'method' || key === 'route' || key === 'path' || key === 'times') continue;
		if (key === 'answer') parts.push(`answer(${String(/** @type {{ text: string }} */ (value).text.length)} chars)`);
		else if (key === 'body') parts.push('body');
		else parts.push(`${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
	}
	return parts.length > 0 ? parts.join(' ') : 'pass';
}

/**
 * Runs one request under a fault.
 *
 * @param {FaultSpec} spec
 * @param {import('./context').RouteContext} ctx
 * @param {import('./context').RouteHandler} handler the route's own handler
 */
async function runWithFault(spec, ctx, handler) {
	const { req, res, sim } = ctx;
	const closed = closedSignal(res);

	if (spec.revokeTokens === 'before') sim.tokens.revokeAllAccessTokens();
	if (spec.delayMs !== undefined && spec.delayMs > 0) await sleep(spec.delayMs, undefined, { signal: closed }).catch(() => {});
	if (closed.aborted) return;

	if (spec.reset === true) {
		// No status line at all: the connection is dropped as soon as the request is in.
		req.socket.destroy();
		return;
	}
	if (spec.status !== undefined) {
		shape(res, spec, sim, closed);
		sendJson(res, spec.status, spec.body ?? defaultBody(spec.status, ctx.url.pathname), faultHeaders(spec));
		return;
	}
	shape(res, spec, sim, closed);
	if (spec.answer !== undefined) {
		writeAnswer(res, spec.answer);
		return;
	}
	await handler(ctx);
}

/** @param {FaultSpec} spec */
function faultHeaders(spec) {
	/** @type {Record<string, string>} */
	const headers = { ...(spec.headers ?? {}) };
	if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
	if (spec.status === 401 && headers['www-authenticate'] === undefined) headers['www-authenticate'] = 'Bearer realm="api"';
	return headers;
}

/**
 * The body a real Alation sends with that status (OAuth-style on the token endpoint).
 *
 * @param {number} status
 * @param {string} pathname
 */
function defaultBody(status, pathname) {
	const oauth = /^\/oauth\//.test(pathname);
	if (status === 401) return oauth ? { error: 'invalid_client', error_description: 'Client authentication failed' } : { detail: 'Invalid token.' };
	if (status === 429) return { detail: 'Request was throttled.' };
	if (status >= 500) return { detail: status === 503 ? 'Service temporarily unavailable.' : 'Internal error' };
	return { detail: `Simulated ${status}` };
}

/**
 * A scripted agent answer (no echo, no tools): the text in `pieces` events of one response message.
 *
 * @param {import('node:http').ServerResponse} res
 * @param {import('./types').FaultAnswer} answer
 */
function writeAnswer(res, answer) {
	const pieces = Math.max(1, Math.floor(answer.pieces ?? 1));
	const style = answer.style ?? 'snapshot';
	const text = answer.text;
	const chatId = answer.chatId ?? '11111111-2222-4333-8444-555555555555';
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	const size = Math.max(1, Math.ceil(text.length / pieces));
	let soFar = '';
	let start = 0;
	do {
		let end = Math.min(text.length, start + size);
		// Never cut a surrogate pair: a piece must be valid text on its own.
		if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end += 1;
		const piece = text.slice(start, end);
		soFar += piece;
		const content = style === 'delta' ? piece : soFar;
		res.write(`data: ${JSON.stringify({ id: 'answer-1', chat_id: chatId, model_message: { kind: 'response', parts: [{ part_kind: 'text', content }] } })}\n\n`);
		start = end;
	} while (start < text.length);
	res.end('data: [DONE]\n\n');
}

/** @param {number} code */
function isLowSurrogate(code) {
	return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * An AbortSignal that fires when the response's connection closes.
 *
 * @param {import('node:http').ServerResponse} res
 */
function closedSignal(res) {
	const controller = new AbortController();
	const abort = () => controller.abort();
	if (res.destroyed || res.socket?.destroyed) abort();
	else res.once('close', abort);
	return controller.signal;
}

/**
 * Takes over `res.writeHead`, `res.write` and `res.end`: the route writes as usual, a pump hands
 * the bytes to the socket with the fault's timing and transforms.
 *
 * @param {import('node:http').ServerResponse} res
 * @param {FaultSpec} spec
 * @param {import('./context').SimState} sim
 * @param {AbortSignal} closed
 */
function shape(res, spec, sim, closed) {
	const changesLength = spec.bom === true || spec.lineEnds !== undefined || spec.malformEvent !== undefined || spec.malformJson === true
		|| spec.errorEvent !== undefined;
	const timed = spec.cutAtByte !== undefined || spec.stallAtByte !== undefined || spec.dripEveryMs !== undefined
		|| spec.revokeAtByte !== undefined || spec.silenceAfterHeaders === true;
	if (!changesLength && !timed) return;

	const writeHead = res.writeHead.bind(res);
	const write = res.write.bind(res);
	const end = res.end.bind(res);
	/** @type {Buffer[]} */
	const queue = [];
	let ended = false;
	let first = true;
	let dataEvents = 0;
	let eventsSeen = 0;
	/** @type {(() => void) | null} */
	let wake = null;

	/** @type {any} */ (res).writeHead = (/** @type {number} */ status, /** @type {any[]} */ ...rest) => {
		const last = rest.length > 0 ? rest[rest.length - 1] : undefined;
		if (changesLength && last && typeof last === 'object' && !Array.isArray(last)) {
			/** @type {Record<string, unknown>} */
			const headers = {};
			for (const [name, value] of Object.entries(last)) if (name.toLowerCase() !== 'content-length') headers[name] = value;
			rest[rest.length - 1] = headers;
		}
		if (changesLength) res.removeHeader('content-length');
		const result = writeHead(status, ...rest);
		// Headers go out now, whatever the body does next (a silent body still shows its headers).
		res.flushHeaders();
		return result;
	};

	/**
	 * @param {unknown} chunk
	 * @param {unknown} encoding
	 */
	const enqueue = (chunk, encoding) => {
		if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
		let buffer = Buffer.isBuffer(chunk)
			? chunk
			: chunk instanceof Uint8Array
				? Buffer.from(chunk)
				: Buffer.from(String(chunk), typeof encoding === 'string' ? /** @type {BufferEncoding} */ (encoding) : 'utf8');
		buffer = transform(buffer);
		if (buffer.length > 0) queue.push(buffer);
		wake?.();
	};

	/** @param {Buffer} buffer */
	const transform = (buffer) => {
		if (!changesLength) return buffer;
		let text = buffer.toString('utf8');
		if (spec.malformEvent !== undefined) {
			// The route writes one event per write: `data: {json}\n\n`. Break the JSON of the n-th one.
			text = text.replace(/^data: \{/gm, (match) => {
				const index = dataEvents++;
				return index === spec.malformEvent ? 'data: {"broken": ' : match;
			});
		}
		if (spec.errorEvent !== undefined) {
			const { at, data, event = 'error', thenContinue = false } = spec.errorEvent;
			// One event per write, `data: {json}\n\n` on one line (JSON text has no raw line break).
			text = text.replace(/^data: \{.*\n\n/gm, (match) => {
				const index = eventsSeen++;
				if (index < at) return match;
				if (index > at) return thenContinue ? match : '';
				return `${event === '' ? '' : `event: ${event}\n`}data: ${data}\n\n${thenContinue ? match : ''}`;
			});
		}
		if (spec.malformJson === true && text.length > 0) text = `${text.slice(0, Math.max(1, text.length - 1))},,`;
		if (spec.lineEnds === 'cr') text = text.replace(/\r?\n/g, '\r');
		else if (spec.lineEnds === 'crlf') text = text.replace(/\r?\n/g, '\r\n');
		let out = Buffer.from(text, 'utf8');
		if (first && spec.bom === true) out = Buffer.concat([UTF8_BOM, out]);
		first = false;
		return out;
	};

	/** @type {any} */ (res).write = (/** @type {unknown} */ chunk, /** @type {unknown} */ encoding, /** @type {unknown} */ callback) => {
		enqueue(chunk, encoding);
		const cb = typeof encoding === 'function' ? encoding : callback;
		if (typeof cb === 'function') process.nextTick(cb);
		return true;
	};
	/** @type {any} */ (res).end = (/** @type {unknown} */ chunk, /** @type {unknown} */ encoding, /** @type {unknown} */ callback) => {
		enqueue(chunk, encoding);
		ended = true;
		const cb = [chunk, encoding, callback].find((value) => typeof value === 'function');
		if (typeof cb === 'function') res.once('finish', /** @type {() => void} */ (cb));
		wake?.();
		return res;
	};

	const pause = async (/** @type {number} */ ms) => {
		if (ms > 0 && !closed.aborted) await sleep(ms, undefined, { signal: closed }).catch(() => {});
	};
	/** @param {Buffer} buffer */
	const send = (buffer) => new Promise((resolve) => {
		if (closed.aborted || res.destroyed) {
			resolve(undefined);
			return;
		}
		write(buffer, () => resolve(undefined));
	});

	closed.addEventListener('abort', () => wake?.(), { once: true });
	const pump = async () => {
		// Wait for the route's first write (or end): only then are the headers known.
		while (queue.length === 0 && !ended && !closed.aborted) await new Promise((resolve) => (wake = () => resolve(undefined)));
		wake = null;
		if (closed.aborted) return;
		if (!res.headersSent) res.flushHeaders();
		if (spec.silenceAfterHeaders === true) return; // the body never comes; the client gives up or the simulator closes
		let written = 0;
		let revoked = false;
		let stalled = false;
		/** Acts on the marks reached so far; false once the connection was cut. */
		const atMarks = async () => {
			if (!revoked && spec.revokeAtByte !== undefined && written >= spec.revokeAtByte) {
				revoked = true;
				sim.tokens.revokeAllAccessTokens();
			}
			if (spec.cutAtByte !== undefined && written >= spec.cutAtByte) {
				res.socket?.destroy();
				return false;
			}
			if (!stalled && spec.stallAtByte !== undefined && written >= spec.stallAtByte) {
				stalled = true;
				await pause(spec.stallMs ?? 0);
			}
			return !closed.aborted;
		};
		for (;;) {
			const buffer = queue.shift();
			if (buffer === undefined) {
				if (ended) break;
				await new Promise((resolve) => (wake = () => resolve(undefined)));
				wake = null;
				if (closed.aborted) return;
				continue;
			}
			let offset = 0;
			while (offset < buffer.length) {
				if (!(await atMarks())) return;
				let n = buffer.length - offset;
				if (spec.dripEveryMs !== undefined) n = Math.min(n, Math.max(1, Math.floor(spec.dripBytes ?? 1)));
				for (const mark of [spec.cutAtByte, stalled ? undefined : spec.stallAtByte, revoked ? undefined : spec.revokeAtByte]) {
					if (mark !== undefined && written < mark) n = Math.min(n, mark - written);
				}
				await send(buffer.subarray(offset, offset + n));
				offset += n;
				written += n;
				if (spec.dripEveryMs !== undefined) await pause(spec.dripEveryMs);
			}
		}
		// A mark at (or past) the end of the body: revoke or cut before the response completes.
		if (!(await atMarks())) return;
		if (!closed.aborted && !res.writableEnded) end();
	};
	pump().catch(() => res.destroy());
}

module.exports = { FaultRegistry, runWithFault, UTF8_BOM };
