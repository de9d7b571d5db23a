import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import {
	alationBaseUrl,
	allowsUnauthorizedCerts,
	credentialSecrets,
	dataClarityServerUrl,
	grantFor,
} from './auth/credentialGrants';
import type { CredentialTypeName } from './auth/credentialGrants';
import { storedToken, TokenCache, tokenCache, withTokenRetry } from './auth/tokenCache';
import { headerValue } from './auth/types';
import type { AccessToken, PostFn, TokenGrant } from './auth/types';
import { discard, requestJson, send, undiciPost } from './http/client';
import type { HttpResponse, JsonResponse, SendOptions } from './http/client';

/** What a session needs from n8n: `execute` contexts and list-search / load-options contexts both have it. */
export type SessionContext = Pick<IExecuteFunctions, 'getCredentials' | 'getNode'> & {
	getExecutionCancelSignal?: () => AbortSignal | undefined;
	helpers: Partial<Pick<IExecuteFunctions['helpers'], 'httpRequestWithAuthentication'>>;
};

/** A cheap authenticated GET per credential type: the request n8n sends after it fetched and stored a token. */
const PROBE_PATHS: Record<CredentialTypeName, string> = {
	alationApi: '/integration/v1/userinfo/',
	dataClarityApi: '/dp/api/v1/aiconnections/types',
};

/** One "fetch a token and have n8n store it" per credential identity at a time, process-wide. */
const storing = new Map<string, Promise<AccessToken>>();

/**
 * A node's view of one credential: its grant, its secrets (for redaction), and authorized requests
 * that take their token from the shared cache and recover once from a 401.
 *
 * Where a token comes from, in order: the process-wide cache; the token stored in the n8n
 * credential (as the item started, then as stored now — another n8n process, a queue-mode worker or
 * a CLI run, may have stored a newer one); else one new token, fetched through n8n's own pre-request
 * token fetch so that n8n stores it in the credential for every other process. Alation invalidates
 * the previous token at every mint, so processes that share a credential must share its token.
 */
export class CredentialSession {
	/** Tokens handed out through this session: they join the redaction list of its errors. */
	private readonly issued = new Set<string>();

	private constructor(
		private readonly ctx: SessionContext,
		private readonly itemIndex: number | undefined,
		readonly type: CredentialTypeName,
		readonly credentials: ICredentialDataDecryptedObject,
		readonly grant: TokenGrant,
		readonly baseUrl: string,
		readonly signal: AbortSignal | undefined,
	) {}

	/** Works in `execute` (per item) and in list-search / load-options methods (no item). */
	static async open(ctx: SessionContext, type: CredentialTypeName, itemIndex?: number): Promise<CredentialSession> {
		const credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(type, itemIndex);
		const grant = grantFor(type, credentials);
		const baseUrl = type === 'alationApi' ? alationBaseUrl(credentials) : dataClarityServerUrl(credentials);
		return new CredentialSession(ctx, itemIndex, type, credentials, grant, baseUrl, ctx.getExecutionCancelSignal?.());
	}

	get allowUnauthorizedCerts(): boolean {
		return allowsUnauthorizedCerts(this.credentials);
	}

	/** Every secret of this credential and every token it produced: the redaction list for errors. */
	get secrets(): string[] {
		return [...credentialSecrets(this.credentials), ...this.grant.secrets, ...this.issued];
	}

	/**
	 * The token request's transport. Deliberately without this execution's cancel signal: a token
	 * fetch is shared by every caller that needs the token at that moment (other items, other
	 * executions), so one caller's Stop must not cancel it for the others; each caller stops waiting
	 * on its own signal instead (`token`).
	 */
	get post(): PostFn {
		return undiciPost({ allowUnauthorizedCerts: this.allowUnauthorizedCerts });
	}

	/**
	 * A valid token; `forceNew` mints one (read the token cache's warning first). Waiting ends when
	 * `signal` aborts (default: the execution's Stop; Agent Chat passes its run's deadline too).
	 */
	async token(forceNew = false, signal: AbortSignal | undefined = this.signal): Promise<AccessToken> {
		const token = await this.validToken(forceNew, signal);
		this.issued.add(token.value);
		return token;
	}

	/** Sends with the token header; on 401 gets a new token (once) and sends once more. */
	async send(options: SendOptions): Promise<HttpResponse> {
		return await withTokenRetry({
			getToken: async () => await markTokenPhase(this.token(false, options.signal ?? this.signal)),
			tokenRefused: (token) => tokenCache.tokenRefused(this.grant, token),
			call: async (token) =>
				await send({
					...options,
					allowUnauthorizedCerts: this.allowUnauthorizedCerts,
					signal: options.signal ?? this.signal,
					headers: { ...options.headers, [this.grant.scheme.headerName]: headerValue(this.grant.scheme, token.value) },
				}),
			isUnauthorized: (response) => response.status === 401,
			discard: async (response) => await discard(response.body),
		});
	}

	/** An authorized JSON call; a non-2xx answer (after the 401 retry) throws HttpStatusError. */
	async json(options: SendOptions): Promise<JsonResponse> {
		return await requestJson(options, async (o) => await this.send(o));
	}

	private async validToken(forceNew: boolean, signal: AbortSignal | undefined): Promise<AccessToken> {
		if (!forceNew) {
			const ready = tokenCache.peek(this.grant) ?? tokenCache.adopt(this.grant, storedToken(this.credentials));
			if (ready) return ready;
			const latest = await this.ctx.getCredentials<ICredentialDataDecryptedObject>(this.type, this.itemIndex);
			const adopted = tokenCache.adopt(this.grant, storedToken(latest));
			if (adopted) return adopted;
		}
		const key = TokenCache.keyOf(this.grant);
		let pending = storing.get(key);
		if (!pending) {
			pending = this.fetchAndStore(forceNew).finally(() => storing.delete(key));
			storing.set(key, pending);
		}
		return await untilAborted(pending, signal);
	}

	/**
	 * Gets a new token through n8n's `httpRequestWithAuthentication` with the stored token blanked:
	 * n8n then runs the credential's `preAuthentication` (the same token cache, so still one token
	 * request) and stores the result in the credential, then sends a cheap GET (whose answer does not
	 * matter). Without that helper or a saved credential (e.g. an older n8n), the token is fetched
	 * directly and lives in this process only.
	 */
	private async fetchAndStore(forceNew: boolean): Promise<AccessToken> {
		if (forceNew) {
			const current = tokenCache.peek(this.grant);
			if (current) tokenCache.tokenRefused(this.grant, current.value);
		}
		const nodeCredential = this.ctx.getNode().credentials?.[this.type];
		const request = this.ctx.helpers.httpRequestWithAuthentication;
		if (!request || !nodeCredential?.id) return await tokenCache.getToken(this.grant, this.post, { forceNew });

		const probe: IHttpRequestOptions = {
			method: 'GET',
			url: `${this.baseUrl}${PROBE_PATHS[this.type]}`,
			json: true,
			skipSslCertificateValidation: this.allowUnauthorizedCerts,
			timeout: 60_000,
		};
		const storing = request
			.call(this.ctx as IExecuteFunctions, this.type, probe, {
				credentialsDecrypted: {
					id: nodeCredential.id,
					name: nodeCredential.name,
					type: this.type,
					data: { ...this.credentials, accessToken: '' },
				},
			})
			.then(
				() => undefined,
				(error: unknown) => error,
			);
		// n8n's token fetch takes no cancel signal; callers stop waiting on their own signals (validToken).
		const probeOutcome = await storing;
		const token = tokenCache.peek(this.grant);
		if (token) return token;
		// No token: the token request itself failed. Its own error says why (n8n wrapped it).
		throw tokenCache.lastFailure(this.grant) ?? probeOutcome ?? new Error('No token was obtained');
	}
}

/**
 * Marks a failure to get a token, so a caller that retries its own request after a connection error
 * (Agent Chat) does not retry this one: the token request has had its own retries (auth/grants.ts).
 */
async function markTokenPhase<T>(work: Promise<T>): Promise<T> {
	return await work.catch((error: unknown) => {
		if (error !== null && typeof error === 'object' && !('tokenPhase' in error)) {
			Object.defineProperty(error, 'tokenPhase', { value: true, enumerable: false });
		}
		throw error;
	});
}

/** Whether an error came from getting a token rather than from the request that needed it. */
export function isTokenPhaseError(error: unknown): boolean {
	return error !== null && typeof error === 'object' && (error as { tokenPhase?: unknown }).tokenPhase === true;
}

/** Resolves with `work`, or rejects with the abort reason as soon as `signal` aborts. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	if (!signal) return await work;
	signal.throwIfAborted();
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		return await Promise.race([work, aborted]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}
