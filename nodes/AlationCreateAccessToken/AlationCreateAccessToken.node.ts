import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { CredentialTypeName } from '../shared/auth/credentialGrants';
import { runPerItem, secretsOf } from '../shared/items';
import type { ItemScope } from '../shared/items';
import { toNodeError } from '../shared/nodeErrors';
import { CREATE_REFRESH_TOKEN_ACTION, createRefreshToken, REFRESH_TOKEN_HINTS } from './createRefreshToken';
import { createAccessTokenProperties } from './description';
import { GET_ACCESS_TOKEN_ACTION, getAccessToken } from './getAccessToken';

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
		properties: createAccessTokenProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const type = this.getNodeParameter('authentication', 0) as CredentialTypeName;
		const refreshToken = operation === 'createRefreshToken';
		const toError = (error: unknown, scope: ItemScope) =>
			toNodeError(error, {
				node: this.getNode(),
				itemIndex: scope.itemIndex,
				secrets: secretsOf(scope),
				action: refreshToken ? CREATE_REFRESH_TOKEN_ACTION : GET_ACCESS_TOKEN_ACTION,
				statusHints: refreshToken ? REFRESH_TOKEN_HINTS : undefined,
			});
		const job = refreshToken ? createRefreshToken(this, type) : getAccessToken(this, type);
		const items = await runPerItem(this, async (scope) => ({ json: await job(scope), pairedItem: { item: scope.itemIndex } }), toError);
		return [items];
	}
}
