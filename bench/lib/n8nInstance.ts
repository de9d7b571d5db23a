/**
 * A real n8n (the runtime in .n8n-runtime/, as the e2e and fleet suites use it) for the benchmarks
 * that need one: a private Postgres (test/fleet/services.js), one n8n user folder with this package
 * installed the way Settings → Community Nodes installs it, and the benchmarks' credential and
 * workflows imported once. Made on first use and shared by the benchmarks of one `npm run bench`
 * (closeBenchN8n() in run.ts stops everything and removes the folder).
 *
 * The package installed is built from the sources into the bench's own folder (tsc with the package's
 * build settings, --noCheck: `npm run bench` has just type-checked them), not taken from dist/: other
 * work may be rebuilding dist/ at the same moment. The scripts of the e2e and fleet suites (plain JS, which compute their paths from
 * their own location) are loaded from the repository by absolute path.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';

import { DEMO } from '../../test/simulator';

/** The repository (this file runs from node_modules/.cache/bench/bench/lib/). */
export const REPO = [resolve(__dirname, '..', '..', '..', '..', '..'), process.cwd()].find((dir) => existsSync(join(dir, 'bench', 'run.ts'))) ?? process.cwd();

/** A script of the repository, by absolute path (see the header). */
export const repoRequire = <T>(relative: string): T => require(join(REPO, relative)) as T;

export interface N8nRuntime {
	version: string;
	dir: string;
	bin: string;
	major: number;
	node: string;
	env: Record<string, string>;
}
export interface N8nContext {
	runtime: N8nRuntime;
	userFolder: string;
	env?: NodeJS.ProcessEnv;
}
export interface RunData {
	status?: string;
	data: { resultData: { runData: Record<string, Array<{ executionTime?: number; startTime?: number; error?: { message?: string }; data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>>; error?: { message?: string } } };
}
interface CommandResult {
	code: number | null;
	stdout: string;
	stderr: string;
	durationMs: number;
}
interface PostgresService {
	port: number;
	version: string;
	sql(query: string): Promise<string[][]>;
	close(): Promise<void>;
}
export interface RedisService {
	port: number;
	child: ChildProcess;
	close(): Promise<void>;
}
interface Recorder {
	attach(label: string, child: ChildProcess): { text(): string };
	record(label: string, text: string): void;
	addFile(label: string, file: string): void;
}

const installN8n = () => repoRequire<{ ensureN8n(): Promise<N8nRuntime> }>('scripts/lib/install-n8n.js');
const instanceLib = () => repoRequire<{ freshFolder(root: string, prefix: string): string; prepareInstance(options: object): Promise<N8nContext> }>('scripts/lib/instance.js');
export const n8nLib = () =>
	repoRequire<{
		n8nCommand(ctx: N8nContext, args: string[], timeoutMs: number): Promise<CommandResult>;
		importCredentials(ctx: N8nContext, credentials: object[]): Promise<CommandResult>;
		importWorkflows(ctx: N8nContext, workflows: object[]): Promise<CommandResult>;
		n8nEnv(userFolder: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
		nodeOf(runtime: N8nRuntime): string;
		freePort(): Promise<number>;
	}>('scripts/lib/n8n.js');
export const procLib = () =>
	repoRequire<{
		startTracked(command: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess;
		stop(child: ChildProcess, graceMs?: number): Promise<void>;
		tailLines(text: string, n?: number): string;
	}>('scripts/lib/proc.js');
const servicesLib = () =>
	repoRequire<{ startPostgres(workDir: string, recorder: Recorder): Promise<PostgresService>; startRedis(workDir: string, recorder: Recorder): Promise<RedisService> }>('test/fleet/services.js');
const pathsLib = () => repoRequire<{ WORK_ROOT: string }>('scripts/lib/paths.js');

/** What the services print, kept (the tail) for an error message, never written anywhere. */
export class TailRecorder implements Recorder {
	private readonly texts = new Map<string, string>();

	attach(label: string, child: ChildProcess): { text(): string } {
		const add = (chunk: Buffer) => this.record(label, (this.texts.get(label) ?? '') + chunk.toString('utf8'));
		child.stdout?.on('data', add);
		child.stderr?.on('data', add);
		return { text: () => this.texts.get(label) ?? '' };
	}

	record(label: string, text: string): void {
		this.texts.set(label, text.slice(-20_000));
	}

	addFile(): void {
		// Postgres writes its own log in the work folder.
	}
}

export const CREDENTIAL = { id: 'benchAlation', name: 'Alation API (bench simulator)' };

export interface BenchN8n {
	runtime: N8nRuntime;
	/** The user folder's context: Postgres, regular mode. */
	ctx: N8nContext;
	workDir: string;
	/** The credential imported (plain data), for a second database of the same instance. */
	credentials: object[];
	pg: PostgresService;
	recorder: TailRecorder;
	/** `n8n execute --id=…` in a fresh n8n process (regular mode); throws unless the run succeeded. */
	execute(workflowId: string): Promise<{ run: RunData; durationMs: number }>;
	/** Things to stop before Postgres and the folder go (n8n processes, Redis), run in reverse order. */
	onClose(fn: () => Promise<void>): void;
}

/** The package as `npm run build` and `npm pack` would make it from the sources: a tarball in `dir`. */
async function stagePackage(dir: string): Promise<string> {
	const pkg = repoRequire<{ n8n: { nodes: string[]; credentials: string[] } }>('package.json');
	const { run } = repoRequire<{ run(cmd: string, args: string[], options: { cwd?: string; timeoutMs: number; label: string }): Promise<CommandResult> }>('scripts/lib/proc.js');
	const root = join(dir, 'package');
	mkdirSync(join(root, 'dist'), { recursive: true });
	cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
	const tsc = [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(root, 'dist'), '--declaration', 'false', '--sourceMap', 'false', '--noCheck'];
	const built = await run(process.execPath, tsc, { cwd: REPO, timeoutMs: 3 * 60_000, label: 'tsc (bench build)' });
	if (built.code !== 0) throw new Error(`building the package failed:\n${built.stdout}\n${built.stderr}`);
	for (const folder of ['nodes', 'credentials']) {
		// What gulp build copies: icons and codex files.
		const copyAssets = (from: string, to: string) => {
			for (const entry of readdirSync(from, { withFileTypes: true })) {
				if (entry.isDirectory()) copyAssets(join(from, entry.name), join(to, entry.name));
				else if (/\.(svg|png)$|\.node\.json$/.test(entry.name)) {
					mkdirSync(to, { recursive: true });
					cpSync(join(from, entry.name), join(to, entry.name));
				}
			}
		};
		copyAssets(join(REPO, folder), join(root, 'dist', folder));
	}
	const missing = [...pkg.n8n.nodes, ...pkg.n8n.credentials].filter((file) => !existsSync(join(root, file)));
	if (missing.length > 0) throw new Error(`the bench build lacks ${missing.join(', ')}`);
	const tarball = join(dir, 'n8n-nodes-alation-bench.tgz');
	const result = await run('tar', ['-czf', tarball, '-C', dir, 'package'], { timeoutMs: 60_000, label: 'tar' });
	if (result.code !== 0) throw new Error(`tar failed: ${result.stderr}`);
	return tarball;
}

/** Environment of every n8n process of the instance: its Postgres. */
export function databaseEnv(pgPort: number): Record<string, string> {
	return {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(pgPort),
		DB_POSTGRESDB_DATABASE: 'n8n',
		DB_POSTGRESDB_USER: 'n8n',
		DB_POSTGRESDB_PASSWORD: '',
	};
}

/** One `n8n execute` of a benchmark's workflow takes seconds; this bounds a stuck one. */
const EXECUTE_TIMEOUT_MS = 90_000;

let instance: Promise<BenchN8n> | undefined;
const closers: Array<() => Promise<void>> = [];

/**
 * The shared instance, made on first call with every workflow of `workflows()` (the benchmarks'
 * workflows are all imported at once: each import is an n8n start-up).
 */
export function benchN8n(simUrl: string, workflows: () => object[], log: (line: string) => void): Promise<BenchN8n> {
	instance ??= makeInstance(simUrl, workflows(), log);
	return instance;
}

async function makeInstance(simUrl: string, workflows: object[], log: (line: string) => void): Promise<BenchN8n> {
	const started = Date.now();
	const marker = join(REPO, '.n8n-runtime', `n8n-${process.env.N8N_VERSION || '2.41.1'}`, 'n8n-runtime.json');
	if (!process.env.N8N_RUNTIME_DIR && !existsSync(marker)) throw new Error('n8n is not installed: run `npm run n8n:install` first (the bench does not install it)');
	const runtime = await installN8n().ensureN8n();
	const workDir = instanceLib().freshFolder(pathsLib().WORK_ROOT, 'bench');
	// mkdtemp makes it 0700; as root the Postgres cluster inside belongs to the postgres user.
	chmodSync(workDir, 0o755);
	const removeFolder = async () => rmSync(workDir, { recursive: true, force: true });
	closers.push(removeFolder);
	// On Ctrl-C the scripts' own handler stops every child, Postgres, and then this.
	repoRequire<{ onCleanup(fn: () => Promise<void>): void }>('scripts/lib/proc.js').onCleanup(removeFolder);
	const recorder = new TailRecorder();
	const [pg, tarball] = await Promise.all([servicesLib().startPostgres(workDir, recorder), stagePackage(join(workDir, 'build'))]);
	closers.push(() => pg.close());
	const env = databaseEnv(pg.port);
	const userFolder = join(workDir, 'n8n');
	const credentials = [{ ...CREDENTIAL, type: 'alationApi', data: { baseUrl: simUrl, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret } }];
	// The package's dependencies come from the npm cache only: the benchmarks use no network but loopback.
	const offline = process.env.npm_config_offline;
	process.env.npm_config_offline = 'true';
	const ctx = await instanceLib()
		.prepareInstance({ runtime, userFolder, credentials, workflows, env, tarball })
		.catch((error: Error) => {
			throw new Error(`${error.message}\n(the bench installs the package's dependencies from the npm cache only: if they are missing there, run \`npm run test:e2e\` once)`);
		})
		.finally(() => {
			if (offline === undefined) delete process.env.npm_config_offline;
			else process.env.npm_config_offline = offline;
		});
	const execEnv = ctx.env ?? env;
	log(`  n8n ${runtime.version} with Postgres ${pg.version}, the package installed from this run's build, ${workflows.length} workflows imported (${Math.round((Date.now() - started) / 1000)} s)`);
	return {
		runtime,
		ctx: { runtime, userFolder, env: execEnv },
		workDir,
		credentials,
		pg,
		recorder,
		async execute(workflowId: string) {
			const result = await n8nLib()
				.n8nCommand({ runtime, userFolder, env: execEnv }, ['execute', `--id=${workflowId}`, '--rawOutput'], EXECUTE_TIMEOUT_MS)
				.catch((error: Error & { stdout?: string; stderr?: string }) => {
					throw new Error(`${error.message}: ${procLib().tailLines(`${error.stdout ?? ''}\n${error.stderr ?? ''}`, 12)}`);
				});
			const { parseRunData } = repoRequire<{ parseRunData(text: string): RunData | null }>('scripts/lib/run-data.js');
			const execution = { ...result, run: parseRunData(result.stdout) ?? parseRunData(result.stderr) };
			const error = execution.run?.data.resultData.error?.message;
			if (execution.code !== 0 || !execution.run || error) {
				throw new Error(`n8n execute --id=${workflowId} failed (exit ${String(execution.code)}): ${error ?? procLib().tailLines(`${execution.stdout}\n${execution.stderr}`, 12)}`);
			}
			return { run: execution.run, durationMs: execution.durationMs };
		},
		onClose(fn) {
			closers.push(fn);
		},
	};
}

/** Stops whatever the instance started (n8n processes, Redis, Postgres) and removes its folder. */
export async function closeBenchN8n(): Promise<void> {
	const pending = instance;
	instance = undefined;
	if (pending) await pending.catch(() => undefined);
	while (closers.length > 0) await closers.pop()?.().catch(() => undefined);
}

/** A node's task data in a run: its executionTime (ms) and output items. */
export function nodeRun(run: RunData, name: string): { ms: number; items: Array<{ json: Record<string, unknown> }> } {
	const task = run.data.resultData.runData[name]?.[0];
	if (!task) throw new Error(`node "${name}" did not run`);
	if (task.error) throw new Error(`node "${name}" failed: ${String(task.error.message)}`);
	return { ms: task.executionTime ?? NaN, items: task.data?.main?.[0] ?? [] };
}

