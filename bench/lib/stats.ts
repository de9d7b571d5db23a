/** Median and spread of repeated measurements. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Summary {
	n: number;
	median: number;
	min: number;
	max: number;
	/** (max − min) / median: how much the repetitions disagree. */
	spread: number;
}

export function summarize(values: readonly number[]): Summary {
	if (values.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN, spread: NaN };
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	const min = sorted[0];
	const max = sorted[sorted.length - 1];
	return { n: sorted.length, median, min, max, spread: median === 0 ? 0 : (max - min) / Math.abs(median) };
}

/** The value at quantile q (0..1) of the values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** A number with `digits` decimals; `signed`: with its sign, "+1.5" / "−0.2" / "0.0". */
export function fmt(value: number, digits = 0, signed = false): string {
	if (!Number.isFinite(value)) return '–';
	const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: signed ? 'exceptZero' : 'auto' });
	return text.replace('-', '−');
}

/** "12.3 [11.9–13.0]": median and range. A constant shows as one number. */
export function medianRange(summary: Summary, digits = 0, unit = '', signed = false): string {
	if (summary.n === 0) return '–';
	const median = `${fmt(summary.median, digits, signed)}${unit}`;
	if (summary.min === summary.max) return median;
	return `${median} [${fmt(summary.min, digits, signed)} … ${fmt(summary.max, digits, signed)}]`;
}

export const MiB = 1024 * 1024;

/** Milliseconds since an arbitrary origin, shared by every thread of the process (monotonic). */
export function nowMs(): number {
	return Number(process.hrtime.bigint()) / 1e6;
}

/** CPU time of the calling thread in ms (Node ≥ 23.9), else of the whole process. */
export function threadCpuMs(): number {
	const usage = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : process.cpuUsage();
	return (usage.user + usage.system) / 1000;
}

export const hasThreadCpu = typeof process.threadCpuUsage === 'function';

/**
 * The step in which the CPU clock above advances on this machine, in ms (median of the steps seen
 * while spinning for `spinMs`). Where it advances in scheduler ticks (4 ms here), a CPU time of a
 * 40 ms job is only good to ±10 %: CPU figures are then read as sums over many runs.
 */
export function cpuClockStepMs(spinMs = 200): number {
	const steps: number[] = [];
	let previous = threadCpuMs();
	const end = nowMs() + spinMs;
	while (nowMs() < end) {
		const now = threadCpuMs();
		if (now !== previous) {
			steps.push(now - previous);
			previous = now;
		}
	}
	return summarize(steps).median;
}

/**
 * Runs `measure` again once if it failed on a reused keep-alive connection the server had just
 * closed (undici: UND_ERR_SOCKET "other side closed" / ECONNRESET) — the race every HTTP client meets
 * after an idle pause, which the package's nodes retry themselves; the reference clients here do
 * the same so that a benchmark does not die of it.
 */
export async function retryClosedSocket<T>(measure: () => Promise<T>): Promise<T> {
	try {
		return await measure();
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw error;
		return await measure();
	}
}

/** Memory after three full GCs 20 ms apart (run with --expose-gc): the baseline a measurement is taken against. */
export async function settle(): Promise<NodeJS.MemoryUsage> {
	for (let i = 0; i < 3; i++) {
		global.gc!();
		await sleep(20);
	}
	return process.memoryUsage();
}
