import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHttpRequestOptions, INode } from 'n8n-workflow';

import type { CredentialTypeName } from '../auth/credentialGrants';
import type { AccessToken, PostFn, TokenGrant } from '../auth/types';
import { tokenAuthority } from './authority';

/*
 * The storing request: how a node gets a new token *and has n8n store it in the credential*, so that
 * every other item, execution, node and n8n process finds it there instead of minting its own (each
 * mint invalidates the previous token at Alation). A node cannot write a credential; n8n writes one
 * only when a credential's `preAuthentication` returns new fields during an authenticated request.
 * So a node sends n8n an authenticated request that is never meant to leave the process:
 *
 *   1. the node (session.ts) calls n8n's `httpRequestWithAuthentication` with a copy of the
 *      credential data whose token is empty, marked here as a storing request (`markStoringRequest`);
 *   2. n8n sees the empty token and calls the credential's `preAuthentication` (credentialDoors.ts)
 *      with that same object: the door finds the mark and gets the token from the token authority —
 *      the held one if fresh (unless Force New), else one mint shared by every caller;
 *   3. n8n stores what `preAuthentication` returned in the credential (encrypted, for every process);
 *   4. n8n then calls the credential's `authenticate` with the same object: the door finds the mark
 *      and throws TokenStored, so the request itself is never sent;
 *   5. back in the node, n8n's request failed (as it should): the token is the authority's held one
 *      (it was put there in 2). If none is held, the token request failed: its own error is thrown
 *      (n8n wrapped it; the authority kept it), or n8n's error when it was not TokenStored.
 *
 * Without n8n's helper or a saved credential (a test run of an unsaved node), the token is fetched
 * directly and lives in this process only.
 */

/** Credentials objects of the storing requests in flight: fetch and store a token, send nothing. */
const storingRequests = new WeakMap<object, { forceNew: boolean }>();

/** Step 1: marks `data` (the credential data handed to n8n) as a storing request. */
function markStoringRequest(data: object, forceNew: boolean): void {
	storingRequests.set(data, { forceNew });
}

/** Steps 2 and 4 (the doors): whether n8n passed a storing request's data, and with which option. */
export function storingRequestOf(credentials: object): { forceNew: boolean } | undefined {
	return storingRequests.get(credentials);
}

/** Thrown by `authenticate` on a storing request (step 4): the token is stored, there is nothing to send. */
export class TokenStored extends Error {
	constructor() {
		super('The access token was stored in the credential; no request was needed.');
		this.name = 'TokenStored';
	}
}

/** What the storing request needs from the node's context. */
export interface StoringContext {
	getNode(): INode;
	helpers: Partial<Pick<IExecuteFunctions['helpers'], 'httpRequestWithAuthentication'>>;
}

/**
 * A token fit to send, fetched through n8n so that n8n stores it in the credential (steps 1–5).
 * `post` is used only where there is no n8n to store it (no helper, unsaved credential).
 */
export async function fetchAndStore(
	ctx: StoringContext,
	type: CredentialTypeName,
	credentials: ICredentialDataDecryptedObject,
	grant: TokenGrant,
	post: PostFn,
	forceNew: boolean,
): Promise<AccessToken> {
	const nodeCredential = ctx.getNode().credentials?.[type];
	const request = ctx.helpers.httpRequestWithAuthentication;
	if (!request || !nodeCredential?.id) return await tokenAuthority.get(grant, post, { forceNew });

	// 1.
	const data: ICredentialDataDecryptedObject = { ...credentials, accessToken: '' };
	markStoringRequest(data, forceNew);
	const storingRequest: IHttpRequestOptions = { method: 'GET', url: grant.checkUrl, json: true };
	// 2–4 happen inside n8n.
	const outcome = await request
		.call(ctx as IExecuteFunctions, type, storingRequest, {
			credentialsDecrypted: { id: nodeCredential.id, name: nodeCredential.name, type, data },
		})
		.then(
			() => undefined,
			(error: unknown) => error,
		);
	// 5.
	const token = tokenAuthority.held(grant, { fresh: true });
	if (token) return token;
	const failure = tokenAuthority.lastFailure(grant);
	if (failure !== undefined) throw failure;
	if (outcome !== undefined && !isTokenStored(outcome)) throw outcome;
	throw new Error('No access token was obtained');
}

/** n8n wraps what `authenticate` throws; the storing request's end is TokenStored, found as the cause. */
function isTokenStored(error: unknown): boolean {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		if (e instanceof TokenStored) return true;
		e = (e as { cause?: unknown }).cause;
	}
	return false;
}
