/**
 * Benchmark 5 — concurrency: 100 items through one Agent Chat execution, the simulator answering each
 * in 200 ms (its own agent: an echo, 4 answer events and [DONE], 40 ms apart), at Concurrency 1, 5,
 * 10 and 20. Wall time against the ideal: ⌈items / concurrency⌉ × latency.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { runAgentChat } from './lib/n8nRuns';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { fmt, medianRange, nowMs, quantile, summarize, threadCpuMs } from './lib/stats';

export async function concurrencyBench(
	sim: RemoteSimulator,
	options: { reps: number; items: number; latencyMs: number; levels: number[]; log: (line: string) => void },
): Promise<Row[]> {
	const { items, latencyMs, log } = options;
	// The agent pauses 5 times per answer (before each of 4 answer events and before [DONE]).
	await sim.setOptions({ chunkDelayMs: latencyMs / 5, pingIntervalMs: 0, streamStyle: 'snapshot' });
	const single: number[] = [];
	for (let i = 0; i < 5; i++) {
		const result = await runAgentChat(sim.url, { message: 'latency' });
		single.push(result.items[0].json.durationMs as number);
	}
	const measuredLatency = summarize(single).median;
	log(`  one item takes ${fmt(measuredLatency, 0)} ms (nominal ${latencyMs} ms)`);
	const rows: Row[] = [];
	for (const [index, concurrency] of options.levels.entries()) {
		const walls: number[] = [];
		const itemTimes: number[] = [];
		const loopDelays: number[] = [];
		const busy: number[] = [];
		for (let r = 0; r < options.reps; r++) {
			// The client's event-loop delay during the run: high means our side was busy.
			const loop = monitorEventLoopDelay({ resolution: 5 });
			loop.enable();
			const t0 = nowMs();
			const c0 = threadCpuMs();
			const result = await runAgentChat(sim.url, { items, nodeOptions: { concurrency } });
			walls.push(nowMs() - t0);
			busy.push((threadCpuMs() - c0) / (nowMs() - t0));
			loop.disable();
			loopDelays.push(loop.percentile(99) / 1e6);
			const failed = result.items.filter((item) => item.json.error !== undefined).length;
			if (result.items.length !== items || failed > 0) throw new Error(`concurrency ${concurrency}: ${failed} failed of ${result.items.length}`);
			for (const item of result.items) itemTimes.push(item.json.durationMs as number);
		}
		const ideal = Math.ceil(items / concurrency) * latencyMs;
		const idealMeasured = Math.ceil(items / concurrency) * measuredLatency;
		const wall = summarize(walls);
		const ratio = summarize(walls.map((w) => w / ideal));
		const itemLine = `items took ${fmt(quantile(itemTimes, 0.5), 0)} ms median, ${fmt(quantile(itemTimes, 0.99), 0)} ms p99; client thread busy ${fmt(summarize(busy).median * 100, 0)} %, event-loop delay p99 ${fmt(summarize(loopDelays).median, 1)} ms`;
		log(`  concurrency ${concurrency}: ${fmt(wall.median / 1000, 2)} s, ideal ${fmt(ideal / 1000, 2)} s → ${fmt(ratio.median, 3)}×; ${itemLine}`);
		rows.push({
			id: `5${String.fromCharCode(97 + index)}`,
			measure: `${items} items, answers take ${latencyMs} ms, Concurrency ${concurrency}: wall time / ideal (⌈${items}/${concurrency}⌉ × ${latencyMs} ms = ${fmt(ideal / 1000, 1)} s)`,
			ours: `${medianRange(ratio, 3)}× (${medianRange(summarize(walls.map((w) => w / 1000)), 2)} s); vs the measured one-item time (${fmt(measuredLatency, 0)} ms): ${fmt(wall.median / idealMeasured, 3)}×; ${itemLine}`,
			reference: `ideal ${fmt(ideal / 1000, 1)} s`,
			target: '≤ 1.15× ideal',
			verdict: verdict(ratio.median <= 1.15),
		});
	}
	await sim.setOptions({ chunkDelayMs: 0 });
	return rows;
}
