/** The node and credential types a harness workflow knows, and its start node. */
import {
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
} from 'n8n-workflow';
import type {
	ICredentialType,
	ICredentialTypes,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
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
