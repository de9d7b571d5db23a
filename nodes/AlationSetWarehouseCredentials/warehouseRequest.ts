import { randomUUID } from 'node:crypto';

import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INode } from 'n8n-workflow';

import { textOf } from '../shared/json';
import { checkPrivateKey, normalizePrivateKey, PEM_HINT, PUBLIC_KEY_HINT } from './privateKey';

/** Everything one item asks for, read from the node's parameters and checked before any request. */
type Secret = { kind: 'password'; password: string } | { kind: 'privateKey'; privateKey: string; passphrase: string };

export interface ItemInput {
	dataProductId: string;
	username: string;
	state: string;
	secret: Secret;
	/** Every form of every secret of the item, for redaction. */
	secrets: string[];
	/** The private key's base64 body on one line ('' for a password), to find quotes of it. */
	keyBody: string;
}

export function readInput(ctx: IExecuteFunctions, itemIndex: number): ItemInput {
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

