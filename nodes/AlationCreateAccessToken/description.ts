import type { INodeProperties } from 'n8n-workflow';

export const createAccessTokenProperties: INodeProperties[] = [
	{
		displayName: 'Credential Type',
		name: 'authentication',
		type: 'options',
		noDataExpression: true,
		default: 'alationApi',
		options: [
			{ name: 'Alation API', value: 'alationApi' },
			{ name: 'Alation User Sign-In OAuth2 API', value: 'alationOAuth2Api', description: "The signed-in person's access token, for chaining into other nodes" },
			{ name: 'DataClarity API', value: 'dataClarityApi' },
		],
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'getAccessToken',
		options: [
			{
				// One name for one action: the node's. The value stays (workflows store it).
				name: 'Create Access Token',
				value: 'getAccessToken',
				action: 'Create an access token',
				description: 'Output a valid access token (the one the credential holds while it is valid) and the header to send it in',
			},
			{
				name: 'Create Refresh Token',
				value: 'createRefreshToken',
				action: 'Create a refresh token',
				description: "Create an Alation refresh token from a user's name and password (Alation API only)",
			},
		],
	},
	{
		displayName: 'Force New Token',
		name: 'forceNew',
		type: 'boolean',
		default: false,
		displayOptions: { show: { operation: ['getAccessToken'] } },
		description:
			'Whether to mint a new token even if a valid one is cached. Caution: Alation invalidates the previous token of the OAuth client or refresh token whenever a new one is minted, which breaks requests still using it. Leave off unless the cached token was revoked.',
	},
	{
		displayName:
			'Users who sign in to Alation with single sign-on (SAML, Okta, LDAP…) have no Alation password and cannot create a refresh token here: create it in Alation under Account Settings → Authentication.',
		name: 'ssoNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: ['createRefreshToken'] } },
	},
	{
		displayName: 'Username',
		name: 'username',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'name@example.com',
		displayOptions: { show: { operation: ['createRefreshToken'] } },
		description: 'Alation user name (usually the email address)',
	},
	{
		displayName: 'Password',
		name: 'password',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		displayOptions: { show: { operation: ['createRefreshToken'] } },
	},
	{
		displayName: 'Token Name',
		name: 'tokenName',
		type: 'string',
		default: 'n8n',
		required: true,
		displayOptions: { show: { operation: ['createRefreshToken'] } },
		description: 'Name shown for the refresh token in Alation, e.g. the name of this integration',
	},
];
