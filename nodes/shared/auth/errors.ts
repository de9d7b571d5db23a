/**
 * Why a token could not be obtained. Messages are built from fixed text plus what the server said
 * (`error`, `error_description`, `detail`); secrets are never part of them, and the node-side error
 * mapper redacts once more before anything reaches a user.
 */
export type TokenFailure =
	/** The server refused the identity or the request (non-2xx). */
	| 'rejected'
	/** 2xx, but no usable token in it: HTML login page, `{"status": "failed"}`, missing field, not JSON. */
	| 'invalidResponse'
	/** No complete answer within the token request's overall deadline (retries included). */
	| 'timedOut';

export class TokenRequestError extends Error {
	readonly failure: TokenFailure;
	readonly status?: number;
	/** What the server said, e.g. `invalid_client: Client authentication failed`. */
	readonly serverMessage?: string;
	readonly tokenUrl: string;
	/** A sentence telling the user what to do. */
	readonly hint: string;

	constructor(init: {
		failure: TokenFailure;
		message: string;
		tokenUrl: string;
		hint: string;
		status?: number;
		serverMessage?: string;
	}) {
		super(init.message);
		this.name = 'TokenRequestError';
		this.failure = init.failure;
		this.status = init.status;
		this.serverMessage = init.serverMessage;
		this.tokenUrl = init.tokenUrl;
		this.hint = init.hint;
	}
}
