/**
 * The token engine against the loopback Alation simulator: every grant over both transports
 * (undici, and n8n's own httpRequest helper), validation of odd answers, and the cache's promises
 * (one mint for 100 concurrent callers, expiry skew, the late-401 race, seeding).
 */
import { preAuthenticationThis } from '../helpers/n8nHttp';
import { useSimulator } from '../helpers/useSimulator';
import { DEMO } from '../simulator';

import { TokenRequestError } from '../../nodes/shared/auth/errors';
import { alationClientCredentialsGrant, alationRefreshTokenGrant, openIdConnectGrant } from '../../nodes/shared/auth/grants';
import { identityOf, isIdentityOf } from '../../nodes/shared/auth/identity';
import { skewMs } from '../../nodes/shared/auth/tokenCache';
import type { AccessToken, PostFn, TokenGrant } from '../../nodes/shared/auth/types';
import { readText, send } from '../../nodes/shared/http/client';
import { TokenAuthority } from '../../nodes/shared/token/authority';
import { requestToken } from '../../nodes/shared/token/requestToken';
import { n8nPost, undiciCheck, undiciPost } from '../../nodes/shared/token/transports';

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

describe('token authority', () => {
	const post = () => undiciPost({ allowUnauthorizedCerts: false });
	const check = undiciCheck({ allowUnauthorizedCerts: false });
	/** A request with the token: on 401, refuse the token sent, get one (newer or minted) and send once more. */
	const withRetry = async (authority: TokenAuthority, call: (token: AccessToken) => Promise<number>): Promise<number> => {
		const token = await authority.get(oauth(), post());
		const first = await call(token);
		if (first !== 401) return first;
		authority.refuse(oauth(), token.value);
		return await call(await authority.get(oauth(), post()));
	};
	const storedFor = async (grant: TokenGrant, fields: { accessToken: string; expiresAt: unknown; mintedAt?: unknown }) => ({
		mintedAt: Date.now() - 1_000,
		...fields,
		tokenIdentity: await identityOf(grant),
	});

	test('100 concurrent callers → exactly 1 token request, all get the same token', async () => {
		const authority = new TokenAuthority();
		const tokens = await Promise.all(Array.from({ length: 100 }, () => authority.get(oauth(), post())));
		expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
		expect(sim.counters.oauthMints).toBe(1);
		expect(authority.stats).toMatchObject({ mints: 1 });
	});

	test('reused until expiresAt − skew, then fetched once more', async () => {
		let now = Date.now();
		const authority = new TokenAuthority(() => now);
		sim.options.tokenLifetimeSeconds = 1000; // skew = 10 % = 100 s
		const first = await authority.get(oauth(), post());
		expect(skewMs(first)).toBe(100_000);
		now = first.expiresAt - 100_001;
		expect((await authority.get(oauth(), post())).value).toBe(first.value);
		expect(sim.counters.oauthMints).toBe(1);
		now = first.expiresAt - 99_999;
		const second = await authority.get(oauth(), post());
		expect(second.value).not.toBe(first.value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	test('skew: 10 % of the lifetime, at least 5 s, at most 5 min, never more than half the lifetime', () => {
		const at = (lifetimeMs: number) => skewMs({ mintedAt: 0, expiresAt: lifetimeMs });
		expect(at(3_600_000)).toBe(300_000);
		expect(at(1_000_000)).toBe(100_000);
		expect(at(30_000)).toBe(5_000);
		expect(at(4_000)).toBe(2_000);
		expect(at(72 * 3_600_000)).toBe(300_000);
	});

	test('different identities do not share tokens', async () => {
		const authority = new TokenAuthority();
		const a = await authority.get(oauth(), post());
		const b = await authority.get(refresh(), post());
		expect(a.value).not.toBe(b.value);
		expect(sim.counters.tokensMinted).toBe(2);
	});

	test('a failed fetch is not kept and the next caller tries again', async () => {
		const authority = new TokenAuthority();
		// Three times: the token request is retried twice after a 503 (token/requestToken.ts).
		sim.faults.add({ route: 'oauthToken', status: 503, times: 3, body: { detail: 'maintenance' } });
		await expect(authority.get(oauth(), post())).rejects.toThrow(/answered 503 \(maintenance\) after 3 attempts/);
		await expect(authority.get(oauth(), post())).resolves.toMatchObject({ value: expect.any(String) });
		expect(sim.counters.oauthMints).toBe(1);
	});

	test('forceNew mints, but joins a fetch already in flight', async () => {
		const authority = new TokenAuthority();
		const first = await authority.get(oauth(), post());
		const forced = await Promise.all([authority.get(oauth(), post(), { forceNew: true }), authority.get(oauth(), post(), { forceNew: true })]);
		expect(forced[0].value).not.toBe(first.value);
		expect(forced[1].value).toBe(forced[0].value);
		expect(sim.counters.oauthMints).toBe(2);
	});

	describe('after a 401', () => {
		test('the late-401 race: a refusal of an already replaced token keeps the newer token', async () => {
			const authority = new TokenAuthority();
			const t1 = await authority.get(oauth(), post());
			// Caller A is refused with t1 and gets t2.
			authority.refuse(oauth(), t1.value);
			const t2 = await authority.get(oauth(), post());
			expect(t2.value).not.toBe(t1.value);
			// Caller B's 401 for t1 arrives late: t2 must survive, no new mint.
			authority.refuse(oauth(), t1.value);
			const t3 = await authority.get(oauth(), post());
			expect(t3.value).toBe(t2.value);
			expect(sim.counters.oauthMints).toBe(2);
			expect(await userinfoStatus(oauth(), t3.value)).toBe(200);
		});

		test('20 requests in flight all refused at once → 1 new mint, every request retried once and succeeds', async () => {
			const authority = new TokenAuthority();
			await authority.get(oauth(), post());
			sim.revokeAllTokens();
			sim.resetCounters();
			const statuses = await Promise.all(
				Array.from({ length: 20 }, () => withRetry(authority, async (token) => await userinfoStatus(oauth(), token.value))),
			);
			expect(statuses).toEqual(Array(20).fill(200));
			expect(sim.counters.oauthMints).toBe(1);
			expect(sim.counters.unauthorized).toBe(20);
			expect(sim.counters.requests.userinfo).toBe(40);
		});

		test('a second 401 is returned, not retried again', async () => {
			const authority = new TokenAuthority();
			let calls = 0;
			const result = await withRetry(authority, async () => {
				calls++;
				return 401;
			});
			expect(result).toBe(401);
			expect(calls).toBe(2);
			expect(sim.counters.oauthMints).toBe(2);
		});
	});

	describe('check: was the token sent refused?', () => {
		test('10 callers asking about the same token at once → 1 check request; a live token is accepted and kept', async () => {
			const authority = new TokenAuthority();
			const token = await authority.get(oauth(), post());
			sim.resetCounters();
			const verdicts = await Promise.all(Array.from({ length: 10 }, () => authority.check(oauth(), token.value, check)));
			expect(verdicts).toEqual(Array(10).fill('accepted'));
			expect(sim.counters.requests.userinfo).toBe(1);
			expect(authority.held(oauth(), { fresh: true })?.value).toBe(token.value);
			expect(sim.counters.oauthMints).toBe(0);
		});

		test('a revoked token is refused (one check), dropped, and never checked again', async () => {
			const authority = new TokenAuthority();
			const token = await authority.get(oauth(), post());
			sim.revokeAllTokens();
			sim.resetCounters();
			expect(await authority.check(oauth(), token.value, check)).toBe('refused');
			expect(authority.held(oauth(), { fresh: true })).toBeUndefined();
			expect(await authority.check(oauth(), token.value, check)).toBe('refused');
			expect(sim.counters.requests.userinfo).toBe(1);
		});

		test('a check that gets no clear answer (500) says unknown and refuses nothing', async () => {
			const authority = new TokenAuthority();
			const token = await authority.get(oauth(), post());
			sim.faults.add({ route: 'userinfo', status: 500 });
			expect(await authority.check(oauth(), token.value, check)).toBe('unknown');
			expect(authority.held(oauth(), { fresh: true })?.value).toBe(token.value);
		});
	});

	describe('the stored token (the n8n credential)', () => {
		test('a valid stored token is used without a mint', async () => {
			const minted = await requestToken(oauth(), post());
			sim.resetCounters();
			const authority = new TokenAuthority();
			const stored = await storedFor(oauth(), { accessToken: minted.value, expiresAt: minted.expiresAt, mintedAt: minted.mintedAt });
			const token = await authority.get(oauth(), post(), { stored });
			expect(token.value).toBe(minted.value);
			expect(sim.counters.oauthMints).toBe(0);
		});

		test('expiresAt and mintedAt as numeric strings (as n8n may store them) are accepted', async () => {
			const authority = new TokenAuthority();
			const stored = await storedFor(oauth(), { accessToken: 'stored', expiresAt: String(Date.now() + 600_000), mintedAt: String(Date.now() - 1_000) });
			expect((await authority.get(oauth(), post(), { stored })).value).toBe('stored');
		});

		test('a stored token minted for another identity (secret, client or base URL changed) is not used', async () => {
			const authority = new TokenAuthority();
			const other = alationClientCredentialsGrant({ baseUrl: sim.url, clientId: DEMO.clientId, clientSecret: 'the-old-secret' });
			const stored = await storedFor(other, { accessToken: 'stored', expiresAt: Date.now() + 600_000 });
			expect((await authority.get(oauth(), post(), { stored })).value).not.toBe('stored');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test.each([
			['about to expire (inside the skew)', { accessToken: 'stored', expiresAt: Date.now() + 10_000, mintedAt: Date.now() - 3_590_000 }],
			['without expiry', { accessToken: 'stored', expiresAt: 0 }],
			['without mint time (stored by an earlier version)', { accessToken: 'stored', expiresAt: Date.now() + 600_000, mintedAt: undefined }],
			['empty', { accessToken: '', expiresAt: Date.now() + 600_000 }],
		])('a stored token %s is not used', async (_case, fields) => {
			const authority = new TokenAuthority();
			const token = await authority.get(oauth(), post(), { stored: await storedFor(oauth(), fields) });
			expect(token.value).not.toBe('stored');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test('a stored token fingerprinted the earlier way (fast unsalted hash) is not used: one mint after upgrade', async () => {
			const authority = new TokenAuthority();
			const stored = { accessToken: 'stored', expiresAt: Date.now() + 600_000, mintedAt: Date.now(), tokenIdentity: 'a'.repeat(32) };
			expect((await authority.get(oauth(), post(), { stored })).value).not.toBe('stored');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test('tokens only move forward: an older stored token is never adopted over a newer held one; a newer one is', async () => {
			let now = Date.now();
			const authority = new TokenAuthority(() => now);
			const held = await authority.get(oauth(), post());
			const older = await storedFor(oauth(), { accessToken: 'older', expiresAt: now + 600_000, mintedAt: held.mintedAt - 1 });
			expect((await authority.find(oauth(), older))?.value).toBe(held.value);
			expect((await authority.get(oauth(), post(), { stored: older })).value).toBe(held.value);
			// The held token comes due: a stored one minted after it is taken, an older one never.
			now = held.expiresAt - 1;
			const newer = await storedFor(oauth(), { accessToken: 'newer', expiresAt: now + 600_000, mintedAt: held.mintedAt + 1 });
			const olderStill = await storedFor(oauth(), { accessToken: 'older', expiresAt: now + 600_000, mintedAt: held.mintedAt - 1 });
			expect(await authority.find(oauth(), olderStill)).toBeUndefined();
			expect((await authority.find(oauth(), newer))?.value).toBe('newer');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test('after the newest token is refused, an older one (invalidated by that newer mint) is not taken back', async () => {
			const authority = new TokenAuthority();
			const older = await storedFor(oauth(), { accessToken: 'T1', expiresAt: Date.now() + 600_000, mintedAt: Date.now() - 60_000 });
			const newer = await storedFor(oauth(), { accessToken: 'T2', expiresAt: Date.now() + 600_000, mintedAt: Date.now() - 1_000 });
			expect((await authority.find(oauth(), newer))?.value).toBe('T2');
			authority.refuse(oauth(), 'T2');
			expect(await authority.find(oauth(), older)).toBeUndefined();
			const fresh = await authority.get(oauth(), post(), { stored: older });
			expect(fresh.value).not.toBe('T1');
			expect(sim.counters.oauthMints).toBe(1);
		});

		test('a refused stored token is never adopted again', async () => {
			const authority = new TokenAuthority();
			const stored = await storedFor(oauth(), { accessToken: 'stored-old', expiresAt: Date.now() + 600_000 });
			expect((await authority.get(oauth(), post(), { stored })).value).toBe('stored-old');
			authority.refuse(oauth(), 'stored-old');
			const fresh = await authority.get(oauth(), post(), { stored });
			expect(fresh.value).not.toBe('stored-old');
			expect((await authority.get(oauth(), post(), { stored })).value).toBe(fresh.value);
			expect(sim.counters.oauthMints).toBe(1);
		});
	});
});

describe('the stored fingerprint (tokenIdentity)', () => {
	test('salted scrypt: no secret in it, a different salt per process, each verifies; another secret does not', async () => {
		const id = await identityOf(oauth());
		expect(id).toMatch(/^s1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}$/);
		expect(id).not.toContain(DEMO.clientSecret);
		expect(await identityOf(oauth(), id)).toBe(id); // the stored salt is kept
		expect(await isIdentityOf(oauth(), id)).toBe(true);
		expect(await isIdentityOf(oauth('another-secret'), id)).toBe(false);
		// Another process (another salt) writes another string for the same identity; each verifies.
		const [, , hash] = id.split('.');
		const otherSalt = `s1.${Buffer.alloc(16, 7).toString('base64url')}.${hash}`;
		expect(await isIdentityOf(oauth(), otherSalt)).toBe(false);
	});
});
