// @ts-check
'use strict';

/**
 * The loopback Alation simulator (test/simulator), run inside the script's own process: n8n, a
 * child process, reaches it on 127.0.0.1, and the script reads its counters (token mints, 401s)
 * directly. It is closed on exit, failure and Ctrl-C.
 */

const { startSimulator, DEMO } = require('../../test/simulator');
const { onCleanup } = require('./proc');

/**
 * @param {Partial<import('../../test/simulator').SimulatorOptions>} [options]
 * @returns {Promise<import('../../test/simulator').Simulator>}
 */
async function startLocalSimulator(options = {}) {
	let sim;
	try {
		sim = await startSimulator({ host: '127.0.0.1', quiet: true, ...options });
	} catch (error) {
		const code = /** @type {{ code?: string }} */ (error).code;
		if (code === 'EADDRINUSE') throw new Error(`port ${String(options.port)} is in use: stop what uses it, or set ALATION_SIM_PORT to another port`);
		throw error;
	}
	const opened = sim;
	onCleanup(() => opened.close());
	return sim;
}

module.exports = { startLocalSimulator, DEMO };
