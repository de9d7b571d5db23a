/**
 * Processes that share a credential share its token through the n8n credential: a token a node
 * fetched is stored there (through n8n's own pre-request token fetch), a new process reuses it, and
 * after a 401 a process takes the newer token another process stored instead of minting again.
 * (Alation invalidates the previous token at every mint, so every needless mint breaks a neighbour.)
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, TestCredentialsHelper } from '../helpers/n8n';
import type { StoredCredential } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO, answerText } from '../simulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';
import { tokenAuthority } from '../../nodes/shared/token/authority';

const sim = useSimulator();

const credentialTypes = [new AlationApi()];
const credential = (data: IDataObject = {}): StoredCredential => ({
	id: 'shared-1',
	name: 'Alation API (shared)',
	type: 'alationApi',
	data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, ...data },
});
const ask = async (helper: TestCredentialsHelper, message = 'Shared?') =>
	await runNode({
		nodeType: new AlationAgentChat(),
		parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message },
		credentials: { alationApi: credential() },
		credentialTypes,
		helper,
	});
const storedToken = (helper: TestCredentialsHelper) => helper.stored.get('shared-1')?.data.accessToken;

test('a token a node fetched is stored in the credential; a new process reuses it without a mint', async () => {
	const helper = new TestCredentialsHelper(credentialTypes, [credential()]);
	const first = await ask(helper);
	expect(first.error).toBeUndefined();
	expect(sim.counters.oauthMints).toBe(1);
	expect(storedToken(helper)).toEqual(expect.any(String));
	expect(helper.stored.get('shared-1')?.data.expiresAt).toBeGreaterThan(Date.now());

	tokenAuthority.clear(); // another process: empty cache, same credential store
	const second = await ask(helper, 'Again?');
	expect(second.items[0].json.answer).toBe(answerText('Again?', 'Catalog Search Agent', 1));
	expect(sim.counters.oauthMints).toBe(1);
	expect(sim.counters.unauthorized).toBe(0);
});

test('100 items needing a token at once → one token request, one store', async () => {
	const helper = new TestCredentialsHelper(credentialTypes, [credential()]);
	const result = await runNode({
		nodeType: new AlationAgentChat(),
		parameters: { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: '={{ "Q" + $json.i }}', options: { concurrency: 20 } },
		items: Array.from({ length: 100 }, (_, i) => ({ json: { i } })),
		credentials: { alationApi: credential() },
		credentialTypes,
		helper,
	});
	expect(result.items).toHaveLength(100);
	expect(result.items.every((i) => typeof i.json.answer === 'string')).toBe(true);
	expect(sim.counters.oauthMints).toBe(1);
	expect(helper.preAuthenticationCalls).toBe(1);
});

test('after a 401, a process takes the newer token another process stored, instead of minting', async () => {
	const helper = new TestCredentialsHelper(credentialTypes, [credential()]);
	await ask(helper); // this process holds T1 in its cache, and T1 is stored
	const t1 = storedToken(helper);

	// Another process mints T2 (Alation invalidates T1) and stores it in the shared credential.
	const response = await fetch(`${sim.url}/oauth/v2/token/`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	const { access_token: t2, expires_in } = (await response.json()) as { access_token: string; expires_in: number };
	const stored = helper.stored.get('shared-1')!;
	stored.data = { ...stored.data, accessToken: t2, expiresAt: Date.now() + expires_in * 1000, mintedAt: Date.now() };
	sim.resetCounters();

	const result = await ask(helper, 'After the other process');
	expect(result.error).toBeUndefined();
	expect(sim.counters.unauthorized).toBe(1); // T1, refused once
	expect(sim.counters.oauthMints).toBe(0); // T2 taken over, not a new mint (which would break the other process)
	expect(storedToken(helper)).toBe(t2);
	expect(t2).not.toBe(t1);
});

test('Create Access Token: Force New Token is stored too', async () => {
	const helper = new TestCredentialsHelper(credentialTypes, [credential()]);
	const result = await runNode({
		nodeType: new AlationCreateAccessToken(),
		parameters: { authentication: 'alationApi', operation: 'getAccessToken', forceNew: true },
		credentials: { alationApi: credential() },
		credentialTypes,
		helper,
	});
	expect(result.items[0].json.accessToken).toBe(storedToken(helper));
	expect(sim.counters.oauthMints).toBe(1);
});
