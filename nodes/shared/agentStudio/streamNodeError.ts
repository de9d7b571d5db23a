import type { INode, NodeApiError, NodeOperationError } from 'n8n-workflow';

import { alationAuthType } from '../auth/credentialGrants';
import { HttpStatusError } from '../http/errors';
import { nodeApiError, toNodeError } from '../nodeErrors';
import type { ErrorContext } from '../nodeErrors';
import { isQuotaExhausted } from '../http/retry';
import { secretsOf } from '../items';
import type { ItemScope } from '../items';
import type { CredentialSession } from '../session';
import { AgentStreamError, AttemptsExhaustedError, NotAnEventStreamError } from './streamErrors';

/** With a refresh-token credential the server refuses Agent Studio calls: say so instead of "check your credentials". */
export const REFRESH_TOKEN_CREDENTIAL_HINT =
	'Agent Studio endpoints need an OAuth client: the server refuses the TOKEN header of a refresh-token credential. In the "Alation API" credential choose OAuth Client Credentials (Alation: Admin Settings → Authentication → OAuth Client Applications).';

export const QUOTA_HINT =
	'Your Alation licence or entitlement quota is used up; retrying will not help. Ask your Alation administrator.';

/** How a node words its stream's failures: what it was doing, and a hint per HTTP status. */
export interface StreamWording {
	action: string;
	statusHints: Partial<Record<number, string>>;
}

/** What an Agent Studio item's error needs: its session (secrets, refresh-token wording) and the idle timeout it ran with. */
export interface StreamItemScope extends ItemScope {
	session?: CredentialSession;
	idleTimeoutMs?: number;
}

/** An Agent Studio run's failures → node errors; the shared mapper does the rest (network, TLS, tokens, input). */
export function streamNodeError(error: unknown, scope: StreamItemScope, node: INode, wording: StreamWording): NodeApiError | NodeOperationError {
	const { session } = scope;
	const base = { node, itemIndex: scope.itemIndex, secrets: secretsOf(scope), headersTimeoutMs: scope.idleTimeoutMs, bodyTimeoutMs: scope.idleTimeoutMs };
	const usesRefreshToken = session !== undefined && session.type === 'alationApi' && alationAuthType(session.credentials) === 'refreshToken';
	const statusHints = usesRefreshToken ? { ...wording.statusHints, 401: REFRESH_TOKEN_CREDENTIAL_HINT, 403: REFRESH_TOKEN_CREDENTIAL_HINT } : wording.statusHints;
	const ctx: ErrorContext = { ...base, action: wording.action, statusHints };

	let attempts = 1;
	let inner = error;
	if (error instanceof AttemptsExhaustedError) {
		attempts = error.attempts;
		inner = error.last;
	}
	const after = attempts > 1 ? ` (after ${attempts} attempts)` : '';

	if (inner instanceof AgentStreamError) return nodeApiError(ctx, inner.message, inner.hint);
	if (inner instanceof NotAnEventStreamError) {
		return nodeApiError(
			ctx,
			inner.message,
			'A proxy or login page may be answering instead of Alation, or the server reported an error in a normal page. Check the base URL and the text above.',
			inner.status,
		);
	}
	if (inner instanceof HttpStatusError && isQuotaExhausted(inner.status, inner.bodySnippet)) {
		const said = inner.serverMessage ? `: ${inner.serverMessage}` : '';
		return nodeApiError(ctx, `${wording.action} failed: the server answered 429${said}`, QUOTA_HINT, 429);
	}
	const mapped = toNodeError(inner, ctx);
	if (after !== '') mapped.message = `${mapped.message}${after}`;
	return mapped;
}
