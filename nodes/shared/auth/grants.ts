import { ALATION_TOKEN_HEADER, BEARER } from './types';
import type { TokenGrant } from './types';

/**
 * One function per grant. Each returns a TokenGrant value, with no I/O: `token/requestToken.ts`
 * sends it through whatever transport the caller has (n8n's helper in `preAuthentication`, undici
 * in the nodes).
 */

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

function form(fields: Record<string, string>): string {
	return new URLSearchParams(fields).toString();
}

/**
 * Alation user sign-in (OAuth 2.0 authorization code + PKCE, `{baseUrl}/oauth/v1/token/`): the person
 * signed in through n8n's "Connect" ("Connect my account" in n8n 1.x), and n8n renews the access token with the refresh token
 * (token/signIn.ts). This grant never sends a request of its own: it names the identity (the OAuth
 * client and the n8n credential holding the person's sign-in) for the fleet's lock and for redaction.
 */
export function alationSignInGrant(input: { baseUrl: string; clientId: string; clientSecret: string; credentialId: string }): TokenGrant {
	const tokenUrl = `${input.baseUrl}/oauth/v1/token/`;
	return {
		label: 'Alation user sign-in',
		tokenUrl,
		principal: `signin:${input.clientId}:${input.credentialId}`,
		secrets: [input.clientSecret],
		scheme: BEARER,
		tokenField: 'access_token',
		checkUrl: `${input.baseUrl}/integration/v1/userinfo/`,
		rejectedHint: 'Connect the account again in the credential ("Connect" or "Reconnect"; "Connect my account" in n8n 1.x).',
		buildRequest: () => {
			throw new Error('A user sign-in is renewed through n8n (refreshOAuth2Token), never by the package itself');
		},
	};
}

/** Alation OAuth 2.0 client credentials: `POST {baseUrl}/oauth/v2/token/`, credentials in the form body. */
export function alationClientCredentialsGrant(input: {
	baseUrl: string;
	clientId: string;
	clientSecret: string;
}): TokenGrant {
	const tokenUrl = `${input.baseUrl}/oauth/v2/token/`;
	return {
		label: 'Alation OAuth client credentials',
		tokenUrl,
		principal: `client:${input.clientId}`,
		secrets: [input.clientSecret],
		scheme: BEARER,
		tokenField: 'access_token',
		checkUrl: `${input.baseUrl}/integration/v1/userinfo/`,
		rejectedHint:
			'Check the Client ID and Client Secret of the OAuth client application (Alation: Admin Settings → Authentication → OAuth Client Applications). A client secret is shown only once, when the client is created.',
		buildRequest: () => ({
			url: tokenUrl,
			headers: { 'Content-Type': FORM, Accept: JSON_TYPE },
			body: form({
				grant_type: 'client_credentials',
				client_id: input.clientId,
				client_secret: input.clientSecret,
			}),
		}),
	};
}

/** Alation refresh token → API access token: `POST {baseUrl}/integration/v1/createAPIAccessToken/`, JSON. */
export function alationRefreshTokenGrant(input: {
	baseUrl: string;
	userId: string;
	refreshToken: string;
}): TokenGrant {
	const tokenUrl = `${input.baseUrl}/integration/v1/createAPIAccessToken/`;
	// Alation's own clients send user_id as a number; keep a non-numeric id as typed so the server can say why.
	const userId = /^\d+$/.test(input.userId) ? Number(input.userId) : input.userId;
	return {
		label: 'Alation refresh token',
		tokenUrl,
		principal: `user:${input.userId}`,
		secrets: [input.refreshToken],
		scheme: ALATION_TOKEN_HEADER,
		tokenField: 'api_access_token',
		checkUrl: `${input.baseUrl}/integration/v1/userinfo/`,
		rejectedHint:
			'Check the User ID and Refresh Token: the refresh token must belong to that user and be active (Alation: Account Settings → Authentication). Refresh tokens expire (60 days by default) and can be revoked by an admin.',
		buildRequest: () => ({
			url: tokenUrl,
			headers: { 'Content-Type': JSON_TYPE, Accept: JSON_TYPE },
			body: JSON.stringify({ refresh_token: input.refreshToken, user_id: userId }),
		}),
	};
}

/** DataClarity: OpenID Connect token endpoint of its Keycloak, `client_credentials` or `password` grant. */
export function openIdConnectGrant(input: {
	serverUrl: string;
	tenant: string;
	clientId: string;
	clientSecret: string;
	flow: 'clientCredentials' | 'password';
	username?: string;
	password?: string;
}): TokenGrant {
	const tokenUrl = `${input.serverUrl}/auth/realms/${encodeURIComponent(input.tenant)}/protocol/openid-connect/token`;
	const isPassword = input.flow === 'password';
	const fields: Record<string, string> = isPassword
		? {
				grant_type: 'password',
				client_id: input.clientId,
				username: input.username ?? '',
				password: input.password ?? '',
			}
		: { grant_type: 'client_credentials', client_id: input.clientId };
	// A public client (password flow) may have no secret; a confidential one sends it in the body.
	if (input.clientSecret !== '') fields.client_secret = input.clientSecret;
	return {
		label: `DataClarity OpenID Connect (${isPassword ? 'password' : 'client credentials'})`,
		tokenUrl,
		principal: isPassword ? `client:${input.clientId}|user:${input.username ?? ''}` : `client:${input.clientId}`,
		secrets: isPassword ? [input.clientSecret, input.password ?? ''] : [input.clientSecret],
		scheme: BEARER,
		tokenField: 'access_token',
		checkUrl: `${input.serverUrl}/dp/api/v1/aiconnections/types`,
		rejectedHint: isPassword
			? 'Check the Client ID, Client Secret, Username and Password, and that the tenant (realm) is right.'
			: 'Check the Client ID and Client Secret, that the tenant (realm) is right, and that the client has "Service accounts" enabled in Access Manager.',
		buildRequest: () => ({
			url: tokenUrl,
			headers: { 'Content-Type': FORM, Accept: JSON_TYPE },
			body: form(fields),
		}),
	};
}
