import { redactSecrets, withoutKeys } from '../../nodes/shared/redact';

describe('redactSecrets', () => {
	test('removes every listed secret, also URL- and JSON-encoded copies', () => {
		const secret = 'p@ss w/"rd+1';
		const text = `a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret)}`;
		const out = redactSecrets(text, [secret]);
		expect(out).not.toContain(secret);
		expect(out).not.toContain(encodeURIComponent(secret));
		expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
	});

	test('masks bearer and TOKEN header values it was not told about', () => {
		expect(redactSecrets('Authorization: Bearer eyJhbGciOi.abc.def', [])).toBe('Authorization: Bearer [redacted]');
		expect(redactSecrets('"token": "0123456789abcdef0123"', [])).toBe('"token": "[redacted]"');
	});

	test('ignores empty secrets; a secret shorter than 4 characters only where it stands alone', () => {
		expect(redactSecrets('abc', ['', 'a', undefined])).toBe('abc');
		// A 3-character warehouse password echoed back by a server is not shown…
		expect(redactSecrets('{"detail": "password x9$ rejected", "password": "x9$"}', ['x9$'])).toBe('{"detail": "password [redacted] rejected", "password": "[redacted]"}');
		// … but words and numbers that merely contain it are left alone.
		expect(redactSecrets('status 401 for user 1401', ['401'])).toBe('status [redacted] for user 1401');
		expect(redactSecrets('Client authentication failed', ['cat'])).toBe('Client authentication failed');
	});
});

describe('withoutKeys', () => {
	test('drops keys at any depth, leaves the input untouched', () => {
		const input = { a: 1, password: 'x', nested: { private_key: 'k', list: [{ passphrase: 'p', ok: true }] } };
		expect(withoutKeys(input, ['password', 'private_key', 'passphrase'])).toEqual({ a: 1, nested: { list: [{ ok: true }] } });
		expect(input.password).toBe('x');
	});
});

describe('describeNetworkError: the errors of n8n\'s own request helper (axios)', () => {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { describeNetworkError } = require('../../nodes/shared/http/nodeErrors') as typeof import('../../nodes/shared/http/nodeErrors');

	test('a body cut mid-way ("stream has been aborted") is a closed connection', () => {
		const error = Object.assign(new Error('stream has been aborted'), { code: 'ERR_BAD_RESPONSE', requestHost: 'acme.example:443' });
		expect(describeNetworkError(error)?.message).toBe('The connection to acme.example:443 was closed unexpectedly');
	});

	test('other bad responses are not network failures', () => {
		expect(describeNetworkError(Object.assign(new Error('Request failed with status code 500'), { code: 'ERR_BAD_RESPONSE' }))).toBeUndefined();
	});

	test('its timeout', () => {
		expect(describeNetworkError(Object.assign(new Error('timeout of 60000ms exceeded'), { code: 'ECONNABORTED', requestHost: 'acme.example' }))?.message).toBe('The request to acme.example timed out');
	});
});
