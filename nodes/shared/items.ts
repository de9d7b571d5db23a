import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * Runs a handler once per input item and returns exactly one output item per input item, in input
 * order, each with `pairedItem`. With "Continue On Fail" a failed item becomes an error item
 * (`{ error, ... }`) and the others go on; without it the first failure (by item order) fails the node.
 */

export interface ItemFailure {
	/** Extra JSON kept on the error item (e.g. a partial answer). Must hold no secret. */
	json?: IDataObject;
}

export type ItemHandler = (itemIndex: number) => Promise<IDataObject>;

/** Attach to an error to have extra, secret-free JSON kept on the error item under "Continue On Fail". */
export function withItemData<E extends Error>(error: E, json: IDataObject): E {
	(error as E & { itemData?: IDataObject }).itemData = json;
	return error;
}

export function errorItemJson(error: unknown): IDataObject {
	const e = error as Error & { description?: unknown; httpCode?: unknown; itemData?: IDataObject };
	const json: IDataObject = { ...(e.itemData ?? {}), error: e instanceof Error ? e.message : String(error) };
	if (typeof e.description === 'string' && e.description !== '') json.errorDescription = e.description;
	if (typeof e.httpCode === 'string' && e.httpCode !== '') json.httpCode = e.httpCode;
	return json;
}

export async function runPerItem(
	ctx: IExecuteFunctions,
	handler: ItemHandler,
	toError: (error: unknown, itemIndex: number) => NodeApiError | NodeOperationError,
	{ concurrency = 1 }: { concurrency?: number } = {},
): Promise<INodeExecutionData[]> {
	const count = ctx.getInputData().length;
	const results: INodeExecutionData[] = new Array(count);
	const failures: Array<{ index: number; error: NodeApiError | NodeOperationError }> = [];
	const continueOnFail = ctx.continueOnFail();
	let next = 0;

	const worker = async () => {
		while (next < count && (continueOnFail || failures.length === 0)) {
			const itemIndex = next++;
			try {
				const json = await handler(itemIndex);
				results[itemIndex] = { json, pairedItem: { item: itemIndex } };
			} catch (raw) {
				const error = toError(raw, itemIndex);
				const itemData = (raw as { itemData?: IDataObject })?.itemData;
				if (itemData) withItemData(error, itemData);
				if (continueOnFail) {
					results[itemIndex] = { json: errorItemJson(error), error, pairedItem: { item: itemIndex } };
				} else {
					failures.push({ index: itemIndex, error });
				}
			}
		}
	};

	const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, count));
	await Promise.all(Array.from({ length: workers }, worker));
	if (failures.length > 0) {
		failures.sort((a, b) => a.index - b.index);
		throw failures[0].error;
	}
	return results;
}
