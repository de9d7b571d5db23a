import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { setWarehouseCredentialsProperties } from './description';
import { setWarehouseCredentials } from './setCredentials';

/**
 * Stores data-warehouse credentials (a password or a private key) for a data product, per OAuth
 * client, so that Alation's SQL-running agents and tools can query it. One request per item.
 */
// Deliberately not usable as an AI tool (no `usableAsTool`): its inputs are warehouse passwords and
// private keys, and a tool's inputs are written by the language model, i.e. sent to its provider.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class AlationSetWarehouseCredentials implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alation Set Warehouse Credentials',
		name: 'alationSetWarehouseCredentials',
		icon: { light: 'file:alation.svg', dark: 'file:alation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["secretType"] === "privateKey" ? "Private Key" : "Password" }}',
		description: 'Store the data-warehouse credentials that Alation SQL agents and tools use for a data product',
		defaults: { name: 'Set Warehouse Credentials' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// Only the OAuth client credential: Alation stores warehouse credentials per OAuth client.
		credentials: [{ name: 'alationApi', required: true }],
		properties: setWarehouseCredentialsProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [await setWarehouseCredentials(this)];
	}
}
