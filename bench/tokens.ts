/**
 * Benchmark 1 — token mints per token lifetime.
 *
 * Burst: in one process, at once, 100 Agent Chat executions (one item each), 20 Create Access Token
 * executions, 20 executions of n8n's own credential path (a stand-in HTTP Request node: n8n-core
 * calls the credential's preAuthentication, then authenticate) and one direct preAuthentication
 * call, all on one credential → count the tokens the simulator minted. Then the same load in waves
 * across several token lifetimes → mints per token period and 401s. Then the naive clients on the
 * same 100 agent questions → their requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { preAuthenticationThis } from '../test/helpers/n8nHttp';
import type { RunNodeResult } from '../test/helpers/n8n';

import { AlationApi } from '../credentials/AlationApi.credentials';
import { skewMs } from '../nodes/shared/auth/tokenCache';
import { tokenAuthority } from '../nodes/shared/token/authority';
import type { RemoteSimulator } from './lib/remoteSim';
import { alationCredential, credentialStore, failedItems, runAgentChat, runCreateAccessToken, runHttpRequestLike } from './lib/n8nRuns';
import { recipeItem, runItems, SdkClient } from './lib/naive';
import type { NaiveResult } from './lib/naive';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { fmt, medianRange, nowMs, summarize } from './lib/stats';

export interface TokenBenchOptions {
	reps: number;
	boundaryReps: number;
	/** Token lifetime for the expiry runs, seconds. */
	lifetimeSeconds: number;
	/** How long the waves run, ms. */
	boundaryMs: number;
	log: (line: string) => void;
}

interface Count {
	mints: number;
	tokenRequests: number;
	unauthorized: number;
	failed: number;
	httpRequests: number;
}

async function countOf(sim: RemoteSimulator, failed: number): Promise<Count> {
	const c = await sim.counters();
	const httpRequests = Object.values(c.requests).reduce((a, b) => a + b, 0);
	return { mints: c.oauthMints, tokenRequests: c.requests.oauthToken, unauthorized: c.unauthorized, failed, httpRequests };
}

async function reset(sim: RemoteSimulator, lifetimeSeconds: number): Promise<void> {
	tokenAuthority.clear();
	await sim.resetCounters();
	await sim.setOptions({ tokenLifetimeSeconds: lifetimeSeconds, chunkDelayMs: 0, pingIntervalMs: 0, streamStyle: 'snapshot' });
}

async function burst(sim: RemoteSimulator): Promise<Count> {
	await reset(sim, 3600);
	const store = credentialStore(sim.url);
	const runs: Array<Promise<RunNodeResult>> = [];
	for (let i = 0; i < 100; i++) runs.push(runAgentChat(sim.url, { message: `Question ${i}`, helper: store }));
	for (let i = 0; i < 20; i++) runs.push(runCreateAccessToken(sim.url, store));
	for (let i = 0; i < 20; i++) runs.push(runHttpRequestLike(sim.url, store));
	const direct = new AlationApi().preAuthentication.call(preAuthenticationThis, { ...alationCredential(sim.url).data, accessToken: '', expiresAt: 0 });
	const [results] = await Promise.all([Promise.all(runs), direct]);
	return await countOf(sim, results.reduce((sum, r) => sum + failedItems(r), 0));
}

interface BoundaryCount extends Count {
	/** Token periods the load spanned: 1 + refresh points crossed. */
	periods: number;
	waves: number;
	periodMs: number;
}

/** Waves every 250 ms for `durationMs`: 5 Agent Chat items, 1 Create Access Token, 1 n8n-path request. */
async function boundary(sim: RemoteSimulator, lifetimeSeconds: number, durationMs: number): Promise<BoundaryCount> {
	await reset(sim, lifetimeSeconds);
	const store = credentialStore(sim.url);
	const started = nowMs();
	const runs: Array<Promise<RunNodeResult>> = [];
	let waves = 0;
	let lastWaveAt = 0;
	while (nowMs() - started < durationMs) {
		lastWaveAt = nowMs() - started;
		waves++;
		runs.push(runAgentChat(sim.url, { items: 5, nodeOptions: { concurrency: 5 }, helper: store }));
		runs.push(runCreateAccessToken(sim.url, store));
		runs.push(runHttpRequestLike(sim.url, store));
		await sleep(250);
	}
	const results = await Promise.all(runs);
	const lifetimeMs = lifetimeSeconds * 1000;
	const periodMs = lifetimeMs - skewMs({ mintedAt: 0, expiresAt: lifetimeMs });
	const periods = 1 + Math.floor(lastWaveAt / periodMs);
	const count = await countOf(sim, results.reduce((sum, r) => sum + failedItems(r), 0));
	return { ...count, periods, waves, periodMs };
}

interface NaiveCount extends Count {
	introspections: number;
	streams: number;
}

async function naive(sim: RemoteSimulator, kind: 'recipe' | 'sdk', concurrent: boolean): Promise<NaiveCount> {
	await reset(sim, 3600);
	let results: NaiveResult[];
	if (kind === 'recipe') {
		results = await runItems(100, concurrent, (i) => recipeItem(sim.url, `Question ${i}`));
	} else {
		const client = new SdkClient(sim.url);
		results = await runItems(100, concurrent, (i) => client.chat(`Question ${i}`));
	}
	const c = await sim.counters();
	const base = await countOf(sim, results.filter((r) => !r.ok).length);
	return { ...base, introspections: c.requests.introspect, streams: c.requests.agentStream };
}

async function oursForHundred(sim: RemoteSimulator): Promise<NaiveCount> {
	await reset(sim, 3600);
	const results = await Promise.all(Array.from({ length: 100 }, (_, i) => runAgentChat(sim.url, { message: `Question ${i}` })));
	const c = await sim.counters();
	const base = await countOf(sim, results.reduce((sum, r) => sum + failedItems(r), 0));
	return { ...base, introspections: c.requests.introspect, streams: c.requests.agentStream };
}

export async function tokenBench(sim: RemoteSimulator, options: TokenBenchOptions): Promise<Row[]> {
	const { log } = options;
	const bursts: Count[] = [];
	for (let r = 0; r < options.reps; r++) {
		bursts.push(await burst(sim));
		log(`  burst ${r + 1}/${options.reps}: ${bursts.at(-1)!.mints} mint(s), ${bursts.at(-1)!.unauthorized} × 401, ${bursts.at(-1)!.failed} failed item(s)`);
	}
	const boundaries: BoundaryCount[] = [];
	for (let r = 0; r < options.boundaryReps; r++) {
		const b = await boundary(sim, options.lifetimeSeconds, options.boundaryMs);
		boundaries.push(b);
		log(`  expiry run ${r + 1}/${options.boundaryReps}: ${b.waves} waves over ${b.periods} token periods → ${b.mints} mint(s), ${b.unauthorized} × 401, ${b.failed} failed item(s)`);
	}
	const ours: NaiveCount[] = [];
	const recipe: { concurrent: NaiveCount[]; sequential: NaiveCount[] } = { concurrent: [], sequential: [] };
	const sdk: { concurrent: NaiveCount[]; sequential: NaiveCount[] } = { concurrent: [], sequential: [] };
	for (let r = 0; r < options.reps; r++) {
		ours.push(await oursForHundred(sim));
		recipe.concurrent.push(await naive(sim, 'recipe', true));
		recipe.sequential.push(await naive(sim, 'recipe', false));
		sdk.concurrent.push(await naive(sim, 'sdk', true));
		sdk.sequential.push(await naive(sim, 'sdk', false));
	}
	log(`  naive clients: recipe ${recipe.concurrent[0].tokenRequests} token requests (${recipe.concurrent[0].unauthorized} × 401), SDK ${sdk.sequential[0].introspections} introspections`);

	const m = (values: number[], digits = 0) => medianRange(summarize(values), digits);
	const burstMints = bursts.map((b) => b.mints);
	const perPeriod = boundaries.map((b) => b.mints / b.periods);
	const boundary401 = boundaries.map((b) => b.unauthorized);
	const b0 = boundaries[0];
	const describeNaive = (c: NaiveCount[]) => {
		const others = c.map((x) => x.httpRequests - x.tokenRequests - x.introspections - x.streams);
		const other = others.some((x) => x !== 0) ? `, ${m(others)} other` : '';
		return `${m(c.map((x) => x.httpRequests))} requests: ${m(c.map((x) => x.tokenRequests))} token, ${m(c.map((x) => x.introspections))} introspect, ${m(c.map((x) => x.streams))} agent${other}; ${m(c.map((x) => x.unauthorized))} × 401; ${m(c.map((x) => x.failed))} items failed`;
	};

	const rows: Row[] = [
		{
			id: '1a',
			measure: 'Token mints: 100 Agent Chat + 20 Create Access Token + 20 HTTP-Request-node (n8n preAuthentication) + 1 direct preAuthentication, all at once',
			ours: `${m(burstMints)} mint; ${m(bursts.map((b) => b.unauthorized))} × 401; ${m(bursts.map((b) => b.failed))} failed`,
			reference: '—',
			target: '1 mint',
			verdict: verdict(burstMints.every((x) => x === 1)),
		},
		{
			id: '1b',
			measure: `Across expiry: waves every 250 ms (5 Agent Chat items + 1 Create Access Token + 1 HTTP-Request-node) for ${fmt(options.boundaryMs / 1000)} s, token lifetime ${options.lifetimeSeconds} s (renewed ${fmt(b0.periodMs / 1000)} s after minting: skew ${fmt((options.lifetimeSeconds * 1000 - b0.periodMs) / 1000)} s) → mints per token period`,
			ours: `${m(perPeriod, 2)} mint/period (${m(boundaries.map((b) => b.mints))} mints over ${m(boundaries.map((b) => b.periods))} periods, ${m(boundaries.map((b) => b.waves))} waves)`,
			reference: '—',
			target: '1 per period',
			verdict: verdict(perPeriod.every((x) => x === 1)),
		},
		{
			id: '1c',
			measure: 'Across expiry: requests refused with 401 (all paths), failed items',
			ours: `${m(boundary401)} × 401; ${m(boundaries.map((b) => b.failed))} failed`,
			reference: '—',
			target: '0 × 401',
			verdict: verdict(boundary401.every((x) => x === 0)),
		},
		{
			id: '1d',
			measure: '100 agent questions at once: HTTP requests (ours: Agent Chat, 100 executions) vs Alation’s n8n recipe (token per item)',
			ours: describeNaive(ours),
			reference: describeNaive(recipe.concurrent),
			target: 'fewer',
			verdict: verdict(summarize(ours.map((x) => x.httpRequests)).median < summarize(recipe.concurrent.map((x) => x.httpRequests)).median),
		},
		{
			id: '1e',
			measure: 'The same 100 questions one after another: recipe',
			ours: '(as 1d)',
			reference: describeNaive(recipe.sequential),
			target: '—',
			verdict: '—',
		},
		{
			id: '1f',
			measure: '100 questions, Alation SDK pattern (introspect before every call): one after another / all at once',
			ours: '(as 1d)',
			reference: `one after another: ${describeNaive(sdk.sequential)} · at once: ${describeNaive(sdk.concurrent)}`,
			target: 'fewer',
			verdict: verdict(summarize(ours.map((x) => x.httpRequests)).median < summarize(sdk.sequential.map((x) => x.httpRequests)).median),
		},
	];
	return rows;
}
