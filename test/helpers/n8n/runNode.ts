/** Runs a node inside a real n8n-core workflow execution (see ../n8n.ts), and a load-options context for its list searches. */
import { randomUUID } from 'node:crypto';

import { ExecutionLifecycleHooks, ExternalSecretsProxy, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import {
	NodeConnectionTypes,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
} from 'n8n-workflow';
import type {
	ExecutionError,
	ExecutionStatus,
	ICredentialType,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IRun,
	IRunData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { TestCredentialsHelper } from './credentialsHelper';
import type { StoredCredential } from './credentialsHelper';
import { HARNESS_START_NODE_NAME, HARNESS_START_NODE_TYPE, harnessStartNodeType, TestNodeTypes } from './types';

export interface RunNodeOptions {
	/** The node under test. */
	nodeType: INodeType;
	/** Default `'n8n-nodes-alation.' + nodeType.description.name`. */
	nodeTypeName?: string;
	parameters: INodeParameters;
	/** Input items (default `[{ json: {} }]`), emitted by the harness' start node. */
	items?: INodeExecutionData[];
	/** Node credential slots: credential type name -> stored credential. */
	credentials?: Record<string, StoredCredential>;
	credentialTypes?: ICredentialType[];
	/** Reuse across runs (e.g. to see a stored token survive between two runs). */
	helper?: TestCredentialsHelper;
	/** Node setting `onError: 'continueRegularOutput'`. */
	continueOnFail?: boolean;
	/** Default `'manual'`. */
	executionMode?: WorkflowExecuteMode;
	/**
	 * Aborting cancels the execution like the editor's "Stop": the harness calls `cancel()` on the
	 * PCancelable returned by `WorkflowExecute.processRunExecutionData`, which aborts the execution's
	 * AbortController — the signal nodes get from `this.getExecutionCancelSignal()` and which
	 * `httpRequestWithAuthentication` puts on its requests (axios then fails with CanceledError,
	 * httpCode 'ERR_CANCELED'). Nodes not yet started do not run. The run resolves only once the
	 * running node returns or throws (a node that ignores the signal keeps the run open).
	 * Result: `canceled: true`; if the node threw, `error` is the node's error and n8n-core's
	 * `status` is 'canceled' only when that error's message contains "canceled", else 'error';
	 * if no node error, `error` is n8n's ManualExecutionCancelledError and `status` 'canceled'.
	 * An already-aborted signal cancels before any node runs.
	 */
	abortSignal?: AbortSignal;
	/**
	 * Streaming, as with a Chat Trigger / Webhook in streaming mode: registers a `sendChunk` hook and
	 * sets `additionalData.streamingEnabled`, which is what n8n-core's `isStreaming()` checks (with a
	 * mode of manual, webhook, integrated or chat). Every chunk the node sends is passed here, in order.
	 */
	onChunk?: (chunk: { type: string; content?: string; metadata: { itemIndex: number } }) => void;
	/** Optional: node version to put in the workflow (default: highest in `description.version`). */
	typeVersion?: number;
	/** Optional: name of the node in the workflow (default `description.defaults.name ?? displayName`). */
	nodeName?: string;
	/** Optional: the node's id (default: a new UUID per run; set it to be the same node in several runs). */
	nodeId?: string;
	/**
	 * Optional: the type the start node has in the workflow (it still just emits `items`), e.g. n8n's
	 * Chat Trigger, for what a node sees of its parents (`getParentNodes`).
	 */
	startNodeType?: string;
}

export interface RunNodeResult {
	/** Output items of the node under test (main output 0); [] when the node failed. */
	items: INodeExecutionData[];
	/**
	 * The node's error when the run failed (the error n8n recorded in the node's task data), or the
	 * workflow-level error (e.g. cancellation, parameter issues) when the node has none.
	 * n8n stores a spread copy of the thrown error (`{ ...error, message, stack }`, see
	 * WorkflowExecute.reportNodeExecutionError); this is an `Error` carrying all of those fields
	 * (name, message, description, httpCode, context, ...). It is not an instance of the original class.
	 */
	error?: Error;
	runData: IRunData;
	helper: TestCredentialsHelper;
	/** Extra: the full run as WorkflowExecute returned it. */
	run?: IRun;
	/** Extra: final execution status ('success' | 'error' | 'canceled' | ...), as n8n-core computed it. */
	status?: ExecutionStatus;
	/** Extra: true when `abortSignal` fired and the harness cancelled the execution. */
	canceled?: boolean;
}

function toError(recorded: ExecutionError | Error | undefined): Error | undefined {
	if (recorded === undefined || recorded === null) return undefined;
	if (recorded instanceof Error) return recorded;
	const rec = recorded as unknown as Record<string, unknown>;
	const error = new Error(String(rec.message ?? 'Unknown error'));
	Object.assign(error, rec);
	if (typeof rec.name === 'string') error.name = rec.name;
	if (typeof rec.stack === 'string') error.stack = rec.stack;
	return error;
}

function highestVersion(version: number | number[]): number {
	return Array.isArray(version) ? Math.max(...version) : version;
}

const BASE_URL = 'http://localhost:5678/';

function buildAdditionalData(
	helper: TestCredentialsHelper,
	hooks: ExecutionLifecycleHooks,
	executionId: string,
	workflowId: string,
	mode: WorkflowExecuteMode,
): IWorkflowExecuteAdditionalData {
	const notSupported = (what: string) => (): never => {
		throw new UnexpectedError(`${what} is not supported by the test harness`);
	};
	// Same URL layout as n8n's WorkflowExecuteAdditionalData.getBase() with default endpoints.
	const additionalData: IWorkflowExecuteAdditionalData = {
		credentialsHelper: helper,
		hooks,
		executionId,
		workflowId,
		userId: 'harness-user',
		rootExecutionMode: mode,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${BASE_URL}rest`,
		instanceBaseUrl: BASE_URL,
		formBaseUrl: `${BASE_URL}form`,
		formWaitingBaseUrl: `${BASE_URL}form-waiting`,
		formTestBaseUrl: `${BASE_URL}form-test`,
		webhookBaseUrl: `${BASE_URL}webhook`,
		webhookWaitingBaseUrl: `${BASE_URL}webhook-waiting`,
		webhookTestBaseUrl: `${BASE_URL}webhook-test`,
		mcpBaseUrl: `${BASE_URL}mcp`,
		mcpTestBaseUrl: `${BASE_URL}mcp-test`,
		variables: {},
		externalSecretsProxy: new ExternalSecretsProxy(),
		executeWorkflow: notSupported('executeWorkflow (sub-workflows)'),
		startRunnerTask: notSupported('startRunnerTask (task runners, Code node)'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
	};
	return additionalData;
}

/**
 * Run `nodeType.execute` inside a real n8n-core workflow execution and return the node's output.
 */
export async function runNode(options: RunNodeOptions): Promise<RunNodeResult> {
	const { nodeType } = options;
	const description = nodeType.description;
	const nodeTypeName = options.nodeTypeName ?? `n8n-nodes-alation.${description.name}`;
	const mode: WorkflowExecuteMode = options.executionMode ?? 'manual';

	const credentialSlots = options.credentials ?? {};
	let helper: TestCredentialsHelper;
	if (options.helper) {
		helper = options.helper;
		for (const type of options.credentialTypes ?? []) helper.addCredentialType(type);
		// keep what the helper already stores (e.g. a token persisted by an earlier run)
		for (const credential of Object.values(credentialSlots)) helper.addCredential(credential);
	} else {
		helper = new TestCredentialsHelper(options.credentialTypes ?? [], Object.values(credentialSlots));
	}

	const startNodeType = options.startNodeType ?? HARNESS_START_NODE_TYPE;
	const nodeTypes = new TestNodeTypes({
		[startNodeType]: harnessStartNodeType,
		[nodeTypeName]: nodeType,
	});

	const nodeName =
		options.nodeName ?? (description.defaults?.name as string | undefined) ?? description.displayName;
	const startNode: INode = {
		id: randomUUID(),
		name: HARNESS_START_NODE_NAME,
		type: startNodeType,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const testNode: INode = {
		id: options.nodeId ?? randomUUID(),
		name: nodeName,
		type: nodeTypeName,
		typeVersion: options.typeVersion ?? highestVersion(description.version),
		position: [220, 0],
		parameters: options.parameters,
	};
	if (Object.keys(credentialSlots).length > 0) {
		testNode.credentials = Object.fromEntries(
			Object.entries(credentialSlots).map(([typeName, credential]) => [
				typeName,
				{ id: credential.id, name: credential.name },
			]),
		);
	}
	if (options.continueOnFail) {
		testNode.onError = 'continueRegularOutput';
	}

	const connections = {
		[HARNESS_START_NODE_NAME]: {
			main: [[{ node: nodeName, type: NodeConnectionTypes.Main, index: 0 }]],
		},
	};
	const workflowId = 'harnessWorkflow';
	const settings = { executionOrder: 'v1' as const };
	const workflow = new Workflow({
		id: workflowId,
		name: `Harness: ${nodeName}`,
		nodes: [startNode, testNode],
		connections,
		active: false,
		nodeTypes,
		settings,
	});

	const executionId = String(Date.now());
	const workflowData = {
		id: workflowId,
		name: workflow.name,
		active: false,
		isArchived: false,
		nodes: [startNode, testNode],
		connections,
		settings,
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	} as unknown as IWorkflowBase;
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
	const additionalData = buildAdditionalData(helper, hooks, executionId, workflowId, mode);
	if (options.onChunk) {
		const onChunk = options.onChunk;
		hooks.addHandler('sendChunk', async (chunk) => onChunk(chunk as never));
		additionalData.streamingEnabled = true;
	}

	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [
				{
					node: startNode,
					data: { main: [options.items ?? [{ json: {} }]] },
					source: null,
				},
			],
		},
	});

	const workflowExecute = new WorkflowExecute(additionalData, mode, runExecutionData);

	let run: IRun;
	let canceled = false;
	try {
		const execution = workflowExecute.processRunExecutionData(workflow);
		const { abortSignal } = options;
		const onAbort = () => {
			canceled = true;
			execution.cancel();
		};
		if (abortSignal) {
			if (abortSignal.aborted) onAbort();
			else abortSignal.addEventListener('abort', onAbort, { once: true });
		}
		try {
			run = await execution;
		} finally {
			abortSignal?.removeEventListener('abort', onAbort);
		}
	} catch (error) {
		// processRunExecutionData throws synchronously for workflow issues (e.g. a missing
		// required parameter -> WorkflowHasIssuesError), before any node runs.
		return { items: [], error: toError(error as Error), runData: {}, helper, status: 'error', canceled };
	}

	const runData = run.data.resultData.runData;
	const task = runData[nodeName]?.[0];
	const nodeError = toError(task?.error);
	const workflowError = toError(run.data.resultData.error);
	const items = nodeError ? [] : (task?.data?.main?.[0] ?? []);
	return {
		items,
		error: nodeError ?? workflowError,
		runData,
		helper,
		run,
		status: run.status,
		canceled,
	};
}

/**
 * A real n8n-core `LoadOptionsContext` for a node: what the editor uses to call a node's
 * list-search and load-options methods (e.g. the "From list" mode of a resource locator).
 */
export function loadOptionsContext(options: {
	nodeType: INodeType;
	parameters: INodeParameters;
	credentials: Record<string, StoredCredential>;
	credentialTypes: ICredentialType[];
}): LoadOptionsContext {
	const nodeTypeName = `n8n-nodes-alation.${options.nodeType.description.name}`;
	const helper = new TestCredentialsHelper(options.credentialTypes, Object.values(options.credentials));
	const node: INode = {
		id: randomUUID(),
		name: options.nodeType.description.displayName,
		type: nodeTypeName,
		typeVersion: highestVersion(options.nodeType.description.version),
		position: [0, 0],
		parameters: options.parameters,
		credentials: Object.fromEntries(
			Object.entries(options.credentials).map(([typeName, credential]) => [typeName, { id: credential.id, name: credential.name }]),
		),
	};
	const workflow = new Workflow({
		id: 'harnessLoadOptions',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new TestNodeTypes({ [nodeTypeName]: options.nodeType }),
	});
	const workflowData = { id: workflow.id, name: 'load options', active: false, nodes: [node], connections: {} } as unknown as IWorkflowBase;
	const hooks = new ExecutionLifecycleHooks('manual', 'load-options', workflowData);
	// The editor sends the node's parameters as they are on the form (getCurrentNodeParameter reads them).
	const additionalData = { ...buildAdditionalData(helper, hooks, 'load-options', workflow.id, 'manual'), currentNodeParameters: options.parameters };
	return new LoadOptionsContext(workflow, node, additionalData, 'parameters.agent');
}
