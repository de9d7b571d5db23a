/**
 * The signal `authenticate` gives when no fresh token is held (TokenRenewalNeeded) must make n8n's
 * request helpers call the credential's preAuthentication, in n8n 2.x and 3.x alike:
 *  - 2.x (n8n-core 2.41 request-helpers/authentication.js, measured here with its own function):
 *    `isTokenExpiredStatusCode(error.response?.status, 401)`;
 *  - 3.x reads `toHttpFullResponse(error)?.statusCode` (n8n 3.x cannot be installed on these machines:
 *    the reading is modelled below from n8n's full-response shape, IN8nHttpFullResponse
 *    { statusCode, headers, body }, taken from the error's response or from the error itself).
 * And package.json's n8nNodesApiVersion passes n8n's own check (n8n-workflow's checkNodesApiVersion).
 */
import { isTokenExpiredStatusCode } from 'n8n-core/dist/execution-engine/node-execution-context/utils/request-helpers/oauth';
import { checkNodesApiVersion } from 'n8n-workflow';

import { TokenRenewalNeeded } from '../../nodes/shared/credentialDoors';

interface FullResponse {
	statusCode?: unknown;
	headers?: unknown;
	body?: unknown;
}

/** The 3.x reading: the error's response as a full response, else the error itself. */
function toHttpFullResponse(error: unknown): FullResponse | undefined {
	if (error === null || typeof error !== 'object') return undefined;
	const e = error as { response?: { statusCode?: unknown; status?: unknown; headers?: unknown; body?: unknown; data?: unknown }; statusCode?: unknown };
	if (e.response) return { statusCode: e.response.statusCode ?? e.response.status, headers: e.response.headers, body: e.response.body ?? e.response.data };
	if (e.statusCode !== undefined) return { statusCode: e.statusCode };
	return undefined;
}

test('n8n 2.x reads the renewal signal as a 401 (its own isTokenExpiredStatusCode on error.response.status)', () => {
	const error = new TokenRenewalNeeded();
	expect(isTokenExpiredStatusCode(error.response?.status, 401)).toBe(true);
});

test('n8n 3.x reads it as a 401 too (the full response\'s statusCode), with headers and a body', () => {
	const full = toHttpFullResponse(new TokenRenewalNeeded());
	expect(full).toEqual({ statusCode: 401, headers: {}, body: {} });
	// Read from the error itself, too.
	expect((new TokenRenewalNeeded() as unknown as { statusCode: number }).statusCode).toBe(401);
});

test('package.json declares a nodes API version n8n accepts (an integer, as n8n-workflow checks it)', () => {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const pkg = require('../../package.json') as { n8n: { n8nNodesApiVersion: unknown } };
	expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
	expect(checkNodesApiVersion(pkg)).toEqual({ compatible: true, version: 1 });
	// The string form is what n8n calls malformed.
	expect(checkNodesApiVersion({ n8n: { n8nNodesApiVersion: '1' } })).toMatchObject({ compatible: false, reason: 'malformed' });
});
