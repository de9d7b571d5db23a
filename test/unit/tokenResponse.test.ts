import { TokenRequestError } from '../../nodes/shared/auth/errors';
import { alationClientCredentialsGrant, alationRefreshTokenGrant } from '../../nodes/shared/auth/grants';
import { DEFAULT_LIFETIME_MS, jwtExpiry, parseTokenResponse } from '../../nodes/shared/auth/tokenResponse';
import type { TokenHttpResponse } from '../../nodes/shared/auth/types';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const oauth = alationClientCredentialsGrant({ baseUrl: 'https://acme.example', clientId: 'id', clientSecret: 'secret-value' });
const refresh = alationRefreshTokenGrant({ baseUrl: 'https://acme.example', userId: '7', refreshToken: 'refresh-value' });

function jwt(payload: object): string {
	const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
	return `${part({ alg: 'none' })}.${part(payload)}.sig`;
}

function fails(response: TokenHttpResponse, grant = oauth): TokenRequestError {
	try {
		parseTokenResponse(grant, response, NOW);
	} catch (error) {
		expect(error).toBeInstanceOf(TokenRequestError);
		return error as TokenRequestError;
	}
	throw new Error('expected parseTokenResponse to throw');
}

describe('parseTokenResponse: lifetime', () => {
	test('expires_in (seconds) wins', () => {
		const token = parseTokenResponse(oauth, { status: 200, body: JSON.stringify({ access_token: jwt({ exp: NOW / 1000 + 10 }), expires_in: 600 }) }, NOW);
		expect(token.expiresAt - NOW).toBe(600_000);
		expect(token.mintedAt).toBe(NOW);
	});

	test('numeric-string expires_in is accepted', () => {
		const token = parseTokenResponse(oauth, { status: 200, body: { access_token: 'abc', expires_in: '120' } }, NOW);
		expect(token.expiresAt - NOW).toBe(120_000);
	});

	test('without expires_in, the JWT exp claim', () => {
		const token = parseTokenResponse(oauth, { status: 200, body: JSON.stringify({ access_token: jwt({ exp: NOW / 1000 + 900 }) }) }, NOW);
		expect(token.expiresAt).toBe(NOW + 900_000);
	});

	test('without either, Alation token_expires_at', () => {
		const at = new Date(NOW + 24 * 3600_000).toISOString();
		const token = parseTokenResponse(refresh, { status: 201, body: { api_access_token: 'abcdef', token_expires_at: at } }, NOW);
		expect(token.expiresAt).toBe(NOW + 24 * 3600_000);
	});

	test('without anything, one hour', () => {
		const token = parseTokenResponse(oauth, { status: 200, body: '{"access_token":"opaque"}' }, NOW);
		expect(token.expiresAt - NOW).toBe(DEFAULT_LIFETIME_MS);
	});

	test('an expired JWT exp or a past token_expires_at is not trusted', () => {
		expect(parseTokenResponse(oauth, { status: 200, body: { access_token: jwt({ exp: NOW / 1000 - 5 }) } }, NOW).expiresAt - NOW).toBe(DEFAULT_LIFETIME_MS);
		expect(
			parseTokenResponse(refresh, { status: 201, body: { api_access_token: 'x1', token_expires_at: new Date(NOW - 1000).toISOString() } }, NOW).expiresAt - NOW,
		).toBe(DEFAULT_LIFETIME_MS);
	});

	test('jwtExpiry ignores what is not a JWT', () => {
		expect(jwtExpiry('a.b')).toBeUndefined();
		expect(jwtExpiry('a.%%%.c')).toBeUndefined();
		expect(jwtExpiry(jwt({ sub: 'x' }))).toBeUndefined();
		expect(jwtExpiry(jwt({ exp: 100 }))).toBe(100_000);
	});
});

describe('parseTokenResponse: errors', () => {
	test('non-2xx carries the status and the OAuth error', () => {
		const error = fails({ status: 401, contentType: 'application/json', body: '{"error":"invalid_client","error_description":"Client authentication failed"}' });
		expect(error.failure).toBe('rejected');
		expect(error.status).toBe(401);
		expect(error.serverMessage).toBe('invalid_client: Client authentication failed');
		expect(error.message).toContain('answered 401 (invalid_client: Client authentication failed)');
		expect(error.hint).toMatch(/Client ID and Client Secret/);
	});

	test('non-2xx carries Alation detail', () => {
		const error = fails({ status: 401, body: { detail: 'Refresh token provided is invalid.', code: '401000' } }, refresh);
		expect(error.serverMessage).toBe('Refresh token provided is invalid.');
		expect(error.hint).toMatch(/User ID and Refresh Token/);
	});

	test('FastAPI validation detail is summarised', () => {
		const error = fails({ status: 422, body: { detail: [{ loc: ['body', 'client_id'], msg: 'Field required' }] } });
		expect(error.serverMessage).toBe('body.client_id: Field required');
	});

	test('5xx with a text body', () => {
		const error = fails({ status: 503, body: 'upstream unavailable' });
		expect(error.message).toContain('answered 503 (upstream unavailable)');
		expect(error.hint).toMatch(/Try again later/);
	});

	test('an HTML page with status 200 (proxy login) is named as such', () => {
		const error = fails({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html><body>Sign in</body></html>' });
		expect(error.failure).toBe('invalidResponse');
		expect(error.message).toMatch(/HTML page instead of a token/);
		expect(error.hint).toMatch(/proxy or single-sign-on login page/);
	});

	test('HTML without a content type is recognised too', () => {
		expect(fails({ status: 200, body: '  <html><head></head></html>' }).message).toMatch(/HTML page/);
	});

	test('{"status": "failed"} with 200 is a failure', () => {
		const error = fails({ status: 200, body: { status: 'failed', message: 'Token could not be created' } });
		expect(error.failure).toBe('rejected');
		expect(error.message).toMatch(/reported a failure \(Token could not be created\)/);
	});

	test('2xx without the token field', () => {
		expect(fails({ status: 200, body: { token_type: 'Bearer' } }).message).toMatch(/no "access_token"/);
		expect(fails({ status: 201, body: { user_id: 7 } }, refresh).message).toMatch(/no "api_access_token"/);
		expect(fails({ status: 200, body: { access_token: '   ' } }).message).toMatch(/no "access_token"/);
		expect(fails({ status: 200, body: { access_token: 42 } }).message).toMatch(/no "access_token"/);
	});

	test('2xx that is not a JSON object', () => {
		expect(fails({ status: 200, body: 'not json' }).message).toMatch(/answered 200 without a JSON object \(8 characters of something else\)/);
		expect(fails({ status: 200, body: '[1,2]' }).message).toMatch(/without a JSON object/);
		expect(fails({ status: 200, body: '' }).message).toMatch(/without a JSON object \(empty body\)/);
		expect(fails({ status: 204, body: undefined }).message).toMatch(/without a JSON object/);
		// A body that does not parse may still hold the new token: it is never quoted.
		expect(fails({ status: 201, body: `{"api_access_token":"${'0123456789abcdef'.repeat(2)}", "x": ` }, refresh).message).not.toContain('0123456789abcdef');
	});

	test('long bodies are cut in messages', () => {
		const error = fails({ status: 500, body: 'x'.repeat(5000) });
		expect(error.message.length).toBeLessThan(400);
	});
});
