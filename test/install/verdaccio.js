// @ts-check
'use strict';

/**
 * A private npm registry on 127.0.0.1 for test/install/env-install.js: verdaccio (from npm, installed
 * on first use into <runtime root>/verdaccio-<version>, next to the n8n runtimes, and reused after),
 * started with a config in a temporary folder: storage there, NO uplinks (it serves only what the test
 * publishes to it), anyone on loopback may read and publish. Packages are published with the request
 * `npm publish` sends (libnpmpublish's PUT /<name>): `npm publish` itself would obey a package's own
 * publishConfig.registry (@ioredis/commands names the public registry), and nothing here may publish
 * anywhere but to 127.0.0.1.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { formatDuration, info, step } = require('../../scripts/lib/log');
const { freePort } = require('../../scripts/lib/n8n');
const { npmArgs, npmEnv } = require('../../scripts/lib/npm');
const { RUNTIME_ROOT } = require('../../scripts/lib/paths');
const { run, startTracked, stop, tailLines } = require('../../scripts/lib/proc');

/** Runs on Node 20 and on Node 24 (6.10 wants Node 22+). */
const VERDACCIO_VERSION = '6.8.0';
const MARKER = '.installed.json';
const INSTALL_TIMEOUT_MS = 5 * 60 * 1000;
const START_TIMEOUT_MS = 60 * 1000;

/**
 * verdaccio's folder, installing it first when needed. Returns its CLI script and how long an
 * install took (0 when it was already there).
 */
async function ensureVerdaccio() {
	const dir = path.join(RUNTIME_ROOT, `verdaccio-${VERDACCIO_VERSION}`);
	const bin = path.join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
	if (fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(bin)) {
		const { seconds } = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
		return { dir, bin, installedNowMs: 0, firstInstallSeconds: /** @type {number} */ (seconds) };
	}
	const started = Date.now();
	step(`Installing verdaccio ${VERDACCIO_VERSION} into ${dir} (first use only)`);
	fs.mkdirSync(dir, { recursive: true });
	fs.rmSync(path.join(dir, MARKER), { force: true });
	fs.writeFileSync(
		path.join(dir, 'package.json'),
		`${JSON.stringify({ name: 'verdaccio-runtime', private: true, description: 'the private registry of test/install/env-install.js', dependencies: { verdaccio: VERDACCIO_VERSION } }, null, 2)}\n`,
	);
	// --ignore-scripts: nothing in verdaccio's tree needs an install script to run.
	const [cmd, args] = npmArgs(['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
	const result = await run(cmd, args, { cwd: dir, env: npmEnv(), timeoutMs: INSTALL_TIMEOUT_MS, label: `npm install verdaccio@${VERDACCIO_VERSION}` });
	if (result.code !== 0 || !fs.existsSync(bin)) throw new Error(`npm install verdaccio@${VERDACCIO_VERSION} failed (exit ${String(result.code)}):\n${tailLines(result.stderr || result.stdout)}`);
	const seconds = Math.round((Date.now() - started) / 1000);
	fs.writeFileSync(path.join(dir, MARKER), `${JSON.stringify({ version: VERDACCIO_VERSION, installedAt: new Date().toISOString(), seconds }, null, 2)}\n`);
	info(`  verdaccio installed (${formatDuration(Date.now() - started)})`);
	return { dir, bin, installedNowMs: Date.now() - started, firstInstallSeconds: seconds };
}

/**
 * @typedef {object} Registry
 * @property {string} url        e.g. http://127.0.0.1:4873 (no trailing slash)
 * @property {number} port
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => string} log  everything verdaccio printed so far
 * @property {(tarball: string) => Promise<{ name: string, version: string, integrity: string }>} publish
 * @property {(name: string, version: string) => Promise<any>} manifest  GET /<name>/<version>, as n8n asks
 * @property {() => Promise<void>} close
 */

/**
 * Starts verdaccio with a config of its own in `workDir` and waits until it answers /-/ping.
 *
 * @param {{ bin: string }} verdaccio
 * @param {string} workDir
 * @returns {Promise<Registry>}
 */
async function startRegistry(verdaccio, workDir) {
	fs.mkdirSync(workDir, { recursive: true });
	const port = await freePort();
	const storage = path.join(workDir, 'storage');
	const config = path.join(workDir, 'config.yaml');
	fs.writeFileSync(
		config,
		[
			`storage: ${JSON.stringify(storage)}`,
			`plugins: ${JSON.stringify(path.join(workDir, 'plugins'))}`,
			'web:',
			'  enable: false',
			'auth:',
			'  htpasswd:',
			`    file: ${JSON.stringify(path.join(workDir, 'htpasswd'))}`,
			'    max_users: -1',
			'# no uplinks: this registry serves only what the test published to it',
			'packages:',
			"  '@*/*':",
			'    access: $all',
			'    publish: $all',
			"  '**':",
			'    access: $all',
			'    publish: $all',
			'max_body_size: 50mb',
			'log: { type: stdout, format: pretty, level: http }',
			'',
		].join('\n'),
	);
	const child = startTracked(process.execPath, [verdaccio.bin, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: workDir, env: { ...process.env, NODE_ENV: 'production' } });
	let output = '';
	const onData = (/** @type {Buffer} */ chunk) => {
		output = (output + chunk.toString('utf8')).slice(-4_000_000);
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	const url = `http://127.0.0.1:${port}`;
	const started = Date.now();
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`verdaccio exited during start-up:\n${tailLines(output, 20)}`);
		if (Date.now() - started > START_TIMEOUT_MS) {
			await stop(child, 3000);
			throw new Error(`verdaccio did not answer /-/ping within ${START_TIMEOUT_MS / 1000} s:\n${tailLines(output, 20)}`);
		}
		const ok = await fetch(`${url}/-/ping`, { signal: AbortSignal.timeout(2000) })
			.then((r) => r.status === 200)
			.catch(() => false);
		if (ok) break;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}

	/** @param {string} name */
	const escaped = (name) => name.replace('/', '%2f');

	return {
		url,
		port,
		child,
		log: () => output,
		publish: async (tarball) => await publishTarball(url, tarball),
		manifest: async (name, version) => {
			const r = await fetch(`${url}/${escaped(name)}/${version}`, { signal: AbortSignal.timeout(10000) });
			if (r.status !== 200) throw new Error(`GET ${name}/${version}: HTTP ${r.status}`);
			return await r.json();
		},
		close: async () => await stop(child, 5000),
	};
}

/**
 * The package.json inside a tarball (its one top-level folder is usually "package", not always).
 *
 * @param {string} tarball
 */
async function manifestOf(tarball) {
	const list = await run('tar', ['-tzf', tarball], { timeoutMs: 30000, label: 'tar -tzf' });
	if (list.code !== 0) throw new Error(`tar -tzf ${tarball} failed: ${list.stderr}`);
	const entry = list.stdout.split('\n').find((line) => /^[^/]+\/package\.json$/.test(line.trim()));
	if (!entry) throw new Error(`${tarball} has no top-level package.json`);
	const read = await run('tar', ['-xzOf', tarball, entry.trim()], { timeoutMs: 30000, label: 'tar -xzOf' });
	if (read.code !== 0) throw new Error(`reading ${entry} from ${tarball} failed: ${read.stderr}`);
	return JSON.parse(read.stdout);
}

/** @param {Buffer} data */
function integrityOf(data) {
	return `sha512-${crypto.createHash('sha512').update(data).digest('base64')}`;
}

/**
 * Publishes a tarball the way libnpmpublish does (PUT /<name> with the version's manifest and the
 * tarball as a base64 attachment), to this registry only.
 *
 * @param {string} registry
 * @param {string} tarball
 */
async function publishTarball(registry, tarball) {
	const data = fs.readFileSync(tarball);
	const manifest = await manifestOf(tarball);
	const { name, version } = manifest;
	const integrity = integrityOf(data);
	const tarballName = `${name}-${version}.tgz`;
	const body = {
		_id: name,
		name,
		description: manifest.description ?? '',
		'dist-tags': { latest: version },
		versions: {
			[version]: {
				...manifest,
				_id: `${name}@${version}`,
				readme: '',
				dist: { integrity, shasum: crypto.createHash('sha1').update(data).digest('hex'), tarball: `${registry}/${name}/-/${tarballName}` },
			},
		},
		access: null,
		_attachments: { [tarballName]: { content_type: 'application/octet-stream', data: data.toString('base64'), length: data.length } },
	};
	const response = await fetch(`${registry}/${String(name).replace('/', '%2f')}`, {
		method: 'PUT',
		headers: { 'content-type': 'application/json', 'npm-command': 'publish' },
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(60000),
	});
	const text = await response.text();
	if (response.status !== 200 && response.status !== 201) throw new Error(`publishing ${name}@${version} to ${registry}: HTTP ${response.status} ${text.slice(0, 300)}`);
	return { name: String(name), version: String(version), integrity };
}

module.exports = { VERDACCIO_VERSION, ensureVerdaccio, startRegistry, integrityOf };
