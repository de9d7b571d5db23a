import { AnswerAssembler, DEFAULT_MAX_EVENTS_BYTES } from '../../../nodes/shared/sse/assembler';

const event = (text: string) => ({ id: 'm1', model_message: { kind: 'response', parts: [{ part_kind: 'text', content: text }] } });

describe('Include Events is bounded by count and by size', () => {
	test('a prefix of the events within the byte budget is kept, then the flag is set', () => {
		const assembler = new AnswerAssembler({ includeEvents: true, maxEventsBytes: 100_000 });
		assembler.add(event('a'), 40_000);
		assembler.add(event('ab'), 40_000);
		assembler.add(event('abc'), 40_000); // would exceed 100,000
		assembler.add(event('abcd'), 1); // small, but after the cut: not kept either
		const result = assembler.result();
		expect(result.events).toHaveLength(2);
		expect(result.eventsTruncated).toBe(true);
		expect(result.answer).toBe('abcd');
	});

	test('the default budget is 10 MiB', () => {
		expect(DEFAULT_MAX_EVENTS_BYTES).toBe(10 * 1024 * 1024);
		const assembler = new AnswerAssembler({ includeEvents: true });
		for (let i = 0; i < 3; i++) assembler.add(event(String(i)), 4 * 1024 * 1024);
		expect(assembler.result().events).toHaveLength(2);
		expect(assembler.result().eventsTruncated).toBe(true);
	});
});
