/**
 * The sign-in's single flight, step by step: n8n's side (the credential as stored, its refresh) is a
 * stand-in whose answers the test orders; the package's side (signIn.ts, the real token authority) is
 * the real code. A caller whose token was just refused may join a renewal that began before the
 * refusal, and that renewal may end with the very token the caller had refused (another worker stored
 * it meanwhile): the caller must not get that token back.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';

import { alationSignInGrant } from '../../nodes/shared/auth/grants';
import { signInToken } from '../../nodes/shared/token/signIn';
import type { SignInContext } from '../../nodes/shared/token/signIn';

const HOUR = 3_600_000;
const tokens = (access: string, refresh: string, expiresAt: number): IDataObject => ({
	access_token: access,
	refresh_token: refresh,
	expires_in: 3600,
	n8n_expires_at: String(expiresAt),
});

test('a caller that joins a renewal with a token just refused does not get that token back', async () => {
	const now = Date.now();
	let stored = tokens('T1', 'R1', now - 1_000); // expired: the first caller renews
	let releaseReRead!: () => void;
	const reReadGate = new Promise<void>((resolve) => (releaseReRead = resolve));
	let reads = 0;
	let refreshes = 0;
	const ctx: SignInContext = {
		getNode: () => ({ credentials: { alationOAuth2Api: { id: 'c1', name: 'Ada' } } }) as unknown as INode,
		// n8n's getCredentials: the 2nd read (the first caller's, inside the renewal) waits until the test lets it go.
		getCredentials: (async () => {
			reads += 1;
			if (reads === 2) await reReadGate;
			return { oauthTokenData: stored } as ICredentialDataDecryptedObject;
		}) as SignInContext['getCredentials'],
		helpers: {
			refreshOAuth2Token: (async () => {
				refreshes += 1;
				stored = tokens('T3', 'R3', Date.now() + HOUR);
				return stored;
			}) as never,
		},
	};
	const grant = alationSignInGrant({ baseUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', credentialId: 'c1' });

	const first = signInToken(ctx, grant, 0);
	await new Promise((resolve) => setImmediate(resolve));
	// Another worker renews meanwhile and stores T2; a request with T2 is then refused (401) here.
	stored = tokens('T2', 'R2', now + HOUR);
	const second = signInToken(ctx, grant, 0, 'T2');
	await new Promise((resolve) => setImmediate(resolve));
	releaseReRead();

	expect((await first).value).toBe('T2');
	const secondToken = await second;
	expect(secondToken.value).not.toBe('T2');
	expect(secondToken.value).toBe('T3');
	expect(refreshes).toBe(1);
});
