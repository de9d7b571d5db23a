/**
 * Benchmark 6a — per-item cost in a real n8n: Agent Chat against n8n's own HTTP Request node, both
 * POSTing `{ "message": … }` with the Alation API credential to the simulator's agent endpoint, which
 * answers every request with the same prepared ~2 KB event stream in one write (a non-streaming
 * answer). Each repetition is one `n8n execute` (a fresh n8n process) of
 *
 *   Manual Trigger → 100 items → X warm-up → Y warm-up → 1 item → X ×1 → Y ×1 → 100 items → X ×100 → Y ×100
 *
 * with (X, Y) = (Agent Chat, HTTP Request) and the other way round in alternate repetitions. Per item
 * = (executionTime ×100 − executionTime ×1) / 99, each node's own executionTime from the run data.
 */
import type { BenchN8n } from './lib/n8nInstance';
import { nodeRun } from './lib/n8nInstance';
import { agentChat, httpRequestPost, items, manualTrigger, workflow } from './lib/n8nWorkflows';
import type { RemoteSimulator } from './lib/remoteSim';
import type { Row } from './lib/report';
import { verdict } from './lib/report';
import { fmt, medianRange, summarize } from './lib/stats';

/** The agent endpoint (bench/lib/simWorker.ts serves it). */
const STREAM_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';
const ITEMS = 100;
/** Agent Chat's highest Concurrency: the HTTP Request node sends all of an execution's items at once. */
const CONCURRENCY = 20;
const VARIANTS = [
	{ id: 'benchPerItemAH', first: 'agent' },
	{ id: 'benchPerItemHA', first: 'http' },
] as const;
const STAGES = ['warm-up', '×1', `×${ITEMS}`] as const;

export function agentHttpWorkflows(simUrl: string): object[] {
	return VARIANTS.map(({ id, first }) => {
		const chain = [manualTrigger()];
		for (const stage of STAGES) {
			chain.push(...items(`items (${stage})`, stage === '×1' ? 1 : ITEMS));
			const agent = agentChat(`Agent Chat ${stage}`, { concurrency: CONCURRENCY });
			const http = httpRequestPost(`HTTP Request ${stage}`, `${simUrl}${STREAM_PATH}`);
			chain.push(...(first === 'agent' ? [agent, http] : [http, agent]));
		}
		return workflow(id, `bench: per item, ${first} first`, chain);
	});
}

export async function agentHttpBench(sim: RemoteSimulator, options: { reps: number; n8n: () => Promise<BenchN8n>; log: (line: string) => void }): Promise<Row[]> {
	const { log } = options;
	await sim.setOptions({ chunkDelayMs: 0, pingIntervalMs: 0 });
	const served = await sim.serve({ kind: 'bytes', style: 'snapshot', totalBytes: 2048, events: 4, writeSize: 1024 * 1024 });
	try {
		const n8n = await options.n8n();
		const agent: number[] = [];
		const http: number[] = [];
		const ratios: number[] = [];
		const processMs: number[] = [];
		for (let r = 0; r < options.reps; r++) {
			const variant = VARIANTS[r % VARIANTS.length];
			const { run, durationMs } = await n8n.execute(variant.id);
			processMs.push(durationMs);
			const perItem = (prefix: string, ok: (json: Record<string, unknown>) => boolean) => {
				const one = nodeRun(run, `${prefix} ×1`);
				const many = nodeRun(run, `${prefix} ×${ITEMS}`);
				const bad = many.items.filter((item) => !ok(item.json)).length;
				if (many.items.length !== ITEMS || bad > 0) throw new Error(`${prefix}: ${bad} of ${many.items.length} items without an answer`);
				return { perItem: (many.ms - one.ms) / (ITEMS - 1), one: one.ms, many: many.ms };
			};
			const a = perItem('Agent Chat', (json) => typeof json.answer === 'string' && json.answer.length > 0 && json.error === undefined);
			const h = perItem('HTTP Request', (json) => typeof json.data === 'string' && json.data.includes('[DONE]'));
			agent.push(a.perItem);
			http.push(h.perItem);
			ratios.push(a.perItem / h.perItem);
			log(
				`  ${variant.first} first: Agent Chat ${a.one} ms ×1, ${a.many} ms ×${ITEMS} → ${fmt(a.perItem, 2)} ms/item; HTTP Request ${h.one} / ${h.many} ms → ${fmt(h.perItem, 2)} ms/item; ${fmt(a.perItem / h.perItem, 3)}× (n8n execute ${fmt(durationMs / 1000, 1)} s)`,
			);
		}
		const ratio = summarize(ratios);
		return [
			{
				id: '6a',
				measure: `per item in a real n8n (n8n execute), ${ITEMS} items: Agent Chat (Concurrency ${CONCURRENCY}) against n8n's HTTP Request node, the same POST and the same ${served.bytes}-byte answer in one write; (executionTime ×${ITEMS} − ×1) / ${ITEMS - 1}`,
				ours: `${medianRange(summarize(agent), 2)} ms/item; ${medianRange(ratio, 3)}× the HTTP Request node (ratio within each run, ${ratios.length} runs alternating which node goes first; ${fmt(summarize(processMs).median / 1000, 1)} s per n8n execute)`,
				reference: `HTTP Request node ${medianRange(summarize(http), 2)} ms/item`,
				target: '≤ 1.05× HTTP Request',
				verdict: verdict(ratio.median <= 1.05),
			},
		];
	} finally {
		await sim.unserve();
	}
}
