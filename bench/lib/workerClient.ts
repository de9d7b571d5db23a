/**
 * Commands to a worker thread and their answers, matched by id: each `call` posts `{ id, command }`
 * and resolves with the worker's `{ id, result }` (or rejects with its `{ id, error }`). A worker that
 * fails rejects every call still waiting. Used for the servers the benchmarks keep off the measured
 * thread (the simulator, simWorker.ts; the messages server, messagesWorker.ts).
 */
import { Worker } from 'node:worker_threads';

export class WorkerClient<Command> {
	private nextId = 0;
	private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	private readonly worker: Worker;

	/** @param label names the worker in its errors, e.g. 'simulator worker' */
	constructor(file: string, label: string) {
		this.worker = new Worker(file);
		this.worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
			const waiter = this.waiting.get(message.id);
			if (!waiter) return;
			this.waiting.delete(message.id);
			if (message.error !== undefined) waiter.reject(new Error(`${label}: ${message.error}`));
			else waiter.resolve(message.result);
		});
		this.worker.on('error', (error) => {
			for (const waiter of this.waiting.values()) waiter.reject(error);
			this.waiting.clear();
		});
	}

	call(command: Command): Promise<unknown> {
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, { resolve, reject });
			this.worker.postMessage({ id, command });
		});
	}

	/** Sends `command` (the worker's own close), then ends the thread whatever it answered. */
	async close(command: Command): Promise<void> {
		try {
			await this.call(command);
		} finally {
			await this.worker.terminate();
		}
	}
}
