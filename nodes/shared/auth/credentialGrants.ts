import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { normalizeBaseUrl } from '../url';
import { CredentialInputError } from '../credentialInputError';
import { alationClientCredentialsGrant, alationRefreshTokenGrant, alationSignInGrant, openIdConnectGrant } from './grants';
import type { TokenGrant } from './types';
import { textOf } from '../json';

/**
 * The only place that reads the credentials' fields. Their names (baseUrl, clientId, refreshToken…)
 * are how n8n stores every saved credential, so renaming one would empty it in every workflow that
 * uses it: they stay as they are. Everything else works on TokenGrant values.
 */

export type CredentialTypeName = 'alationApi' | 'dataClarityApi' | 'alationOAuth2Api';

export const CREDENTIAL_DISPLAY_NAMES: Record<CredentialTypeName, string> = {
	alationApi: 'Alation API',
	dataClarityApi: 'DataClarity API',
	alationOAuth2Api: 'Alation User Sign-In OAuth2 API',
};

/** Pasted values often carry a trailing newline or spaces; secrets never legitimately do. */
function text(credentials: ICredentialDataDecryptedObject, key: string): string {
	return textOf(credentials[key]) ?? '';
}

function required(
	credentials: ICredentialDataDecryptedObject,
	key: string,
	label: string,
	credentialName: string,
): string {
	const value = text(credentials, key);
	if (value === '') {
		throw new CredentialInputError(label, `${label} is empty. Fill it in the "${credentialName}" credential.`);
	}
	return value;
}

export function alationBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	return normalizeBaseUrl(credentials.baseUrl, 'Base URL', 'https://acme.alationcloud.com', {
		credentialName: CREDENTIAL_DISPLAY_NAMES.alationApi,
	});
}

export function alationAuthType(credentials: ICredentialDataDecryptedObject): 'clientCredentials' | 'refreshToken' {
	return credentials.authType === 'refreshToken' ? 'refreshToken' : 'clientCredentials';
}

export function alationGrant(credentials: ICredentialDataDecryptedObject): TokenGrant {
	const name = CREDENTIAL_DISPLAY_NAMES.alationApi;
	const baseUrl = alationBaseUrl(credentials);
	if (alationAuthType(credentials) === 'refreshToken') {
		const userId = required(credentials, 'userId', 'User ID', name);
		if (!/^\d+$/.test(userId)) {
			throw new CredentialInputError(
				'User ID',
				// The value is not quoted: a secret pasted into the wrong field would be shown.
				'User ID must be the numeric id of the Alation user who owns the refresh token (e.g. 102): digits only. It is returned as user_id when the refresh token is created.',
			);
		}
		return alationRefreshTokenGrant({ baseUrl, userId, refreshToken: required(credentials, 'refreshToken', 'Refresh Token', name) });
	}
	return alationClientCredentialsGrant({
		baseUrl,
		clientId: required(credentials, 'clientId', 'Client ID', name),
		clientSecret: required(credentials, 'clientSecret', 'Client Secret', name),
	});
}

export function dataClarityServerUrl(credentials: ICredentialDataDecryptedObject): string {
	// DataClarity is often served under a path prefix, so a path is kept (a query is not).
	return normalizeBaseUrl(credentials.serverUrl, 'Server URL', 'https://dataclarity.example.com', {
		allowPath: true,
		credentialName: CREDENTIAL_DISPLAY_NAMES.dataClarityApi,
	});
}

export function dataClarityGrant(credentials: ICredentialDataDecryptedObject): TokenGrant {
	const name = CREDENTIAL_DISPLAY_NAMES.dataClarityApi;
	const serverUrl = dataClarityServerUrl(credentials);
	const tenant = required(credentials, 'tenant', 'Tenant', name);
	const flow = credentials.flow === 'password' ? 'password' : 'clientCredentials';
	const clientId = required(credentials, 'clientId', 'Client ID', name);
	if (flow === 'password') {
		return openIdConnectGrant({
			serverUrl,
			tenant,
			clientId,
			clientSecret: text(credentials, 'clientSecret'),
			flow,
			username: required(credentials, 'username', 'Username', name),
			// A password may legitimately end in a space, so it is not trimmed — only checked for presence.
			password: untrimmedRequired(credentials, 'password', 'Password', name),
		});
	}
	return openIdConnectGrant({
		serverUrl,
		tenant,
		clientId,
		clientSecret: required(credentials, 'clientSecret', 'Client Secret', name),
		flow,
	});
}

function untrimmedRequired(
	credentials: ICredentialDataDecryptedObject,
	key: string,
	label: string,
	credentialName: string,
): string {
	const value = credentials[key];
	if (typeof value !== 'string' || value === '') {
		throw new CredentialInputError(label, `${label} is empty. Fill it in the "${credentialName}" credential.`);
	}
	return value;
}

/**
 * The grant of a credential. A user sign-in is named by the n8n credential that holds it
 * (`credentialId`): two people signed in with the same OAuth client are two identities.
 */
export function grantFor(type: CredentialTypeName, credentials: ICredentialDataDecryptedObject, credentialId = ''): TokenGrant {
	if (type === 'alationOAuth2Api') {
		const name = CREDENTIAL_DISPLAY_NAMES.alationOAuth2Api;
		return alationSignInGrant({
			baseUrl: normalizeBaseUrl(credentials.baseUrl, 'Base URL', 'https://acme.alationcloud.com', { credentialName: name }),
			clientId: required(credentials, 'clientId', 'Client ID', name),
			clientSecret: text(credentials, 'clientSecret'),
			credentialId,
		});
	}
	return type === 'alationApi' ? alationGrant(credentials) : dataClarityGrant(credentials);
}

export function allowsUnauthorizedCerts(credentials: ICredentialDataDecryptedObject): boolean {
	// The user sign-in credential has n8n's OAuth2 switch (ignoreSSLIssues) instead.
	return credentials.allowUnauthorizedCerts === true || credentials.ignoreSSLIssues === true;
}

/** Every secret a credential holds, for redaction of anything that might reach a user. */
export function credentialSecrets(credentials: ICredentialDataDecryptedObject | undefined): string[] {
	if (!credentials) return [];
	// A user sign-in keeps its tokens in n8n's oauthTokenData.
	const signIn = credentials.oauthTokenData as Record<string, unknown> | undefined;
	return [
		...['clientSecret', 'refreshToken', 'password', 'accessToken'].map((key) => credentials[key]),
		signIn?.access_token,
		signIn?.refresh_token,
		signIn?.id_token,
	]
		.filter((value): value is string => typeof value === 'string' && value !== '')
		.flatMap((value) => [value, value.trim()]);
}
