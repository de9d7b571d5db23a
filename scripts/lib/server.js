// @ts-check
'use strict';

/**
 * `n8n start` for `npm run dev` and the e2e suite: the editor and REST API on a loopback port, an
 * owner account provisioned without the sign-up form (n8n 2.x: from environment variables; n8n 1.x,
 * which has no such variables: through the sign-up form's own endpoint, POST /rest/owner/setup, once
 * n8n is ready), bounded waits for start-up, and a small REST client (login, node types, credential
 * test).
 */

const path = require('node:path');

const { startN8n } = require('./n8n');
const { stop } = require('./proc');

/** The local owner account of `npm run dev` and the e2e suite's n8n (a throw-away instance). */
const OWNER = Object.freeze({ email: 'owner@example.com', password: 'Alation-demo-1', firstName: 'Demo', lastName: 'Owner' });

const START_TIMEOUT_MS = 3 * 60 * 1000;

/**
 * Environment that makes n8n create (or reset) the owner account at start-up.
 *
 * @param {import('./install-n8n').N8nRuntime} runtime
 */
function ownerEnv(runtime) {
	// n8n wants a bcrypt hash; n8n ships bcryptjs, so hash with n8n's own copy.
	const bcrypt = require(path.join(runtime.dir, 'node_modules', 'bcryptjs'));
	return {
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: OWNER.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: OWNER.firstName,
		N8N_INSTANCE_OWNER_LAST_NAME: OWNER.lastName,
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(OWNER.password, 10),
	};
}

/**
 * @typedef {object} Server
 * @property {string} url            the editor's address, e.g. http://localhost:5678
 * @property {string} base           the loopback address the scripts talk to, e.g. http://127.0.0.1:5678
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => string} log      everything n8n printed so far
 * @property {() => Promise<void>} close
 */

/**
 * Starts n8n and resolves once /healthz/readiness answers 200.
 *
 * @param {import('./n8n').N8nContext} ctx
 * @param {{ port: number, listenAddress?: string, onLine?: (line: string) => void }} options
 * @returns {Promise<Server>}
 */
async function startServer(ctx, options) {
	const host = options.listenAddress && options.listenAddress !== '127.0.0.1' && options.listenAddress !== '::1' ? options.listenAddress : '127.0.0.1';
	// n8n 1.x has no N8N_INSTANCE_OWNER_* settings: the owner is set up over REST below.
	const ownerByEnv = (ctx.runtime.major ?? 2) >= 2;
	const env = {
		...ctx.env,
		...(ownerByEnv ? ownerEnv(ctx.runtime) : {}),
		N8N_PORT: String(options.port),
		N8N_LISTEN_ADDRESS: options.listenAddress ?? '127.0.0.1',
		N8N_HOST: 'localhost',
		N8N_PROTOCOL: 'http',
		// Plain http on localhost: a secure-only cookie would make the browser drop the session.
		N8N_SECURE_COOKIE: 'false',
		WEBHOOK_URL: `http://localhost:${options.port}/`,
	};
	const child = await startN8n({ ...ctx, env });
	let output = '';
	let pending = '';
	const onData = (/** @type {Buffer} */ chunk) => {
		const text = chunk.toString('utf8');
		output = (output + text).slice(-2_000_000);
		pending += text;
		const lines = pending.split('\n');
		pending = lines.pop() ?? '';
		for (const line of lines) options.onLine?.(line);
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);

	const base = `http://${host.includes(':') ? `[${host}]` : host}:${options.port}`;
	const started = Date.now();
	let exited = false;
	child.once('exit', () => {
		exited = true;
	});
	for (;;) {
		if (exited) throw new Error(`n8n start exited during start-up:\n${output.trim().split('\n').slice(-20).join('\n')}`);
		if (Date.now() - started > START_TIMEOUT_MS) {
			await stop(child, 5000);
			throw new Error(`n8n did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${output.trim().split('\n').slice(-20).join('\n')}`);
		}
		const ok = await fetch(`${base}/healthz/readiness`, { signal: AbortSignal.timeout(2000) })
			.then((r) => r.status === 200)
			.catch(() => false);
		if (ok) break;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	if (!ownerByEnv) {
		try {
			await setupOwner(base);
		} catch (error) {
			await stop(child, 5000);
			throw error;
		}
	}
	return {
		url: `http://localhost:${options.port}`,
		base,
		child,
		log: () => output,
		close: async () => {
			await stop(child, 15000);
		},
	};
}

/**
 * n8n 1.x: creates the owner account as the editor's sign-up form does (POST /rest/owner/setup).
 * A user folder whose owner is already set up (a second `npm run dev`) answers 400 "Instance owner
 * already setup", which is fine: the account exists. n8n 1.x answers /healthz/readiness before it
 * has mounted its REST routes, so a 404 means "not yet": retried for up to `timeoutMs`.
 *
 * @param {string} base
 * @param {number} [timeoutMs]
 */
async function setupOwner(base, timeoutMs = 60000) {
	const started = Date.now();
	for (;;) {
		const response = await fetch(`${base}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': `n8n-nodes-alation-${process.pid}` },
			body: JSON.stringify({ email: OWNER.email, password: OWNER.password, firstName: OWNER.firstName, lastName: OWNER.lastName }),
			signal: AbortSignal.timeout(15000),
		});
		if (response.status === 200) return;
		const text = await response.text();
		if (response.status === 400 && /already setup/i.test(text)) return;
		if (response.status !== 404 || Date.now() - started > timeoutMs) throw new Error(`owner set-up failed: HTTP ${response.status} ${text.slice(0, 300)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/**
 * A logged-in REST session against a started n8n, as the editor has one.
 *
 * @param {string} base  e.g. http://127.0.0.1:5678
 */
async function login(base) {
	const browserId = `n8n-nodes-alation-${process.pid}`;
	const response = await fetch(`${base}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': browserId },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		signal: AbortSignal.timeout(15000),
	});
	if (response.status !== 200) throw new Error(`login failed: HTTP ${response.status} ${await response.text()}`);
	const cookie = (response.headers.getSetCookie?.() ?? [])
		.map((c) => c.split(';')[0])
		.join('; ');
	/**
	 * @param {string} method
	 * @param {string} urlPath
	 * @param {unknown} [body]
	 */
	const request = async (method, urlPath, body) => {
		const r = await fetch(`${base}${urlPath}`, {
			method,
			headers: { cookie, 'browser-id': browserId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60000),
		});
		const text = await r.text();
		if (r.status >= 400) throw new Error(`${method} ${urlPath}: HTTP ${r.status} ${text.slice(0, 500)}`);
		const json = text ? JSON.parse(text) : null;
		// REST answers are wrapped in { data }; the static type files are not.
		return json && typeof json === 'object' && 'data' in json && !Array.isArray(json) ? json.data : json;
	};
	return { request, cookie, browserId };
}

module.exports = { OWNER, ownerEnv, setupOwner, startServer, login };
