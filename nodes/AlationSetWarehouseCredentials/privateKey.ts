/*
 * Private keys as users paste them (sheets, secret stores, environment variables): normalised to
 * PEM and checked before anything is sent, so a wrong key fails its item with a clear error.
 */

export const PEM_HINT =
	'Paste the whole key, from the "-----BEGIN PRIVATE KEY-----" line to the "-----END PRIVATE KEY-----" line (ENCRYPTED, RSA and EC private keys are accepted too). A key on one line with \\n between its lines is accepted.';
export const PUBLIC_KEY_HINT = 'This is a public key. Use the private key it belongs to, from its "-----BEGIN … PRIVATE KEY-----" line to its END line.';

/**
 * Keys arrive from sheets, secret stores and environment variables in several shapes. Literal `\n`
 * (and `\r\n`) sequences become line breaks (a PEM body is base64, which has no backslash, so this
 * cannot change key material), CRLF becomes LF, and spaces around lines and the key are dropped.
 */
export function normalizePrivateKey(raw: string): string {
	return raw
		.replace(/\\r\\n|\\n|\\r/g, '\n')
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map((line) => line.trim())
		.join('\n')
		.trim();
}

type KeyCheck = { ok: true; pem: string; body: string; encrypted: boolean } | { ok: false; reason: 'publicKey' | 'notPem' };

const PEM_BEGIN = /^-----BEGIN ((?:ENCRYPTED |RSA |EC )?)PRIVATE KEY-----$/;
const PEM_END = /^-----END ((?:ENCRYPTED |RSA |EC )?)PRIVATE KEY-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** Headers of the traditional OpenSSL format ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …"), before the body. */
const PEM_HEADER = /^[A-Za-z][A-Za-z0-9-]*:\s*\S/;

/** PKCS#8 (plain or ENCRYPTED) or traditional RSA / EC keys; the body is checked as base64 lines. */
export function checkPrivateKey(pem: string): KeyCheck {
	const lines = pem.split('\n');
	const begin = PEM_BEGIN.exec(lines[0]);
	const end = lines.length >= 3 ? PEM_END.exec(lines[lines.length - 1]) : null;
	if (!begin || !end || begin[1] !== end[1]) {
		return { ok: false, reason: /-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(pem) ? 'publicKey' : 'notPem' };
	}
	let encrypted = begin[1] === 'ENCRYPTED ';
	const body: string[] = [];
	for (const line of lines.slice(1, -1)) {
		if (line === '') continue;
		if (BASE64_LINE.test(line)) {
			body.push(line);
		} else if (body.length === 0 && PEM_HEADER.test(line)) {
			if (/^Proc-Type:\s*4\s*,\s*ENCRYPTED$/i.test(line)) encrypted = true;
		} else {
			return { ok: false, reason: 'notPem' };
		}
	}
	return body.length === 0 ? { ok: false, reason: 'notPem' } : { ok: true, pem, body: body.join(''), encrypted };
}
