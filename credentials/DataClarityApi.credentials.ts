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
 * DataClarity API: Bearer tokens from DataClarity's Keycloak (OpenID Connect) token endpoint,
 * `{serverUrl}/auth/realms/{tenant}/protocol/openid-connect/token`, on the same token engine as
 * the Alation API credential.
 */
export class DataClarityApi implements ICredentialType {
	name = 'dataClarityApi';

	displayName = 'DataClarity API';

	icon: Icon = { light: 'file:dataclarity.svg', dark: 'file:dataclarity.dark.svg' };

	documentationUrl = 'https://dataclarity.zendesk.com/';

	httpRequestNode = {
		name: 'DataClarity',
		docsUrl: 'https://dataclarity.zendesk.com/',
		apiBaseUrlPlaceholder: 'https://dataclarity.example.com/dp/api/v1/aiconnections/types',
	};

	properties: INodeProperties[] = [
		{
			displayName: 'Server URL',
			name: 'serverUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://dataclarity.example.com',
			description: 'Entry point of the DataClarity platform (the {server} in its API documentation)',
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: '',
			required: true,
			description: 'Tenant (Keycloak realm) name',
		},
		{
			displayName: 'Flow',
			name: 'flow',
			type: 'options',
			default: 'clientCredentials',
			options: [
				{ name: 'Client Credentials', value: 'clientCredentials', description: 'A back-end client of Access Manager' },
				{ name: 'Password', value: 'password', description: "A user's name and password" },
			],
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Required for the client credentials flow; for the password flow only if the client is confidential',
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { flow: ['password'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { flow: ['password'] } },
		},
		ignoreSslIssuesProperty(
			'Only for a server whose TLS certificate cannot be verified: the connection is then not protected against interception.',
		),
		...storedTokenProperties,
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		return await preAuthenticate('dataClarityApi', this.helpers, credentials);
	}

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => await authenticateRequest('dataClarityApi', credentials, requestOptions);

	test: ICredentialTestRequest = credentialTestRequest('serverUrl', '/dp/api/v1/aiconnections/types');
}
