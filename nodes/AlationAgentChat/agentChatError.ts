import type { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { streamNodeError } from '../shared/agentStudio/streamNodeError';
import type { StreamWording } from '../shared/agentStudio/streamNodeError';
import type { ErrorContext } from '../shared/http/nodeErrors';
import type { CredentialSession } from '../shared/session';
import { AGENT_STATUS_HINTS } from './agentErrors';

const AGENT_WORDING: StreamWording = { action: 'Asking the agent', statusHints: AGENT_STATUS_HINTS };

/** Agent Chat's failures → node errors, in Agent Chat's words. */
export function agentChatError(error: unknown, base: Omit<ErrorContext, 'action' | 'statusHints'>, session?: CredentialSession): NodeApiError | NodeOperationError {
	return streamNodeError(error, base, AGENT_WORDING, session);
}
