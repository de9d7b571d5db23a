import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	alationBaseUrl,
	allowsUnauthorizedCerts,
	CREDENTIAL_DISPLAY_NAMES,
	credentialSecrets,
} from '../shared/auth/credentialGrants';
import type { CredentialTypeName } from '../shared/auth/credentialGrants';
import { identityKey } from '../shared/auth/identity';
import { headerValue } from '../shared/auth/types';
import type { AccessToken } from '../shared/auth/types';
import { requestJson } from '../shared/http/client';
import { toNodeError } from '../shared/http/nodeErrors';
import { textOf } from '../shared/json';
import { runPerItem, secretsOf } from '../shared/items';
import type { ItemScope } from '../shared/items';
import { CredentialSession, egressFilterOf } from '../shared/session';

/**
 * Outputs a valid access token for nodes that cannot use the credential themselves (e.g. an HTTP
 * Request node with a header expression), and creates Alation refresh tokens.
 */
// Deliberately not usable as an AI tool (no `usableAsTool`): its output is a secret, and a tool's
// output is sent to the language model's provider.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class AlationCreateAccessToken implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alation Create Access Token',
		name: 'alationCreateAccessToken',
		icon: { light: 'file:alation.svg', dark: 'file:alation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "createRefreshToken" ? "Create Refresh Token" : "Create Access Token" }}',
		description: 'Get a valid Alation or DataClarity access token for use in later nodes',
		defaults: { name: 'Create Access Token' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// The secrets this node exists to output. n8n versions with execution redaction hide them in saved
		// executions whatever the workflow's policy (2.41 declares the field but does not apply it yet);
		// the next node still receives them during the run.
		sensitiveOutputFields: ['accessToken', 'headerValue', 'refreshToken'],
		credentials: [
			{ name: 'alationApi', required: true, displayOptions: { show: { authentication: ['alationApi'] } } },
			{ name: 'alationOAuth2Api', required: true, displayOptions: { show: { authentication: ['alationOAuth2Api'] } } },
			{ name: 'dataClarityApi', required: true, displayOptions: { show: { authentication: ['dataClarityApi'] } } },
		],
		properties: [
			{
				displayName: 'Credential Type',
				name: 'authentication',
				type: 'options',
				noDataExpression: true,
				default: 'alationApi',
				options: [
					{ name: 'Alation API', value: 'alationApi' },
					{ name: 'Alation OAuth2 API (User Sign-In)', value: 'alationOAuth2Api', description: "The signed-in person's access token, for chaining into other nodes" },
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
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const type = this.getNodeParameter('authentication', 0) as CredentialTypeName;
		const action = operation === 'createRefreshToken' ? 'Creating a refresh token' : 'Getting an access token';
		const toError = (error: unknown, scope: ItemScope) =>
			toNodeError(error, {
				node: this.getNode(),
				itemIndex: scope.itemIndex,
				secrets: secretsOf(scope),
				action,
				statusHints: operation === 'createRefreshToken' ? REFRESH_TOKEN_HINTS : undefined,
			});

		// "Force New Token" mints once per execution and credential, not once per item: every mint
		// invalidates the previous token, so minting per item would break the tokens just handed out.
		const forcedThisRun = new Map<string, Promise<AccessToken>>();

		const items = await runPerItem(
			this,
			async (scope) => {
				const { itemIndex } = scope;
				if (operation === 'createRefreshToken') {
					if (type !== 'alationApi') {
						throw new NodeOperationError(this.getNode(), `Create Refresh Token needs the "${CREDENTIAL_DISPLAY_NAMES.alationApi}" credential`, {
							itemIndex,
							description: 'Set "Credential Type" to Alation API: DataClarity has no refresh tokens.',
						});
					}
					// Only the base URL of the credential is used: its secrets may not exist yet, since
					// creating a refresh token is how a user gets one.
					const credentials = await this.getCredentials<ICredentialDataDecryptedObject>('alationApi', itemIndex);
					const password = this.getNodeParameter('password', itemIndex, '') as string;
					scope.secrets.push(...credentialSecrets(credentials), password);
					return { json: await createRefreshToken(this, credentials, itemIndex, password), pairedItem: { item: itemIndex } };
				}
				const session = await CredentialSession.open(this, type, itemIndex);
				scope.session = session;
				const forceNew = this.getNodeParameter('forceNew', itemIndex, false) as boolean;
				let token: AccessToken;
				if (forceNew) {
					const key = identityKey(session.grant);
					let minted = forcedThisRun.get(key);
					if (!minted) {
						minted = session.token(true);
						forcedThisRun.set(key, minted);
					}
					token = await minted;
				} else {
					token = await session.token();
				}
				return { json: tokenOutput(session, token), pairedItem: { item: itemIndex } };
			},
			toError,
		);
		return [items];
	}
}

const REFRESH_TOKEN_HINTS: Partial<Record<number, string>> = {
	400: 'Alation rejected the request. Check Username, Password and Token Name.',
	401: 'Alation refused the username or password. If you sign in to Alation with single sign-on (SSO), you have no Alation password: create the refresh token in Alation under Account Settings → Authentication.',
	403: 'This user may not create refresh tokens, or password login is disabled (SSO). Create the refresh token in Alation under Account Settings → Authentication.',
};

function tokenOutput(session: CredentialSession, token: AccessToken): IDataObject {
	const { scheme } = session.grant;
	return {
		accessToken: token.value,
		tokenType: scheme.tokenType,
		headerName: scheme.headerName,
		headerValue: headerValue(scheme, token.value),
		expiresAt: new Date(token.expiresAt).toISOString(),
		expiresIn: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
	};
}

async function createRefreshToken(
	ctx: IExecuteFunctions,
	credentials: ICredentialDataDecryptedObject,
	itemIndex: number,
	password: string,
): Promise<IDataObject> {
	const baseUrl = alationBaseUrl(credentials);
	const field = (name: string, label: string): string => {
		const trimmed = textOf(ctx.getNodeParameter(name, itemIndex, '')) ?? '';
		if (trimmed === '') {
			throw new NodeOperationError(ctx.getNode(), `${label} is empty`, {
				itemIndex,
				description: `Fill in "${label}" to create a refresh token.`,
			});
		}
		return trimmed;
	};
	const username = field('username', 'Username');
	const tokenName = field('tokenName', 'Token Name');
	if (typeof password !== 'string' || password === '') {
		throw new NodeOperationError(ctx.getNode(), 'Password is empty', {
			itemIndex,
			description: 'Fill in "Password" to create a refresh token.',
		});
	}
	// Not authorized with a token: this call is how a user gets their first token.
	const response = await requestJson({
		method: 'POST',
		url: `${baseUrl}/integration/v1/createRefreshToken/`,
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password, name: tokenName }),
		allowUnauthorizedCerts: allowsUnauthorizedCerts(credentials),
		signal: ctx.getExecutionCancelSignal?.(),
		egress: egressFilterOf(ctx),
	});
	const data = (response.json ?? {}) as IDataObject;
	if (typeof data.refresh_token !== 'string' || data.refresh_token === '') {
		throw new NodeOperationError(ctx.getNode(), 'Alation answered without a refresh token', {
			itemIndex,
			description: 'Check that the base URL points at the Alation instance itself and not at a proxy or login page.',
		});
	}
	// Built field by field: nothing the server echoes (such as the password) is passed through.
	return {
		refreshToken: data.refresh_token,
		userId: data.user_id as IDataObject[keyof IDataObject],
		tokenName: typeof data.name === 'string' ? data.name : tokenName,
		tokenExpiresAt: data.token_expires_at as IDataObject[keyof IDataObject],
		tokenStatus: data.token_status as IDataObject[keyof IDataObject],
	};
}
