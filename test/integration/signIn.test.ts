/**
 * User sign-in (the "Alation User Sign-In OAuth2 API" credential, on n8n's OAuth2 machinery) through
 * every node, in real n8n-core executions against the simulator's /oauth/v1/ endpoints, which rotate
 * refresh tokens and revoke the whole sign-in when a spent refresh token comes back.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { loadOptionsContext, runNode, TestCredentialsHelper } from '../helpers/n8n';
import type { RunNodeOptions } from '../helpers/n8n';
import { expectNoSecrets, visibleRunData } from '../helpers/secrets';
import { n8nOAuth2ApiType, signInAs, signInCredential } from '../helpers/signIn';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { AlationOAuth2Api } from '../../credentials/AlationOAuth2Api.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { searchAgents } from '../../nodes/AlationAgentChat/listAgents';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { AlationRunTool } from '../../nodes/AlationRunTool/AlationRunTool.node';
import { searchTools } from '../../nodes/AlationRunTool/listTools';

const sim = useSimulator();
const credentialTypes = [new AlationOAuth2Api(), n8nOAuth2ApiType];
const [ADA, SAM] = DEMO.oauthUsers;
const byId = (value: string) => ({ __rl: true, mode: 'id', value });
const items = (n: number): INodeExecutionData[] => Array.from({ length: n }, (_, i) => ({ json: { i } }));

async function run(helper: TestCredentialsHelper, options: Partial<RunNodeOptions> & Pick<RunNodeOptions, 'nodeType' | 'parameters'>) {
	return await runNode({ credentialTypes, helper, credentials: {}, ...options, parameters: { authentication: 'alationOAuth2Api', ...options.parameters } });
}

async function signedIn(user = ADA, id = 'signin-1') {
	const credential = signInCredential(sim.url, await signInAs(sim.url, user.id), id);
	const helper = new TestCredentialsHelper(credentialTypes, [credential]);
	const credentials = { alationOAuth2Api: { id: credential.id, name: credential.name } as never };
	const stored = () => helper.stored.get(credential.id)!.data.oauthTokenData as IDataObject;
	return { helper, credentials, credential, stored };
}

describe('every node runs as the signed-in person', () => {
	test('Agent Chat, Get Messages, Run Tool, Create Access Token and both list searches, as Ada; Sam sees his own', async () => {
		const ada = await signedIn(ADA);
		const chat = await run(ada.helper, { nodeType: new AlationAgentChat(), credentials: ada.credentials, parameters: { agent: byId('catalog_search_agent'), message: 'Who am I?' } });
		expect(chat.error).toBeUndefined();
		expect(String(chat.items[0].json.answer)).toContain(ADA.displayName);
		const messages = await run(ada.helper, { nodeType: new AlationAgentChat(), credentials: ada.credentials, parameters: { chatOperation: 'getMessages', chatId: chat.items[0].json.chatId as string, returnAll: true } });
		expect(messages.items.map((i) => i.json.role)).toEqual(['user', 'assistant']);
		const tool = await run(ada.helper, { nodeType: new AlationRunTool(), credentials: ada.credentials, parameters: { tool: byId('list_data_products_tool'), toolInput: '{"search_term": "sales"}' } });
		expect(tool.error).toBeUndefined();
		expect(tool.items[0].json.status).toBe('completed');
		const token = await run(ada.helper, { nodeType: new AlationCreateAccessToken(), credentials: ada.credentials, parameters: { operation: 'getAccessToken' } });
		expect(token.items[0].json).toMatchObject({ accessToken: ada.stored().access_token, tokenType: 'Bearer', headerName: 'Authorization' });
		for (const [nodeType, search] of [[new AlationAgentChat(), searchAgents], [new AlationRunTool(), searchTools]] as const) {
			const context = loadOptionsContext({ nodeType, parameters: { authentication: 'alationOAuth2Api' }, credentials: { alationOAuth2Api: ada.credential }, credentialTypes });
			const list = await search.call(context);
			expect(list.results.length).toBeGreaterThan(0);
		}
		const sam = await signedIn(SAM, 'signin-2');
		const his = await run(sam.helper, { nodeType: new AlationAgentChat(), credentials: sam.credentials, parameters: { agent: byId('catalog_search_agent'), message: 'Who am I?' } });
		expect(String(his.items[0].json.answer)).toContain(SAM.displayName);
		expect(sim.counters.userRefreshes).toBe(0);
		expectNoSecrets(visibleRunData(chat), [DEMO.userOauthClientSecret, String(ada.stored().refresh_token)]);
	});
});

describe("Agent Chat as the signed-in person in n8n's chat and as an AI Agent's tool", () => {
	test('streamed to the chat: begin, the text, end; the chunks add up to the answer, which names the person', async () => {
		const ada = await signedIn(ADA);
		const chunks: Array<{ type: string; content?: string }> = [];
		const result = await run(ada.helper, {
			nodeType: new AlationAgentChat(),
			credentials: ada.credentials,
			onChunk: (c) => chunks.push({ type: c.type, content: c.content }),
			parameters: { agent: byId('catalog_search_agent'), message: 'Stream it to me' },
		});
		expect(result.error).toBeUndefined();
		expect(chunks[0].type).toBe('begin');
		expect(chunks.at(-1)!.type).toBe('end');
		const text = chunks.filter((c) => c.type === 'item').map((c) => c.content).join('');
		expect(text).toBe(result.items[0].json.answer);
		expect(text).toContain(ADA.displayName);
	});

	test("as an AI Agent's tool: the model gets the compact answer, as the person; a failed call comes back as the tool's output", async () => {
		const ada = await signedIn(ADA);
		const tool = 'n8n-nodes-alation.alationAgentChatTool';
		const ok = await run(ada.helper, { nodeType: new AlationAgentChat(), nodeTypeName: tool, credentials: ada.credentials, parameters: { agent: byId('catalog_search_agent'), message: 'Who am I?' } });
		expect(ok.error).toBeUndefined();
		expect(Object.keys(ok.items[0].json).sort()).toEqual(['answer', 'chatId', 'status']);
		expect(String(ok.items[0].json.answer)).toContain(ADA.displayName);
		const failed = await run(ada.helper, { nodeType: new AlationAgentChat(), nodeTypeName: tool, credentials: ada.credentials, parameters: { agent: byId('no_such_agent'), message: 'Who am I?' } });
		expect(failed.error).toBeUndefined();
		expect(String(failed.items[0].json.error)).toMatch(/404/);
		expect(sim.counters.userRefreshes).toBe(0);
	});
});

describe('renewal: once per token lifetime, never with a spent refresh token', () => {
	test('50 items across the expiry: 1 renewal through n8n, stored in the credential, every item answered', async () => {
		const ada = await signedIn(ADA);
		const before = ada.stored();
		// The access token is due: n8n's expiry for it has passed.
		ada.helper.stored.get(ada.credential.id)!.data.oauthTokenData = { ...before, n8n_expires_at: String(Date.now() - 1_000) };
		const result = await run(ada.helper, {
			nodeType: new AlationAgentChat(),
			credentials: ada.credentials,
			items: items(50),
			parameters: { agent: byId('catalog_search_agent'), message: '={{ "item " + $json.i }}', options: { concurrency: 10 } },
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.error)).toEqual(Array(50).fill(undefined));
		expect(sim.counters.userRefreshes).toBe(1);
		expect(sim.counters.userFamiliesRevoked).toBe(0);
		const after = ada.stored();
		expect(after.refresh_token).not.toBe(before.refresh_token);
		expect(after.access_token).not.toBe(before.access_token);
	});

	test('a token Alation refuses (401) mid-lifetime: one renewal, the request sent once more', async () => {
		const ada = await signedIn(ADA);
		sim.faults.add({ route: 'agentStream', status: 401, times: 1 });
		const result = await run(ada.helper, { nodeType: new AlationAgentChat(), credentials: ada.credentials, parameters: { agent: byId('catalog_search_agent'), message: 'again' } });
		expect(result.error).toBeUndefined();
		expect(String(result.items[0].json.answer)).toContain(ADA.displayName);
		expect(sim.counters.userRefreshes).toBe(1);
	});

	test('a token endpoint that refuses for a while (429 temporarily_unavailable) is not a lost sign-in: the next run renews', async () => {
		const ada = await signedIn(ADA);
		const due = () => {
			ada.helper.stored.get(ada.credential.id)!.data.oauthTokenData = { ...ada.stored(), n8n_expires_at: String(Date.now() - 1_000) };
		};
		due();
		// An OAuth error other than invalid_grant (n8n's OAuth client gives every 4xx with an `error` the same code, EAUTH).
		sim.faults.add({ route: 'userToken', status: 429, body: { error: 'temporarily_unavailable', error_description: 'try again later' }, times: 1 });
		const failed = await run(ada.helper, { nodeType: new AlationAgentChat(), credentials: ada.credentials, continueOnFail: true, parameters: { agent: byId('catalog_search_agent'), message: 'now?' } });
		expect(String(failed.items[0].json.error)).not.toMatch(/expired or was revoked/);
		const later = await run(ada.helper, { nodeType: new AlationAgentChat(), credentials: ada.credentials, parameters: { agent: byId('catalog_search_agent'), message: 'and now?' } });
		expect(later.error).toBeUndefined();
		expect(String(later.items[0].json.answer)).toContain(ADA.displayName);
		expect(sim.counters.userRefreshes).toBe(1);
		expect(sim.counters.userFamiliesRevoked).toBe(0);
	});

	test('a spent refresh token comes back (the sign-in is revoked): each item says to reconnect, nothing else is requested', async () => {
		const ada = await signedIn(ADA);
		const spent = ada.stored();
		// Someone renews elsewhere (the refresh token is spent), then this credential still holds the old one.
		const renewed = await fetch(`${sim.url}/oauth/v1/token/`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(spent.refresh_token), client_id: DEMO.userOauthClientId, client_secret: DEMO.userOauthClientSecret }),
		});
		expect(renewed.status).toBe(200);
		ada.helper.stored.get(ada.credential.id)!.data.oauthTokenData = { ...spent, n8n_expires_at: String(Date.now() - 1_000) };
		const refreshesBefore = sim.counters.userRefreshes;
		const result = await run(ada.helper, {
			nodeType: new AlationAgentChat(),
			credentials: ada.credentials,
			items: items(3),
			continueOnFail: true,
			parameters: { agent: byId('catalog_search_agent'), message: 'still there?' },
		});
		const errors = result.items.map((i) => String(i.json.error));
		expect(errors).toHaveLength(3);
		for (const error of errors) expect(error).toMatch(/sign-in of the credential "Alation \(Ada, signed in\)" has expired or was revoked/);
		expect(JSON.stringify(result.items[0].json)).toMatch(/connect the account again/);
		// One attempt with the spent token (which revoked the sign-in), none after: 3 token requests in all (the
		// sign-in's code exchange, the renewal elsewhere, n8n's one attempt).
		expect(sim.counters.userRefreshes - refreshesBefore).toBe(0);
		expect(sim.requestLog.filter((r) => r.path === '/oauth/v1/token/' && r.method === 'POST')).toHaveLength(3);
		expect(sim.counters.userFamiliesRevoked).toBe(1);
		expect(sim.counters.requests.agentStream).toBe(0);
	});
});
