/**
 * A token endpoint that echoes the request body in its error: the client secret comes back in the
 * form encoding the package sent it in (`Summer+2024%21`), or re-encoded with lower-case hex. The
 * node error, as n8n shows and stores it, holds the secret in none of its forms.
 */
import { simulatorOauthCredential } from '../helpers/credentialData';
import { runNode } from '../helpers/n8n';
import { useSimulator } from '../helpers/useSimulator';

import { AlationApi } from '../../credentials/AlationApi.credentials';
import { AlationCreateAccessToken } from '../../nodes/AlationCreateAccessToken/AlationCreateAccessToken.node';

const sim = useSimulator();

const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

test.each(['Summer 2024!', "it's(my)pass~word"])('the echoed form body of a token request does not show the secret %p', async (secret) => {
	let echoed = '';
	sim.intercept('POST', '/oauth/v2/token/', (_req, res, bodyText) => {
		echoed = bodyText;
		res.writeHead(400, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ error: 'invalid_request', error_description: `could not read ${bodyText} (as ${lowerHex(bodyText)})` }));
	});
	const result = await runNode({
		nodeType: new AlationCreateAccessToken(),
		credentialTypes: [new AlationApi()],
		credentials: { alationApi: simulatorOauthCredential(sim.url, { clientSecret: secret }) },
		parameters: { authentication: 'alationApi', operation: 'getAccessToken' },
	});

	const form = new URLSearchParams({ x: secret }).toString().slice(2);
	expect(echoed).toContain(`client_secret=${form}`); // the server did see and echo it
	const error = result.error as Error & { description?: string };
	expect(error).toBeDefined();
	const shown = [error.message, error.description ?? '', JSON.stringify(error)].join('\n');
	expect(shown).toContain('[redacted]');
	for (const form_ of [secret, encodeURIComponent(secret), form, lowerHex(form), JSON.stringify(secret).slice(1, -1)]) {
		expect(shown).not.toContain(form_);
	}
});
