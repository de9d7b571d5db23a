import { randomUUID } from 'node:crypto';

import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { alationAuthType } from '../shared/auth/credentialGrants';
import { toNodeError } from '../shared/http/nodeErrors';
import { runPerItem, withItemData } from '../shared/items';
import { redactDeep, redactSecrets, withoutKeys } from '../shared/redact';
import { CredentialSession } from '../shared/session';
import { isRecord, textOf } from '../shared/json';

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
		properties: [
			{
				displayName:
					'Warehouse credentials are stored for the OAuth client of the credential, once per data product. Agents and tools that run SQL with that OAuth client then use them automatically.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Data Product ID',
				name: 'dataProductId',
				type: 'string',
				default: '',
				required: true,
				description: 'ID of the data product to set the warehouse credentials for',
			},
			{
				displayName: 'Username',
				name: 'username',
				type: 'string',
				default: '',
				required: true,
				description: 'User name on the data warehouse (not the Alation user)',
			},
			{
				displayName: 'Secret Type',
				name: 'secretType',
				type: 'options',
				default: 'password',
				options: [
					{ name: 'Password', value: 'password', description: 'Basic authentication with the warehouse password' },
					{
						name: 'Private Key',
						value: 'privateKey',
						description: 'Key-pair authentication (e.g. Snowflake) with a PEM private key',
					},
				],
				description:
					'Which secret to send. Exactly one is sent: with an expression here, fill in only the field it selects.',
			},
			{
				displayName: 'Password',
				name: 'password',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				displayOptions: { show: { secretType: ['password'] } },
				description: 'Password of the warehouse user',
			},
			{
				displayName: 'Private Key',
				name: 'privateKey',
				type: 'string',
				typeOptions: { password: true, rows: 4 },
				default: '',
				displayOptions: { show: { secretType: ['privateKey'] } },
				placeholder: '-----BEGIN PRIVATE KEY-----',
				description:
					'The whole PEM key, BEGIN and END lines included. A key on one line with \\n between its lines (as kept in sheets and environment variables) is accepted.',
			},
			{
				displayName: 'Passphrase',
				name: 'passphrase',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				displayOptions: { show: { secretType: ['privateKey'] } },
				description: 'Passphrase of an encrypted private key; leave empty for an unencrypted key',
			},
			{
				displayName: 'State',
				name: 'state',
				type: 'string',
				default: '',
				description: 'Identifier of this credential configuration. Leave empty for a new random UUID per item.',
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// What an item's error needs, filled in as the item gets further: the action names the data
		// product, and the redaction list holds the item's secrets and the tokens its session used.
		const contextOf = new Map<number, ItemContext>();
		const toError = (error: unknown, itemIndex: number) => {
			const context = contextOf.get(itemIndex);
			const nodeError = toNodeError(error, {
				node: this.getNode(),
				itemIndex,
				secrets: context?.secrets() ?? [],
				redact: context?.redact,
				action: context?.action ?? 'Setting warehouse credentials',
				statusHints: context?.statusHints ?? STATUS_HINTS,
			});
			// Under "Continue On Fail" the error item says which data product failed.
			return context ? withItemData(nodeError, context.itemData) : nodeError;
		};

		// One item at a time: admins run this over dozens of data products, and a sequential run
		// keeps the server's load and the order of its log plain. It is quick enough.
		const items = await runPerItem(
			this,
			async (itemIndex) => {
				const input = readInput(this, itemIndex);
				const context: ItemContext = {
					secrets: () => input.secrets,
					redact: (text) => redactItem(text, context.secrets(), input.keyBody),
					action: `Setting warehouse credentials for data product "${input.dataProductId}"`,
					statusHints: STATUS_HINTS,
					itemData: { dataProductId: input.dataProductId, username: input.username },
				};
				contextOf.set(itemIndex, context);

				const session = await CredentialSession.open(this, 'alationApi', itemIndex);
				context.secrets = () => [...input.secrets, ...session.secrets];
				if (alationAuthType(session.credentials) === 'refreshToken') context.statusHints = REFRESH_TOKEN_STATUS_HINTS;

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
					...serverFields(response.json, context.redact),
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

interface ItemContext {
	secrets: () => string[];
	/** Removes every secret of the item (and its session's tokens) from a text. */
	redact: (text: string) => string;
	action: string;
	statusHints: Partial<Record<number, string>>;
	itemData: IDataObject;
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

const PEM_HINT =
	'Paste the whole key, from the "-----BEGIN PRIVATE KEY-----" line to the "-----END PRIVATE KEY-----" line (ENCRYPTED, RSA and EC private keys are accepted too). A key on one line with \\n between its lines is accepted.';
const PUBLIC_KEY_HINT = 'This is a public key. Use the private key it belongs to, from its "-----BEGIN … PRIVATE KEY-----" line to its END line.';

/**
 * Keys arrive from sheets, secret stores and environment variables in several shapes. Literal `\n`
 * (and `\r\n`) sequences become line breaks (a PEM body is base64, which has no backslash, so this
 * cannot change key material), CRLF becomes LF, and spaces around lines and the key are dropped.
 */
function normalizePrivateKey(raw: string): string {
	return raw
		.replace(/\\r\\n|\\n|\\r/g, '\n')
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map((line) => line.trim())
		.join('\n')
		.trim();
}

type KeyCheck = { ok: true; pem: string; body: string; encrypted: boolean } | { ok: false; reason: 'publicKey' | 'notPem' };

const PEM_BEGIN = /^-----BEGIN ((?:ENCRYPTED |RSA |EC )?)PRIVATE KEY-----$/;
const PEM_END = /^-----END ((?:ENCRYPTED |RSA |EC )?)PRIVATE KEY-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** Headers of the traditional OpenSSL format ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …"), before the body. */
const PEM_HEADER = /^[A-Za-z][A-Za-z0-9-]*:\s*\S/;

/** PKCS#8 (plain or ENCRYPTED) or traditional RSA / EC keys; the body is checked as base64 lines. */
function checkPrivateKey(pem: string): KeyCheck {
	const lines = pem.split('\n');
	const begin = PEM_BEGIN.exec(lines[0]);
	const end = lines.length >= 3 ? PEM_END.exec(lines[lines.length - 1]) : null;
	if (!begin || !end || begin[1] !== end[1]) {
		return { ok: false, reason: /-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(pem) ? 'publicKey' : 'notPem' };
	}
	let encrypted = begin[1] === 'ENCRYPTED ';
	const body: string[] = [];
	for (const line of lines.slice(1, -1)) {
		if (line === '') continue;
		if (BASE64_LINE.test(line)) {
			body.push(line);
		} else if (body.length === 0 && PEM_HEADER.test(line)) {
			if (/^Proc-Type:\s*4\s*,\s*ENCRYPTED$/i.test(line)) encrypted = true;
		} else {
			return { ok: false, reason: 'notPem' };
		}
	}
	return body.length === 0 ? { ok: false, reason: 'notPem' } : { ok: true, pem, body: body.join(''), encrypted };
}
