import { randomUUID } from 'node:crypto';

import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';

import { alationAuthType } from '../shared/auth/credentialGrants';
import { runPerItem, secretsOf } from '../shared/items';
import type { ItemScope } from '../shared/items';
import { isRecord, textOf } from '../shared/json';
import { toNodeError } from '../shared/nodeErrors';
import { redactDeep, redactSecrets, withoutKeys } from '../shared/redact';
import { CredentialSession } from '../shared/session';
import { checkPrivateKey, normalizePrivateKey, PEM_HINT, PUBLIC_KEY_HINT } from './privateKey';

/*
 * The node's one operation: for each item, read and check its input (`readInput`), post the warehouse
 * credentials for its data product (`setCredentials`), output the server's answer without secrets.
 */

/** Every item, in order (Continue On Fail: failed items as error items naming their data product). */
export async function setWarehouseCredentials(ctx: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const toError = (error: unknown, scope: WarehouseScope) => {
		const { input } = scope;
		return toNodeError(error, {
			node: ctx.getNode(),
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
		ctx,
		async (scope) => ({ json: await setCredentials(ctx, scope), pairedItem: { item: scope.itemIndex } }),
		toError,
	);
	return items;
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

/** What an item's error needs, filled in as the item gets further: its input (the data product, the key), its session. */
interface WarehouseScope extends ItemScope {
	input?: ItemInput;
	session?: CredentialSession;
}

/**
 * The node's one job for one item: its input read and checked (`readInput`), then the
 * warehouse credentials posted for its data product; the output is the server's answer without
 * secrets, and what was set.
 */
async function setCredentials(ctx: IExecuteFunctions, scope: WarehouseScope): Promise<IDataObject> {
	const { itemIndex } = scope;
	const input = readInput(ctx, itemIndex);
	scope.input = input;
	scope.secrets.push(...input.secrets);
	// Under "Continue On Fail" the error item says which data product failed.
	scope.data = { dataProductId: input.dataProductId, username: input.username };
	const session = await CredentialSession.open(ctx, 'alationApi', itemIndex);
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

	return {
		...serverFields(response.json, redact),
		dataProductId: input.dataProductId,
		username: input.username,
		state: input.state,
		configured: true,
		httpStatus: response.status,
	};
}

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

/** Everything one item asks for, read from the node's parameters and checked before any request. */
type Secret = { kind: 'password'; password: string } | { kind: 'privateKey'; privateKey: string; passphrase: string };

interface ItemInput {
	dataProductId: string;
	username: string;
	state: string;
	secret: Secret;
	/** Every form of every secret of the item, for redaction. */
	secrets: string[];
	/** The private key's base64 body on one line ('' for a password), to find quotes of it. */
	keyBody: string;
}

function readInput(ctx: IExecuteFunctions, itemIndex: number): ItemInput {
	const node = ctx.getNode();
	const fail = (message: string, description: string) => new NodeOperationError(node, message, { itemIndex, description });
	const text = (name: string, label: string) => textParameter(ctx, node, itemIndex, name, label);

	const dataProductId = text('dataProductId', 'Data Product ID').trim();
	if (dataProductId === '') {
		throw fail('Data Product ID is empty', 'Fill in "Data Product ID": the ID of the data product to set the warehouse credentials for.');
	}
	const username = text('username', 'Username').trim();
	if (username === '') {
		throw fail('Username is empty', 'Fill in "Username": the user name on the data warehouse.');
	}
	const secretType = ctx.getNodeParameter('secretType', itemIndex, 'password') as unknown;
	if (secretType !== 'password' && secretType !== 'privateKey') {
		throw fail('Secret Type must be "password" or "privateKey"', 'Set "Secret Type" to Password or Private Key, or make its expression return "password" or "privateKey".');
	}
	// Passwords are not trimmed: one may legitimately begin or end with a space.
	const password = text('password', 'Password');
	const rawKey = text('privateKey', 'Private Key');
	const passphrase = text('passphrase', 'Passphrase');
	const state = text('state', 'State').trim() || randomUUID();

	// n8n drops the field that "Secret Type" hides, unless "Secret Type" is an expression: then both
	// fields keep their values, and a value in the other one almost always means both columns of a
	// sheet were mapped. Sending one and silently dropping the other could store the wrong secret.
	if (secretType === 'password') {
		if (password === '') {
			throw fail('Password is empty', 'Fill in "Password", or set "Secret Type" to Private Key for key-pair authentication.');
		}
		if (rawKey.trim() !== '') {
			throw fail(
				'Both Password and Private Key are set',
				'Exactly one secret is sent per data product. "Secret Type" is Password: leave "Private Key" empty (check that the expressions do not map both).',
			);
		}
		if (passphrase !== '') {
			throw fail(
				'Passphrase is set but Secret Type is Password',
				'A passphrase only applies to an encrypted private key: leave "Passphrase" empty, or set "Secret Type" to Private Key.',
			);
		}
		return { dataProductId, username, state, secret: { kind: 'password', password }, secrets: [password, password.trim()], keyBody: '' };
	}

	if (rawKey.trim() === '') {
		throw fail('Private Key is empty', 'Fill in "Private Key" with the PEM key, or set "Secret Type" to Password.');
	}
	if (password !== '') {
		throw fail(
			'Both Password and Private Key are set',
			'Exactly one secret is sent per data product. "Secret Type" is Private Key: leave "Password" empty (check that the expressions do not map both).',
		);
	}
	const key = checkPrivateKey(normalizePrivateKey(rawKey));
	if (!key.ok) {
		throw fail('Private Key is not a PEM private key', key.reason === 'publicKey' ? PUBLIC_KEY_HINT : PEM_HINT);
	}
	if (key.encrypted && passphrase === '') {
		throw fail('Passphrase is empty', 'The private key is encrypted: fill in "Passphrase" with the passphrase that unlocks it.');
	}
	if (!key.encrypted && passphrase !== '') {
		throw fail(
			'Passphrase is set but the private key is not encrypted',
			'Leave "Passphrase" empty for an unencrypted key, or use the encrypted key that the passphrase belongs to.',
		);
	}
	return {
		dataProductId,
		username,
		state,
		secret: { kind: 'privateKey', privateKey: key.pem, passphrase },
		secrets: [rawKey, key.pem, passphrase],
		keyBody: key.body,
	};
}

/** A text parameter; numbers (as sheets deliver IDs and some passwords) become text. */
function textParameter(ctx: IExecuteFunctions, node: INode, itemIndex: number, name: string, label: string): string {
	const value = ctx.getNodeParameter(name, itemIndex, '') as unknown;
	if (value === undefined || value === null) return '';
	// Not trimmed: a warehouse password may end in a space.
	const text = textOf(value, { trim: false });
	if (text !== undefined) return text;
	throw new NodeOperationError(node, `${label} must be text`, {
		itemIndex,
		description: `"${label}" resolved to ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}: map it to a text value.`,
	});
}
