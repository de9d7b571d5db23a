// @ts-check
'use strict';

const http = require('node:http');
const { AGENTS, answerText } = require('./agents');
const { AssetStore, ChatStore } = require('./chats');
const { createCounters, resetCounters } = require('./counters');
const { DEMO } = require('./demo');
const { FaultRegistry, runWithFault } = require('./faults');
const { readBody, sendJson } = require('./http');
const { InterceptRegistry } = require('./intercepts');
const { boundedBody, formatLine, recordRequest } = require('./request-log');
const { matchRoute } = require('./router');
const { TokenStore } = require('./tokens');
const { TOOLS } = require('./tools');
const { UserOAuthStore } = require('./user-oauth');

/**
 * A loopback Alation (Agent Studio) server for tests, the demo and benchmarks.
 * README.md lists the scripted behaviour; index.d.ts the public API.
 */

/** @type {import('./types').SimulatorOptions} */
const DEFAULTS = Object.freeze({
	port: 0,
	host: '127.0.0.1',
	tokenLifetimeSeconds: 3600,
	keycloakTokenLifetimeSeconds: undefined,
	streamStyle: 'snapshot',
	chunkDelayMs: 0,
	pingIntervalMs: 0,
	quiet: true,
	maxBodyBytes: 1024 * 1024,
	oauthClients: Object.freeze({ [DEMO.clientId]: DEMO.clientSecret }),
	userOauthClients: Object.freeze({ [DEMO.userOauthClientId]: DEMO.userOauthClientSecret }),
	userOauthRedirectUris: undefined,
	userAccessTokenLifetimeSeconds: 3600, // Alation: 1 hour to 3 days
	userRefreshTokenLifetimeSeconds: 30 * 24 * 3600, // Alation: 3 to 180 days
	userCodeLifetimeSeconds: 60,
});

/**
 * Copies of the options' objects, so a test that edits `sim.options.userOauthClients` (say) changes
 * neither the defaults nor what `reset()` goes back to.
 *
 * @param {import('./types').SimulatorOptions} options
 */
function ownCopies(options) {
	return {
		oauthClients: { ...options.oauthClients },
		userOauthClients: { ...options.userOauthClients },
		userOauthRedirectUris: options.userOauthRedirectUris === undefined ? undefined : [...options.userOauthRedirectUris],
	};
}

/**
 * Reports which request a status belongs to the moment headers are written,
 * so `counters.unauthorized` and the request log are up to date before the
 * client can see the response (`finish` may come later).
 */
class TrackedResponse extends http.ServerResponse {
	/** @type {((status: number) => void) | null} */
	onStatus = null;

	/**
	 * @override
	 * @param {number} statusCode
	 * @param {...any} rest
	 * @returns {this}
	 */
	writeHead(statusCode, ...rest) {
		this.onStatus?.(statusCode);
		this.onStatus = null;
		return Reflect.apply(super.writeHead, this, [statusCode, ...rest]);
	}
}

/**
 * @param {Partial<import('./types').SimulatorOptions>} [overrides]
 * @returns {import('./types').SimulatorOptions}
 */
function resolveOptions(overrides = {}) {
	/** @type {Record<string, unknown>} */
	const defined = {};
	for (const [key, value] of Object.entries(overrides)) if (value !== undefined) defined[key] = value;
	const options = /** @type {import('./types').SimulatorOptions} */ ({ ...DEFAULTS, ...defined });
	Object.assign(options, ownCopies(options));
	if (options.streamStyle !== 'snapshot' && options.streamStyle !== 'delta') {
		throw new TypeError(`streamStyle must be 'snapshot' or 'delta', got ${String(options.streamStyle)}`);
	}
	return options;
}

/**
 * @param {Partial<import('./types').SimulatorOptions>} [overrides]
 * @returns {Promise<import('./types').Simulator>}
 */
async function startSimulator(overrides) {
	const options = resolveOptions(overrides);
	const started = Object.freeze({ ...options, ...ownCopies(options) });
	const tokens = new TokenStore();
	const now = Date.now();
	tokens.addRefreshToken(
		DEMO.refreshToken,
		{ userId: DEMO.userId, name: 'demo', createdAt: now, expiresAt: Number.POSITIVE_INFINITY },
		{ pinned: true },
	);
	const counters = createCounters();
	/** @type {import('./types').RequestLogEntry[]} */
	const requestLog = [];
	const intercepts = new InterceptRegistry();
	const faults = new FaultRegistry();
	let baseUrl = '';

	/** @type {import('./context').SimState} */
	const state = {
		options,
		counters,
		tokens,
		userOauth: new UserOAuthStore(),
		chats: new ChatStore(),
		assets: new AssetStore(),
		warehouse: { list: [], nextId: 0 },
		baseUrl: () => baseUrl,
	};

	/**
	 * @param {import('node:http').IncomingMessage} req
	 * @param {TrackedResponse} res
	 */
	async function handle(req, res) {
		const started = Date.now();
		const method = (req.method ?? 'GET').toUpperCase();
		let url;
		try {
			url = new URL(req.url ?? '/', 'http://simulator.invalid');
		} catch {
			url = new URL('http://simulator.invalid/');
		}
		const route = matchRoute(method, url.pathname);
		counters.requests[route.name] += 1;

		const entry = recordRequest(requestLog, req, url);
		res.onStatus = (status) => {
			entry.status = status;
			if (status === 401) counters.unauthorized += 1;
		};
		res.on('close', () => {
			if (!options.quiet) process.stdout.write(`${formatLine(entry, Date.now() - started)}\n`);
		});

		const { text, tooLarge } = await readBody(req, options.maxBodyBytes);
		entry.body = boundedBody(text);
		if (tooLarge) {
			// Closing the connection stops the client from sending the rest.
			sendJson(res, 413, { detail: 'Request body too large.' }, { connection: 'close' });
			return;
		}

		const intercepted = intercepts.take(method, url.pathname);
		if (intercepted) {
			await intercepted(req, res, text);
			return;
		}
		const ctx = { req, res, url, params: route.params, body: text, sim: state };
		const fault = faults.take(method, url.pathname, route.name);
		if (fault) {
			await runWithFault(fault, ctx, route.handler);
			return;
		}
		await route.handler(ctx);
	}

	const server = http.createServer({ ServerResponse: TrackedResponse }, (req, res) => {
		handle(req, /** @type {TrackedResponse} */ (res)).catch((error) => {
			// A bug or a throwing intercept must not take the test process down.
			if (!options.quiet) process.stderr.write(`simulator: ${error instanceof Error ? error.message : String(error)}\n`);
			if (!res.headersSent) sendJson(res, 500, { detail: 'Simulator error' });
			else res.destroy();
		});
	});

	/** Open sockets, so close() can end keep-alive connections and running streams at once. */
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	server.on('connection', (socket) => {
		counters.connections++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, () => {
			server.off('error', reject);
			resolve(undefined);
		});
	});
	const address = server.address();
	const port = typeof address === 'object' && address !== null ? address.port : options.port;
	const host = options.host.includes(':') ? `[${options.host}]` : options.host;
	baseUrl = `http://${host}:${port}`;

	/** @type {Promise<void> | null} */
	let closing = null;

	/** @type {import('./types').Simulator} */
	const simulator = {
		url: baseUrl,
		port,
		counters,
		resetCounters: () => resetCounters(counters),
		options,
		intercept: (method, path, handler, { times = 1 } = {}) => intercepts.add(method, path, handler, times),
		revokeAllTokens: () => tokens.revokeAllAccessTokens(),
		faults,
		requestLog,
		warehouseCredentials: state.warehouse.list,
		reset() {
			// The options it started with (a test may have changed them), nothing queued, nothing counted.
			Object.assign(options, started, ownCopies(started));
			faults.clear();
			intercepts.clear();
			resetCounters(counters);
			requestLog.length = 0;
			state.warehouse.list.length = 0;
		},
		close() {
			closing ??= new Promise((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			});
			return closing;
		},
	};
	return simulator;
}

module.exports = { startSimulator, DEMO, AGENTS, TOOLS, answerText };
