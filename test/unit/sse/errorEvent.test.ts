import { agentStreamErrorText } from '../../../nodes/shared/sse/errorEvent';

const raw = (data: string, event?: string) => (event === undefined ? { data } : { data, event });
const parsed = (data: string): unknown => JSON.parse(data) as unknown;

describe('agentStreamErrorText: what counts as an error reported inside an agent stream', () => {
	test.each([
		['plain text, event: error', raw('Agent failed: model overloaded', 'error'), undefined, 'Agent failed: model overloaded'],
		['event name in another case, with spaces', raw('boom', ' Error '), undefined, 'boom'],
		['JSON error/message, event: error', raw('{"error":"internal_error","message":"Model overloaded"}', 'error'), 'json', 'internal_error: Model overloaded'],
		['JSON detail, event: error', raw('{"detail":"Chat is busy."}', 'error'), 'json', 'Chat is busy.'],
		['JSON without known fields, event: error', raw('{"code":7}', 'error'), 'json', '{"code":7}'],
		['unnamed JSON with an error string', raw('{"error":"tool_failed"}'), 'json', 'tool_failed'],
		['unnamed JSON with an error object', raw('{"error":{"message":"SQL tool failed","code":10010}}'), 'json', 'SQL tool failed'],
		['a long message is cut to one bounded line', raw(`x\n${'y'.repeat(400)}`, 'error'), undefined, `x ${'y'.repeat(198)}…`],
	])('%s', (_name, event, json, words) => {
		expect(agentStreamErrorText(event, json === 'json' ? parsed(event.data) : undefined)).toBe(words);
	});

	test.each([
		['plain text without a name (skipped as non-JSON, not an error)', raw('hello'), undefined],
		['another event name', raw('thinking', 'status'), undefined],
		['an agent message', raw('{"id":"m","model_message":{"kind":"response","parts":[]}}'), 'json'],
		['an agent message that carries an error field', raw('{"id":"m","error":"x","model_message":{"kind":"response","parts":[]}}'), 'json'],
		['error: null', raw('{"error":null}'), 'json'],
		['an empty error string', raw('{"error":"  ","status":"ok"}'), 'json'],
		['an empty error object', raw('{"error":{},"status":"ok"}'), 'json'],
		['error as a number', raw('{"error":42}'), 'json'],
		['a JSON array', raw('[{"error":"x"}]'), 'json'],
	])('not an error: %s', (_name, event, json) => {
		expect(agentStreamErrorText(event, json === 'json' ? parsed(event.data) : undefined)).toBeUndefined();
	});
});
