import { startSimulator } from '../simulator';
import type { Simulator, SimulatorOptions } from '../simulator';

import { tokenAuthority } from '../../nodes/shared/token/authority';

/**
 * One Alation simulator for a test file, as every file needs it: started before the file's tests,
 * closed after them, and before each test back to a clean state (`sim.reset()`: the options it was
 * started with, no fault or intercept, counters at zero) with the process-wide token cache emptied.
 * After each test, a fault queued but not used up fails that test: it would otherwise hit the next.
 *
 * Call at the top level of the file: `const sim = useSimulator();`. The value stands for the
 * simulator started in `beforeAll`, so use it inside tests and hooks, not at load time.
 */
export function useSimulator(options?: Partial<SimulatorOptions>): Simulator {
	let current: Simulator | undefined;
	beforeAll(async () => {
		current = await startSimulator(options);
	});
	afterAll(async () => {
		await current?.close();
	});
	beforeEach(() => {
		tokenAuthority.clear();
		current?.reset();
	});
	afterEach(() => {
		const pending = current?.faults.pending ?? 0;
		current?.faults.clear();
		expect(pending).toBe(0);
	});
	return new Proxy({} as Simulator, {
		get(_target, key) {
			if (current === undefined) throw new Error('The simulator starts in beforeAll: use it inside tests and hooks.');
			const value: unknown = Reflect.get(current, key, current);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
		},
	});
}
