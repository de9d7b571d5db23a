import { clearTimeout as stopTimer, setTimeout as startTimer } from 'node:timers';

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { header, readText } from '../http/client';
import type { HttpResponse } from '../http/client';
import { HttpStatusError, isAbortError } from '../http/errors';
import { isRetryableNetworkError, isRetryableStatus, retryDelayMs, waitForRetry } from '../http/retry';
import { withItemData } from '../items';
import { redactSecrets } from '../redact';
import type { CredentialSession } from '../session';
import { AnswerAssembler, AnswerTooLargeError } from '../sse/assembler';
import type { AssembledAnswer } from '../sse/assembler';
import { agentStreamErrorText } from '../sse/errorEvent';
import { readAgentStream } from '../sse/reader';
import type { RawSseEvent } from '../sse/reader';
import { AgentStreamError, AttemptsExhaustedError, NotAnEventStreamError } from './streamErrors';

/**
 * One Agent Studio event-stream run for one item — an agent's answer (Agent Chat) or a tool's
 * (Run Tool): open the stream (retrying only before the first response byte), read it, send the
 * growing answer to the chat if the execution streams, hand the assembled answer to the caller.
 *
 * Time limits: connecting 30 s (the shared dispatcher); `idleTimeoutMs` for the response headers and
 * for every silence in the body (undici's bodyTimeout: any byte, `: ping` comments included, resets
 * it); `timeoutMs` for the whole run, retries and waits included; and the execution's cancel signal.
 */

const ERROR_BODY_BYTES = 64 * 1024;
const SHOWN_BODY_CHARS = 500;

export interface StreamContext {
	ctx: IExecuteFunctions;
	session: CredentialSession;
	itemIndex: number;
	/** Send the answer to the chat as it arrives (Chat Trigger / Webhook in streaming mode). */
	streaming: boolean;
}

/** One event-stream run, agent or tool (Run Tool shares this code, its retries and its errors). */
export interface StreamRequest {
	url: string;
	body: IDataObject;
	timeoutMs: number;
	idleTimeoutMs: number;
	maxRetries: number;
	includeEvents: boolean;
	/** What the answer may keep in memory, in bytes (Agent Chat's Max Answer Bytes option). */
	maxAnswerBytes: number;
	/** Who answers, as error messages name it. */
	subject: 'agent' | 'tool';
	/** Secret-free data kept on the error of a stream that broke off (Continue On Fail shows it). */
	partialData: (partial: AssembledAnswer) => IDataObject;
}

export interface StreamOutcome {
	answer: AssembledAnswer;
	/** Events that were not JSON, skipped. */
	skippedEvents: number;
	/** The run's signal (Stop and Timeout), for requests made after the stream. */
	signal: AbortSignal;
}

function secondsText(ms: number): string {
	return `${Math.round(ms / 1000)} s`;
}

/**
 * Opens the stream (retrying only before the first response byte), reads it into an answer, then
 * lets `finish` build the output within the same deadline and failure mapping.
 */
export async function runEventStream<T>(run: StreamContext, request: StreamRequest, finish: (outcome: StreamOutcome) => Promise<T>): Promise<T> {
	const { ctx, session, itemIndex, streaming } = run;
	const deadline = new Deadline(request.timeoutMs);
	const signal = session.signal ? AbortSignal.any([session.signal, deadline.signal]) : deadline.signal;
	const assembler = new AnswerAssembler({ includeEvents: request.includeEvents, maxBytes: request.maxAnswerBytes });

	try {
		const response = await openStream(session, request, signal);
		let skippedEvents = 0;
		// Built once: only an error event uses it, but every event passes the check.
		const redact = (text: string) => redactSecrets(text, session.secrets);
		try {
			const stats = await readAgentStream(response.body, {
				onEvent: (event, raw) => {
					stopOnReportedError(raw, event, redact, request.subject);
					const text = assembler.add(event, raw.data.length);
					if (streaming && text !== '') ctx.sendChunk('item', itemIndex, text);
				},
				onNonJson: (raw) => stopOnReportedError(raw, undefined, redact, request.subject),
			});
			skippedEvents = stats.skippedNonJson;
			if (!stats.done) {
				throw new AgentStreamError(
					'cut',
					'The answer stream ended before it was complete (no [DONE])',
					'The connection was closed early by the server or a proxy. The part received so far is in the error details. Run the item again; a proxy with a response timeout shorter than the answer can cause this.',
				);
			}
		} catch (error) {
			throw withItemData(streamFailure(error, request, deadline.signal, session.signal), request.partialData(assembler.result()));
		} finally {
			response.body.destroy();
		}
		return await finish({ answer: assembler.result(), skippedEvents, signal });
	} catch (error) {
		throw requestPhaseFailure(error, deadline.signal, session.signal, request);
	} finally {
		deadline.clear();
	}
}

/**
 * The run's time limit. Not `AbortSignal.timeout`: its timer (and the signals and listeners hanging
 * on it) would stay alive for the whole Timeout — 10 minutes by default — after the run ended; over
 * thousands of items that is memory held for nothing (the memory benchmark in bench/memory.ts measures it).
 */
class Deadline {
	private readonly controller = new AbortController();
	private readonly timer: ReturnType<typeof startTimer>;

	constructor(ms: number) {
		this.timer = startTimer(() => this.controller.abort(new DOMException('The run took too long', 'TimeoutError')), ms);
		this.timer.unref();
	}

	get signal(): AbortSignal {
		return this.controller.signal;
	}

	clear(): void {
		stopTimer(this.timer);
	}
}

/** Sends the message; retries 429/502/503/504 and refused/reset connections, never after a 2xx. */
async function openStream(session: CredentialSession, input: StreamRequest, signal: AbortSignal): Promise<HttpResponse> {
	const { url } = input;
	const body = JSON.stringify(input.body);
	for (let attempt = 0; ; attempt++) {
		const canRetry = attempt < input.maxRetries;
		let response: HttpResponse;
		try {
			response = await session.send({
				method: 'POST',
				url,
				headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
				body,
				signal,
				headersTimeoutMs: input.idleTimeoutMs,
				bodyTimeoutMs: input.idleTimeoutMs,
			});
		} catch (error) {
			if (canRetry && !signal.aborted && isRetryableNetworkError(error) && !session.failedGettingToken(error)) {
				await waitForRetry(retryDelayMs(attempt), signal);
				continue;
			}
			throw attempt > 0 ? new AttemptsExhaustedError(attempt + 1, error) : error;
		}

		if (response.status >= 200 && response.status < 300) {
			const contentType = header(response.headers, 'content-type') ?? '';
			if (contentType.toLowerCase().includes('text/event-stream')) return response;
			const text = await readText(response.body, ERROR_BODY_BYTES);
			throw new NotAnEventStreamError(response.status, contentType, text.slice(0, SHOWN_BODY_CHARS), input.subject);
		}

		const text = await readText(response.body, ERROR_BODY_BYTES);
		const error = new HttpStatusError({ status: response.status, method: 'POST', url, bodyText: text, retryAfter: response.headers['retry-after'] });
		if (canRetry && isRetryableStatus(response.status, text)) {
			await waitForRetry(retryDelayMs(attempt, error.retryAfterSeconds), signal);
			continue;
		}
		throw attempt > 0 ? new AttemptsExhaustedError(attempt + 1, error) : error;
	}
}

/**
 * An error the agent reports inside the stream (see shared/sse/errorEvent.ts) ends the run as a
 * failure: the answer is not complete, and passing the text so far on as an answer would hide it.
 */
function stopOnReportedError(raw: RawSseEvent, json: unknown, redact: (text: string) => string, subject: string): void {
	const reported = agentStreamErrorText(raw, json, redact);
	if (reported === undefined) return;
	throw new AgentStreamError(
		'agent',
		`The ${subject} reported an error while answering: ${reported}`,
		'Agent Studio ended this answer with an error. The part received so far is in the error details. Run the item again; if it keeps failing, check the agent in Agent Studio (its tools, data product and model).',
	);
}

function timeoutError(input: StreamRequest): AgentStreamError {
	return new AgentStreamError(
		'timeout',
		`The ${input.subject} did not finish within ${secondsText(input.timeoutMs)} (Timeout option)`,
		'Raise Timeout in the node options if this agent needs longer (chart and research agents can take minutes), or ask a narrower question.',
	);
}

function cancelledError(subject: string): AgentStreamError {
	return new AgentStreamError('cancelled', `The ${subject} run was cancelled`, 'The execution was stopped.');
}

/** A failure while reading the stream: the agent has started, so it is never retried. */
function streamFailure(error: unknown, input: StreamRequest, deadline: AbortSignal, cancel?: AbortSignal): Error {
	if (error instanceof AgentStreamError) return error;
	if (isAbortError(error) || deadline.aborted || cancel?.aborted) return cancel?.aborted ? cancelledError(input.subject) : timeoutError(input);
	const code = (error as { code?: unknown })?.code;
	if (code === 'UND_ERR_BODY_TIMEOUT') {
		return new AgentStreamError(
			'idle',
			`The ${input.subject} sent nothing for ${secondsText(input.idleTimeoutMs)} (Idle Timeout option)`,
			'The answer stalled: no data and no keep-alive. Try again, or raise Idle Timeout if this agent thinks silently for long.',
		);
	}
	if (code === 'EVENT_TOO_LARGE') {
		return new AgentStreamError('protocol', (error as Error).message, 'This answer is too large to read safely. Ask for less at once.');
	}
	if (error instanceof AnswerTooLargeError) {
		// Only Agent Chat has the option; Run Tool keeps its default bound.
		return input.subject === 'agent'
			? new AgentStreamError(
					'protocol',
					`${error.message} (Max Answer Bytes option); reading stopped to bound memory`,
					'The part received so far is in the error details. Raise Max Answer Bytes in the node options if answers this large are expected, or ask the agent for less at once (a narrower question, fewer rows).',
				)
			: new AgentStreamError(
					'protocol',
					`${error.message}; reading stopped to bound memory`,
					'The part received so far is in the error details. Ask the tool for less at once (a narrower input, a lower limit).',
				);
	}
	return new AgentStreamError(
		'cut',
		`The answer stream broke off: ${(error as Error)?.message ?? String(error)}`,
		'The connection was closed before the answer was complete. The part received so far is in the error details. Run the item again.',
	);
}

/** Before the stream: map aborts to cancelled/timeout; everything else goes to the node error mapper as is. */
function requestPhaseFailure(error: unknown, deadline: AbortSignal, cancel: AbortSignal | undefined, input: StreamRequest): unknown {
	if (error instanceof AgentStreamError || error instanceof NotAnEventStreamError) return error;
	const inner = error instanceof AttemptsExhaustedError ? error.last : error;
	if (isAbortError(inner) || (deadline.aborted && !(inner instanceof HttpStatusError))) {
		return cancel?.aborted ? cancelledError(input.subject) : timeoutError(input);
	}
	if ((inner as { code?: unknown })?.code === 'UND_ERR_HEADERS_TIMEOUT') {
		return new AgentStreamError(
			'idle',
			`The ${input.subject} did not start answering within ${secondsText(input.idleTimeoutMs)} (Idle Timeout option)`,
			'The server accepted the request but sent nothing back. Try again, or raise Idle Timeout if this agent takes long to start.',
		);
	}
	return error;
}
