/**
 * `npm run bench`: the package's benchmarks against the loopback simulator (in a worker thread),
 * side by side with their references in this one process. Prints one table and writes it, with the
 * machine and the date, to bench/results.md. Timings are figures, never test assertions.
 *
 * Benchmarks 6a and 6b run a real n8n (.n8n-runtime/, `npm run n8n:install`) with a private Postgres
 * and Redis (test/fleet/services.js); bench/lib/n8nInstance.ts makes it once for both.
 *
 *   npm run bench                       everything (about 8–10 minutes)
 *   npm run bench -- --quick            fewer repetitions, shorter runs (a smoke run)
 *   npm run bench -- --only=tokens,stream,first,memory,concurrency,peritem,queue,messages
 *   npm run bench -- --no-write         print only; keep bench/results.md as it is
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

import { agentHttpBench, agentHttpWorkflows } from './agentVsHttp';
import { concurrencyBench } from './concurrency';
import { firstChunkBench } from './firstChunk';
import { getMessagesBench } from './getMessages';
import { memoryBench } from './memory';
import { benchN8n, closeBenchN8n } from './lib/n8nInstance';
import { RemoteSimulator } from './lib/remoteSim';
import { markdownTable, textTable } from './lib/report';
import type { Row } from './lib/report';
import { cpuClockStepMs, fmt, hasThreadCpu } from './lib/stats';
import { streamBench } from './streaming';
import { tokenBench } from './tokens';
import { NOTES } from './notes';
import { queueModeBench, queueWorkflows } from './queueMode';

/** The repository: this file runs from node_modules/.cache/bench/bench/run.js (bench/tsconfig.json). */
const ROOT = [resolve(__dirname, '..', '..', '..', '..'), process.cwd()].find((dir) => existsSync(join(dir, 'bench', 'run.ts'))) ?? process.cwd();

const BENCHES = ['tokens', 'stream', 'first', 'memory', 'concurrency', 'peritem', 'queue', 'messages'] as const;
type Bench = (typeof BENCHES)[number];

function parseArgs(argv: string[]): { quick: boolean; only: Set<Bench>; write: boolean } {
	const quick = argv.includes('--quick');
	const write = !argv.includes('--no-write');
	const onlyArg = argv.find((a) => a.startsWith('--only='));
	const only = new Set<Bench>(onlyArg ? (onlyArg.slice(7).split(',').filter((b) => (BENCHES as readonly string[]).includes(b)) as Bench[]) : BENCHES);
	return { quick, only, write };
}

function machine(): string[] {
	const cpu = cpus();
	const [one, five] = loadavg();
	return [
		`- date: ${new Date().toISOString()}`,
		`- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 1024 ** 3, 0)} GiB RAM, ${process.platform} ${process.arch}`,
		`- load average when the run started: ${fmt(one, 2)} (1 min), ${fmt(five, 2)} (5 min) — other work shares this machine`,
		`- Node ${process.version} (npm scripts run on the node@24 devDependency), undici ${require('undici/package.json').version as string}, eventsource-parser ${require('eventsource-parser/package.json').version as string}; per-thread CPU time: ${hasThreadCpu ? 'yes' : 'no (process CPU time)'}, advancing in steps of ${fmt(cpuClockStepMs(), 3)} ms on this machine`,
	];
}

async function main(): Promise<void> {
	const { quick, only, write } = parseArgs(process.argv.slice(2));
	if (typeof global.gc !== 'function') {
		console.error('Run with --expose-gc (npm run bench does).');
		process.exit(2);
	}
	const header = machine();
	const started = Date.now();
	const log = (line: string) => console.log(`[${fmt((Date.now() - started) / 1000, 0).padStart(3)} s] ${line}`);
	console.log(header.join('\n'));
	const sim = await RemoteSimulator.start();
	log(`simulator (worker thread) on ${sim.url}${quick ? '; quick run' : ''}`);
	const rows: Row[] = [];
	/** The real n8n of 6a and 6b (Postgres, the package installed, their workflows imported), made on first use. */
	const n8n = () => benchN8n(sim.url, () => [...agentHttpWorkflows(sim.url), ...queueWorkflows()], log);
	/** A benchmark that throws is reported as a row, and the others still run. */
	const section = async (bench: Bench, title: string, run: () => Promise<Row[]>) => {
		if (!only.has(bench)) return;
		log(title);
		try {
			rows.push(...(await run()));
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			log(`  FAILED: ${message}`);
			rows.push({ id: title.split('.')[0], measure: title, ours: `the benchmark failed: ${message}`, reference: '—', target: '—', verdict: 'missed' });
			await sim.unserve().catch(() => undefined);
		}
	};
	try {
		await section('tokens', '1. token mints', () =>
			tokenBench(sim, { reps: quick ? 2 : 5, boundaryReps: quick ? 1 : 3, lifetimeSeconds: 12, boundaryMs: quick ? 8_000 : 22_000, log }),
		);
		await section('stream', '2. streaming overhead', () => streamBench(sim, { reps: quick ? 3 : 11, log }));
		await section('first', '3. time to first chunk', () => firstChunkBench(sim, { reps: quick ? 10 : 40, log }));
		await section('memory', '4. memory', () =>
			memoryBench(sim, { reps: quick ? 1 : 3, sequentialRuns: quick ? 200 : 1000, streamBytes: quick ? 20 * 1024 * 1024 : 100 * 1024 * 1024, log }),
		);
		await section('concurrency', '5. concurrency', () => concurrencyBench(sim, { reps: quick ? 1 : 3, items: 100, latencyMs: 200, levels: [1, 5, 10, 20], log }));
		await section('peritem', '6a. per item in n8n: Agent Chat against the HTTP Request node', () => agentHttpBench(sim, { reps: quick ? 2 : 4, n8n, log }));
		await section('queue', '6b. queue mode against regular mode', () => queueModeBench(sim, { reps: quick ? 3 : 8, n8n, log }));
		await section('messages', '6c. Get Messages over 10,000 messages', () => getMessagesBench({ reps: quick ? 1 : 3, log }));
	} finally {
		await closeBenchN8n();
		await sim.close();
	}

	const seconds = (Date.now() - started) / 1000;
	console.log(`\n${textTable(rows)}\n`);
	const notes = rows.filter((row) => row.note || NOTES[row.id]).map((row) => `- **${row.id}** ${row.note ?? NOTES[row.id]}`);
	const missed = rows.filter((row) => row.verdict === 'missed').map((row) => row.id);
	console.log(missed.length === 0 ? 'Every target met.' : `Missed: ${missed.join(', ')} (why: bench/results.md).`);
	log(`done in ${fmt(seconds, 0)} s`);

	if (write && only.size === BENCHES.length) {
		const markdown = [
			'# Benchmark results',
			'',
			'Written by `npm run bench` (bench/run.ts). Figures are the median of the repetitions with the range [min … max] in',
			'brackets; the machine is shared with other work, so the spread matters as much as the median.',
			'',
			...header,
			`- run time: ${fmt(seconds, 0)} s${quick ? ' (quick run: fewer repetitions)' : ''}`,
			'',
			markdownTable(rows),
			'',
			'## Notes',
			'',
			...notes,
			'',
		].join('\n');
		writeFileSync(join(ROOT, 'bench', 'results.md'), markdown);
		console.log('Written to bench/results.md');
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
