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

	test('ignores empty or very short secrets', () => {
		expect(redactSecrets('abc', ['', 'a', undefined])).toBe('abc');
	});
});

describe('withoutKeys', () => {
	test('drops keys at any depth, leaves the input untouched', () => {
		const input = { a: 1, password: 'x', nested: { private_key: 'k', list: [{ passphrase: 'p', ok: true }] } };
		expect(withoutKeys(input, ['password', 'private_key', 'passphrase'])).toEqual({ a: 1, nested: { list: [{ ok: true }] } });
		expect(input.password).toBe('x');
	});
});
