// Shared type declarations for the simulator. The JavaScript modules use them
// through JSDoc (`import('./types')`), and index.d.ts re-exports the public ones,
// so TypeScript callers get the same types whether or not `allowJs` is on.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Demo {
	clientId: string;
	clientSecret: string;
	userId: number;
	refreshToken: string;
	username: string;
	password: string;
	tenant: string;
	keycloakClientId: string;
	keycloakClientSecret: string;
	keycloakUsername: string;
	keycloakPassword: string;
	/** The user-initiated OAuth (authorization code + PKCE) client a Server Admin registered. */
	userOauthClientId: string;
	userOauthClientSecret: string;
	/** Who can sign in on GET /oauth/v1/authorize/. */
	oauthUsers: readonly DemoUser[];
}

export interface DemoUser {
	id: number;
	username: string;
	displayName: string;
	role: string;
}

export type StreamStyle = 'snapshot' | 'delta';

export interface SimulatorOptions {
	/** TCP port; 0 picks a free one. */
	port: number;
	host: string;
	/** Lifetime of OAuth and API access tokens, read at mint time. */
	tokenLifetimeSeconds: number;
	/** Lifetime of Keycloak tokens; 1800 (Keycloak's default) when unset. */
	keycloakTokenLifetimeSeconds?: number;
	/** 'snapshot': every answer event carries the whole text so far; 'delta': only the new piece. */
	streamStyle: StreamStyle;
	/** Pause between stream events, read before each pause. */
	chunkDelayMs: number;
	/** When > 0, write `: ping` comments at this interval while a stream is open. */
	pingIntervalMs: number;
	/** false: one line per request on stdout (never a secret). */
	quiet: boolean;
	/** Larger request bodies get 413. */
	maxBodyBytes: number;
	/** Accepted OAuth clients (client_id → client_secret). */
	oauthClients: Record<string, string>;
	/** Registered user-initiated OAuth clients (client_id → client_secret); confidential, PKCE (S256) required. */
	userOauthClients: Record<string, string>;
	/**
	 * Redirect URIs the user OAuth clients may use, compared exactly. Unset (the default): any
	 * http://127.0.0.1[:port] or http://localhost[:port] URI whose path ends in /rest/oauth2-credential/callback
	 * (n8n's OAuth2 callback).
	 */
	userOauthRedirectUris?: string[];
	/** Lifetime of user OAuth access tokens, read at mint time (Alation: 1 hour to 3 days). Default 3600. */
	userAccessTokenLifetimeSeconds: number;
	/** Lifetime of user OAuth refresh tokens, read at mint time (Alation: 3 to 180 days). Default 30 days. */
	userRefreshTokenLifetimeSeconds: number;
	/** Lifetime of an authorization code, read at issue time. Default 60. */
	userCodeLifetimeSeconds: number;
}

export type RouteName =
	| 'oauthToken'
	| 'createRefreshToken'
	| 'createAPIAccessToken'
	| 'userinfo'
	| 'agentList'
	| 'agentStream'
	| 'asset'
	| 'toolList'
	| 'toolStream'
	| 'chatMessages'
	| 'warehouseCredentials'
	| 'keycloakToken'
	| 'aiConnectionTypes'
	| 'introspect'
	| 'userAuthorize'
	| 'userToken'
	| 'notFound';

export interface Counters {
	tokensMinted: number;
	oauthMints: number;
	apiAccessTokenMints: number;
	keycloakMints: number;
	refreshTokensCreated: number;
	/** Authorization codes issued by the sign-in page (POST /oauth/v1/authorize/). */
	userAuthorizations: number;
	/** Successful code exchanges (grant_type=authorization_code). */
	userTokenMints: number;
	/** Successful refresh_token grants (each rotates the refresh token). */
	userRefreshes: number;
	/** Sign-ins whose every token was revoked because a spent refresh token came back. */
	userFamiliesRevoked: number;
	/** 401 responses served by any route (intercepts included). */
	unauthorized: number;
	/** TCP connections accepted: 0 means no byte of any request reached the simulator. */
	connections: number;
	requests: Record<RouteName, number>;
}

export interface RequestLogEntry {
	method: string;
	/** Pathname only. */
	path: string;
	/** Query parameters (the last value wins for repeated names). */
	query: Record<string, string>;
	/** Lower-cased names; authorization/token/cookie values replaced by '[present]'. */
	headers: Record<string, string>;
	/** Request body as text, cut at 10 KB. */
	body: string;
	/** Response status, null until the response headers are written. */
	status: number | null;
	/** Epoch milliseconds when the request arrived. */
	at: number;
}

export interface WarehouseCredential {
	dp_id: string;
	username: string;
	state: string;
	auth_type: 'basic' | 'key_pair';
}

export type InterceptHandler = (
	req: IncomingMessage,
	res: ServerResponse,
	bodyText: string,
) => unknown; // awaited if it returns a promise

export interface InterceptOptions {
	/** How many matching requests to take over; Infinity keeps it until removed. */
	times?: number;
}

export interface Simulator {
	/** 'http://127.0.0.1:PORT', no trailing slash. */
	readonly url: string;
	readonly port: number;
	readonly counters: Counters;
	resetCounters(): void;
	/** Live options: changes apply to the next request (or next stream event). */
	readonly options: SimulatorOptions;
	intercept(
		method: string,
		path: string,
		handler: InterceptHandler,
		options?: InterceptOptions,
	): () => void;
	revokeAllTokens(): void;
	/** Fault mode: a per-request script of failures (faults.js). Empty unless a test adds faults. */
	readonly faults: FaultRegistry;
	readonly requestLog: RequestLogEntry[];
	readonly warehouseCredentials: WarehouseCredential[];
	/**
	 * Back to how it started, for the next test: the options it was started with, no queued fault or
	 * intercept, counters at zero, empty request log and warehouse credentials. Issued tokens, chats
	 * and assets stay (tests clear their own token cache).
	 */
	reset(): void;
	close(): Promise<void>;
}

/** One entry of GET /ai/api/v1/config/tool. */
export interface ToolSummary {
	id: string;
	name: string;
	/** The built-in tool's ref (e.g. 'list_data_products_tool'), or a custom tool's function name. */
	function_name: string;
	description: string;
	/** 'default' for built-in tools, 'HTTP' for the custom tool. */
	tool_type: string;
	is_default: boolean;
	default_ref: string | null;
	input_parameter_schema: { type: 'object'; properties: Record<string, { type: string; description?: string; enum?: string[]; default?: unknown }>; required: string[]; additionalProperties: boolean };
}

export interface AgentSummary {
	id: string;
	name: string;
	description: string;
	is_default: boolean;
	default_ref: string | null;
	input_json_schema: Record<string, unknown>;
}

/** A scripted agent answer a fault sends instead of the route's (one response message, then [DONE]). */
export interface FaultAnswer {
	text: string;
	/** Number of events the text is cut into (default 1). */
	pieces?: number;
	/** 'snapshot' (default): each event carries the text so far; 'delta': only the new piece. */
	style?: StreamStyle;
	chatId?: string;
}

/**
 * What one matching request meets. Match: `route` (a route name) or `path` (exact pathname), and
 * `method` if given. Answer instead of the route with at most one of `status`, `reset`, `answer`;
 * everything else shapes the route's own response. Byte positions count response body bytes.
 */
export interface FaultSpec {
	method?: string;
	route?: RouteName;
	path?: string;
	/** How many matching requests this fault takes (default 1; Infinity until removed). */
	times?: number;

	/** Answer with this status (and `body`, default: what Alation sends with it) instead of the route. */
	status?: number;
	body?: unknown;
	headers?: Record<string, string>;
	/** Adds `Retry-After: <value>`. */
	retryAfter?: number | string;
	/** Drop the connection as soon as the request is in: no status line. */
	reset?: boolean;
	/** Send this scripted agent answer instead of the route's. */
	answer?: FaultAnswer;

	/** Wait this long before answering (nothing is sent meanwhile). */
	delayMs?: number;
	/** Revoke every access token: 'before' the route runs. */
	revokeTokens?: 'before';
	/** Revoke every access token once this many body bytes were sent (the stream goes on). */
	revokeAtByte?: number;
	/** Destroy the socket once this many body bytes were sent (0: right after the headers). */
	cutAtByte?: number;
	/** Pause `stallMs` once this many body bytes were sent. */
	stallAtByte?: number;
	stallMs?: number;
	/** Send the headers, then nothing until the client (or `sim.close()`) closes the connection. */
	silenceAfterHeaders?: boolean;
	/** Send the body `dripBytes` (default 1) bytes at a time, pausing this long after each. */
	dripEveryMs?: number;
	dripBytes?: number;
	/** Start the body with a UTF-8 byte order mark. */
	bom?: boolean;
	/** Rewrite the body's line ends: 'cr' (CR only) or 'crlf'. */
	lineEnds?: 'cr' | 'crlf';
	/** Break the JSON of the n-th `data: {…}` event of the response (0-based). */
	malformEvent?: number;
	/** Break a JSON body (its last character replaced by garbage). */
	malformJson?: boolean;
	/**
	 * Send an error event in place of the n-th `data: {…}` event of the response (0-based): SSE event
	 * name `event` (default 'error'; '' for none) with `data` as it is (plain text or JSON text). The
	 * events after it are dropped (`data: [DONE]` still ends the stream) unless `thenContinue`.
	 */
	errorEvent?: { at: number; data: string; event?: string; thenContinue?: boolean };
}

export interface FaultRecord {
	/** Epoch ms when the request met the fault. */
	at: number;
	method: string;
	path: string;
	route: string;
	/** A short description of the fault ('pass' for `{}`). */
	fault: string;
}

export interface FaultRegistry {
	/** Queues a fault; returns a remover. */
	add(spec: FaultSpec): () => void;
	/** Queues one fault per spec, in order (`defaults` merged into each); returns a remover. */
	script(specs: FaultSpec[], defaults?: Partial<FaultSpec>): () => void;
	/** Removes every queued fault. */
	clear(): void;
	/** Faults still queued. */
	readonly pending: number;
	/** Faults applied, oldest first (the last 1000). */
	readonly log: FaultRecord[];
}
