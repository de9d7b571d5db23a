import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper, IHttpRequestOptions } from 'n8n-workflow';

import { allowsUnauthorizedCerts, grantFor } from './auth/credentialGrants';
import type { CredentialTypeName } from './auth/credentialGrants';
import { headerValue } from './auth/types';
import type { TokenGrant } from './auth/types';
import { credentialError } from './nodeErrors';
import { storedToken, tokenAuthority } from './token/authority';
import type { CheckFn, StoredToken } from './token/authority';
import { storingRequestOf, TokenStored } from './token/storingRequest';
import { n8nCheck, n8nPost } from './token/transports';

/*
 * The doors n8n opens into a credential, as thin adapters onto the token authority.
 *
 * n8n calls `preAuthentication` without saying why. The door tells three cases apart:
 *
 *   1. a node's storing request (token/storingRequest.ts): get a token so that n8n stores it;
 *   2. `authenticate` found no token fit to send and asked n8n to renew (TokenRenewalNeeded): get one
 *      — a newer token held, or one mint;
 *   3. anything else — the stored token is empty, the Test button, or a request failed: after a 401
 *      through `httpRequestWithAuthentication`, but after *any* error (404, 500, timeout) through the
 *      older `requestWithAuthentication` that the HTTP Request node uses. Whatever the door returns
 *      is stored and the failed request sent again; if it returns nothing, n8n stores nothing, sends
 *      nothing again and shows the original error. So a new token only if the one sent was refused
 *      (`newTokenCalledFor`).
 *
 * "The token that was sent" is known because `authenticate` records it against the credentials
 * object n8n passes to both (the same object within one request).
 */

/** The token `authenticate` put on a request, per credentials object n8n passed to it. */
const sentWith = new WeakMap<object, string>();

/** Credentials objects on which `authenticate` asked n8n to renew the token (TokenRenewalNeeded). */
const renewalAsked = new WeakSet<object>();

/**
 * Thrown by `authenticate` when no fresh token is held: shaped as a 401 so that n8n's request
 * helpers call `preAuthentication` (which gets a token through n8n, so n8n stores it) and then send
 * the request once — instead of sending it with a token about to expire, or minting one here that
 * n8n would never store (and that would invalidate the one stored for every other process).
 */
export class TokenRenewalNeeded extends Error {
	/**
	 * Read as a 401 by every version of n8n's request helpers: 2.x reads `error.response.status`; 3.x reads
	 * the status of the error's full response (`toHttpFullResponse(error)?.statusCode`), so the response is
	 * shaped as n8n's IN8nHttpFullResponse too, and the error carries the status itself.
	 */
	readonly response = { status: 401, statusCode: 401, headers: {}, body: {} };
	readonly statusCode = 401;
	readonly httpCode = '401';

	constructor() {
		super('The access token is due for renewal; n8n fetches a new one through the credential before sending the request.');
		this.name = 'TokenRenewalNeeded';
	}
}

export async function preAuthenticate(
	type: CredentialTypeName,
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<IDataObject> {
	try {
		const grant = grantFor(type, credentials);
		const insecure = allowsUnauthorizedCerts(credentials);
		const stored = storedToken(credentials);
		const give = async (forceNew = false) =>
			await tokenAuthority.credentialFields(grant, await tokenAuthority.get(grant, n8nPost(helpers, insecure), { forceNew }), stored);

		// 1. A node's storing request.
		const storing = storingRequestOf(credentials);
		if (storing) return await give(storing.forceNew);
		// 2. authenticate asked for a renewal.
		if (renewalAsked.delete(credentials)) return await give();
		// 3. Anything else: a new token only if the one sent was refused. Otherwise nothing new — n8n shows
		// the original error and does not send the request again; the Test button goes on with it.
		const calledFor = await newTokenCalledFor(grant, stored, sentWith.get(credentials), n8nCheck(helpers, insecure));
		return calledFor ? await give() : {};
	} catch (error) {
		throw credentialError(error, credentials);
	}
}

/**
 * Case 3 of `preAuthenticate`: is a new token called for — nothing of this identity was sent, a newer
 * token is held than the one sent, or the one sent was refused? `sentByDoor` is the token
 * `authenticate` put on the failed request (undefined when n8n sent the stored one without asking).
 */
async function newTokenCalledFor(grant: TokenGrant, stored: StoredToken, sentByDoor: string | undefined, check: CheckFn): Promise<boolean> {
	const inCredential = await tokenAuthority.tokenIn(grant, stored);
	const sent = sentByDoor ?? inCredential?.value;
	// Nothing of this identity was sent: the stored token is empty, or belongs to other values (the
	// secret or address was changed — the Test button then checks the new values).
	if (sent === undefined) return true;
	const current = await tokenAuthority.find(grant, stored);
	// A newer token is held than the one sent: n8n sends the request again with it, no mint.
	if (current && current.value !== sent) return true;
	if (current) {
		// The token sent is the current one. Was it refused? One shared check decides.
		return (await tokenAuthority.check(grant, sent, check)) === 'refused';
	}
	// The token sent is no longer fit to send. Refused or expired: a newer one, or one mint. Only due
	// for renewal: the request may have failed for another reason (a slow request that ended in a
	// 500), so the check decides.
	const sentToken = [tokenAuthority.held(grant), inCredential].find((token) => token?.value === sent);
	const merelyDue = sentToken !== undefined && !tokenAuthority.isRefused(sent) && sentToken.expiresAt > Date.now();
	return !merelyDue || (await tokenAuthority.check(grant, sent, check)) === 'refused';
}

/**
 * Adds the token header: the held token, or a newer one the credential or the fleet holds. It never mints: a
 * token minted here could not be stored in the credential (see TokenRenewalNeeded).
 */
export async function authenticateRequest(
	type: CredentialTypeName,
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	if (storingRequestOf(credentials)) throw new TokenStored();
	let grant;
	let token;
	try {
		grant = grantFor(type, credentials);
		token = await tokenAuthority.find(grant, storedToken(credentials));
	} catch (error) {
		throw credentialError(error, credentials);
	}
	if (!token) {
		renewalAsked.add(credentials);
		throw new TokenRenewalNeeded();
	}
	sentWith.set(credentials, token.value);
	return {
		...requestOptions,
		headers: { ...requestOptions.headers, [grant.scheme.headerName]: headerValue(grant.scheme, token.value) },
	};
}
