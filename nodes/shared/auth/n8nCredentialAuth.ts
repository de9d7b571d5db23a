import { UserError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
} from 'n8n-workflow';

import { undiciPost, withTarget } from '../http/client';
import { redactSecrets } from '../redact';
import { allowsUnauthorizedCerts, credentialSecrets, grantFor } from './credentialGrants';
import type { CredentialTypeName } from './credentialGrants';
import { CredentialInputError } from './credentialGrants';
import { TokenRequestError } from './errors';
import { storedToken, TokenCache, tokenCache } from './tokenCache';
import { headerValue } from './types';
import type { PostFn } from './types';

/**
 * What the two credential types plug into n8n: `preAuthentication` (n8n's pre-request token fetch)
 * and an async `authenticate`. Both go through the process-wide token cache.
 */

/** The grants' `post`, carried by n8n's own HTTP helper (proxy, SSRF rules and domain limits of n8n). */
export function n8nPost(helpers: IHttpRequestHelper['helpers'], allowUnauthorizedCerts: boolean): PostFn {
	return async (tokenRequest) => {
		const response = (await helpers.httpRequest({
			method: 'POST',
			url: tokenRequest.url,
			headers: tokenRequest.headers,
			body: tokenRequest.body,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			skipSslCertificateValidation: allowUnauthorizedCerts,
			timeout: 60_000,
		}).catch((error: unknown) => {
			throw withTarget(error, tokenRequest.url);
		})) as { statusCode: number; headers?: Record<string, unknown>; body: unknown };
		const contentType = response.headers?.['content-type'];
		const retryAfter = response.headers?.['retry-after'];
		return {
			status: response.statusCode,
			contentType: typeof contentType === 'string' ? contentType : undefined,
			retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
			body: response.body,
		};
	};
}

/** A message for the credential dialog / the HTTP Request node, with the fix in it and no secret. */
function userFacing(error: unknown, credentials: ICredentialDataDecryptedObject): Error {
	const secrets = credentialSecrets(credentials);
	if (error instanceof TokenRequestError) {
		return new UserError(redactSecrets(`${error.message}. ${error.hint}`, secrets));
	}
	if (error instanceof CredentialInputError) return new UserError(redactSecrets(error.message, secrets));
	const message = error instanceof Error ? error.message : String(error);
	return new UserError(redactSecrets(`Could not get an access token: ${message}`, secrets));
}

/**
 * n8n calls `preAuthentication` only when the stored token is empty, was just refused (401), or
 * for the credential test — never because of time. So the stored token is never handed back: it is
 * reported as refused (dropped from the cache if it is the cached one), and the cache returns a
 * newer token if another caller already got one, or fetches exactly one.
 */
export async function preAuthenticate(
	type: CredentialTypeName,
	helpers: IHttpRequestHelper['helpers'],
	credentials: ICredentialDataDecryptedObject,
): Promise<IDataObject> {
	try {
		const grant = grantFor(type, credentials);
		tokenCache.tokenRefused(grant, typeof credentials.accessToken === 'string' ? credentials.accessToken : undefined);
		const token = await tokenCache.getToken(grant, n8nPost(helpers, allowsUnauthorizedCerts(credentials)));
		return { accessToken: token.value, expiresAt: token.expiresAt, tokenIdentity: TokenCache.identityOf(grant) };
	} catch (error) {
		throw userFacing(error, credentials);
	}
}

/**
 * Adds the token header. n8n would otherwise use the stored token until a request fails with 401;
 * consulting the cache here lets requests made through n8n (the HTTP Request node) switch to a fresh
 * token before expiry and pick up a token another node already obtained, with no refused request.
 */
export async function authenticateRequest(
	type: CredentialTypeName,
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	let grant;
	let token: string;
	try {
		grant = grantFor(type, credentials);
		const current = await tokenCache.getToken(grant, undiciPost({ allowUnauthorizedCerts: allowsUnauthorizedCerts(credentials) }), {
			seed: storedToken(credentials),
		});
		token = current.value;
	} catch (error) {
		throw userFacing(error, credentials);
	}
	return {
		...requestOptions,
		headers: { ...requestOptions.headers, [grant.scheme.headerName]: headerValue(grant.scheme, token) },
	};
}
