// @ts-check
'use strict';

const { setTimeout: sleep } = require('node:timers/promises');

/**
 * Writes one Server-Sent Events response the way Alation does: `data: <json>`
 * events, optional `: ping` comments, and a final `data: [DONE]`.
 *
 * The stream notices when the client (or `sim.close()`) drops the socket:
 * `closed` turns true and a pending `pause()` returns at once, so a stream
 * loop never outlives its connection.
 */
class EventStream {
	/** @type {import('node:http').ServerResponse} */
	#res;
	#abort = new AbortController();
	/** @type {NodeJS.Timeout | null} */
	#ping = null;

	/**
	 * @param {import('node:http').ServerResponse} res
	 * @param {{ pingIntervalMs: number }} options
	 */
	constructor(res, { pingIntervalMs }) {
		this.#res = res;
		// Alation sends no charset; clients must decode UTF-8 themselves.
		res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
		// Headers go out now, so a client's first-byte timeout sees the stream start.
		res.flushHeaders();
		res.socket?.setNoDelay(true);
		res.on('close', () => this.#stop());
		if (pingIntervalMs > 0) this.#ping = setInterval(() => this.#write(': ping\n\n'), pingIntervalMs);
	}

	get closed() {
		return this.#abort.signal.aborted;
	}

	/** @param {unknown} event */
	send(event) {
		this.#write(`data: ${JSON.stringify(event)}\n\n`);
	}

	/**
	 * Waits between events; returns early if the connection goes away.
	 *
	 * @param {number} ms
	 */
	async pause(ms) {
		if (!(ms > 0) || this.closed) return;
		await sleep(ms, undefined, { signal: this.#abort.signal }).catch(() => {});
	}

	/** Sends the terminator and ends the response. */
	done() {
		this.#write('data: [DONE]\n\n');
		if (!this.#res.writableEnded) this.#res.end();
		this.#stop();
	}

	/** @param {string} text */
	#write(text) {
		if (this.closed || this.#res.writableEnded || this.#res.destroyed) return;
		this.#res.write(text);
	}

	#stop() {
		if (this.#ping) clearInterval(this.#ping);
		this.#ping = null;
		if (!this.closed) this.#abort.abort();
	}
}

module.exports = { EventStream };
