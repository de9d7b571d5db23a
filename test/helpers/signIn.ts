/**
 * A person's sign-in, as n8n's "Connect my account" does it, against the simulator's
 * /oauth/v1/authorize/ and /oauth/v1/token/: a PKCE verifier and its S256 challenge, the sign-in page's
 * answer for one user (302 to n8n's callback with code and state), the code exchanged with the
 * verifier. What n8n then stores in the credential (oauthTokenData) is what this returns.
 */
import { createHash, randomBytes } from 'node:crypto';

import type { ICredentialType, IDataObject, INodeProperties } from 'n8n-workflow';

import { DEMO } from '../simulator';
import type { StoredCredential } from './n8n';

/** n8n's OAuth2 callback path: the redirect URI a Server Admin registers. */
export const N8N_CALLBACK = 'http://127.0.0.1:5678/rest/oauth2-credential/callback';

export async function signInAs(simUrl: string, userId: number): Promise<IDataObject> {
	const verifier = randomBytes(32).toString('base64url');
	const challenge = createHash('sha256').update(verifier).digest('base64url');
	const state = randomBytes(8).toString('hex');
	const page = await fetch(`${simUrl}/oauth/v1/authorize/`, {
		method: 'POST',
		redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			response_type: 'code',
			client_id: DEMO.userOauthClientId,
			redirect_uri: N8N_CALLBACK,
			code_challenge: challenge,
			code_challenge_method: 'S256',
			state,
			scope: 'openid',
			user_id: String(userId),
		}),
	});
	const back = new URL(page.headers.get('location') ?? 'http://invalid/');
	if (page.status !== 302 || back.searchParams.get('state') !== state) throw new Error(`sign-in page answered ${page.status} ${back.toString()}`);
	const token = await fetch(`${simUrl}/oauth/v1/token/`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code: back.searchParams.get('code') ?? '',
			redirect_uri: N8N_CALLBACK,
			client_id: DEMO.userOauthClientId,
			client_secret: DEMO.userOauthClientSecret,
			code_verifier: verifier,
		}),
	});
	if (token.status !== 200) throw new Error(`token exchange answered ${token.status}: ${await token.text()}`);
	const data = (await token.json()) as IDataObject;
	// As n8n stores it: with the time it expires (n8n_expires_at, epoch ms as text).
	return { ...data, n8n_expires_at: String(Date.now() + Number(data.expires_in) * 1000) };
}

export const signInCredential = (simUrl: string, oauthTokenData: IDataObject, id = 'signin-1'): StoredCredential => ({
	id,
	name: 'Alation (Ada, signed in)',
	type: 'alationOAuth2Api',
	data: { baseUrl: simUrl, clientId: DEMO.userOauthClientId, clientSecret: DEMO.userOauthClientSecret, oauthTokenData },
});

/**
 * n8n's own OAuth2 credential type (n8n-nodes-base's oAuth2Api, which the sign-in credential extends):
 * the properties n8n's OAuth2 code reads, as 2.41 declares them. n8n-nodes-base is not a dependency of
 * the package; the real one is used by the end-to-end suite.
 */
const hidden = (name: string, value: string | boolean): INodeProperties => ({ displayName: name, name, type: 'hidden', default: value });
export const n8nOAuth2ApiType: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	properties: [
		hidden('useDynamicClientRegistration', false),
		hidden('grantType', 'authorizationCode'),
		hidden('authUrl', ''),
		hidden('accessTokenUrl', ''),
		hidden('clientId', ''),
		{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '' },
		hidden('scope', ''),
		hidden('authQueryParameters', ''),
		hidden('authentication', 'header'),
		hidden('ignoreSSLIssues', false),
	],
};
