#!/usr/bin/env node
// @ts-check
'use strict';

const { startSimulator, DEMO } = require('./index');

/**
 * Runs the simulator in the foreground for demos and manual testing:
 *   node test/simulator/cli.js [--port 8765] [--host 127.0.0.1] [--quiet]
 *     [--stream-style snapshot|delta] [--chunk-delay-ms N] [--ping-interval-ms N]
 *     [--token-lifetime-seconds N]
 * The port may also come from ALATION_SIM_PORT.
 */

const USAGE = `Usage: node test/simulator/cli.js [--port N] [--host H] [--quiet]
  [--stream-style snapshot|delta] [--chunk-delay-ms N] [--ping-interval-ms N] [--token-lifetime-seconds N]`;

/** Flags that take a value, and the option each one sets. */
const VALUE_FLAGS = /** @type {const} */ ({
	'--port': 'port',
	'--host': 'host',
	'--stream-style': 'streamStyle',
	'--chunk-delay-ms': 'chunkDelayMs',
	'--ping-interval-ms': 'pingIntervalMs',
	'--token-lifetime-seconds': 'tokenLifetimeSeconds',
});
const NUMERIC = new Set(['port', 'chunkDelayMs', 'pingIntervalMs', 'tokenLifetimeSeconds']);

/**
 * @param {string[]} argv
 * @returns {Partial<import('./types').SimulatorOptions>}
 */
function parseArgs(argv) {
	/** @type {Record<string, unknown>} */
	const options = { quiet: false };
	const envPort = process.env.ALATION_SIM_PORT;
	if (envPort) options.port = toNumber('ALATION_SIM_PORT', envPort);
	for (let i = 0; i < argv.length; i += 1) {
		const [flag, inline] = argv[i].split(/=(.*)/s, 2);
		if (flag === '--quiet') {
			options.quiet = true;
			continue;
		}
		if (flag === '--help' || flag === '-h') {
			console.log(USAGE);
			process.exit(0);
		}
		if (!Object.hasOwn(VALUE_FLAGS, flag)) throw new Error(`Unknown argument: ${argv[i]}`);
		const key = VALUE_FLAGS[/** @type {keyof typeof VALUE_FLAGS} */ (flag)];
		const value = inline ?? argv[++i];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		options[key] = NUMERIC.has(key) ? toNumber(flag, value) : value;
	}
	return /** @type {Partial<import('./types').SimulatorOptions>} */ (options);
}

/**
 * @param {string} name
 * @param {string} value
 */
function toNumber(name, value) {
	const number = Number(value);
	if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new Error(`${name} must be a non-negative number`);
	return number;
}

/** @param {import('./types').Simulator} sim */
function banner(sim) {
	return [
		`Alation simulator listening on ${sim.url}`,
		'',
		`  OAuth client credentials   client_id=${DEMO.clientId}  client_secret=${DEMO.clientSecret}`,
		`  Refresh token              user_id=${DEMO.userId}  refresh_token=${DEMO.refreshToken}`,
		`  Login (createRefreshToken) ${DEMO.username} / ${DEMO.password}`,
		`  DataClarity (Keycloak)     tenant=${DEMO.tenant}  client_id=${DEMO.keycloakClientId}  client_secret=${DEMO.keycloakClientSecret}`,
		`                             user ${DEMO.keycloakUsername} / ${DEMO.keycloakPassword}`,
		`  User OAuth (code + PKCE)   client_id=${DEMO.userOauthClientId}  client_secret=${DEMO.userOauthClientSecret}`,
		`                             ${sim.url}/oauth/v1/authorize/ → ${sim.url}/oauth/v1/token/`,
		`                             users ${DEMO.oauthUsers.map((u) => `${u.displayName} (${u.id})`).join(', ')}`,
		'',
		'These are fixed demo values. Press Ctrl+C to stop.',
		'',
	].join('\n');
}

async function main() {
	let options;
	try {
		options = parseArgs(process.argv.slice(2));
	} catch (error) {
		console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
		process.exitCode = 2;
		return;
	}
	const sim = await startSimulator(options);
	process.stdout.write(banner(sim));

	let stopping = false;
	/** @param {NodeJS.Signals} signal */
	const stop = (signal) => {
		// A second Ctrl+C while closing means "now".
		if (stopping) process.exit(130);
		stopping = true;
		process.stdout.write(`\n${signal}: closing the simulator\n`);
		sim.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error) => {
	console.error(`simulator failed to start: ${error instanceof Error ? error.message : String(error)}`);
	process.exitCode = 1;
});
