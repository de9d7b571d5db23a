/** The main thread's handle on the simulator running in a worker (simWorker.ts). */
import { join } from 'node:path';

import type { Counters, FaultSpec, SimulatorOptions } from '../../test/simulator';
import type { Command, ServeSpec } from './simWorker';
import { WorkerClient } from './workerClient';

export class RemoteSimulator {
	/** 'http://127.0.0.1:PORT' once started. */
	url = '';

	private constructor(private readonly worker: WorkerClient<Command>) {}

	static async start(options: Partial<SimulatorOptions> = {}): Promise<RemoteSimulator> {
		const sim = new RemoteSimulator(new WorkerClient<Command>(join(__dirname, 'simWorker.js'), 'simulator worker'));
		sim.url = ((await sim.call({ cmd: 'start', options: { quiet: true, ...options } })) as { url: string }).url;
		return sim;
	}

	private call(command: Command): Promise<unknown> {
		return this.worker.call(command);
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
		await this.worker.close({ cmd: 'close' });
	}
}
