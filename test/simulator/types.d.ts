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
}

export type RouteName =
	| 'oauthToken'
	| 'createRefreshToken'
	| 'createAPIAccessToken'
	| 'userinfo'
	| 'agentList'
	| 'agentStream'
	| 'asset'
	| 'warehouseCredentials'
	| 'keycloakToken'
	| 'aiConnectionTypes'
	| 'notFound';

export interface Counters {
	tokensMinted: number;
	oauthMints: number;
	apiAccessTokenMints: number;
	keycloakMints: number;
	refreshTokensCreated: number;
	/** 401 responses served by any route (intercepts included). */
	unauthorized: number;
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
	readonly requestLog: RequestLogEntry[];
	readonly warehouseCredentials: WarehouseCredential[];
	close(): Promise<void>;
}

export interface AgentSummary {
	id: string;
	name: string;
	description: string;
	is_default: boolean;
	default_ref: string | null;
	input_json_schema: Record<string, unknown>;
}
