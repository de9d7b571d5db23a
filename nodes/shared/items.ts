import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * What the runner knows of the item being run. The handler fills it in as the item gets further —
 * the secrets it learns (the item's own, its session's tokens), the secret-free data that says which
 * item failed — and the error mapper reads it: one place per item, whatever the node.
 */
export interface ItemScope {
	readonly itemIndex: number;
	/** The item's own secrets (a password typed for it…): they must not appear in its error. */
	secrets: string[];
	/** The credential session the item opened: its secrets and the tokens it used, read when the item fails. */
	session?: { readonly secrets: readonly string[] };
	/** Secret-free JSON kept on this item's error item under "Continue On Fail" (e.g. which data product). */
	data: IDataObject;
}

/** Everything to redact from the item's error: its own secrets and its session's, as they are now. */
export function secretsOf(scope: ItemScope): string[] {
	return [...scope.secrets, ...(scope.session?.secrets ?? [])];
}

/**
 * What a handler produces for its item: one output item, or several (Get Messages: one per message).
 * Their `pairedItem` is always set to the item by `runPerItem`, whatever the handler put there.
 */
export type ItemHandler<S extends ItemScope = ItemScope> = (scope: S) => Promise<INodeExecutionData | INodeExecutionData[]>;

/** A node's mapping of an item's failure to the error n8n shows, with what the scope knows. */
export type ItemErrorMapper<S extends ItemScope = ItemScope> = (error: unknown, scope: S) => NodeApiError | NodeOperationError;

export interface RunPerItemOptions<S extends ItemScope> {
	/** Items run at the same time (default 1); output order is input order whatever finishes first. */
	concurrency?: number;
	/** Behave as "Continue On Fail" whatever the setting (a node running as an AI Agent's tool). */
	errorsAsOutput?: boolean;
	/** Told of each item's failure, already mapped (e.g. to close a chat message, or to log it). */
	onFailure?: (error: NodeApiError | NodeOperationError, scope: S) => void;
}

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
export async function runPerItem<S extends ItemScope = ItemScope>(
	ctx: IExecuteFunctions,
	handler: ItemHandler<S>,
	toError: ItemErrorMapper<S>,
	{ concurrency = 1, errorsAsOutput = false, onFailure }: RunPerItemOptions<S> = {},
): Promise<INodeExecutionData[]> {
	const count = ctx.getInputData().length;
	const results: INodeExecutionData[][] = new Array(count);
	const failures: Array<{ index: number; error: NodeApiError | NodeOperationError }> = [];
	const continueOnFail = errorsAsOutput || ctx.continueOnFail();
	const shape = errorsAsOutput ? 'withDetails' : errorItemShape(ctx.getNode().onError);
	let next = 0;

	const worker = async () => {
		while (next < count && (continueOnFail || failures.length === 0)) {
			const itemIndex = next++;
			// The node's own scope type only adds optional fields to these.
			const scope = { itemIndex, secrets: [], data: {} } as ItemScope as S;
			try {
				const output = await handler(scope);
				results[itemIndex] = (Array.isArray(output) ? output : [output]).map((o) => ({ ...o, pairedItem: { item: itemIndex } }));
			} catch (raw) {
				const error = carryItemData(raw, toError(raw, scope));
				if (Object.keys(scope.data).length > 0) withItemData(error, { ...scope.data, ...itemDataOf(error) });
				onFailure?.(error, scope);
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

function itemDataOf(error: unknown): IDataObject {
	return (error as { itemData?: IDataObject }).itemData ?? {};
}
