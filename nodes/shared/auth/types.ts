/**
 * Shapes shared by the token grants, the token cache and their two transports (n8n's
 * `this.helpers.httpRequest` inside a credential's `preAuthentication`, undici inside the nodes).
 * Nothing here imports n8n or undici: the grant code is the same whichever transport carries it.
 */

/** A token request, fully built: the transport only has to send it. */
export interface TokenHttpRequest {
	url: string;
	headers: Record<string, string>;
	/** Already encoded (form-urlencoded or JSON), so both transports send the same bytes. */
	body: string;
}

/** What a transport hands back. `body` is text, or an object when the transport already parsed JSON. */
export interface TokenHttpResponse {
	status: number;
	contentType?: string;
	/** The `Retry-After` header, when the server sent one (429, 503). */
	retryAfter?: string;
	/** The `Location` header of a redirect (3xx), which token requests never follow. */
	location?: string;
	body: unknown;
}

/**
 * Sends one token request. Injected so a grant runs on any HTTP client. `signal`: the token
 * request's overall deadline (token/requestToken.ts), never one caller's Stop.
 */
export type PostFn = (request: TokenHttpRequest, signal?: AbortSignal) => Promise<TokenHttpResponse>;

/** How a token is presented to the API: `Authorization: Bearer <t>` or Alation's `TOKEN: <t>`. */
export interface AuthScheme {
	tokenType: 'Bearer' | 'TOKEN';
	headerName: 'Authorization' | 'TOKEN';
}

export const BEARER: AuthScheme = { tokenType: 'Bearer', headerName: 'Authorization' };
export const ALATION_TOKEN_HEADER: AuthScheme = { tokenType: 'TOKEN', headerName: 'TOKEN' };

export function headerValue(scheme: AuthScheme, accessToken: string): string {
	return scheme.tokenType === 'Bearer' ? `Bearer ${accessToken}` : accessToken;
}

/** An access token as the package keeps it. Times are epoch milliseconds. */
export interface AccessToken {
	value: string;
	expiresAt: number;
	/**
	 * When it was minted (by whichever process minted it). Tokens only move forward: Alation
	 * invalidates every earlier token at each mint, so of two tokens the later-minted is the live one.
	 */
	mintedAt: number;
}

/**
 * Everything needed to obtain a token for one identity. A grant is a value: building the request
 * and reading the response are pure, the I/O between them is the caller's `post`.
 */
export interface TokenGrant {
	/** Human name used in error messages, e.g. "Alation OAuth client credentials". */
	readonly label: string;
	readonly tokenUrl: string;
	/** Identity part of the cache key: client id, user id (plus username for password grants). */
	readonly principal: string;
	/** Secret material: hashed into the cache key, and listed for redaction. Never logged. */
	readonly secrets: readonly string[];
	readonly scheme: AuthScheme;
	/** Name of the JSON field that carries the token in a successful response. */
	readonly tokenField: 'access_token' | 'api_access_token';
	/** Where to point the user when the server refuses the identity. */
	readonly rejectedHint: string;
	/**
	 * A cheap authenticated GET that every token of this identity may call (Alation: userinfo;
	 * DataClarity: the connection types). Answers "was this token refused?" when a request failed
	 * for a reason the caller cannot see.
	 */
	readonly checkUrl: string;
	buildRequest(): TokenHttpRequest;
}
