import type { IExecuteFunctions, ILoadOptionsFunctions, INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

/*
 * Which Alation identity a node runs as: a machine's ("Alation API": an OAuth client, or a refresh
 * token) or the person who connected their account ("Alation User Sign-In OAuth2 API"). The
 * parameter is new; a node saved without it keeps the machine identity, its default.
 */

export type AlationCredentialType = 'alationApi' | 'alationOAuth2Api';

export const alationAuthenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	default: 'alationApi',
	options: [
		{
			name: 'OAuth Client or Refresh Token',
			value: 'alationApi',
			description: 'The "Alation API" credential, a machine identity: for scheduled and shared workflows',
		},
		{
			name: 'User Sign-In',
			value: 'alationOAuth2Api',
			description: 'The "Alation User Sign-In OAuth2 API" credential: the person who connected their account; answers respect what they may see',
		},
	],
};

// "Alation API" is hidden for a sign-in rather than shown for its own value: n8n checks these
// conditions against the node's parameters as sent (a node saved before this parameter existed, or the
// editor's list search, has none), and such a node must keep its credential.
export const alationCredentials: INodeCredentialDescription[] = [
	{ name: 'alationApi', required: true, displayOptions: { hide: { authentication: ['alationOAuth2Api'] } } },
	{ name: 'alationOAuth2Api', required: true, displayOptions: { show: { authentication: ['alationOAuth2Api'] } } },
];

function asType(value: unknown): AlationCredentialType {
	return value === 'alationOAuth2Api' ? 'alationOAuth2Api' : 'alationApi';
}

/** The credential type a node's item runs with. */
export function alationCredentialType(ctx: Pick<IExecuteFunctions, 'getNodeParameter'>, itemIndex: number): AlationCredentialType {
	return asType(ctx.getNodeParameter('authentication', itemIndex, 'alationApi'));
}

/** The same for the editor's list searches (no item). */
export function alationCredentialTypeOfEditor(ctx: Pick<ILoadOptionsFunctions, 'getCurrentNodeParameter'>): AlationCredentialType {
	return asType(ctx.getCurrentNodeParameter('authentication'));
}
