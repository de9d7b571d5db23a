import { oneLine, serverErrorText } from '../../nodes/shared/serverMessage';

describe('serverErrorText', () => {
	test.each([
		[{ error: 'invalid_client', error_description: 'Client authentication failed' }, 'invalid_client: Client authentication failed'],
		[{ error: 'invalid_grant' }, 'invalid_grant'],
		[{ error: 'License Quota Exceeded', message: 'Contact your administrator' }, 'License Quota Exceeded: Contact your administrator'],
		[{ detail: 'Chat is busy.' }, 'Chat is busy.'],
		[{ detail: [{ loc: ['body', 'message'], msg: 'Field required' }, { loc: ['query', 'chat_id'], msg: 'Input should be a valid UUID' }] }, 'body.message: Field required; query.chat_id: Input should be a valid UUID'],
		[{ message: 'Token could not be created' }, 'Token could not be created'],
		[{ dp_id: ['This field is required.'], non_field_errors: ['Provide either password or private_key, not both.'] }, 'dp_id: This field is required.; Provide either password or private_key, not both.'],
		[['Invalid input.', 'Try again.'], 'Invalid input. Try again.'],
	])('%j → %p', (json, expected) => {
		expect(serverErrorText(json)).toBe(expected);
	});

	test.each([[undefined], [null], ['text'], [42], [{}], [{ code: 7 }]])('nothing to say in %p', (json) => {
		expect(serverErrorText(json)).toBeUndefined();
	});

	test('one bounded line', () => {
		expect(serverErrorText({ detail: `a\n\n  b ${'x'.repeat(500)}` })).toMatch(/^a b x+…$/);
		expect(oneLine('  ')).toBeUndefined();
		expect(oneLine('y'.repeat(300))!.length).toBe(201);
	});
});
