/**
 * The token engine against the loopback Alation simulator: every grant over both transports
 * (undici, and n8n's own httpRequest helper), validation of odd answers, and the cache's promises
 * (one mint for 100 concurrent callers, expiry skew, the late-401 race, seeding).
 */
import { preAuthenticationThis } from '../helpers/n8nHttp';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { TokenRequestError } from '../../nodes/shared/auth/errors';
import {
	alationClientCredentialsGrant,
	alationRefreshTokenGrant,
	openIdConnectGrant,
	requestToken,
} from '../../nodes/shared/auth/grants';
import { n8nPost } from '../../nodes/shared/auth/n8nCredentialAuth';
import { skewMs, TokenCache, withTokenRetry } from '../../nodes/shared/auth/tokenCache';
import type { PostFn, TokenGrant } from '../../nodes/shared/auth/types';
import { readText, send, undiciPost } from '../../nodes/shared/http/client';

const sim = useSimulator();

const oauth = (secret = DEMO.clientSecret) =>
	alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: secret });
const refresh = (token = DEMO.refreshToken) =>
	alationRefreshTokenGrant({ baseUrl: sim.url, userId: String(DEMO.userId), refreshToken: token });
const keycloak = (flow: 'clientCredentials' | 'password', overrides: Partial<Parameters<typeof openIdConnectGrant>[0]> = {}) =>
	openIdConnectGrant({
		serverUrl: sim.url,
		tenant: DEMO.tenant,
		clientId: DEMO.keycloakClientId,
		clientSecret: DEMO.keycloakClientSecret,
		flow,
		username: DEMO.keycloakUsername,
		password: DEMO.keycloakPassword,
		...overrides,
	});

const transports: Array<[string, () => PostFn]> = [
	['undici', () => undiciPost({ allowUnauthorizedCerts: false })],
	["n8n's httpRequest", () => n8nPost(preAuthenticationThis.helpers, false)],
];

async function userinfoStatus(grant: TokenGrant, token: string): Promise<number> {
	const header: Record<string, string> = grant.scheme.headerName === 'TOKEN' ? { TOKEN: token } : { Authorization: `Bearer ${token}` };
	const response = await send({ method: 'GET', url: `${sim.url}/integration/v1/userinfo/`, headers: header });
	await readText(response.body);
	return response.status;
}

describe.each(transports)('grants over %s', (_name, makePost) => {
	test('Alation client credentials → a JWT Bearer token the API accepts, lifetime from expires_in', async () => {
		sim.options.tokenLifetimeSeconds = 900;
		const before = Date.now();
		const token = await requestToken(oauth(), makePost());
		expect(token.value.split('.')).toHaveLength(3);
		expect(token.expiresAt - before).toBeGreaterThanOrEqual(900_000 - 50);
		expect(token.expiresAt - Date.now()).toBeLessThanOrEqual(900_000);
		expect(sim.counters.oauthMints).toBe(1);
		expect(await userinfoStatus(oauth(), token.value)).toBe(200);
	});

	test('Alation refresh token → API access token (201), lifetime from token_expires_at, TOKEN header', async () => {
		sim.options.tokenLifetimeSeconds = 7200;
		const token = await requestToken(refresh(), makePost());
		expect(token.value.split('.')).not.toHaveLength(3);
		expect(Math.round((token.expiresAt - Date.now()) / 60_000)).toBe(120);
		expect(sim.counters.apiAccessTokenMints).toBe(1);
		expect(await userinfoStatus(refresh(), token.value)).toBe(200);
	});

	test.each(['clientCredentials', 'password'] as const)('DataClarity OpenID Connect %s → Bearer, 30 min', async (flow) => {
		const token = await requestToken(keycloak(flow), makePost());
		expect(Math.round((token.expiresAt - Date.now()) / 60_000)).toBe(30);
		expect(sim.counters.keycloakMints).toBe(1);
		const response = await send({ method: 'GET', url: `${sim.url}/dp/api/v1/aiconnections/types`, headers: { Authorization: `Bearer ${token.value}` } });
		await readText(response.body);
		expect(response.status).toBe(200);
	});

	const rejected: Array<[string, () => TokenGrant, number, RegExp]> = [
		['wrong client secret', () => oauth('wrong-secret'), 401, /invalid_client/],
		['wrong refresh token', () => refresh('not-a-refresh-token'), 401, /Refresh token provided is invalid/],
		['wrong keycloak secret', () => keycloak('clientCredentials', { clientSecret: 'nope' }), 401, /invalid_client/],
		['wrong keycloak password', () => keycloak('password', { password: 'nope' }), 401, /invalid_grant: Invalid user credentials/],
		['unknown tenant', () => keycloak('clientCredentials', { tenant: 'other' }), 404, /Realm does not exist/],
	];
	test.each(rejected)('%s → TokenRequestError with status and server message', async (_case, grant, status, said) => {
		const error = await requestToken(grant(), makePost()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(TokenRequestError);
		const e = error as TokenRequestError;
		expect(e.failure).toBe('rejected');
		expect(e.status).toBe(status);
		expect(e.serverMessage).toMatch(said);
		expect(e.message).not.toContain('wrong-secret');
		expect(e.message).not.toContain(DEMO.clientSecret);
	});

	test('a proxy login page with status 200 → a clear error', async () => {
		sim.intercept('POST', '/oauth/v2/token/', (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/html' });
			res.end('<!doctype html><html><body><form>Sign in to Corporate Proxy</form></body></html>');
		});
		const error = (await requestToken(oauth(), makePost()).catch((e: unknown) => e)) as TokenRequestError;
		expect(error.failure).toBe('invalidResponse');
		expect(error.message).toMatch(/HTML page instead of a token/);
	});

	test('{"status": "failed"} with status 200 → a clear error', async () => {
		sim.intercept('POST', '/integration/v1/createAPIAccessToken/', (_req, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ status: 'failed', message: 'Refresh token is expired' }));
		});
		const error = (await requestToken(refresh(), makePost()).catch((e: unknown) => e)) as TokenRequestError;
		expect(error.message).toMatch(/reported a failure \(Refresh token is expired\)/);
	});

	test('2xx without a token → a clear error', async () => {
		sim.intercept('POST', '/oauth/v2/token/', (_req, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600 }));
		});
		const error = (await requestToken(oauth(), makePost()).catch((e: unknown) => e)) as TokenRequestError;
		expect(error.message).toMatch(/no "access_token"/);
	});

	describe('passing failures are retried (at most twice), after Retry-After or a backoff', () => {
		const recordWaits = (waits: number[]) => (ms: number) => {
			waits.push(ms);
			return Promise.resolve();
		};

		test.each([
			['503', { status: 503 }],
			['502', { status: 502 }],
			['504', { status: 504 }],
			['429', { status: 429 }],
			['a connection dropped before any answer', { reset: true }],
		] as const)('%s once → the second request gets the token', async (_case, fault) => {
			sim.faults.add({ route: 'oauthToken', ...fault });
			const waits: number[] = [];
			const token = await requestToken(oauth(), makePost(), { wait: recordWaits(waits) });
			expect(await userinfoStatus(oauth(), token.value)).toBe(200);
			expect(sim.counters.requests.oauthToken).toBe(2);
			// The jittered backoff of the first retry: between 250 and 500 ms.
			expect(waits).toHaveLength(1);
			expect(waits[0]).toBeGreaterThanOrEqual(250);
			expect(waits[0]).toBeLessThanOrEqual(500);
		});

		test('429 with Retry-After: 7 → waits 7 s (as the server asked)', async () => {
			sim.faults.add({ route: 'oauthToken', status: 429, retryAfter: 7 });
			const waits: number[] = [];
			await requestToken(oauth(), makePost(), { wait: recordWaits(waits) });
			expect(waits).toEqual([7000]);
		});

		test('503 three times → fails after 3 attempts, saying so', async () => {
			sim.faults.add({ route: 'createAPIAccessToken', status: 503, times: 3 });
			const waits: number[] = [];
			const error = (await requestToken(refresh(), makePost(), { wait: recordWaits(waits) }).catch((e: unknown) => e)) as TokenRequestError;
			expect(error).toBeInstanceOf(TokenRequestError);
			expect(error.status).toBe(503);
			expect(error.message).toMatch(/answered 503.* after 3 attempts$/);
			expect(waits).toHaveLength(2);
			expect(sim.counters.requests.createAPIAccessToken).toBe(3);
		});

		test.each([
			['401', { status: 401 }],
			['500 (the server may have failed for good)', { status: 500 }],
			['429 for a used-up licence', { status: 429, body: { error: 'License Quota Exceeded' } }],
		] as const)('%s → not retried', async (_case, fault) => {
			sim.faults.add({ route: 'oauthToken', ...fault });
			const waits: number[] = [];
			await expect(requestToken(oauth(), makePost(), { wait: recordWaits(waits) })).rejects.toThrow(TokenRequestError);
			expect(waits).toEqual([]);
			expect(sim.counters.requests.oauthToken).toBe(1);
		});

		test('retries: 0 → one request only', async () => {
			sim.faults.add({ route: 'oauthToken', status: 503 });
			await expect(requestToken(oauth(), makePost(), { retries: 0 })).rejects.toThrow(/answered 503/);
			expect(sim.counters.requests.oauthToken).toBe(1);
		});
	});
});

describe('token cache', () => {
	const post = () => undiciPost({ allowUnauthorizedCerts: false });

	test('100 concurrent callers → exactly 1 token request, all get the same token', async () => {
		const cache = new TokenCache();
		const tokens = await Promise.all(Array.from({ length: 100 }, () => cache.getToken(oauth(), post())));
		expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
		expect(cache.stats).toMatchObject({ fetches: 1, reused: 99 });
	});

	test('reused until expiresAt − skew, then fetched once more', async () => {
		let now = Date.now();
		const cache = new TokenCache(() => now);
		sim.options.tokenLifetimeSeconds = 1000; // skew = 10 % = 100 s
		const first = await cache.getToken(oauth(), post());
		expect(skewMs(first)).toBe(100_000);
		now = first.expiresAt - 100_001;
		expect((await cache.getToken(oauth(), post())).value).toBe(first.value);
		expect(sim.counters.oauthMints).toBe(1);
		now = first.expiresAt - 99_999;
		const second = await cache.getToken(oauth(), post());
		expect(second.value).not.toBe(first.value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('skew: 10 % of the lifetime, at least 5 s, at most 5 min, never more than half the lifetime', () => {
		const at = (lifetimeMs: number) => skewMs({ value: 'x', obtainedAt: 0, expiresAt: lifetimeMs });
		expect(at(3_600_000)).toBe(300_000);
		expect(at(1_000_000)).toBe(100_000);
		expect(at(30_000)).toBe(5_000);
		expect(at(4_000)).toBe(2_000);
		expect(at(72 * 3_600_000)).toBe(300_000);
	});

	test('different identities do not share tokens', async () => {
		const cache = new TokenCache();
		const a = await cache.getToken(oauth(), post());
		const b = await cache.getToken(refresh(), post());
		expect(a.value).not.toBe(b.value);
		expect(sim.counters.tokensMinted).toBe(2);
	});

	test('a failed fetch is not cached and the next caller tries again', async () => {
		const cache = new TokenCache();
		// Three times: the token request is retried twice after a 503 (grants.ts).
		sim.faults.add({ route: 'oauthToken', status: 503, times: 3, body: { detail: 'maintenance' } });
		await expect(cache.getToken(oauth(), post())).rejects.toThrow(/answered 503 \(maintenance\) after 3 attempts/);
		await expect(cache.getToken(oauth(), post())).resolves.toMatchObject({ value: expect.any(String) });
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('forceNew mints, but joins a fetch already in flight', async () => {
		const cache = new TokenCache();
		const first = await cache.getToken(oauth(), post());
		const forced = await Promise.all([cache.getToken(oauth(), post(), { forceNew: true }), cache.getToken(oauth(), post(), { forceNew: true })]);
		expect(forced[0].value).not.toBe(first.value);
		expect(forced[1].value).toBe(forced[0].value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	describe('after a 401', () => {
		test('the late-401 race: a refusal of an already replaced token keeps the newer token', async () => {
			const cache = new TokenCache();
			const t1 = await cache.getToken(oauth(), post());
			// Caller A is refused with t1 and gets t2.
			cache.tokenRefused(oauth(), t1.value);
			const t2 = await cache.getToken(oauth(), post());
			expect(t2.value).not.toBe(t1.value);
			// Caller B's 401 for t1 arrives late: t2 must survive, no new mint.
			cache.tokenRefused(oauth(), t1.value);
			const t3 = await cache.getToken(oauth(), post());
			expect(t3.value).toBe(t2.value);
			expect(sim.counters.oauthMints).toBe(2);
			expect(await userinfoStatus(oauth(), t3.value)).toBe(200);
		});

		test('20 requests in flight all refused at once → 1 new mint, every request retried once and succeeds', async () => {
			const cache = new TokenCache();
			await cache.getToken(oauth(), post());
			sim.revokeAllTokens();
			sim.resetCounters();
			const statuses = await Promise.all(
				Array.from({ length: 20 }, () =>
					withTokenRetry({
						getToken: async () => await cache.getToken(oauth(), post()),
						tokenRefused: (token) => cache.tokenRefused(oauth(), token),
						call: async (token) => await userinfoStatus(oauth(), token.value),
						isUnauthorized: (status) => status === 401,
					}),
				),
			);
			expect(statuses).toEqual(Array(20).fill(200));
			expect(sim.counters.oauthMints).toBe(1);
			expect(sim.counters.unauthorized).toBe(20);
			expect(sim.counters.requests.userinfo).toBe(40);
		});

		test('a second 401 is returned, not retried again', async () => {
			const cache = new TokenCache();
			let calls = 0;
			const result = await withTokenRetry({
				getToken: async () => await cache.getToken(oauth(), post()),
				tokenRefused: (token) => cache.tokenRefused(oauth(), token),
				call: async () => {
					calls++;
					return 401;
				},
				isUnauthorized: (status) => status === 401,
			});
			expect(result).toBe(401);
			expect(calls).toBe(2);
			expect(sim.counters.oauthMints).toBe(2);
		});
	});

	describe('seeding from the token stored in the credential', () => {
		test('a valid stored token is used without a mint', async () => {
			const stored = await requestToken(oauth(), post());
			sim.resetCounters();
			const cache = new TokenCache();
			const token = await cache.getToken(oauth(), post(), { seed: { accessToken: stored.value, expiresAt: stored.expiresAt, tokenIdentity: TokenCache.identityOf(oauth()) } });
			expect(token.value).toBe(stored.value);
			expect(sim.counters.oauthMints).toBe(0);
		});

		test('expiresAt as a numeric string (as n8n may store it) is accepted', async () => {
			const cache = new TokenCache();
			const token = await cache.getToken(oauth(), post(), { seed: { accessToken: 'stored', expiresAt: String(Date.now() + 600_000), tokenIdentity: TokenCache.identityOf(oauth()) } });
			expect(token.value).toBe('stored');
		});

		test('a stored token minted for another identity (secret, client or base URL changed) is not used', async () => {
			const cache = new TokenCache();
			const other = alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: 'the-old-secret' });
			const seed = { accessToken: 'stored', expiresAt: Date.now() + 600_000, tokenIdentity: TokenCache.identityOf(other) };
			expect((await cache.getToken(oauth(), post(), { seed })).value).not.toBe('stored');
			expect(sim.counters.oauthMints).toBe(1);
			expect(TokenCache.identityOf(oauth())).not.toContain(DEMO.clientSecret);
		});

		test.each([
			['about to expire', { accessToken: 'stored', expiresAt: Date.now() + 10_000 }],
			['without expiry', { accessToken: 'stored', expiresAt: 0 }],
			['empty', { accessToken: '', expiresAt: Date.now() + 600_000 }],
		])('a stored token %s is not used', async (_case, seed) => {
			const cache = new TokenCache();
			const token = await cache.getToken(oauth(), post(), { seed });
			expect(token.value).not.toBe('stored');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test('a cached token wins over the stored one; a refused stored token is never seeded again', async () => {
			const cache = new TokenCache();
			const seed = { accessToken: 'stored-old', expiresAt: Date.now() + 600_000, tokenIdentity: TokenCache.identityOf(oauth()) };
			expect((await cache.getToken(oauth(), post(), { seed })).value).toBe('stored-old');
			cache.tokenRefused(oauth(), 'stored-old');
			const fresh = await cache.getToken(oauth(), post(), { seed });
			expect(fresh.value).not.toBe('stored-old');
			expect((await cache.getToken(oauth(), post(), { seed })).value).toBe(fresh.value);
			expect(sim.counters.oauthMints).toBe(1);
		});
	});
});
