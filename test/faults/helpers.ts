/**
 * What every fault test checks, whatever the fault and the node: one output item per input item,
 * in order, with `pairedItem`; errors are plain sentences on their own item; nothing secret leaks.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { RunNodeResult } from '../helpers/n8n';
import { DEMO_SECRETS, expectNoSecrets, visibleRunData } from '../helpers/secrets';

/** The simulator's access tokens are JWT-shaped: `eyJ<header>.<claims>.<signature>`. */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
/** API access tokens of the refresh-token grant are 40+ hex characters. */
const LONG_HEX = /\b[0-9a-f]{40,}\b/;

export const items = (n: number, json: (i: number) => IDataObject = (i) => ({ i })): INodeExecutionData[] =>
	Array.from({ length: n }, (_, i) => ({ json: json(i) }));

export interface ContractOptions {
	/** More secrets that must not appear (passwords, keys of the items). */
	secrets?: readonly string[];
	/** JSON fields that may hold an access token (Create Access Token's output is one). */
	tokenFields?: readonly string[];
}

/**
 * Under "Continue On Fail": the run succeeds with exactly `count` items, item i paired with input i,
 * each either a result or `{ error, details? }` with a readable message; no secret or token anywhere.
 * Returns the indexes of the failed items.
 */
export function expectItemContract(result: RunNodeResult, count: number, options: ContractOptions = {}): number[] {
	expect(result.error).toBeUndefined();
	expect(result.items).toHaveLength(count);
	const failed: number[] = [];
	result.items.forEach((item, i) => {
		expect(item.pairedItem).toEqual({ item: i });
		const error = item.json.error;
		if (error === undefined) return;
		failed.push(i);
		expect(typeof error).toBe('string');
		expectReadable(error as string);
	});
	expectNoSecrets(visibleRunData(result), [...DEMO_SECRETS, ...(options.secrets ?? [])]);
	expectNoTokens(result, options.tokenFields ?? []);
	return failed;
}

/** A message a person can act on: a sentence, no stack, no `[object Object]`, no `undefined`. */
export function expectReadable(message: string): void {
	expect(message.length).toBeGreaterThan(10);
	expect(message.length).toBeLessThan(1000);
	expect(message).not.toMatch(/\[object Object\]|\bundefined\b|\bnull\b|\n\s+at /);
}

/** No access token in any output field except `allowed`, nor in the error n8n would store. */
export function expectNoTokens(result: RunNodeResult, allowed: readonly string[]): void {
	const visible = visibleRunData({
		items: result.items.map((item) => {
			const json = { ...item.json };
			for (const field of allowed) delete json[field];
			return { ...item, json };
		}),
		error: result.error,
	});
	const text = JSON.stringify(visible);
	expect(text).not.toMatch(JWT);
	expect(text).not.toMatch(LONG_HEX);
}

/** The error of item `i` and its details, for assertions. */
export function errorOf(result: RunNodeResult, i: number): { message: string; details: IDataObject } {
	const json = result.items[i].json;
	return { message: String(json.error), details: (json.details ?? {}) as IDataObject };
}
