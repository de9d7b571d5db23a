import { NodeApiError } from 'n8n-workflow';
import type { INode } from 'n8n-workflow';

import { errorItemJson, errorItemShape, withItemData } from '../../nodes/shared/items';

const node: INode = { id: '1', name: 'Agent Chat', type: 'n8n-nodes-alation.alationAgentChat', typeVersion: 1, position: [0, 0], parameters: {} };
const failure = () =>
	withItemData(new NodeApiError(node, { message: 'x' }, { message: 'Asking the agent failed: the server answered 500', description: 'Try again later.', httpCode: '500' }), {
		partialAnswer: 'So far',
	});

describe('error items (Continue On Fail)', () => {
	test('with details: the message, and description, status and item data under details', () => {
		expect(errorItemJson(failure())).toEqual({
			error: 'Asking the agent failed: the server answered 500',
			details: { description: 'Try again later.', httpCode: '500', partialAnswer: 'So far' },
		});
	});

	test('error and message: exactly the two keys n8n 1.x routes to the error output', () => {
		expect(errorItemJson(failure(), 'errorAndMessage')).toEqual({ error: 'Asking the agent failed: the server answered 500', message: 'Try again later.' });
	});

	test('the shape follows the error setting and what this n8n accepts', () => {
		expect(errorItemShape('continueErrorOutput', false)).toBe('errorAndMessage'); // n8n 1.x
		expect(errorItemShape('continueErrorOutput', true)).toBe('withDetails'); // n8n 2.x
		expect(errorItemShape('continueRegularOutput', false)).toBe('withDetails');
		expect(errorItemShape(undefined, false)).toBe('withDetails');
	});
});
