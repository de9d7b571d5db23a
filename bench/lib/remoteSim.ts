/** The main thread's handle on the simulator running in a worker (simWorker.ts). */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Counters, FaultSpec, SimulatorOptions } from '../../test/simulator';
import type { Command, ServeSpec } from './simWorker';

export class RemoteSimulator {
	private nextId = 0;
	private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	/** 'http://127.0.0.1:PORT' once started. */
	url = '';

	private constructor(private readonly worker: Worker) {
		worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
			const waiter = this.waiting.get(message.id);
			if (!waiter) return;
			this.waiting.delete(message.id);
			if (message.error !== undefined) waiter.reject(new Error(`simulator worker: ${message.error}`));
			else waiter.resolve(message.result);
		});
		worker.on('error', (error) => {
			for (const waiter of this.waiting.values()) waiter.reject(error);
			this.waiting.clear();
		});
	}

	static async start(options: Partial<SimulatorOptions> = {}): Promise<RemoteSimulator> {
		const sim = new RemoteSimulator(new Worker(join(__dirname, 'simWorker.js')));
		sim.url = ((await sim.call({ cmd: 'start', options: { quiet: true, ...options } })) as { url: string }).url;
		return sim;
	}

	private call(command: Command): Promise<unknown> {
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, { resolve, reject });
			this.worker.postMessage({ id, command });
		});
	}

	async counters(): Promise<Counters> {
		return (await this.call({ cmd: 'counters' })) as Counters;
	}

	async resetCounters(): Promise<void> {
		await this.call({ cmd: 'resetCounters' });
	}

	async setOptions(options: Partial<SimulatorOptions>): Promise<void> {
		await this.call({ cmd: 'setOptions', options });
	}

	async revokeAllTokens(): Promise<void> {
		await this.call({ cmd: 'revokeAllTokens' });
	}

	async fault(spec: FaultSpec): Promise<void> {
		await this.call({ cmd: 'fault', spec });
	}

	/** Answers every agent stream request with `spec` until `unserve()`. */
	async serve(spec: ServeSpec): Promise<Record<string, number>> {
		return (await this.call({ cmd: 'serve', spec })) as Record<string, number>;
	}

	async unserve(): Promise<void> {
		await this.call({ cmd: 'unserve' });
	}

	/** When the server wrote the first text of each `firstText` answer since the last call (nowMs). */
	async stamps(): Promise<number[]> {
		return (await this.call({ cmd: 'stamps' })) as number[];
	}

	async memory(): Promise<NodeJS.MemoryUsage> {
		return (await this.call({ cmd: 'memory' })) as NodeJS.MemoryUsage;
	}

	async close(): Promise<void> {
		try {
			await this.call({ cmd: 'close' });
		} finally {
			await this.worker.terminate();
		}
	}
}
