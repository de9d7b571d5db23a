import { redactDeep, redactSecrets } from '../redact';
import { oneLine, serverErrorText } from '../serverMessage';
import { TokenRequestError } from './errors';
import type { AccessToken, TokenGrant, TokenHttpResponse } from './types';
import { isRecord, parseJson } from '../json';

/** When the server says nothing about lifetime, assume one hour (the common OAuth default). */
export const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;

/**
 * Turns a token endpoint's response into an AccessToken, or throws a TokenRequestError that says
 * what went wrong in words a user can act on (`attempts`: how many requests it took, for the message).
 *
 * Lifetime, in order of trust: `expires_in` (seconds) → the JWT's own `exp` → Alation's absolute
 * `token_expires_at` → one hour.
 */
export function parseTokenResponse(grant: TokenGrant, response: TokenHttpResponse, now: number, attempts = 1): AccessToken {
	const { status } = response;
	const body = readBody(response);
	// Redacted before anything is shortened: a secret cut in half is no longer found by redaction.
	const redact = (text: string) => redactSecrets(text, grant.secrets);
	const said = (json: unknown) => serverErrorText(redactDeep(json, redact));
	const snippet = (text: string) => oneLine(redact(text));

	if (status >= 300 && status < 400) {
		// Never followed (both transports): the request carries the secret. The body is not quoted.
		const to = originOf(response.location, grant.tokenUrl);
		throw new TokenRequestError({
			failure: 'rejected',
			status,
			tokenUrl: grant.tokenUrl,
			message: `${grant.label}: the token endpoint answered ${status} and redirects to ${to}; token requests are not redirected, since they carry the credential's secret`,
			hint: `If ${to} is your instance, use it as the address in the credential; otherwise check the address and any proxy in between.`,
		});
	}
	if (status === 407) {
		// Not Alation's answer: a proxy in between wants credentials. The body is the proxy's page.
		throw new TokenRequestError({
			failure: 'rejected',
			status,
			tokenUrl: grant.tokenUrl,
			message: `${grant.label}: a proxy between n8n and the token endpoint answered 407 (Proxy Authentication Required)`,
			hint: 'The proxy asks for credentials: put them in the proxy variable n8n uses (HTTPS_PROXY=http://user:password@proxy:port; HTTP_PROXY for http:// addresses). The credential itself was not checked.',
		});
	}
	if (status < 200 || status >= 300) {
		const serverMessage = said(body.json) ?? snippet(body.text);
		throw new TokenRequestError({
			failure: 'rejected',
			status,
			serverMessage,
			tokenUrl: grant.tokenUrl,
			message: `${grant.label}: the token endpoint answered ${status}${serverMessage ? ` (${serverMessage})` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
			hint: status === 400 || status === 401 || status === 403 ? grant.rejectedHint : statusHint(status),
		});
	}

	if (body.looksLikeHtml) {
		throw invalid(
			grant,
			status,
			'the token endpoint returned an HTML page instead of a token',
			'This is usually a proxy or single-sign-on login page, or a base URL that points at the wrong server. Open the base URL in a browser and check that it is the instance itself.',
		);
	}
	const json = body.json;
	if (!isRecord(json)) {
		throw invalid(
			grant,
			status,
			// The body is not quoted: a successful answer that fails to parse may well hold the new token.
			`the token endpoint answered ${status} without a JSON object${body.text ? ` (${body.text.length} characters of something else)` : ' (empty body)'}`,
			'Check that the base URL points at the instance itself and not at a proxy.',
		);
	}
	const data = json as Record<string, unknown>;
	if (typeof data.status === 'string' && data.status.toLowerCase() === 'failed') {
		const detail = said(data);
		throw new TokenRequestError({
			failure: 'rejected',
			status,
			serverMessage: detail,
			tokenUrl: grant.tokenUrl,
			message: `${grant.label}: the server reported a failure${detail ? ` (${detail})` : ''}`,
			hint: grant.rejectedHint,
		});
	}
	const value = data[grant.tokenField];
	if (typeof value !== 'string' || value.trim() === '') {
		throw invalid(
			grant,
			status,
			`the response has no "${grant.tokenField}"`,
			'The server answered without a token. Check that the base URL is the instance itself and that the credential type matches how the token was created.',
		);
	}
	return { value, mintedAt: now, expiresAt: now + lifetimeMs(data, value, now) };
}

function lifetimeMs(data: Record<string, unknown>, token: string, now: number): number {
	const expiresIn = Number(data.expires_in);
	if (data.expires_in !== undefined && data.expires_in !== null && Number.isFinite(expiresIn) && expiresIn > 0) {
		return expiresIn * 1000;
	}
	const exp = jwtExpiry(token);
	if (exp !== undefined && exp > now) return exp - now;
	if (typeof data.token_expires_at === 'string') {
		const at = Date.parse(data.token_expires_at);
		if (Number.isFinite(at) && at > now) return at - now;
	}
	return DEFAULT_LIFETIME_MS;
}

/** The `exp` claim of a JWT, in epoch ms; undefined for anything that is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	const payload = parseJson(Buffer.from(parts[1], 'base64url').toString('utf8'));
	return isRecord(payload) && typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
}

interface ReadBody {
	text: string;
	json: unknown;
	looksLikeHtml: boolean;
}

function readBody(response: TokenHttpResponse): ReadBody {
	const text = tokenBodyText(response.body);
	// The transport already parsed JSON (n8n's helper does, depending on the response's content type).
	if (typeof response.body !== 'string' && !Buffer.isBuffer(response.body)) return { text, json: response.body, looksLikeHtml: false };
	const contentType = (response.contentType ?? '').toLowerCase();
	const trimmed = text.trimStart();
	const looksLikeHtml = contentType.includes('text/html') || /^<(!doctype|html|head|body)/i.test(trimmed);
	return { text, json: looksLikeHtml ? undefined : parseJson(trimmed), looksLikeHtml };
}

/** A token response's body as text, whether the transport gave text, bytes or already-parsed JSON. */
export function tokenBodyText(body: unknown): string {
	if (typeof body === 'string' || Buffer.isBuffer(body)) return body.toString();
	try {
		return JSON.stringify(body) ?? '';
	} catch {
		return '';
	}
}

/** A redirect's target as scheme://host only: its path or query may carry anything. */
function originOf(location: string | undefined, base: string): string {
	if (location === undefined || location.trim() === '') return 'an address it does not name';
	try {
		return new URL(location, base).origin;
	} catch {
		return 'an invalid address';
	}
}

function statusHint(status: number): string {
	if (status === 404) return 'Check the base URL: the token endpoint was not found there.';
	if (status === 429) return 'The server is rate limiting token requests. Wait a moment and try again.';
	if (status >= 500) return 'The server had a problem. Try again later; if it persists, contact your administrator.';
	return 'Check the credential settings.';
}

function invalid(grant: TokenGrant, status: number, what: string, hint: string): TokenRequestError {
	return new TokenRequestError({
		failure: 'invalidResponse',
		status,
		tokenUrl: grant.tokenUrl,
		message: `${grant.label}: ${what}`,
		hint,
	});
}
