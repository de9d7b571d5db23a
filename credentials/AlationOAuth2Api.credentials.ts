import type { ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { credentialTestRequest } from '../nodes/shared/auth/credentialProperties';

/**
 * Alation user sign-in: OAuth 2.0 authorization code with PKCE, on n8n's own OAuth2 machinery
 * (`extends: ['oAuth2Api']`). n8n runs the browser redirect ("Connect my account"), keeps the tokens
 * encrypted in the credential, shows "Account connected", and renews the access token with the
 * refresh token — in n8n 2.x under its own single flight and, in queue mode, its Redis lock, reading
 * the stored token again first; the package's nodes add their own single flight and fleet lock on top
 * (nodes/shared/token/signIn.ts), so a rotating refresh token is spent once per lifetime on 1.x too.
 *
 * The user types the Base URL, Client ID and Client Secret; the authorize and token URLs are derived.
 * The redirect URI to register in Alation is the OAuth callback URL n8n shows in this form.
 */
export class AlationOAuth2Api implements ICredentialType {
	name = 'alationOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Alation User Sign-In OAuth2 API';

	icon: Icon = { light: 'file:alation.svg', dark: 'file:alation.dark.svg' };

	// Alation's page on user-initiated OAuth (authorization code + PKCE).
	documentationUrl = 'https://developer.alation.com/dev/docs/user-initiated-oauth';

	httpRequestNode = {
		name: 'Alation (user sign-in)',
		docsUrl: 'https://developer.alation.com/dev/docs/user-initiated-oauth',
		apiBaseUrlPlaceholder: 'https://acme.alationcloud.com/integration/v1/userinfo/',
	};

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://acme.alationcloud.com',
			description: 'Address of your Alation instance: scheme and host only, no path',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'pkce',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: '={{ $self["baseUrl"].trim().replace(/\\/+$/, "") }}/oauth/v1/authorize/',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: '={{ $self["baseUrl"].trim().replace(/\\/+$/, "") }}/oauth/v1/token/',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: 'openid',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			// The client secret goes in the token request's body (a confidential client, PKCE as well).
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];

	test: ICredentialTestRequest = credentialTestRequest('baseUrl', '/integration/v1/userinfo/');
}
