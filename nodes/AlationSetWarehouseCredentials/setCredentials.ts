import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { isRecord } from '../shared/json';
import { secretsOf } from '../shared/items';
import type { ItemScope } from '../shared/items';
import { redactDeep, redactSecrets, withoutKeys } from '../shared/redact';
import { CredentialSession } from '../shared/session';
import { readInput } from './warehouseRequest';
import type { ItemInput } from './warehouseRequest';

/** What an item's error needs, filled in as the item gets further: its input (the data product, the key), its session. */
export interface WarehouseScope extends ItemScope {
	input?: ItemInput;
	session?: CredentialSession;
}

/**
 * The node's one job for one item: its input read and checked (warehouseRequest.ts), then the
 * warehouse credentials posted for its data product; the output is the server's answer without
 * secrets, and what was set.
 */
export async function setCredentials(ctx: IExecuteFunctions, scope: WarehouseScope): Promise<IDataObject> {
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
export function redactItem(text: string, secrets: readonly string[], keyBody: string): string {
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
