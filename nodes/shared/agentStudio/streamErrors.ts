/*
 * What can go wrong with an Agent Studio event stream (an agent's or a tool's answer), as values
 * the node error mapper (streamNodeError.ts) turns into what the user reads.
 */

/** The agent answered, but not with an event stream (a JSON error with 200, a proxy's HTML page…). */
export class NotAnEventStreamError extends Error {
	constructor(
		readonly status: number,
		readonly contentType: string,
		readonly bodyStart: string,
		subject = 'agent',
	) {
		super(
			`The ${subject} answered ${status} with ${contentType || 'no content type'} instead of an event stream: ${bodyStart || '(empty body)'}`,
		);
		this.name = 'NotAnEventStreamError';
	}
}

export type StreamFailure = 'cut' | 'idle' | 'timeout' | 'cancelled' | 'protocol' | 'agent';

/** The stream started but did not finish. The partial answer travels with it (Continue On Fail keeps it). */
export class AgentStreamError extends Error {
	constructor(
		readonly failure: StreamFailure,
		message: string,
		readonly hint: string,
	) {
		super(message);
		this.name = 'AgentStreamError';
	}
}

/** A request-phase failure after `attempts` tries (for messages such as "…after 3 attempts"). */
export class AttemptsExhaustedError extends Error {
	constructor(
		readonly attempts: number,
		readonly last: unknown,
	) {
		super(last instanceof Error ? last.message : String(last));
		this.name = 'AttemptsExhaustedError';
	}
}
