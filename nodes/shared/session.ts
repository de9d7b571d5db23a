import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import {
	alationBaseUrl,
	allowsUnauthorizedCerts,
	credentialSecrets,
	dataClarityServerUrl,
	grantFor,
} from './auth/credentialGrants';
import type { CredentialTypeName } from './auth/credentialGrants';
import { tokenCache, withTokenRetry } from './auth/tokenCache';
import type { StoredToken } from './auth/tokenCache';
import { headerValue } from './auth/types';
import type { AccessToken, PostFn, TokenGrant } from './auth/types';
import { discard, requestJson, send, undiciPost } from './http/client';
import type { HttpResponse, JsonResponse, SendOptions } from './http/client';

export type SessionContext = Pick<IExecuteFunctions, 'getCredentials'> & {
	getExecutionCancelSignal?: () => AbortSignal | undefined;
};

/**
 * A node's view of one credential: its grant, its secrets (for redaction), and authorized requests
 * that take their token from the shared cache and recover once from a 401.
 */
export class CredentialSession {
	/** Tokens handed out through this session: they join the redaction list of its errors. */
	private readonly issued = new Set<string>();

	private constructor(
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
		return new CredentialSession(type, credentials, grant, baseUrl, ctx.getExecutionCancelSignal?.());
	}

	get allowUnauthorizedCerts(): boolean {
		return allowsUnauthorizedCerts(this.credentials);
	}

	/** Every secret of this credential and every token it produced: the redaction list for errors. */
	get secrets(): string[] {
		return [...credentialSecrets(this.credentials), ...this.grant.secrets, ...this.issued];
	}

	get post(): PostFn {
		return undiciPost({ allowUnauthorizedCerts: this.allowUnauthorizedCerts, signal: this.signal });
	}

	/** The token n8n stored in the credential (via preAuthentication): seeds the cache after a restart. */
	private get stored(): StoredToken {
		return { accessToken: this.credentials.accessToken, expiresAt: this.credentials.expiresAt };
	}

	/** A valid token from the shared cache; `forceNew` mints one (see the cache's warning first). */
	async token(forceNew = false): Promise<AccessToken> {
		const token = await tokenCache.getToken(this.grant, this.post, { forceNew, seed: this.stored });
		this.issued.add(token.value);
		return token;
	}

	/** Sends with the token header; on 401 gets a new token (once) and sends once more. */
	async send(options: SendOptions): Promise<HttpResponse> {
		return await withTokenRetry({
			grant: this.grant,
			post: this.post,
			seed: this.stored,
			call: async (token) => {
				this.issued.add(token.value);
				return await send({
					...options,
					allowUnauthorizedCerts: this.allowUnauthorizedCerts,
					signal: options.signal ?? this.signal,
					headers: { ...options.headers, [this.grant.scheme.headerName]: headerValue(this.grant.scheme, token.value) },
				});
			},
			isUnauthorized: (response) => response.status === 401,
			discard: async (response) => await discard(response.body),
		});
	}

	/** An authorized JSON call; a non-2xx answer (after the 401 retry) throws HttpStatusError. */
	async json(options: SendOptions): Promise<JsonResponse> {
		return await requestJson(options, async (o) => await this.send(o));
	}
}
