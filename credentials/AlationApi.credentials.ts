import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import { authenticateRequest, preAuthenticate } from '../nodes/shared/auth/n8nCredentialAuth';

/**
 * Alation API: OAuth 2.0 client credentials (Bearer) or a user's refresh token (header `TOKEN`).
 * The credential fetches its own tokens (`preAuthentication`) through the package's shared token
 * cache, so it also works as a "Predefined Credential Type" in n8n's HTTP Request node.
 */
export class AlationApi implements ICredentialType {
	name = 'alationApi';

	displayName = 'Alation API';

	icon: Icon = { light: 'file:alation.svg', dark: 'file:alation.dark.svg' };

	documentationUrl = 'https://developer.alation.com/';

	httpRequestNode = {
		name: 'Alation',
		docsUrl: 'https://developer.alation.com/',
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
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			default: 'clientCredentials',
			options: [
				{
					name: 'OAuth Client Credentials',
					value: 'clientCredentials',
					description:
						'A machine-to-machine OAuth client (Admin Settings → Authentication → OAuth Client Applications). Needed for Agent Studio.',
				},
				{
					name: 'Refresh Token',
					value: 'refreshToken',
					description:
						"A user's refresh token (Account Settings → Authentication). Sent as the TOKEN header; works for the catalog APIs, not for Agent Studio.",
				},
			],
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authType: ['clientCredentials'] } },
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['clientCredentials'] } },
		},
		{
			displayName: 'User ID',
			name: 'userId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '102',
			description: 'Numeric ID of the Alation user who owns the refresh token (user_id)',
			displayOptions: { show: { authType: ['refreshToken'] } },
		},
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['refreshToken'] } },
		},
		// A boolean switch, not a secret: the rule matches "Cert" in the name.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the TLS certificate cannot be verified, e.g. a self-signed on-premise instance',
		},
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
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate('alationApi', this.helpers, credentials);
	}

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => await authenticateRequest('alationApi', credentials, requestOptions);

	test: ICredentialTestRequest = {
		request: {
			// Tolerates what normalizeBaseUrl tolerates: a missing scheme and trailing slashes.
			baseURL:
				'={{ (/^https?:\\/\\//i.test($credentials.baseUrl.trim()) ? "" : "https://") + $credentials.baseUrl.trim().replace(/\\/+$/, "") }}',
			url: '/integration/v1/userinfo/',
			method: 'GET',
			// The Test button must work for a self-signed on-premise instance too.
			skipSslCertificateValidation: '={{ $credentials.allowUnauthorizedCerts === true }}',
		},
	};
}
