import type { ICredentialTestRequest, INodeProperties } from 'n8n-workflow';

/**
 * What the Alation API and DataClarity API credentials have in common: the TLS switch, the hidden
 * token n8n stores, and the shape of the Test button's request.
 */

// A boolean switch, not a secret (the community-node lint rule matches "Cert" in the name). The
// description is n8n's own wording for this switch; `hint` says when to use it.
export const ignoreSslIssuesProperty = (hint: string): INodeProperties => ({
	displayName: 'Ignore SSL Issues (Insecure)',
	name: 'allowUnauthorizedCerts',
	type: 'boolean',
	default: false,
	description: 'Whether to connect even if SSL certificate validation is not possible',
	hint,
});

/**
 * n8n's pre-request token fetch: `accessToken` is the expirable property (n8n calls
 * `preAuthentication` when it is empty, for the Test button, and after a failed request);
 * `expiresAt` and `mintedAt` (epoch ms) let every process reuse the stored token instead of minting
 * one, and tell which of two tokens is newer (tokens only move forward); `tokenIdentity` (a salted,
 * slow fingerprint: auth/identity.ts) makes sure it is reused only by the identity it was minted for.
 * Only declared properties are persisted.
 */
export const storedTokenProperties: INodeProperties[] = [
	{
		displayName: 'Access Token',
		name: 'accessToken',
		type: 'hidden',
		typeOptions: { expirable: true, password: true },
		default: '',
	},
	{
		displayName: 'Expires At',
		name: 'expiresAt',
		type: 'hidden',
		default: 0,
	},
	{
		displayName: 'Minted At',
		name: 'mintedAt',
		type: 'hidden',
		default: 0,
	},
	{
		// Which identity (token URL, client or user, secret — as a salted scrypt hash) the stored token belongs to.
		displayName: 'Token Identity',
		name: 'tokenIdentity',
		type: 'hidden',
		default: '',
	},
];

/**
 * The Test button's request: `path` on the credential's address, tolerating what the token code
 * tolerates (a missing scheme, trailing slashes) and honouring "Ignore SSL Issues".
 */
export function credentialTestRequest(urlField: 'baseUrl' | 'serverUrl', path: string): ICredentialTestRequest {
	const url = `$credentials.${urlField}.trim()`;
	return {
		request: {
			baseURL: `={{ (/^https?:\\/\\//i.test(${url}) ? "" : "https://") + ${url}.replace(/\\/+$/, "") }}`,
			url: path,
			method: 'GET',
			skipSslCertificateValidation: '={{ $credentials.allowUnauthorizedCerts === true }}',
		},
	};
}
