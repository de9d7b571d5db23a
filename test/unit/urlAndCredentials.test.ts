import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { alationGrant, dataClarityGrant } from '../../nodes/shared/auth/credentialGrants';
import { CredentialInputError } from '../../nodes/shared/credentialInputError';
import { normalizeBaseUrl } from '../../nodes/shared/url';

const norm = (raw: unknown, allowPath = false) => normalizeBaseUrl(raw, 'Base URL', 'https://acme.alationcloud.com', { allowPath });

function inputError(fn: () => unknown): CredentialInputError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(CredentialInputError);
		return error as CredentialInputError;
	}
	throw new Error('expected a CredentialInputError');
}

describe('normalizeBaseUrl', () => {
	test.each([
		['https://acme.alationcloud.com', 'https://acme.alationcloud.com'],
		['https://acme.alationcloud.com/', 'https://acme.alationcloud.com'],
		['https://acme.alationcloud.com///', 'https://acme.alationcloud.com'],
		['  https://acme.alationcloud.com/ \n', 'https://acme.alationcloud.com'],
		['acme.alationcloud.com', 'https://acme.alationcloud.com'],
		['HTTPS://ACME.alationcloud.com', 'https://acme.alationcloud.com'],
		['http://127.0.0.1:8765', 'http://127.0.0.1:8765'],
		['https://alation.internal:8443/', 'https://alation.internal:8443'],
	])('%p → %p', (input, expected) => {
		expect(norm(input)).toBe(expected);
	});

	test('a path is rejected with the address to type', () => {
		const error = inputError(() => norm('https://acme.alationcloud.com/app/catalog/'));
		expect(error.field).toBe('Base URL');
		expect(error.message).toMatch(/type https:\/\/acme\.alationcloud\.com$/);
		expect(error.message).not.toContain('/app/catalog');
	});

	test('a token URL pasted as base URL is rejected the same way', () => {
		expect(inputError(() => norm('https://acme.alationcloud.com/oauth/v2/token/')).message).toContain('type https://acme.alationcloud.com');
	});

	test('a query is rejected', () => {
		expect(inputError(() => norm('https://acme.alationcloud.com?x=1')).message).toMatch(/without a path/);
	});

	test('with allowPath a path prefix is kept (DataClarity behind a prefix)', () => {
		expect(norm('https://dc.example.com/platform/', true)).toBe('https://dc.example.com/platform');
	});

	test.each([[''], ['   '], [undefined], [42]])('empty %p is rejected', (input) => {
		expect(inputError(() => norm(input)).message).toMatch(/Base URL is empty/);
	});

	test('another scheme is rejected', () => {
		expect(inputError(() => norm('ftp://acme.example')).message).toMatch(/must start with https:\/\//);
	});

	test('user info in the URL is rejected without echoing it', () => {
		const error = inputError(() => norm('https://user:hunter2secret@acme.example'));
		expect(error.message).toMatch(/must not contain a user name or password/);
		expect(error.message).not.toContain('hunter2secret');
	});

	test('garbage is rejected', () => {
		expect(inputError(() => norm('https://exa mple.com')).message).toMatch(/not a valid address/);
	});
});

describe('credential → grant', () => {
	const alation = (data: ICredentialDataDecryptedObject) => alationGrant(data);

	test('client credentials: pasted whitespace is trimmed from ids and secrets', () => {
		const grant = alation({ baseUrl: ' acme.alationcloud.com/ ', authType: 'clientCredentials', clientId: ' cid \n', clientSecret: '\tsecret-1 \n' });
		expect(grant.tokenUrl).toBe('https://acme.alationcloud.com/oauth/v2/token/');
		const request = grant.buildRequest();
		expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
		expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
			grant_type: 'client_credentials',
			client_id: 'cid',
			client_secret: 'secret-1',
		});
		expect(grant.scheme).toEqual({ tokenType: 'Bearer', headerName: 'Authorization' });
	});

	test('refresh token: JSON body with numeric user_id, TOKEN header', () => {
		const grant = alation({ baseUrl: 'https://acme.alationcloud.com', authType: 'refreshToken', userId: ' 102 ', refreshToken: ' rt-value\n' });
		expect(grant.tokenUrl).toBe('https://acme.alationcloud.com/integration/v1/createAPIAccessToken/');
		expect(JSON.parse(grant.buildRequest().body)).toEqual({ refresh_token: 'rt-value', user_id: 102 });
		expect(grant.scheme).toEqual({ tokenType: 'TOKEN', headerName: 'TOKEN' });
		expect(grant.tokenField).toBe('api_access_token');
	});

	test.each([
		[{ authType: 'clientCredentials', clientId: '', clientSecret: 's' }, 'Client ID'],
		[{ authType: 'clientCredentials', clientId: 'c', clientSecret: '  ' }, 'Client Secret'],
		[{ authType: 'refreshToken', userId: '', refreshToken: 'r' }, 'User ID'],
		[{ authType: 'refreshToken', userId: '7', refreshToken: '' }, 'Refresh Token'],
	])('missing field %p names %p', (data, field) => {
		const error = inputError(() => alation({ baseUrl: 'https://acme.example', ...data }));
		expect(error.field).toBe(field);
		expect(error.message).toBe(`${field} is empty. Fill it in the "Alation API" credential.`);
	});

	test('a non-numeric user id says what to type', () => {
		const error = inputError(() => alation({ baseUrl: 'https://acme.example', authType: 'refreshToken', userId: 'dave@example.com', refreshToken: 'r' }));
		expect(error.field).toBe('User ID');
		expect(error.message).toMatch(/numeric id .*\(e\.g\. 102\)/);
	});

	test('a bad base URL names the credential', () => {
		const error = inputError(() => alation({ baseUrl: 'https://acme.example/app', clientId: 'c', clientSecret: 's' }));
		expect(error.message).toMatch(/in the "Alation API" credential/);
	});

	test('DataClarity client credentials', () => {
		const grant = dataClarityGrant({ serverUrl: 'https://dc.example.com/', tenant: 'acme', clientId: 'dc', clientSecret: 'dcs', flow: 'clientCredentials' });
		expect(grant.tokenUrl).toBe('https://dc.example.com/auth/realms/acme/protocol/openid-connect/token');
		expect(Object.fromEntries(new URLSearchParams(grant.buildRequest().body))).toEqual({ grant_type: 'client_credentials', client_id: 'dc', client_secret: 'dcs' });
	});

	test('DataClarity password flow keeps the password as typed; a public client sends no secret', () => {
		const grant = dataClarityGrant({ serverUrl: 'dc.example.com', tenant: 'acme', clientId: 'dc', clientSecret: '', flow: 'password', username: ' ann ', password: ' p w ' });
		expect(Object.fromEntries(new URLSearchParams(grant.buildRequest().body))).toEqual({ grant_type: 'password', client_id: 'dc', username: 'ann', password: ' p w ' });
	});

	test.each([
		[{ serverUrl: '', tenant: 't', clientId: 'c', clientSecret: 's' }, 'Server URL'],
		[{ serverUrl: 'https://x', tenant: '', clientId: 'c', clientSecret: 's' }, 'Tenant'],
		[{ serverUrl: 'https://x', tenant: 't', clientId: '', clientSecret: 's' }, 'Client ID'],
		[{ serverUrl: 'https://x', tenant: 't', clientId: 'c', clientSecret: '' }, 'Client Secret'],
		[{ serverUrl: 'https://x', tenant: 't', clientId: 'c', flow: 'password', username: '', password: 'p' }, 'Username'],
		[{ serverUrl: 'https://x', tenant: 't', clientId: 'c', flow: 'password', username: 'u', password: '' }, 'Password'],
	])('DataClarity missing field %p names %p', (data, field) => {
		expect(inputError(() => dataClarityGrant(data)).field).toBe(field);
	});

	test('different secrets give different cache keys; same identity the same key', () => {
		const { identityKey } = jest.requireActual('../../nodes/shared/auth/identity');
		const a = alation({ baseUrl: 'https://x', clientId: 'c', clientSecret: 's1' });
		const b = alation({ baseUrl: 'https://x', clientId: 'c', clientSecret: 's2' });
		const a2 = alation({ baseUrl: 'https://x/', clientId: ' c', clientSecret: 's1 ' });
		expect(identityKey(a)).not.toBe(identityKey(b));
		expect(identityKey(a)).toBe(identityKey(a2));
		expect(identityKey(a)).not.toContain('s1');
	});
});
