import { clearTimeout as stopTimer, setTimeout as startTimer } from 'node:timers';

import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { header, readBuffer, readText } from '../shared/http/client';
import type { HttpResponse } from '../shared/http/client';
import { HttpStatusError, isAbortError } from '../shared/http/errors';
import { isRetryableNetworkError, isRetryableStatus, retryDelayMs, waitForRetry } from '../shared/http/retry';
import { withItemData } from '../shared/items';
import { isRecord, parseJson, parseJsonAnswer } from '../shared/json';
import { AnswerAssembler, AnswerTooLargeError } from '../shared/sse/assembler';
import type { AssembledAnswer, Asset } from '../shared/sse/assembler';
import { redactSecrets } from '../shared/redact';
import { agentStreamErrorText } from '../shared/sse/errorEvent';
import { readAgentStream } from '../shared/sse/reader';
import type { RawSseEvent } from '../shared/sse/reader';
import { isTokenPhaseError } from '../shared/session';
import type { CredentialSession } from '../shared/session';
import { agentStreamUrl } from './agentRef';
import type { AgentChatInput } from './chatRequest';

/**
 * One agent run for one item: open the stream (retrying only before the first response byte),
 * read it, send the growing answer to the chat if the execution streams (the node opens and closes
 * the chat message around this), assemble the output.
 *
 * Time limits: connecting 30 s (the shared dispatcher); `idleTimeoutMs` for the response headers and
 * for every silence in the body (undici's bodyTimeout: any byte, `: ping` comments included, resets
 * it); `timeoutMs` for the whole run, retries and waits included; and the execution's cancel signal.
 */

const ERROR_BODY_BYTES = 64 * 1024;
const SHOWN_BODY_CHARS = 500;
const MAX_ASSET_BYTES = 50 * 1024 * 1024;

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

export interface StreamContext {
	ctx: IExecuteFunctions;
	session: CredentialSession;
	itemIndex: number;
	/** Send the answer to the chat as it arrives (Chat Trigger / Webhook in streaming mode). */
	streaming: boolean;
}

export interface RunContext extends StreamContext {
	input: AgentChatInput;
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

export async function runAgentChat(run: RunContext): Promise<INodeExecutionData> {
	const { session, input, itemIndex } = run;
	const started = Date.now();
	const request: StreamRequest = {
		url: agentStreamUrl(session.baseUrl, input.agent, input.chatId),
		body: input.body,
		timeoutMs: input.timeoutMs,
		idleTimeoutMs: input.idleTimeoutMs,
		maxRetries: input.maxRetries,
		includeEvents: input.includeEvents,
		maxAnswerBytes: input.maxAnswerBytes,
		subject: 'agent',
		partialData: (partial) => partialData(partial, input),
	};
	return await runEventStream(run, request, async ({ answer, skippedEvents, signal }) => {
		const json = outputJson(answer, input, Date.now() - started);
		// Events that were not JSON are skipped; in a stream of deltas a skipped event is missing text, so say so.
		if (skippedEvents > 0) json.skippedEvents = skippedEvents;
		const binary = input.downloadAssets && answer.assets.length > 0 ? await downloadAssets(run, answer, json, signal) : undefined;
		return binary ? { json, binary, pairedItem: { item: itemIndex } } : { json, pairedItem: { item: itemIndex } };
	});
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
			if (canRetry && !signal.aborted && isRetryableNetworkError(error) && !isTokenPhaseError(error)) {
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
		return new AgentStreamError(
			'protocol',
			`${error.message} (Max Answer Bytes option); reading stopped to bound memory`,
			'The part received so far is in the error details. Raise Max Answer Bytes in the node options if answers this large are expected, or ask the agent for less at once (a narrower question, fewer rows).',
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

function partialData(partial: AssembledAnswer, input: AgentChatInput): IDataObject {
	return {
		partialAnswer: partial.answer,
		chatId: partial.chatId ?? input.chatId ?? null,
		agent: input.agent,
	};
}

function outputJson(answer: AssembledAnswer, input: AgentChatInput, durationMs: number): IDataObject {
	const parsed = input.parseJsonAnswer ? parseJsonAnswer(answer.answer) : undefined;
	const json: IDataObject = {
		answer: parsed !== undefined ? (parsed as IDataObject) : answer.answer,
		chatId: answer.chatId ?? input.chatId ?? null,
		agent: input.agent,
		agentName: input.agentName,
		status: answer.status,
		toolCalls: answer.toolCalls.map((c) => ({ id: c.id, name: c.name, args: c.args as IDataObject, ...(c.pendingApproval ? { pendingApproval: true } : {}) })),
		toolResults: answer.toolResults.map((r) => ({ id: r.id, name: r.name, content: r.content as IDataObject })),
		assets: answer.assets.map((a) => ({ kind: a.kind, id: a.id })),
	};
	if (input.includeEvents) {
		json.events = (answer.events ?? []) as IDataObject[];
		json.eventsTruncated = answer.eventsTruncated === true;
	}
	json.durationMs = durationMs;
	return json;
}

/** `GET /ai/api/v1/assets/{id}?chat_id=` for each asset, as binary properties `asset_0`, `asset_1`, … */
async function downloadAssets(run: RunContext, answer: AssembledAnswer, json: IDataObject, signal: AbortSignal): Promise<IBinaryKeyData> {
	const { ctx, session } = run;
	const binary: IBinaryKeyData = {};
	const assets = json.assets as IDataObject[];
	// The server decides how many assets there are: the item's bounds decide how many are kept.
	const skipped: IDataObject[] = [];
	let budget = run.input.maxAssetBytes;
	let downloaded = 0;
	for (let index = 0; index < answer.assets.length; index++) {
		const asset = answer.assets[index];
		// An id of dots alone is a path segment: the URL would resolve to another endpoint of the server.
		if (/^\.*$/.test(asset.id)) throw new Error(`The agent named an asset whose id is not a name ("${asset.id}"); it was not downloaded`);
		if (downloaded >= run.input.maxAssets) {
			skipped.push({ kind: asset.kind, id: asset.id, reason: `Max Assets (${run.input.maxAssets}) reached` });
			continue;
		}
		const url = `${session.baseUrl}/ai/api/v1/assets/${encodeURIComponent(asset.id)}${answer.chatId ? `?chat_id=${encodeURIComponent(answer.chatId)}` : ''}`;
		const response = await session.send({ method: 'GET', url, headers: { accept: '*/*' }, signal });
		if (response.status < 200 || response.status >= 300) {
			const text = await readText(response.body, ERROR_BODY_BYTES);
			throw new HttpStatusError({ status: response.status, method: 'GET', url, bodyText: text });
		}
		const limit = Math.min(MAX_ASSET_BYTES, budget);
		const bytes = await readBuffer(response.body, limit);
		if (!bytes) {
			skipped.push({ kind: asset.kind, id: asset.id, reason: limit === budget ? `more than the ${budget} bytes left of Max Asset Bytes` : `larger than ${MAX_ASSET_BYTES / (1024 * 1024)} MiB` });
			continue;
		}
		budget -= bytes.length;
		downloaded++;
		const file = assetFile(asset, header(response.headers, 'content-type') ?? '', bytes);
		const property = `asset_${index}`;
		binary[property] = await ctx.helpers.prepareBinaryData(file.data, file.fileName, file.mimeType);
		assets[index].binaryProperty = property;
	}
	if (skipped.length > 0) json.assetsSkipped = skipped;
	return binary;
}

/**
 * The content types an asset keeps, with their file extensions. Anything else the server declares
 * (an HTML page with scripts, say) becomes application/octet-stream with `.bin`: a file n8n would
 * show or serve as a page must not be the server's choice. SVG is not an image here: it is XML
 * that may carry scripts, and a browser opening it from n8n runs them.
 */
const EXTENSIONS: Record<string, string> = {
	'text/csv': 'csv',
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/gif': 'gif',
	'image/webp': 'webp',
	'application/json': 'json',
	'application/pdf': 'pdf',
	'text/plain': 'txt',
};

/**
 * Assets come as the file itself (CSV, PNG…), or wrapped in JSON `{ data | base64 | content }`
 * (Alation's n8n recipe handles both). SQL results are CSV, charts images.
 */
export function assetFile(asset: Asset, contentType: string, bytes: Buffer): { data: Buffer; mimeType: string; fileName: string } {
	let mimeType = contentType.split(';')[0].trim().toLowerCase() || (asset.kind === 'sql' ? 'text/csv' : 'application/octet-stream');
	let data = bytes;
	// JSON that is not the wrapper is kept as the JSON file it came as.
	const wrapped = mimeType === 'application/json' ? parseJson(bytes.toString('utf8')) : undefined;
	const inner = isRecord(wrapped) ? (wrapped.base64 ?? wrapped.data ?? wrapped.content) : undefined;
	if (isRecord(wrapped) && typeof inner === 'string') {
		const isBase64 = typeof wrapped.base64 === 'string' || /^[A-Za-z0-9+/=\s]+$/.test(inner.slice(0, 200));
		data = isBase64 && asset.kind !== 'sql' ? Buffer.from(inner, 'base64') : Buffer.from(inner, 'utf8');
		const declared = typeof wrapped.mime_type === 'string' ? wrapped.mime_type : typeof wrapped.mimeType === 'string' ? wrapped.mimeType : undefined;
		mimeType = declared ?? (asset.kind === 'sql' ? 'text/csv' : asset.kind === 'chart' ? 'image/png' : 'application/octet-stream');
	} else if (mimeType === 'text/plain' && asset.kind === 'sql') {
		mimeType = 'text/csv';
	}
	if (!(mimeType in EXTENSIONS)) mimeType = 'application/octet-stream';
	const extension = EXTENSIONS[mimeType] ?? 'bin';
	// Both parts come from the server: only letters, digits, '_' and '-' (and '.' inside the id) reach the name.
	const safeKind = asset.kind.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'asset';
	const safeId = asset.id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/\.{2,}/g, '_').slice(0, 80);
	return { data, mimeType, fileName: `${safeKind}-${safeId}.${extension}` };
}

