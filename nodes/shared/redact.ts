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

/**
 * Every form in which a secret can come back: as typed, and as the package itself sends it, each
 * derived from the very function that encodes it for sending, so the two cannot drift apart:
 * - form bodies (`URLSearchParams`, nodes/shared/auth/grants.ts): space as `+`, `!'()~` as `%21`…;
 * - `encodeURIComponent` (URLs), and every non-unreserved character percent-encoded (RFC 3986,
 *   Python's `quote`), for servers that decode and re-encode what they echo;
 * - JSON bodies (`JSON.stringify`), escaped once or twice (a JSON document quoted in a JSON string),
 *   and with non-ASCII as `\uXXXX` (Python's `json.dumps`).
 * No Basic authorization header carries a secret (every grant sends it in the body), so no base64 form.
 */
function secretForms(secret: string): string[] {
	const json = JSON.stringify(secret).slice(1, -1);
	const forms = [
		secret,
		new URLSearchParams({ x: secret }).toString().slice(2),
		encodeURIComponent(secret),
		encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
		json,
		JSON.stringify(json).slice(1, -1),
		json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
	];
	return [...new Set(forms)];
}

/** A form as a pattern: the hex digits of `%XX` and `\uXXXX` escapes match in either case. */
function formPattern(form: string): string {
	return form
		.split(/(%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})/)
		.map((part, i) => {
			const escaped = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
			return i % 2 === 1 ? escaped.replace(/[A-Fa-f]/g, (h) => `[${h.toLowerCase()}${h.toUpperCase()}]`) : escaped;
		})
		.join('');
}

function redactForms(text: string, secret: string, standalone: boolean): string {
	// One pass, longest form first: a form inside another is not left half-redacted.
	const alternatives = secretForms(secret)
		.sort((a, b) => b.length - a.length)
		.map(formPattern)
		.join('|');
	const pattern = standalone ? `(?<![A-Za-z0-9])(?:${alternatives})(?![A-Za-z0-9])` : alternatives;
	return text.replace(new RegExp(pattern, 'g'), REDACTED);
}

export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
	let result = text;
	for (const secret of secrets) {
		if (typeof secret !== 'string' || secret === '') continue;
		result = redactForms(result, secret, secret.length < MIN_SECRET_LENGTH);
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
