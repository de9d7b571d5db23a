/**
 * Test harness: runs a node's `execute` inside a REAL n8n-core execution.
 *
 * A two-node workflow (`Start` -> node under test) is run by n8n-core's `WorkflowExecute`
 * (`processRunExecutionData`, exactly as n8n's own `NodeTestHarness` in
 * packages/core/nodes-testing/node-test-harness.ts does). Everything the node touches —
 * `this.getInputData()`, `this.getNodeParameter()`, `this.getCredentials()`,
 * `this.helpers.httpRequest`, `this.helpers.httpRequestWithAuthentication`, `continueOnFail`,
 * `getExecutionCancelSignal()`, pairedItem handling, error recording — is n8n-core's real code.
 *
 * The only n8n piece replaced is the CLI's `CredentialsHelper` (it needs a database):
 * `TestCredentialsHelper` below re-implements packages/cli/src/credentials-helper.ts for an
 * in-memory store, line by line where it matters (authenticate, preAuthentication,
 * runPreAuthentication, getCredentialsProperties, getDecrypted's defaults + expression resolution).
 *
 * Environment: see ./n8n-env.ts (a temp N8N_USER_FOLDER per test file, n8n's logger silenced).
 */
import './n8n-env';

import { randomUUID } from 'node:crypto';

import { Credentials, ExecutionLifecycleHooks, ExternalSecretsProxy, LoadOptionsContext, WorkflowExecute, getAdditionalKeys } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
	UserError,
	Workflow,
	createRunExecutionData,
	getCredentialOwnRequestAllowedDomains,
	isExpression,
} from 'n8n-workflow';
import type {
	ExecutionError,
	ExecutionStatus,
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialTypes,
	ICredentialsExpressionResolveValues,
	IDataObject,
	IExecuteData,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IRunData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowDataProxyAdditionalKeys,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

// ---------------------------------------------------------------------------------------------
// Credential types
// ---------------------------------------------------------------------------------------------

/** `ICredentialTypes` over credential types supplied by the test (n8n: packages/cli/src/credential-types.ts). */
export class TestCredentialTypes implements ICredentialTypes {
	private readonly types = new Map<string, ICredentialType>();

	constructor(credentialTypes: ICredentialType[] = []) {
		for (const type of credentialTypes) this.add(type);
	}

	add(type: ICredentialType): void {
		this.types.set(type.name, type);
	}

	recognizes(credentialType: string): boolean {
		return this.types.has(credentialType);
	}

	getByName(credentialType: string): ICredentialType {
		const type = this.types.get(credentialType);
		if (!type) {
			throw new UnexpectedError(`Unknown credential type "${credentialType}" (not given to the test harness)`);
		}
		return type;
	}

	/** n8n's loader derives full node type names; here the type's own `supportedNodes` list is used as is. */
	getSupportedNodes(type: string): string[] {
		return this.types.get(type)?.supportedNodes ?? [];
	}

	/** Same walk as n8n's CredentialTypes.getParentTypes: direct parents, then their parents. */
	getParentTypes(typeName: string): string[] {
		const extendsArr = this.types.get(typeName)?.extends;
		if (!extendsArr?.length) return [];
		const parents: string[] = [];
		for (const parent of extendsArr) {
			parents.push(parent, ...this.getParentTypes(parent));
		}
		return parents;
	}
}

// ---------------------------------------------------------------------------------------------
// Node types
// ---------------------------------------------------------------------------------------------

/** `INodeTypes` over node types supplied by the test. */
export class TestNodeTypes implements INodeTypes {
	private readonly types = new Map<string, INodeType | IVersionedNodeType>();

	constructor(types: Record<string, INodeType | IVersionedNodeType> = {}) {
		for (const [name, type] of Object.entries(types)) this.types.set(name, type);
	}

	add(name: string, type: INodeType | IVersionedNodeType): void {
		this.types.set(name, type);
	}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types.get(nodeType);
		if (!type) throw new UnexpectedError(`Unknown node type "${nodeType}" (not given to the test harness)`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

// ---------------------------------------------------------------------------------------------
// Credentials helper
// ---------------------------------------------------------------------------------------------

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	data: ICredentialDataDecryptedObject;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * n8n (packages/cli/src/credentials-helper.ts `restrictToCredentialDomains`): the helpers handed
 * to a credential's `preAuthentication` are narrowed to `httpRequest` only, and requests honour
 * the credential's own domain allowlist.
 */
function restrictToCredentialDomains(
	helpers: IHttpRequestHelper,
	credentials: ICredentialDataDecryptedObject,
): IHttpRequestHelper {
	return {
		helpers: {
			httpRequest: async (requestOptions: IHttpRequestOptions): Promise<unknown> => {
				const allowedDomains = getCredentialOwnRequestAllowedDomains(credentials);
				if (allowedDomains === undefined) {
					return await helpers.helpers.httpRequest(requestOptions);
				}
				if (requestOptions.allowedDomains !== undefined) {
					throw new UserError(
						'This credential restricts requests to specific domains, which cannot be combined with the domains its authentication step asks for.',
					);
				}
				return await helpers.helpers.httpRequest({ ...requestOptions, allowedDomains });
			},
		},
	};
}

/**
 * In-memory `ICredentialsHelper` that behaves like n8n 2.41's CLI `CredentialsHelper`
 * (packages/cli/src/credentials-helper.ts). Differences, all because there is no database,
 * license or admin configuration here: no credential overwrites, no external secrets, no
 * dynamic (per-user) credentials, no AI-gateway credentials, no policy enforcement, no
 * `usageScope` check, data is stored decrypted in `stored` instead of encrypted in a table.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	readonly credentialTypes: TestCredentialTypes;

	/** The credential "table": id -> stored credential (decrypted data, as it would be after decryption). */
	stored: Map<string, StoredCredential>;

	/** How many times a credential type's `preAuthentication` function actually ran (via preAuthentication or runPreAuthentication). */
	preAuthenticationCalls = 0;

	/** Every call n8n-core made to `preAuthentication`, in order (whether or not the type's function ran). */
	readonly preAuthenticationLog: Array<{ typeName: string; credentialsExpired: boolean; ran: boolean }> = [];

	constructor(credentialTypes: ICredentialType[], stored: StoredCredential[]) {
		super();
		this.credentialTypes = new TestCredentialTypes(credentialTypes);
		this.stored = new Map();
		for (const credential of stored) this.addCredential(credential);
	}

	/** Register a credential type (no-op if one with that name exists). */
	addCredentialType(type: ICredentialType): void {
		if (!this.credentialTypes.recognizes(type.name)) this.credentialTypes.add(type);
	}

	/** Store a credential (a copy). Existing ids are kept unless `overwrite` is true. */
	addCredential(credential: StoredCredential, overwrite = false): void {
		if (!overwrite && this.stored.has(credential.id)) return;
		this.stored.set(credential.id, clone(credential));
	}

	// --- authenticate ----------------------------------------------------------------------------

	override async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incomingRequestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incomingRequestOptions;
		const credentialType = this.credentialTypes.getByName(typeName);

		if (credentialType.authenticate) {
			if (typeof credentialType.authenticate === 'function') {
				// Special authentication function is defined
				return await credentialType.authenticate(credentials, requestOptions as IHttpRequestOptions);
			}

			if (typeof credentialType.authenticate === 'object') {
				if (!workflow || !node) {
					throw new UnexpectedError('Workflow and node are required for declarative credential authentication');
				}
				const { authenticate } = credentialType;
				if (requestOptions.headers === undefined) {
					requestOptions.headers = {};
				}

				if (authenticate.type === 'generic') {
					const target = requestOptions as unknown as Record<string, Record<string, unknown> | undefined>;
					Object.entries(authenticate.properties).forEach(([outerKey, outerValue]) => {
						Object.entries(outerValue as Record<string, unknown>).forEach(([key, value]) => {
							const keyResolved = this.resolveValue(key, { $credentials: credentials }, workflow, node);
							const valueResolved = this.resolveValue(
								value as string,
								{ $credentials: credentials },
								workflow,
								node,
							);
							if (!target[outerKey]) {
								target[outerKey] = {};
							}
							target[outerKey][keyResolved] = valueResolved;
						});
					});
				}
			}
		}

		return requestOptions as IHttpRequestOptions;
	}

	/** n8n's CredentialsHelper.resolveValue: expressions resolved with `$credentials` as an additional key. */
	private resolveValue(
		parameterValue: string,
		additionalKeys: IWorkflowDataProxyAdditionalKeys,
		workflow: Workflow,
		node: INode,
	): string {
		if (!isExpression(parameterValue)) {
			return parameterValue;
		}
		const returnValue = workflow.expression.getSimpleParameterValue(
			node,
			parameterValue,
			'internal',
			additionalKeys,
			undefined,
			'',
		);
		if (!returnValue) {
			return '';
		}
		return returnValue.toString();
	}

	// --- preAuthentication -------------------------------------------------------------------------

	override async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const logEntry = { typeName, credentialsExpired, ran: false };
		this.preAuthenticationLog.push(logEntry);

		const credentialType = this.credentialTypes.getByName(typeName);

		const expirableProperty = credentialType.properties.find(
			(property) => property.type === 'hidden' && property?.typeOptions?.expirable === true,
		);

		if (expirableProperty?.name === undefined) {
			return undefined;
		}

		// n8n: the credential test runs on a mock NoOp node with parameters { temp: '' }
		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';

		if (credentialType.preAuthentication) {
			if (typeof credentialType.preAuthentication === 'function') {
				// n8n compares with '' (not undefined): a missing value becomes '' through the
				// property default that getDecrypted applies.
				if (credentials[expirableProperty?.name] === '' || credentialsExpired || isTestingCredentials) {
					this.preAuthenticationCalls++;
					logEntry.ran = true;
					const output = await credentialType.preAuthentication.call(
						restrictToCredentialDomains(helpers, credentials),
						credentials,
					);

					// if there is data in the output, make sure the returned
					// property is the expirable property
					// else the database will not get updated
					if (output[expirableProperty.name] === undefined) {
						return undefined;
					}

					if (node.credentials) {
						const nodeCredentials = node.credentials[credentialType.name];
						// Cache the freshly-fetched token onto the raw stored credentials, but never
						// overwrite a field the user stored as an expression.
						const storedData = this.getStoredEntity(nodeCredentials, credentialType.name).data;
						const dataToPersist: ICredentialDataDecryptedObject = { ...storedData };
						for (const [key, value] of Object.entries(output as ICredentialDataDecryptedObject)) {
							if (key === expirableProperty.name || !isExpression(storedData[key])) {
								dataToPersist[key] = value;
							}
						}

						await this.updateCredentials(nodeCredentials, credentialType.name, dataToPersist);
						return Object.assign(credentials, output);
					}
				}
			}
		}
		return undefined;
	}

	override async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		if (typeof credentialType.preAuthentication !== 'function') {
			return undefined;
		}
		this.preAuthenticationCalls++;
		const output = await credentialType.preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		);
		return (output as ICredentialDataDecryptedObject) ?? undefined;
	}

	// --- type lookups ------------------------------------------------------------------------------

	override getParentTypes(typeName: string): string[] {
		return this.credentialTypes.getParentTypes(typeName);
	}

	override isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		let typeDef: ICredentialType;
		try {
			typeDef = this.credentialTypes.getByName(credentialType);
		} catch {
			return true;
		}
		if (!typeDef.restrictToSupportedNodes) return true;
		return this.credentialTypes.getSupportedNodes(credentialType).includes(nodeType);
	}

	override getCredentialsProperties(type: string): INodeProperties[] {
		const credentialTypeData = this.credentialTypes.getByName(type);

		if (credentialTypeData.extends === undefined) {
			if (['oAuth1Api', 'oAuth2Api'].includes(type)) {
				return [
					...credentialTypeData.properties,
					{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', required: false, default: {} },
				];
			}
			return credentialTypeData.properties;
		}

		const combineProperties = [] as INodeProperties[];
		for (const credentialsTypeName of credentialTypeData.extends) {
			const mergeCredentialProperties = this.getCredentialsProperties(credentialsTypeName);
			NodeHelpers.mergeNodeProperties(combineProperties, mergeCredentialProperties);
		}
		// The properties defined on the parent credentials take precedence
		NodeHelpers.mergeNodeProperties(combineProperties, credentialTypeData.properties);
		return combineProperties;
	}

	// --- store access ------------------------------------------------------------------------------

	private getStoredEntity(nodeCredential: INodeCredentialsDetails | undefined, type: string): StoredCredential {
		if (!nodeCredential?.id) {
			// n8n: CredentialMissingIdError
			throw new UserError(`Credential "${nodeCredential?.name ?? ''}" of type "${type}" has no ID.`);
		}
		const credential = this.stored.get(nodeCredential.id);
		if (!credential || credential.type !== type) {
			// n8n: CredentialNotFoundError
			throw new UserError(`Credential with ID "${nodeCredential.id}" does not exist for type "${type}".`);
		}
		return credential;
	}

	/** n8n returns a `Credentials` (encrypted with the instance key); so does this. */
	override async getCredentials(nodeCredential: INodeCredentialsDetails, type: string): Promise<Credentials> {
		const entity = this.getStoredEntity(nodeCredential, type);
		const credentials = new Credentials({ id: entity.id, name: entity.name }, entity.type);
		await credentials.setData(clone(entity.data));
		return credentials;
	}

	override async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const decryptedDataOriginal = clone(this.getStoredEntity(nodeCredentials, type).data);
		if (raw === true) {
			return decryptedDataOriginal;
		}
		return await this.applyDefaultsAndOverwrites(
			additionalData,
			decryptedDataOriginal,
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	/** n8n's applyDefaultsAndOverwrites minus overwrites / OAuth pinned fields / JSON-leaf parsing. */
	async applyDefaultsAndOverwrites(
		additionalData: IWorkflowExecuteAdditionalData,
		decryptedDataOriginal: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const credentialsProperties = this.getCredentialsProperties(type);

		// Add the default credential values (drops properties the type does not declare)
		let decryptedData = NodeHelpers.getNodeParameters(
			credentialsProperties,
			decryptedDataOriginal as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;

		if (decryptedDataOriginal.oauthTokenData !== undefined) {
			decryptedData.oauthTokenData = decryptedDataOriginal.oauthTokenData;
		}
		if (
			decryptedData.allowedHttpRequestDomains === undefined &&
			decryptedDataOriginal.allowedHttpRequestDomains !== undefined
		) {
			decryptedData.allowedHttpRequestDomains = decryptedDataOriginal.allowedHttpRequestDomains;
		}
		if (decryptedData.allowedDomains === undefined && decryptedDataOriginal.allowedDomains !== undefined) {
			decryptedData.allowedDomains = decryptedDataOriginal.allowedDomains;
		}

		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });

		if (expressionResolveValues) {
			try {
				decryptedData = expressionResolveValues.workflow.expression.getParameterValue(
					decryptedData as INodeParameters,
					expressionResolveValues.runExecutionData,
					expressionResolveValues.runIndex,
					expressionResolveValues.itemIndex,
					expressionResolveValues.node.name,
					expressionResolveValues.connectionInputData,
					mode,
					additionalKeys,
					executeData,
					false,
					decryptedData,
				) as ICredentialDataDecryptedObject;
			} catch (e) {
				(e as Error).message += ' [Error resolving credentials]';
				throw e;
			}
		} else {
			// n8n resolves on a throw-away workflow with a mock node.
			const mockNode: INode = {
				id: 'mock',
				name: '',
				typeVersion: 1,
				type: HARNESS_START_NODE_TYPE,
				position: [0, 0],
				parameters: {},
			};
			const workflow = new Workflow({
				nodes: [mockNode],
				connections: {},
				active: false,
				nodeTypes: new TestNodeTypes({ [HARNESS_START_NODE_TYPE]: harnessStartNodeType }),
			});
			await workflow.expression.acquireIsolate();
			try {
				decryptedData = workflow.expression.getComplexParameterValue(
					mockNode,
					decryptedData as INodeParameters,
					mode,
					additionalKeys,
					undefined,
					undefined,
					decryptedData,
				) as ICredentialDataDecryptedObject;
			} finally {
				await workflow.expression.releaseIsolate();
			}
		}

		return decryptedData;
	}

	override async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const entity = this.getStoredEntity(nodeCredentials, type);
		entity.data = clone(data);
	}

	override async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
		_additionalData: IWorkflowExecuteAdditionalData,
	): Promise<void> {
		const entity = this.getStoredEntity(nodeCredentials, type);
		entity.data = { ...entity.data, oauthTokenData: clone(data.oauthTokenData) };
	}
}

// ---------------------------------------------------------------------------------------------
// Workflow run
// ---------------------------------------------------------------------------------------------

export const HARNESS_START_NODE_TYPE = 'n8n-nodes-harness.start';
export const HARNESS_START_NODE_NAME = 'Start';

/** The harness' start node: passes the run's input items on (n8n's tests use a Manual Trigger here). */
export const harnessStartNodeType: INodeType = {
	description: {
		displayName: 'Harness Start',
		name: 'start',
		group: ['input'],
		version: 1,
		description: 'Emits the input items given to runNode()',
		defaults: { name: HARNESS_START_NODE_NAME },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	},
};

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
	return new LoadOptionsContext(workflow, node, buildAdditionalData(helper, hooks, 'load-options', workflow.id, 'manual'), 'parameters.agent');
}
