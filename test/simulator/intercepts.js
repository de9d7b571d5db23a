// @ts-check
'use strict';

/**
 * One-shot (or N-shot) overrides used to inject faults: the next request with
 * the same method and exact pathname goes to the test's handler instead of the
 * simulated route. Overrides for the same request are used oldest first.
 *
 * @typedef {object} Intercept
 * @property {string} method
 * @property {string} path
 * @property {import('./types').InterceptHandler} handler
 * @property {number} remaining
 */

class InterceptRegistry {
	/** @type {Intercept[]} */
	#entries = [];

	/**
	 * @param {string} method
	 * @param {string} path a pathname; a query string, if given, is ignored
	 * @param {import('./types').InterceptHandler} handler
	 * @param {number} times
	 * @returns {() => void} removes the override
	 */
	add(method, path, handler, times) {
		if (typeof handler !== 'function') throw new TypeError('intercept handler must be a function');
		if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
			throw new TypeError('intercept times must be a positive integer or Infinity');
		}
		/** @type {Intercept} */
		const entry = { method: method.toUpperCase(), path: path.split('?')[0], handler, remaining: times };
		this.#entries.push(entry);
		return () => this.#remove(entry);
	}

	/**
	 * Consumes one use of the oldest matching override.
	 *
	 * @param {string} method
	 * @param {string} path
	 * @returns {import('./types').InterceptHandler | null}
	 */
	take(method, path) {
		const entry = this.#entries.find((e) => e.method === method.toUpperCase() && e.path === path);
		if (!entry) return null;
		entry.remaining -= 1;
		if (entry.remaining <= 0) this.#remove(entry);
		return entry.handler;
	}

	/** Removes every override still queued. */
	clear() {
		this.#entries.length = 0;
	}

	/** @param {Intercept} entry */
	#remove(entry) {
		const index = this.#entries.indexOf(entry);
		if (index >= 0) this.#entries.splice(index, 1);
	}
}

module.exports = { InterceptRegistry };
