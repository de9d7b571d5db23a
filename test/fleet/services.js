// @ts-check
'use strict';

/**
 * The services an n8n fleet in queue mode needs, private to one run of the fleet suite: a Redis
 * (n8n's Bull queue, and the package's shared token store) and a Postgres cluster (the database every
 * n8n process of the fleet shares), each on a free loopback port with its files under the run's work
 * folder. Debian's `redis-server` and `postgresql` packages are installed on demand when this is root
 * (CI); the system services of those packages are never used.
 */

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { freePort } = require('../../scripts/lib/n8n');
const { onCleanup, run, startTracked, stop, tailLines } = require('../../scripts/lib/proc');

const APT_TIMEOUT_MS = 10 * 60 * 1000;
const COMMAND_TIMEOUT_MS = 2 * 60 * 1000;
const READY_TIMEOUT_MS = 60 * 1000;

/**
 * Where the fleet suite keeps what every process printed: one file per process or command, and the
 * tail in memory for the report on failure.
 *
 * @typedef {object} Recorder
 * @property {(label: string, child: import('node:child_process').ChildProcess) => { text: () => string }} attach
 *   streams a child's stdout and stderr into `<label>.log`
 * @property {(label: string, text: string) => void} record  a finished command's output
 * @property {(label: string, file: string) => void} addFile  a log file a process writes itself (Postgres)
 */

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The first executable called `name` on PATH (or in the sbin folders, which root's PATH may lack).
 *
 * @param {string} name
 */
function which(name) {
	const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
	for (const dir of dirs) {
		if (!dir) continue;
		const candidate = path.join(dir, name);
		try {
			fs.accessSync(candidate, fs.constants.X_OK);
			if (fs.statSync(candidate).isFile()) return candidate;
		} catch {
			// not here
		}
	}
	return null;
}

/**
 * `apt-get install -y <pkg>` (with `apt-get update` first if the package lists are stale).
 *
 * @param {string} pkg
 * @param {Recorder} recorder
 */
async function aptInstall(pkg, recorder) {
	if (!isRoot()) {
		throw new Error(`Debian's ${pkg} package is not installed and this is not root: install it (sudo apt-get install -y ${pkg}), then run the fleet suite again.`);
	}
	if (!which('apt-get')) throw new Error(`${pkg} is not installed and apt-get is not available: install ${pkg} (Redis 7 / Postgres 15) by hand.`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () => run('apt-get', ['install', '-y', pkg], { env, timeoutMs: APT_TIMEOUT_MS, label: `apt-get install -y ${pkg}` });
	let result = await install();
	recorder.record(`apt-get-install-${pkg}`, `${result.stdout}\n${result.stderr}`);
	if (result.code !== 0) {
		const update = await run('apt-get', ['update'], { env, timeoutMs: APT_TIMEOUT_MS, label: 'apt-get update' });
		recorder.record('apt-get-update', `${update.stdout}\n${update.stderr}`);
		result = await install();
		recorder.record(`apt-get-install-${pkg}-retry`, `${result.stdout}\n${result.stderr}`);
	}
	if (result.code !== 0) throw new Error(`apt-get install -y ${pkg} failed (exit ${String(result.code)}):\n${tailLines(`${result.stdout}\n${result.stderr}`)}`);
}

/**
 * Polls `probe` until it returns true; fails after `timeoutMs`, or at once when `gone()` says the
 * process being waited for has exited.
 *
 * @param {string} what
 * @param {() => Promise<boolean>} probe
 * @param {{ timeoutMs: number, everyMs?: number, gone?: () => string | null }} options
 */
async function waitUntil(what, probe, options) {
	const started = Date.now();
	for (;;) {
		const gone = options.gone?.();
		if (gone) throw new Error(`${what}: ${gone}`);
		if (await probe().catch(() => false)) return Date.now() - started;
		if (Date.now() - started > options.timeoutMs) throw new Error(`${what}: not ready within ${Math.round(options.timeoutMs / 1000)} s`);
		await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 250));
	}
}

/**
 * Sends Redis a PING over plain TCP (no client library needed) and resolves true on +PONG.
 *
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function redisPing(port) {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		let answer = '';
		const done = (/** @type {boolean} */ ok) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(2000, () => done(false));
		socket.once('error', () => done(false));
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => {
			answer += String(chunk);
			if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
		});
	});
}

/**
 * @typedef {object} RedisService
 * @property {number} port
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => Promise<void>} close
 */

/**
 * A Redis of our own: `redis-server <config>` in the foreground, a tracked child (stopped on exit,
 * failure and Ctrl-C like every n8n process), no persistence.
 *
 * @param {string} workDir
 * @param {Recorder} recorder
 * @returns {Promise<RedisService>}
 */
async function startRedis(workDir, recorder) {
	let server = which('redis-server');
	if (!server) {
		await aptInstall('redis-server', recorder);
		server = which('redis-server');
		if (!server) throw new Error('apt-get installed redis-server, but it is not on PATH');
	}
	const dir = path.join(workDir, 'redis');
	fs.mkdirSync(dir, { recursive: true });
	const port = await freePort();
	const config = path.join(dir, 'redis.conf');
	fs.writeFileSync(
		config,
		[
			'bind 127.0.0.1',
			`port ${port}`,
			'protected-mode yes',
			'save ""',
			'appendonly no',
			'daemonize no',
			`dir ${dir}`,
			`pidfile ${path.join(dir, 'redis.pid')}`,
			'logfile ""',
			'loglevel notice',
			'',
		].join('\n'),
	);
	const child = startTracked(server, [config], { cwd: dir });
	const out = recorder.attach('redis', child);
	await waitUntil(`redis-server on port ${port}`, () => redisPing(port), {
		timeoutMs: READY_TIMEOUT_MS,
		gone: () => (child.exitCode !== null || child.signalCode !== null ? `exited during start-up:\n${tailLines(out.text(), 15)}` : null),
	});
	return { port, child, close: () => stop(child, 5000) };
}

/** The newest Postgres whose binaries Debian's packages installed: /usr/lib/postgresql/<n>/bin. */
function findPostgresBin() {
	const root = '/usr/lib/postgresql';
	let versions = [];
	try {
		versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')));
	} catch {
		return null;
	}
	versions.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : null;
}

/**
 * The uid and gid of an OS user, from /etc/passwd.
 *
 * @param {string} name
 */
function osUser(name) {
	const line = fs
		.readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find((l) => l.startsWith(`${name}:`));
	if (!line) return null;
	const [, , uid, gid] = line.split(':');
	return { uid: Number(uid), gid: Number(gid) };
}

/**
 * @typedef {object} PostgresService
 * @property {number} port
 * @property {string} version       e.g. "15"
 * @property {(query: string) => Promise<string[][]>} sql   rows of tab-separated columns, as the superuser
 * @property {() => Promise<void>} close
 */

/**
 * A Postgres cluster of our own: initdb (trust authentication, superuser `postgres`), `pg_ctl start`
 * on a free loopback port with its socket in its own folder, a user and database `n8n`. initdb and
 * pg_ctl refuse to run as root, so as root the cluster belongs to the `postgres` OS user (Debian's
 * package creates it) and those commands run through runuser. Stopped with `pg_ctl stop -m fast` on
 * exit, failure and Ctrl-C (and its postmaster killed by PID if that does not work).
 *
 * @param {string} workDir
 * @param {Recorder} recorder
 * @returns {Promise<PostgresService>}
 */
async function startPostgres(workDir, recorder) {
	let bin = findPostgresBin();
	if (!bin) {
		await aptInstall('postgresql', recorder);
		bin = findPostgresBin();
		if (!bin) throw new Error('apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb exists');
	}
	const version = path.basename(path.dirname(bin));
	const root = isRoot();
	const owner = root ? osUser('postgres') : null;
	if (root && !owner) throw new Error('running as root, but there is no "postgres" OS user to own the cluster (Debian\'s postgresql package creates it)');

	/**
	 * As root, a command of the cluster runs as the postgres user.
	 *
	 * @param {string} command
	 * @param {string[]} args
	 * @returns {[string, string[]]}
	 */
	const asOwner = (command, args) => (root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);

	// The cluster's folder: under the work folder when the postgres user can reach it (the work
	// folder is made traversable for it), else a temporary folder of its own.
	let base = path.join(workDir, 'postgres');
	fs.mkdirSync(base, { recursive: true });
	if (owner) {
		fs.chownSync(base, owner.uid, owner.gid);
		const [cmd, args] = asOwner('test', ['-w', base]);
		const reachable = await run(cmd, args, { timeoutMs: 30000, label: 'test -w (as postgres)' });
		if (reachable.code !== 0) {
			base = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-fleet-postgres-'));
			fs.chownSync(base, owner.uid, owner.gid);
			const temporary = base;
			onCleanup(() => fs.rmSync(temporary, { recursive: true, force: true }));
		}
	}
	const data = path.join(base, 'data');
	const sockets = path.join(base, 'sockets');
	const logFile = path.join(base, 'postgres.log');
	fs.mkdirSync(sockets, { recursive: true });
	if (owner) fs.chownSync(sockets, owner.uid, owner.gid);

	/**
	 * @param {string} label
	 * @param {string} command
	 * @param {string[]} args
	 */
	const mustRun = async (label, command, args) => {
		const [cmd, argv] = asOwner(command, args);
		const result = await run(cmd, argv, { cwd: base, timeoutMs: COMMAND_TIMEOUT_MS, label });
		recorder.record(label, `${result.stdout}\n${result.stderr}`);
		if (result.code !== 0) throw new Error(`${label} failed (exit ${String(result.code)}):\n${tailLines(`${result.stdout}\n${result.stderr}`)}`);
		return result;
	};

	await mustRun('initdb', path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
	const port = await freePort();
	// A throw-away cluster: no fsync, so n8n's many small writes do not wait for the disk.
	const serverOptions = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
	const pgCtl = path.join(bin, 'pg_ctl');
	let started = false;
	let stopped = false;
	const stopCluster = async () => {
		if (!started || stopped) return;
		stopped = true;
		const [cmd, argv] = asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
		const result = await run(cmd, argv, { cwd: base, timeoutMs: 45000, label: 'pg_ctl stop' }).catch(() => null);
		if (result) recorder.record('pg_ctl-stop', `${result.stdout}\n${result.stderr}`);
		if (result && result.code === 0) return;
		// pg_ctl could not stop it: kill the postmaster by the PID it wrote.
		try {
			const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
			if (pid > 0) process.kill(pid, 'SIGKILL');
		} catch {
			// already gone
		}
	};
	onCleanup(stopCluster);
	started = true;
	await mustRun('pg_ctl-start', pgCtl, ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
	recorder.addFile('postgres', logFile);

	const psql = path.join(bin, 'psql');
	/** @param {string} query */
	const sql = async (query) => {
		const result = await run(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'n8n', '-X', '-q', '-t', '-A', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', query], {
			timeoutMs: 30000,
			label: 'psql',
		});
		if (result.code !== 0) throw new Error(`psql failed: ${tailLines(result.stderr, 5)}`);
		return result.stdout
			.split('\n')
			.filter((l) => l.length > 0)
			.map((l) => l.split('\t'));
	};
	const create = await run(
		psql,
		['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-X', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE ROLE n8n LOGIN', '-c', 'CREATE DATABASE n8n OWNER n8n'],
		{ timeoutMs: 30000, label: 'psql (create user and database)' },
	);
	recorder.record('psql-create', `${create.stdout}\n${create.stderr}`);
	if (create.code !== 0) throw new Error(`creating the n8n user and database failed:\n${tailLines(create.stderr)}`);
	return { port, version, sql, close: stopCluster };
}

/**
 * A command from a Debian package, installed with apt-get when missing (as root, e.g. CI): its path.
 *
 * @param {string} command
 * @param {string} pkg
 * @param {Recorder} recorder
 */
async function ensureTool(command, pkg, recorder) {
	let found = which(command);
	if (!found) {
		await aptInstall(pkg, recorder);
		found = which(command);
		if (!found) throw new Error(`apt-get installed ${pkg}, but ${command} is not on PATH`);
	}
	return found;
}

/**
 * Sends one command over plain TCP and resolves with the first reply (a bulk string's body, a status
 * line), or null when there was none within 2 s.
 *
 * @param {number} port
 * @param {string[]} command
 * @returns {Promise<string | null>}
 */
function redisCommand(port, command) {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		let answer = '';
		const done = (/** @type {string | null} */ reply) => {
			socket.destroy();
			resolve(reply);
		};
		socket.setTimeout(2000, () => done(null));
		socket.once('error', () => done(null));
		socket.once('connect', () => socket.write(`*${command.length}\r\n${command.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`));
		socket.on('data', (chunk) => {
			answer += String(chunk);
			const bulk = /^\$(\d+)\r\n/.exec(answer);
			if (bulk) {
				const body = answer.slice(bulk[0].length);
				if (Buffer.byteLength(body) >= Number(bulk[1])) done(body.slice(0, Number(bulk[1])));
			} else if (answer.includes('\r\n')) {
				done(answer.split('\r\n')[0]);
			}
		});
	});
}

/**
 * A Redis of our own that can be stopped and started again on the same port (empty: no persistence),
 * for an outage in the middle of a run. `startRedis` with a fixed port and label.
 *
 * @param {string} workDir
 * @param {Recorder} recorder
 * @param {{ port: number, label: string }} options
 * @returns {Promise<RedisService>}
 */
async function startRedisOnPort(workDir, recorder, options) {
	const server = await ensureTool('redis-server', 'redis-server', recorder);
	const dir = path.join(workDir, options.label);
	fs.mkdirSync(dir, { recursive: true });
	const child = startTracked(server, ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--dir', dir], { cwd: dir });
	const out = recorder.attach(options.label, child);
	await waitUntil(`redis-server on port ${options.port}`, () => redisPing(options.port), {
		timeoutMs: READY_TIMEOUT_MS,
		gone: () => (child.exitCode !== null || child.signalCode !== null ? `exited during start-up:\n${tailLines(out.text(), 15)}` : null),
	});
	return { port: options.port, child, close: () => stop(child, 5000) };
}

/**
 * @typedef {object} RedisClusterService
 * @property {string} nodes     `127.0.0.1:<port>,…`, as n8n's QUEUE_BULL_REDIS_CLUSTER_NODES takes it
 * @property {number[]} ports
 * @property {() => Promise<void>} close
 */

/**
 * A Redis Cluster of `masters` masters and no replicas on free loopback ports (Debian's redis-server in
 * cluster mode; the slots assigned with `redis-cli --cluster create`, from Debian's redis-tools, which
 * redis-server brings), ready once every node reports cluster_state:ok.
 *
 * @param {string} workDir
 * @param {Recorder} recorder
 * @param {number} [masters]
 * @returns {Promise<RedisClusterService>}
 */
async function startRedisCluster(workDir, recorder, masters = 3) {
	const server = await ensureTool('redis-server', 'redis-server', recorder);
	const cli = await ensureTool('redis-cli', 'redis-tools', recorder);
	const dir = path.join(workDir, 'redis-cluster');
	fs.mkdirSync(dir, { recursive: true });
	/** @type {Array<{ port: number, child: import('node:child_process').ChildProcess }>} */
	const nodes = [];
	const close = async () => {
		await Promise.all(nodes.map((node) => stop(node.child, 5000)));
	};
	onCleanup(close);
	for (let i = 0; i < masters; i++) {
		const port = await freePort();
		const child = startTracked(
			server,
			[
				'--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes',
				'--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000', '--dir', dir,
			],
			{ cwd: dir },
		);
		const out = recorder.attach(`redis-cluster-${i + 1}`, child);
		nodes.push({ port, child });
		await waitUntil(`redis-server (cluster node) on port ${port}`, () => redisPing(port), {
			timeoutMs: READY_TIMEOUT_MS,
			gone: () => (child.exitCode !== null || child.signalCode !== null ? `exited during start-up:\n${tailLines(out.text(), 15)}` : null),
		});
	}
	const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
	const create = await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeoutMs: 60000, label: 'redis-cli --cluster create' });
	recorder.record('redis-cli-cluster-create', `${create.stdout}\n${create.stderr}`);
	if (create.code !== 0) throw new Error(`redis-cli --cluster create failed (exit ${String(create.code)}):\n${tailLines(`${create.stdout}\n${create.stderr}`)}`);
	for (const node of nodes) {
		await waitUntil(`Redis Cluster node ${node.port}: cluster_state:ok`, async () => /cluster_state:ok/.test((await redisCommand(node.port, ['CLUSTER', 'INFO'])) ?? ''), { timeoutMs: 30000, everyMs: 200 });
	}
	return { nodes: addresses.join(','), ports: nodes.map((node) => node.port), close };
}

module.exports = { startRedis, startRedisOnPort, startRedisCluster, startPostgres, waitUntil, which, isRoot, ensureTool, redisCommand };
