import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private Redis (Debian's redis-server) on a free loopback port, for the fleet tests: the real
 * server n8n's queue mode uses, not a stand-in. Installed with apt-get when missing and running as
 * root (CI); otherwise the error says what to install.
 */

const BINARY = '/usr/bin/redis-server';

export function ensureRedisServer(): string {
	if (existsSync(BINARY)) return BINARY;
	if (process.getuid?.() !== 0) {
		throw new Error(`The fleet tests need Redis: install Debian's redis-server (sudo apt-get install -y redis-server); ${BINARY} is missing.`);
	}
	const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'ignore', timeout: 180_000 });
	try {
		install();
	} catch {
		// A fresh machine may have no package lists yet.
		execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 180_000 });
		install();
	}
	return BINARY;
}

async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

export interface RedisServer {
	port: number;
	stop(): Promise<void>;
}

export async function startRedisServer(port?: number, extraArgs: string[] = []): Promise<RedisServer> {
	const binary = ensureRedisServer();
	const listenOn = port ?? (await freePort());
	const child: ChildProcess = spawn(binary, ['--port', String(listenOn), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000);
		child.stdout?.on('data', (chunk: Buffer) => {
			if (chunk.toString().includes('Ready to accept connections')) {
				clearTimeout(timer);
				resolve();
			}
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`redis-server exited (${String(code)})`));
		});
	});
	return {
		port: listenOn,
		stop: async () => {
			if (child.exitCode !== null) return;
			await new Promise<void>((resolve) => {
				child.once('exit', () => resolve());
				child.kill('SIGKILL');
			});
		},
	};
}

export interface RedisCluster {
	/** `host:port,host:port,…`, as n8n's QUEUE_BULL_REDIS_CLUSTER_NODES takes it. */
	nodes: string;
	stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` masters (no replicas) on free loopback ports: Debian's redis-server in
 * cluster mode, the slots assigned with redis-cli (Debian's redis-tools, which redis-server brings).
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
	const folder = mkdtempSync(join(tmpdir(), 'alation-redis-cluster-'));
	const servers: RedisServer[] = [];
	try {
		for (let i = 0; i < masters; i++) {
			servers.push(await startRedisServer(undefined, ['--cluster-enabled', 'yes', '--cluster-config-file', join(folder, `nodes-${i}.conf`), '--dir', folder]));
		}
		const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
		execFileSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
		// The slots are assigned; the cluster is usable once every node says so.
		for (const server of servers) {
			for (let tries = 0; ; tries++) {
				const info = execFileSync('redis-cli', ['-p', String(server.port), 'cluster', 'info'], { encoding: 'utf8', timeout: 5_000 });
				if (info.includes('cluster_state:ok')) break;
				if (tries >= 100) throw new Error('the Redis cluster did not become ready within 10 s');
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		}
		return {
			nodes: addresses.join(','),
			stop: async () => {
				await Promise.all(servers.map(async (server) => await server.stop()));
				rmSync(folder, { recursive: true, force: true });
			},
		};
	} catch (error) {
		await Promise.all(servers.map(async (server) => await server.stop()));
		rmSync(folder, { recursive: true, force: true });
		throw error;
	}
}
