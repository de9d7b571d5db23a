import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper, IHttpRequestOptions } from 'n8n-workflow';

import { allowsUnauthorizedCerts, grantFor } from '../auth/credentialGrants';
import type { CredentialTypeName } from '../auth/credentialGrants';
import { headerValue } from '../auth/types';
import { credentialError } from '../nodeErrors';
import { storedToken, tokenAuthority } from './authority';
import { n8nCheck, n8nPost } from './transports';

/*
 * The doors n8n opens into a credential, as thin adapters onto the token authority.
 *
 * n8n calls `preAuthentication` without saying why: the stored token is empty, the Test button, or a
 * request failed — after a 401 through `httpRequestWithAuthentication`, but after *any* error
 * (404, 500, timeout) through the older `requestWithAuthentication` that the HTTP Request node uses.
 * Whatever it returns is stored in the credential and the failed request is sent again; if it
 * returns no token, n8n stores nothing, sends nothing again and shows the original error. So:
 * mint only for a token that was really refused; otherwise hand back nothing new.
 *
 * "The token that was sent" is known because `authenticate` records it against the credentials
 * object n8n passes to both (the same object within one request).
 */

/** The token `authenticate` put on a request, per credentials object n8n passed to it. */
const sentWith = new WeakMap<object, string>();

/** Credentials objects on which `authenticate` asked n8n to renew the token (TokenRenewalNeeded). */
const renewalAsked = new WeakSet<object>();

/** Credentials objects of the nodes' storing requests (session.ts): fetch and store a token, send nothing. */
const storingRequests = new WeakMap<object, { forceNew: boolean }>();

/**
 * Marks `data` (the credential data a node hands to `httpRequestWithAuthentication`) as a storing
 * request: `preAuthentication` gets the token (minting only if none is fresh, or if `forceNew`) so
 * that n8n stores it in the credential; `authenticate` then ends the request before it is sent.
 */
export function markStoringRequest(data: object, forceNew: boolean): void {
	storingRequests.set(data, { forceNew });
}

/** Thrown by `authenticate` on a storing request: the token is stored, there is nothing to send. */
export class TokenStored extends Error {
	constructor() {
		super('The access token was stored in the credential; no request was needed.');
		this.name = 'TokenStored';
	}
}

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
		const post = n8nPost(helpers, insecure);
		const stored = storedToken(credentials);
		const give = async (forceNew = false) =>
			await tokenAuthority.stored(grant, await tokenAuthority.get(grant, post, { forceNew }), stored);

		const storing = storingRequests.get(credentials);
		if (storing) return await give(storing.forceNew);
		// authenticate found no token fit to send and asked for this call: renew (or take a newer one).
		if (renewalAsked.delete(credentials)) return await give();

		const own = await tokenAuthority.ownToken(grant, stored);
		const held = await tokenAuthority.find(grant, stored);
		const sent = sentWith.get(credentials) ?? own?.value;
		// Nothing of this identity was sent: the stored token is empty, or belongs to other values
		// (the secret or address was changed — the Test button then checks the new values).
		if (sent === undefined) return await give();
		// A newer token is held than the one sent: n8n sends the request again with it, no mint.
		if (held && held.value !== sent) return await give();
		if (!held) {
			// The token sent is no longer fit to send. Refused or expired: a newer one, or one mint. Only
			// due for renewal: the request may have failed for another reason (a slow request that ended
			// in a 500), so the check decides, as below.
			const sentToken = [tokenAuthority.held(grant), own].find((token) => token?.value === sent);
			const merelyDue = sentToken !== undefined && !tokenAuthority.isRefused(sent) && sentToken.expiresAt > Date.now();
			if (!merelyDue || (await tokenAuthority.check(grant, sent, n8nCheck(helpers, insecure))) === 'refused') return await give();
			return {};
		}
		// The token sent is the current one. Was it refused? One shared check decides.
		const verdict = await tokenAuthority.check(grant, held.value, n8nCheck(helpers, insecure));
		if (verdict === 'refused') return await give();
		// Accepted (or no answer): the failure was not the token's. Nothing new: n8n shows the
		// original error and does not send the request again; the Test button goes on with it.
		return {};
	} catch (error) {
		throw credentialError(error, credentials);
	}
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
	if (storingRequests.has(credentials)) throw new TokenStored();
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
