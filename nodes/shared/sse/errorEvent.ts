import { isRecord } from '../json';
import { redactDeep } from '../redact';
import { oneLine, serverErrorText } from '../serverMessage';
import type { RawSseEvent } from './reader';

/**
 * Recognises an error reported inside an agent stream, after the answer started, and gives the
 * server's words for it. Alation documents no schema for this, so two
 * shapes are taken, both unambiguous:
 *   - an SSE event named `error` (`event: error`), whatever its data: plain text, or JSON in any
 *     of the error shapes Alation's endpoints use (`error`/`error_description`, `detail`, `message`);
 *   - a JSON event that is not an agent message (no `model_message`) and has a non-empty `error`
 *     member (a string, or an object such as `{message, code}`).
 * Anything else is not an error: ordinary events pass to the answer assembly, which ignores what it
 * does not know. Tool failures that the agent reports in its own text are part of the answer.
 *
 * Returns the message (one line, bounded, `redact` applied before it is shortened), or undefined when
 * the event is not an error.
 */
export function agentStreamErrorText(raw: RawSseEvent, json?: unknown, redact: (text: string) => string = (text) => text): string | undefined {
	const named = raw.event !== undefined && raw.event.trim().toLowerCase() === 'error';
	if (json !== undefined && isRecord(json)) {
		const error = json.error;
		// An empty `error` ('' or {}) says nothing went wrong: status events may carry one.
		const shaped = !('model_message' in json) && ((typeof error === 'string' && error.trim() !== '') || (isRecord(error) && Object.keys(error).length > 0));
		if (!named && !shaped) return undefined;
		// Redacted before anything is shortened: a secret cut in half is no longer found by redaction.
		const clean = redactDeep(json, redact) as Record<string, unknown>;
		const words = isRecord(clean.error) ? serverErrorText(clean.error) : serverErrorText(clean);
		return words ?? oneLine(redact(raw.data)) ?? 'no details';
	}
	if (!named) return undefined;
	return oneLine(redact(raw.data)) ?? 'no details';
}
