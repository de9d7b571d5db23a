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

import { credentialTestRequest, ignoreSslIssuesProperty, storedTokenProperties } from '../nodes/shared/auth/credentialProperties';
import { authenticateRequest, preAuthenticate } from '../nodes/shared/credentialDoors';

/**
 * Alation API: OAuth 2.0 client credentials (Bearer) or a user's refresh token (header `TOKEN`).
 * The credential fetches its own tokens (`preAuthentication`) through the package's token authority
 * (nodes/shared/token), so it also works as a "Predefined Credential Type" in n8n's HTTP Request node.
 */
export class AlationApi implements ICredentialType {
	name = 'alationApi';

	displayName = 'Alation API';

	icon: Icon = { light: 'file:alation.svg', dark: 'file:alation.dark.svg' };

	// Alation's page on both grants (OAuth client credentials, refresh token → API access token).
	documentationUrl = 'https://developer.alation.com/dev/docs/authentication-into-alation-apis';

	httpRequestNode = {
		name: 'Alation',
		docsUrl: 'https://developer.alation.com/dev/docs/authentication-into-alation-apis',
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
		ignoreSslIssuesProperty(
			'Only for an on-premise instance with a self-signed or private-CA certificate (or give n8n the CA with NODE_EXTRA_CA_CERTS): the connection is then not protected against interception.',
		),
		...storedTokenProperties,
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate('alationApi', this.helpers, credentials);
	}

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => await authenticateRequest('alationApi', credentials, requestOptions);

	test: ICredentialTestRequest = credentialTestRequest('baseUrl', '/integration/v1/userinfo/');
}
