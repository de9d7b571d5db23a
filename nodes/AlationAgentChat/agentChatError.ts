import type { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { alationAuthType } from '../shared/auth/credentialGrants';
import { HttpStatusError } from '../shared/http/errors';
import { nodeApiError, toNodeError } from '../shared/http/nodeErrors';
import type { ErrorContext } from '../shared/http/nodeErrors';
import { isQuotaExhausted } from '../shared/http/retry';
import type { CredentialSession } from '../shared/session';
import { AGENT_STATUS_HINTS, QUOTA_HINT, REFRESH_TOKEN_CREDENTIAL_HINT } from './agentErrors';
import { AgentStreamError, AttemptsExhaustedError, NotAnEventStreamError } from './runAgentChat';

/** How a stream's failures are worded: Agent Chat's by default, Run Tool passes its own. */
export interface StreamWording {
	action: string;
	statusHints: Partial<Record<number, string>>;
}

const AGENT_WORDING: StreamWording = { action: 'Asking the agent', statusHints: AGENT_STATUS_HINTS };

/** Agent Chat's failures → node errors; the shared mapper does the rest (network, TLS, tokens, input). */
export function agentChatError(
	error: unknown,
	base: Omit<ErrorContext, 'action' | 'statusHints'>,
	session?: CredentialSession,
	wording: StreamWording = AGENT_WORDING,
): NodeApiError | NodeOperationError {
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
