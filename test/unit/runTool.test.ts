import { toChatMessage } from '../../nodes/AlationAgentChat/getMessages';
import { inputSummary } from '../../nodes/AlationRunTool/listTools';
import { toolRef, toolStreamUrl } from '../../nodes/AlationRunTool/toolRef';
import { toolResult } from '../../nodes/AlationRunTool/runTool';
import { refProblem } from '../../nodes/shared/agentStudio/identifiers';
import type { AssembledAnswer } from '../../nodes/shared/sse/assembler';

describe('tool names', () => {
	test.each([
		['list_data_products_tool', undefined],
		['c0ffee00-3333-4aaa-8bbb-000000000003', undefined],
		['v1.2-tool', undefined],
		['', 'is empty'],
		['.', 'is not a name'],
		['..', 'is not a name'],
		['...', 'is not a name'],
		['a/b', 'may hold only letters, digits, "_", "-" and "."'],
		['../config', 'may hold only letters, digits, "_", "-" and "."'],
		['a b', 'may hold only letters, digits, "_", "-" and "."'],
		['a%2Fb', 'may hold only letters, digits, "_", "-" and "."'],
	])('%j → %s', (name, problem) => {
		expect(refProblem(name)).toBe(problem);
	});

	test("the SDK's names map to the API's refs; refs and others pass unchanged", () => {
		expect(toolRef('alation_context')).toBe('alation_context_tool');
		expect(toolRef('get_lineage')).toBe('lineage_tool');
		expect(toolRef('check_data_quality')).toBe('get_data_quality_tool');
		expect(toolRef('list_data_products_tool')).toBe('list_data_products_tool');
		expect(toolRef('constructor')).toBe('constructor');
		expect(toolRef('toString')).toBe('toString');
	});

	test('built-in tools by ref under default/, custom tools by UUID, chat_id as a query parameter', () => {
		expect(toolStreamUrl('https://a.example', 'lineage_tool')).toBe('https://a.example/ai/api/v1/chats/tool/default/lineage_tool/stream');
		expect(toolStreamUrl('https://a.example', 'c0ffee00-3333-4aaa-8bbb-000000000003', '11111111-2222-4333-8444-555555555555')).toBe(
			'https://a.example/ai/api/v1/chats/tool/c0ffee00-3333-4aaa-8bbb-000000000003/stream?chat_id=11111111-2222-4333-8444-555555555555',
		);
	});
});

describe('input summaries in the tool list', () => {
	test('fields with types, required ones starred; none; no schema', () => {
		expect(inputSummary({ type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer' }, x: {} }, required: ['q'] })).toBe('Input: {"q": string*, "n": integer, "x": any}');
		expect(inputSummary({ type: 'object', properties: {} })).toBe('Input: {} (none)');
		expect(inputSummary(undefined)).toBeUndefined();
		expect(inputSummary({ properties: 'nope' })).toBeUndefined();
	});
});

describe('the result of a tool stream', () => {
	const answer = (over: Partial<AssembledAnswer>): AssembledAnswer => ({ answer: '', status: 'completed', toolCalls: [], toolResults: [], assets: [], ...over });

	test('the last tool return wins; decoded JSON kept or turned back into text', () => {
		const a = answer({ answer: 'ignored', toolResults: [{ id: '1', name: 't', content: 'first' }, { id: '2', name: 't', content: { rows: 2 } }] });
		expect(toolResult(a, true)).toEqual({ rows: 2 });
		expect(toolResult(a, false)).toBe('{"rows":2}');
	});

	test('without a tool return, the text; JSON text parsed only when asked', () => {
		expect(toolResult(answer({ answer: '{"a":1}' }), true)).toEqual({ a: 1 });
		expect(toolResult(answer({ answer: '{"a":1}' }), false)).toBe('{"a":1}');
		expect(toolResult(answer({ answer: 'plain text' }), true)).toBe('plain text');
	});
});

describe('chat messages', () => {
	test('roles from the message kind and parts; text, tool calls, created time, raw', () => {
		const user = { id: 'm1', created_at: '2026-01-01T00:00:00Z', model_message: { kind: 'request', parts: [{ part_kind: 'user-prompt', content: 'Hi' }] } };
		expect(toChatMessage(user)).toEqual({ role: 'user', text: 'Hi', toolCalls: [], createdAt: '2026-01-01T00:00:00Z', raw: user });
		const call = { model_message: { kind: 'response', parts: [{ part_kind: 'text', content: 'Let me ' }, { part_kind: 'text', content: 'look' }, { part_kind: 'tool-call', tool_name: 't', tool_call_id: 'c1', args: { a: 1 } }] } };
		expect(toChatMessage(call)).toMatchObject({ role: 'assistant', text: 'Let me look', toolCalls: [{ id: 'c1', name: 't', args: { a: 1 } }], createdAt: null });
		const ret = { model_message: { kind: 'request', parts: [{ part_kind: 'tool-return', content: { rows: 1 }, timestamp: '2026-01-02T00:00:00Z' }] } };
		expect(toChatMessage(ret)).toMatchObject({ role: 'tool', text: '{"rows":1}', createdAt: '2026-01-02T00:00:00Z' });
		expect(toChatMessage({ model_message: { kind: 'request', parts: [{ part_kind: 'system-prompt', content: 'Be brief' }] } })).toMatchObject({ role: 'system', text: 'Be brief' });
		expect(toChatMessage({})).toMatchObject({ role: 'user', text: '', toolCalls: [] });
	});
});
