import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { alationAuthType } from '../shared/auth/credentialGrants';
import { runPerItem, secretsOf } from '../shared/items';
import { toNodeError } from '../shared/nodeErrors';
import { setWarehouseCredentialsProperties } from './description';
import { redactItem, setCredentials } from './setCredentials';
import type { WarehouseScope } from './setCredentials';

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
		const toError = (error: unknown, scope: WarehouseScope) => {
			const { input } = scope;
			return toNodeError(error, {
				node: this.getNode(),
				itemIndex: scope.itemIndex,
				secrets: secretsOf(scope),
				redact: input ? (text) => redactItem(text, secretsOf(scope), input.keyBody) : undefined,
				action: input ? `Setting warehouse credentials for data product "${input.dataProductId}"` : 'Setting warehouse credentials',
				statusHints: scope.session && alationAuthType(scope.session.credentials) === 'refreshToken' ? REFRESH_TOKEN_STATUS_HINTS : STATUS_HINTS,
			});
		};

		// One item at a time: admins run this over dozens of data products, and a sequential run
		// keeps the server's load and the order of its log plain. It is quick enough.
		const items = await runPerItem<WarehouseScope>(
			this,
			async (scope) => ({ json: await setCredentials(this, scope), pairedItem: { item: scope.itemIndex } }),
			toError,
		);
		return [items];
	}
}

const STATUS_HINTS: Partial<Record<number, string>> = {
	400: 'Alation rejected the values sent (its reason is in the message). Check Data Product ID, Username and the secret: a password, or a PEM private key with its passphrase if it is encrypted.',
	403: "The OAuth client's role may not set warehouse credentials for this data product. Give the OAuth client a role that may (Admin Settings → Authentication → OAuth Client Applications), or ask an Alation admin.",
	404: 'The data product was not found, or is not visible to the OAuth client. Check Data Product ID and the role of the OAuth client.',
};

// A refresh token's access token goes in the TOKEN header, which this endpoint refuses.
const OAUTH_CLIENT_NEEDED =
	'Warehouse credentials are stored per OAuth client, so this endpoint needs an OAuth access token: use an "Alation API" credential whose Authentication is "OAuth Client Credentials", not "Refresh Token".';
const REFRESH_TOKEN_STATUS_HINTS: Partial<Record<number, string>> = {
	...STATUS_HINTS,
	401: OAUTH_CLIENT_NEEDED,
	403: OAUTH_CLIENT_NEEDED,
};
