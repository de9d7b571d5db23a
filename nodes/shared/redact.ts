/**
 * Removes secrets from text that may reach a user (error messages, descriptions, output JSON).
 * Error paths call it with every secret of the credential in play, so even a server that echoes
 * a secret back cannot leak it through our messages.
 */
const REDACTED = '[redacted]';

/**
 * Secrets shorter than this are redacted only where they stand alone (not inside a longer word or
 * number): searching everywhere for a 2-character "secret" would shred every message, and skipping
 * them would let a server that echoes a 3-character password show it.
 */
const MIN_SECRET_LENGTH = 4;

function redactStandalone(text: string, secret: string): string {
	const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return text.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), REDACTED);
}

export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
	let result = text;
	for (const secret of secrets) {
		if (typeof secret !== 'string' || secret === '') continue;
		if (secret.length < MIN_SECRET_LENGTH) {
			result = redactStandalone(result, secret);
			continue;
		}
		result = result.split(secret).join(REDACTED);
		// A form-encoded or JSON-escaped copy of the secret is still the secret.
		const encoded = encodeURIComponent(secret);
		if (encoded !== secret) result = result.split(encoded).join(REDACTED);
		const jsonEscaped = JSON.stringify(secret).slice(1, -1);
		if (jsonEscaped !== secret) result = result.split(jsonEscaped).join(REDACTED);
	}
	// Whatever we do not know as a secret but looks like a credential header is masked too.
	return result
		.replace(/(authorization\s*[:=]\s*)(bearer|basic)\s+[^\s"',;]+/gi, `$1$2 ${REDACTED}`)
		.replace(/(\btoken["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]{16,}/gi, `$1${REDACTED}`);
}

/** Deep-copies JSON-like data, dropping the named keys at any depth (e.g. a password a server echoes). */
export function withoutKeys<T>(value: T, keys: readonly string[], depth = 0): T {
	if (depth > 20 || value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map((v) => withoutKeys(v, keys, depth + 1)) as T;
	const out: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
		if (keys.includes(k)) continue;
		out[k] = withoutKeys(v, keys, depth + 1);
	}
	return out as T;
}

/** Applies `redact` to every string in JSON-like data (a copy; the input is left as it is). */
export function redactDeep(value: unknown, redact: (text: string) => string, depth = 0): unknown {
	if (typeof value === 'string') return redact(value);
	if (depth > 20 || value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact, depth + 1));
	return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact, depth + 1)]));
}
