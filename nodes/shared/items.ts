import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * What a handler produces for its item: one output item, or several (Get Messages: one per message).
 * Their `pairedItem` is always set to the item by `runPerItem`, whatever the handler put there.
 */
export type ItemHandler = (itemIndex: number) => Promise<INodeExecutionData | INodeExecutionData[]>;

/** Attach to an error to have extra, secret-free JSON kept on the error item under "Continue On Fail". */
export function withItemData<E extends Error>(error: E, json: IDataObject): E {
	(error as E & { itemData?: IDataObject }).itemData = json;
	return error;
}

/** Keeps the item data of an error on the error it was mapped to. */
export function carryItemData<E extends Error>(from: unknown, to: E): E {
	const itemData = (from as { itemData?: IDataObject } | undefined)?.itemData;
	if (itemData && !(to as E & { itemData?: IDataObject }).itemData) withItemData(to, itemData);
	return to;
}

/**
 * The JSON of an error item: `{ error: <message>, details: { description, httpCode, ... } }`.
 *
 * Why this shape (measured in n8n-core 2.41, WorkflowExecute): an output item that carries an
 * `error` property has its JSON replaced by `{ error: message }` (normalizeNodeErrors), which would
 * drop the description and any partial result. And "Continue (using error output)" routes an item
 * to the error output when its JSON has `error` and no keys other than `error`, `message`, `details`.
 * So the item gets no `error` property, and everything else goes under `details`.
 */
export function errorItemJson(error: unknown, shape: ErrorItemShape = 'withDetails'): IDataObject {
	const e = error as Error & { description?: unknown; httpCode?: unknown; itemData?: IDataObject };
	const message = e instanceof Error ? e.message : String(error);
	const description = typeof e.description === 'string' && e.description !== '' ? e.description : undefined;
	if (shape === 'errorAndMessage') return description ? { error: message, message: description } : { error: message };
	const details: IDataObject = {};
	if (description) details.description = description;
	if (typeof e.httpCode === 'string' && e.httpCode !== '') details.httpCode = e.httpCode;
	Object.assign(details, e.itemData ?? {});
	const json: IDataObject = { error: message };
	if (Object.keys(details).length > 0) json.details = details;
	return json;
}

/**
 * `withDetails`: `{ error, details }`. `errorAndMessage`: `{ error, message }` — for "Continue (using
 * error output)" on n8n 1.x, whose WorkflowExecute (n8n-core 1.123, handleNodeErrorOutput) sends an
 * item to the error output only when its JSON is `{ error }` or `{ error, message }`; with `details`
 * the failed item would land on the success output. n8n 2.x accepts `details` there too.
 */
export type ErrorItemShape = 'withDetails' | 'errorAndMessage';

/** The major version of the n8n-workflow n8n provides (its own copy: the peer dependency). */
function n8nWorkflowMajor(): number {
	try {
		const { version } = require('n8n-workflow/package.json') as { version?: unknown };
		return typeof version === 'string' ? Number.parseInt(version, 10) : 2;
	} catch {
		return 2;
	}
}

const ERROR_OUTPUT_TAKES_DETAILS = n8nWorkflowMajor() >= 2;

/** The error item shape this n8n routes correctly for this node's error setting. */
export function errorItemShape(onError: string | undefined, takesDetails = ERROR_OUTPUT_TAKES_DETAILS): ErrorItemShape {
	return onError === 'continueErrorOutput' && !takesDetails ? 'errorAndMessage' : 'withDetails';
}

/**
 * Runs a handler once per input item and returns its output item (or items) for each input item, in
 * input order, each with `pairedItem`. With "Continue On Fail" a failed item becomes an error item
 * (`errorItemJson`) and the others go on; without it the first failure (by item order) fails the node.
 */
export async function runPerItem(
	ctx: IExecuteFunctions,
	handler: ItemHandler,
	toError: (error: unknown, itemIndex: number) => NodeApiError | NodeOperationError,
	{ concurrency = 1, errorsAsOutput = false }: { concurrency?: number; errorsAsOutput?: boolean } = {},
): Promise<INodeExecutionData[]> {
	const count = ctx.getInputData().length;
	const results: INodeExecutionData[][] = new Array(count);
	const failures: Array<{ index: number; error: NodeApiError | NodeOperationError }> = [];
	// `errorsAsOutput`: behave as "Continue On Fail" whatever the setting (a node running as an AI
	// Agent's tool returns its error to the agent instead of failing the workflow).
	const continueOnFail = errorsAsOutput || ctx.continueOnFail();
	const shape = errorsAsOutput ? 'withDetails' : errorItemShape(ctx.getNode().onError);
	let next = 0;

	const worker = async () => {
		while (next < count && (continueOnFail || failures.length === 0)) {
			const itemIndex = next++;
			try {
				const output = await handler(itemIndex);
				results[itemIndex] = (Array.isArray(output) ? output : [output]).map((o) => ({ ...o, pairedItem: { item: itemIndex } }));
			} catch (raw) {
				const error = carryItemData(raw, toError(raw, itemIndex));
				if (continueOnFail) {
					results[itemIndex] = [{ json: errorItemJson(error, shape), pairedItem: { item: itemIndex } }];
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
	return results.flat();
}
