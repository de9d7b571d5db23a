/** n8n's CLI CredentialsHelper re-implemented over an in-memory store (see ../n8n.ts for why and how faithfully). */
import { Credentials, getAdditionalKeys } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeHelpers,
	UnexpectedError,
	UserError,
	Workflow,
	getCredentialOwnRequestAllowedDomains,
	isExpression,
} from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsExpressionResolveValues,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowDataProxyAdditionalKeys,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

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

import { HARNESS_START_NODE_TYPE, harnessStartNodeType, TestCredentialTypes, TestNodeTypes } from './types';

// ---------------------------------------------------------------------------------------------
// Workflow run
// ---------------------------------------------------------------------------------------------
