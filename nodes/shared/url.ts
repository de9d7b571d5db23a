/**
 * Base URLs as users paste them: with or without scheme, with a trailing slash, sometimes a whole
 * page address. We accept what is unambiguous and reject the rest with a message saying what to type.
 */
import { CredentialInputError } from './credentialInputError';

/**
 * Returns `scheme://host[:port]` with no trailing slash.
 * - no scheme → `https://` is assumed (Alation Cloud is HTTPS-only; type `http://` for a local server)
 * - trailing slashes → removed
 * - a path, query or fragment → rejected: it is almost always a copied page URL (`/app/...`) or a
 *   token URL, and silently dropping it would hide the mistake.
 */
export function normalizeBaseUrl(
	raw: unknown,
	field: string,
	example: string,
	{ allowPath = false, credentialName }: { allowPath?: boolean; credentialName?: string } = {},
): string {
	const where = credentialName ? ` (in the "${credentialName}" credential)` : '';
	const text = typeof raw === 'string' ? raw.trim() : '';
	if (text === '') {
		throw new CredentialInputError(field, `The ${field} is empty. Type the address of your instance, e.g. ${example}${where}`);
	}
	const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
	if (!URL.canParse(withScheme)) {
		throw new CredentialInputError(field, `The ${field} is not a valid address. Type it like ${example}${where}`);
	}
	const url = new URL(withScheme);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new CredentialInputError(field, `The ${field} must start with https:// (or http://), e.g. ${example}${where}`);
	}
	if (url.username || url.password) {
		throw new CredentialInputError(field, `The ${field} must not contain a user name or password. Type it like ${example}${where}`);
	}
	const path = url.pathname.replace(/\/+$/, '');
	if (url.search || url.hash || (path !== '' && !allowPath)) {
		throw new CredentialInputError(
			field,
			// Only the part to keep is shown, never the whole value (a query may carry anything).
			`The ${field} must be only the scheme and host${allowPath ? '[/path]' : ''}, without ${allowPath ? 'a query' : 'a path'}: type ${url.origin}${allowPath ? path : ''}${where}`,
		);
	}
	return url.origin + (allowPath ? path : '');
}
