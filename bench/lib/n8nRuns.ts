/**
 * The package's nodes run the way n8n runs them (the test harness: a real n8n-core WorkflowExecute),
 * plus a stand-in for n8n's HTTP Request node using the credential (n8n's own auth path).
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';

import { runNode, TestCredentialsHelper } from '../../test/helpers/n8n';
import type { RunNodeOptions, RunNodeResult, StoredCredential } from '../../test/helpers/n8n';
import { DEMO } from '../../test/simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';

export const credentialTypes = [new AlationApi()];
export const agentChatNode = new AlationAgentChat();
export const createAccessTokenNode = new AlationCreateAccessToken();

export function alationCredential(baseUrl: string): StoredCredential {
	return {
		id: 'alation-bench',
		name: 'Alation API (simulator)',
		type: 'alationApi',
		data: { baseUrl, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
	};
}

/** One n8n instance's credential store: share it between runs as n8n shares its database. */
export function credentialStore(baseUrl: string): TestCredentialsHelper {
	return new TestCredentialsHelper(credentialTypes, [alationCredential(baseUrl)]);
}

export async function runAgentChat(
	baseUrl: string,
	options: { items?: number; message?: string; nodeOptions?: IDataObject; helper?: TestCredentialsHelper; onChunk?: RunNodeOptions['onChunk'] } = {},
): Promise<RunNodeResult> {
	const count = options.items ?? 1;
	return await runNode({
		nodeType: agentChatNode,
		credentialTypes,
		credentials: { alationApi: alationCredential(baseUrl) },
		helper: options.helper,
		parameters: {
			agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' },
			message: options.message ?? '={{ "Question " + $json.i }}',
			options: (options.nodeOptions ?? {}) as INodeParameters,
		},
		items: Array.from({ length: count }, (_, i): INodeExecutionData => ({ json: { i } })),
		continueOnFail: true,
		onChunk: options.onChunk,
	});
}

export async function runCreateAccessToken(baseUrl: string, helper?: TestCredentialsHelper, items = 1): Promise<RunNodeResult> {
	return await runNode({
		nodeType: createAccessTokenNode,
		credentialTypes,
		credentials: { alationApi: alationCredential(baseUrl) },
		helper,
		parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
		items: Array.from({ length: items }, () => ({ json: {} })),
		continueOnFail: true,
	});
}

/**
 * n8n's HTTP Request node with "Predefined Credential Type → Alation API", reduced to what matters
 * here: `httpRequestWithAuthentication`, which makes n8n-core call the credential's
 * `preAuthentication` (no stored token, or after a 401, then one retry) and `authenticate`.
 */
export const httpRequestLikeNode: INodeType = {
	description: {
		displayName: 'HTTP Request (stand-in)',
		name: 'httpRequestLike',
		group: ['transform'],
		version: 1,
		description: 'GET /integration/v1/userinfo/ with the Alation API credential, per item',
		defaults: { name: 'HTTP Request' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'alationApi', required: true }],
		properties: [],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentials = await this.getCredentials('alationApi');
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			try {
				const body = (await this.helpers.httpRequestWithAuthentication.call(this, 'alationApi', {
					method: 'GET',
					url: `${String(credentials.baseUrl)}/integration/v1/userinfo/`,
					json: true,
				})) as IDataObject;
				out.push({ json: { ok: true, user: body.username as string }, pairedItem: { item: i } });
			} catch (error) {
				out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
			}
		}
		return [out];
	},
};

export async function runHttpRequestLike(baseUrl: string, helper?: TestCredentialsHelper, items = 1): Promise<RunNodeResult> {
	return await runNode({
		nodeType: httpRequestLikeNode,
		nodeTypeName: 'n8n-nodes-bench.httpRequestLike',
		credentialTypes,
		credentials: { alationApi: alationCredential(baseUrl) },
		helper,
		parameters: {},
		items: Array.from({ length: items }, () => ({ json: {} })),
		continueOnFail: true,
	});
}

/** Items of a run that carry an error (or the whole run, if the node failed). */
export function failedItems(result: RunNodeResult): number {
	if (result.error) return Math.max(1, result.items.length);
	return result.items.filter((item) => item.json.error !== undefined).length;
}
