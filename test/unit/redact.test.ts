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

	// The package sends secrets form-encoded (URLSearchParams, nodes/shared/auth/grants.ts): a token
	// endpoint that echoes the body shows them in that form, which differs from encodeURIComponent.
	test('the form (URLSearchParams) encoding of a secret: space as +, ! as %21', () => {
		const out = redactSecrets('invalid_grant: body was grant_type=password&password=Summer+2024%21&x=1', ['Summer 2024!']);
		expect(out).toBe('invalid_grant: body was grant_type=password&password=[redacted]&x=1');
	});

	test("the form encoding of ' ( ) ~, which encodeURIComponent leaves as they are", () => {
		const out = redactSecrets('rejected client_secret=it%27s%28my%29pass%7Eword.', ["it's(my)pass~word"]);
		expect(out).toBe('rejected client_secret=[redacted].');
	});

	test('percent-encoding with lower-case hex (a server that re-encodes)', () => {
		const secret = "it's(my)pass~word/ä";
		const lower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
		const form = new URLSearchParams({ x: secret }).toString().slice(2);
		const out = redactSecrets(`a ${lower(form)} b ${lower(encodeURIComponent(secret))} c`, [secret]);
		expect(out).toBe('a [redacted] b [redacted] c');
		expect(redactSecrets('p=summer+2024%21', ['Summer 2024!'])).toBe('p=summer+2024%21'); // only the hex is case-free
	});

	test('the JSON-escaped form of a secret with quotes and backslashes, also when escaped twice', () => {
		const secret = 'pa"ss\\word\n1';
		const once = JSON.stringify(secret).slice(1, -1);
		const twice = JSON.stringify(once).slice(1, -1);
		const out = redactSecrets(JSON.stringify({ detail: `bad ${secret}`, echo: JSON.stringify({ password: secret }) }), [secret]);
		expect(out).not.toContain(once);
		expect(out).not.toContain(twice);
		expect(out).toContain('[redacted]');
	});

	test('text that merely resembles a secret is left alone', () => {
		const text = 'Summer 2024 was great! summer+2024 it%27s fine, pass~word (my) 2024%21';
		expect(redactSecrets(text, ['Summer 2024!', "it's(my)pass~word"])).toBe(text);
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
	const { describeNetworkError } = require('../../nodes/shared/nodeErrors') as typeof import('../../nodes/shared/nodeErrors');

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
