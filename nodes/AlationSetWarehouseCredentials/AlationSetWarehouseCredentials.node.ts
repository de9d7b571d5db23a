import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { alationAuthType } from '../shared/auth/credentialGrants';
import { toNodeError } from '../shared/http/nodeErrors';
import { runPerItem, secretsOf } from '../shared/items';
import type { ItemScope } from '../shared/items';
import { redactDeep, redactSecrets, withoutKeys } from '../shared/redact';
import { isRecord } from '../shared/json';
import { CredentialSession } from '../shared/session';
import { setWarehouseCredentialsProperties } from './description';
import { readInput } from './warehouseRequest';
import type { ItemInput } from './warehouseRequest';

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
			async (scope) => {
				const { itemIndex } = scope;
				const input = readInput(this, itemIndex);
				scope.input = input;
				scope.secrets.push(...input.secrets);
				// Under "Continue On Fail" the error item says which data product failed.
				scope.data = { dataProductId: input.dataProductId, username: input.username };
				const session = await CredentialSession.open(this, 'alationApi', itemIndex);
				scope.session = session;
				const redact = (text: string) => redactItem(text, secretsOf(scope), input.keyBody);

				const body: IDataObject = { state: input.state, username: input.username, dp_id: input.dataProductId };
				if (input.secret.kind === 'password') {
					body.password = input.secret.password;
				} else {
					body.private_key = input.secret.privateKey;
					if (input.secret.passphrase !== '') body.passphrase = input.secret.passphrase;
				}

				// Sent once. The session retries only a 401 (refused before anything was stored); nothing
				// else is ever resent, so credentials the server accepted are not posted twice.
				const response = await session.json({
					method: 'POST',
					url: `${session.baseUrl}/api/v2/auth/credentials/`,
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify(body),
				});

				const output: IDataObject = {
					...serverFields(response.json, redact),
					dataProductId: input.dataProductId,
					username: input.username,
					state: input.state,
					configured: true,
					httpStatus: response.status,
				};
				return { json: output, pairedItem: { item: itemIndex } };
			},
			toError,
		);
		return [items];
	}
}

/** What an item's error needs, filled in as the item gets further: its input (the data product, the key), its session. */
interface WarehouseScope extends ItemScope {
	input?: ItemInput;
	session?: CredentialSession;
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

/** Keys a server might echo a secret under: dropped from its answer at any depth. */
const SECRET_KEYS = ['password', 'private_key', 'passphrase', 'privateKey'];
/** The node's own output fields: what the server returns under these names does not replace them. */
const OUTPUT_KEYS = ['dataProductId', 'username', 'state', 'configured', 'httpStatus'];

/** The server's answer without secrets: known secret keys dropped, and any secret value redacted. */
function serverFields(json: unknown, redact: (text: string) => string): IDataObject {
	if (!isRecord(json)) return {};
	const clean = redactDeep(withoutKeys(json as IDataObject, SECRET_KEYS), redact) as IDataObject;
	for (const key of OUTPUT_KEYS) delete clean[key];
	return clean;
}

/** Shorter runs of base64 are not taken for a quote of the key: 16 characters are 12 bytes of it. */
const KEY_QUOTE_MIN = 16;

/**
 * `redactSecrets` with the item's secrets, plus any run of base64 that quotes at least 16
 * characters of the private key's body: a server may quote part of a key, or join its lines.
 */
function redactItem(text: string, secrets: readonly string[], keyBody: string): string {
	const quotes =
		keyBody.length < KEY_QUOTE_MIN
			? []
			: (text.match(/[A-Za-z0-9+/=]{16,}/g) ?? []).filter((run) => {
					for (let i = 0; i + KEY_QUOTE_MIN <= run.length; i++) {
						if (keyBody.includes(run.slice(i, i + KEY_QUOTE_MIN))) return true;
					}
					return false;
				});
	return redactSecrets(text, [...secrets, ...quotes]);
}

// ---------------------------------------------------------------------------------------------
// Input: read and checked before any request, each error naming the field to fix
// ---------------------------------------------------------------------------------------------
