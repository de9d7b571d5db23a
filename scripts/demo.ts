/**
 * `npm run demo`: the package's main job against the bundled Alation simulator, no account needed.
 *
 * Starts the simulator on 127.0.0.1, then runs this package's nodes inside a real n8n-core workflow
 * execution (the same engine n8n runs) with the Alation API and DataClarity API credentials, and
 * prints what each run produced. Tokens are shown shortened: they are secrets.
 */
import { runNode, TestCredentialsHelper } from '../test/helpers/n8n';
import type { StoredCredential } from '../test/helpers/n8n';
import { DEMO, startSimulator } from '../test/simulator';

import { AlationApi } from '../credentials/AlationApi.credentials';
import { DataClarityApi } from '../credentials/DataClarityApi.credentials';
import { AlationCreateAccessToken } from '../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';

const shorten = (token: unknown) => (typeof token === 'string' ? `${token.slice(0, 6)}…(${token.length} chars)` : String(token));

async function main(): Promise<void> {
	const sim = await startSimulator({ tokenLifetimeSeconds: 900 });
	console.log(`Alation simulator on ${sim.url}\n`);
	const credentialTypes = [new AlationApi(), new DataClarityApi()];
	const credentials: StoredCredential[] = [
		{
			id: 'c1',
			name: 'Alation API (simulator, OAuth client)',
			type: 'alationApi',
			data: { baseUrl: sim.url, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
		},
		{
			id: 'c2',
			name: 'Alation API (simulator, refresh token)',
			type: 'alationApi',
			data: { baseUrl: sim.url, authType: 'refreshToken', userId: String(DEMO.userId), refreshToken: DEMO.refreshToken },
		},
		{
			id: 'c3',
			name: 'DataClarity API (simulator)',
			type: 'dataClarityApi',
			data: { serverUrl: sim.url, tenant: DEMO.tenant, flow: 'clientCredentials', clientId: DEMO.keycloakClientId, clientSecret: DEMO.keycloakClientSecret },
		},
	];
	const helper = new TestCredentialsHelper(credentialTypes, credentials);
	let failed = false;
	for (const credential of credentials) {
		const result = await runNode({
			nodeType: new AlationCreateAccessToken(),
			parameters: { authentication: credential.type, operation: 'getAccessToken' },
			items: [{ json: {} }, { json: {} }, { json: {} }],
			credentials: { [credential.type]: credential },
			credentialTypes,
			helper,
		});
		if (result.error) {
			failed = true;
			console.log(`✗ Create Access Token with "${credential.name}": ${result.error.message}`);
			continue;
		}
		const first = result.items[0].json;
		console.log(`✓ Create Access Token with "${credential.name}"`);
		console.log(`    ${result.items.length} items → ${result.items.length} tokens, all the same: ${new Set(result.items.map((i) => i.json.accessToken)).size === 1}`);
		console.log(`    header ${String(first.headerName)}, token ${shorten(first.accessToken)}, expires ${String(first.expiresAt)} (in ${String(first.expiresIn)} s)`);
	}
	console.log(`\nToken requests the simulator received: ${sim.counters.tokensMinted} (one per credential, whatever the number of items).`);
	await sim.close();
	if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
