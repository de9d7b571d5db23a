import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import {
	alationBaseUrl,
	allowsUnauthorizedCerts,
	credentialSecrets,
	dataClarityServerUrl,
	grantFor,
} from './auth/credentialGrants';
import type { CredentialTypeName } from './auth/credentialGrants';
import { identityKey } from './auth/identity';
import { headerValue } from './auth/types';
import type { AccessToken, PostFn, TokenGrant } from './auth/types';
import { discard, requestJson, send } from './http/client';
import type { HttpResponse, JsonResponse, SendOptions } from './http/client';
import { assertEgressAllowed } from './http/egress';
import type { EgressFilter } from './http/egress';
import { storedToken, tokenAuthority } from './token/authority';
import { signInToken } from './token/signIn';
import { fetchAndStore } from './token/storingRequest';
import { undiciCheck, undiciPost } from './token/transports';

/** What a session needs from n8n: `execute` contexts and list-search / load-options contexts both have it. */
export type SessionContext = Pick<IExecuteFunctions, 'getCredentials' | 'getNode'> & {
	getExecutionCancelSignal?: () => AbortSignal | undefined;
	getExecutionId?: () => string | undefined;
	helpers: Partial<Pick<IExecuteFunctions['helpers'], 'httpRequestWithAuthentication' | 'getSecureEgressFilter' | 'refreshOAuth2Token'>>;
};

/**
 * The instance's egress rules for requests sent from `ctx` (n8n 2.x; a pass-through when its SSRF
 * protection is off). undefined where n8n has none (1.x): requests go out as before.
 */
export function egressFilterOf(ctx: Pick<SessionContext, 'helpers'>): EgressFilter | undefined {
	const get = ctx.helpers.getSecureEgressFilter;
	return typeof get === 'function' ? (get.call(ctx.helpers) as EgressFilter) : undefined;
}

/**
 * Executions × identities where a new token did not cure a 401: the endpoint refuses this kind of
 * token, so later items of that execution do not mint again (each mint would invalidate the
 * token everywhere else). Bounded: oldest first out.
 */
const uncurable = new Set<string>();
const MAX_UNCURABLE = 1_000;

/**
 * A node's view of one credential: its grant, its secrets (for redaction), and authorized requests
 * that take their token from the token authority (token/authority.ts) and recover once from a 401.
 *
 * Where a token comes from, in order: the authority's held token; the token stored in the n8n
 * credential (as the item started, then as stored now — another n8n process, a queue-mode worker or
 * a CLI run, may have stored a newer one); else one new token, fetched through n8n so that n8n stores
 * it in the credential for every other process (the storing request: token/storingRequest.ts).
 */
export class CredentialSession {
	/** Tokens handed out through this session: they join the redaction list of its errors. */
	private readonly issued = new Set<string>();
	/** Errors `send` threw while getting a token, not while sending the request (`failedGettingToken`). */
	private readonly tokenFailures = new WeakSet<object>();

	private constructor(
		private readonly ctx: SessionContext,
		private readonly itemIndex: number | undefined,
		readonly type: CredentialTypeName,
		readonly credentials: ICredentialDataDecryptedObject,
		readonly grant: TokenGrant,
		readonly baseUrl: string,
		readonly signal: AbortSignal | undefined,
		/** The instance's egress rules: every request of this session, token requests included, obeys them. */
		readonly egress: EgressFilter | undefined,
	) {}

	/** Works in `execute` (per item) and in list-search / load-options methods (no item). */
	static async open(ctx: SessionContext, type: CredentialTypeName, itemIndex?: number): Promise<CredentialSession> {
		const credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(type, itemIndex);
		const grant = grantFor(type, credentials, ctx.getNode().credentials?.[type]?.id ?? '');
		const baseUrl = type === 'dataClarityApi' ? dataClarityServerUrl(credentials) : alationBaseUrl(credentials);
		return new CredentialSession(ctx, itemIndex, type, credentials, grant, baseUrl, ctx.getExecutionCancelSignal?.(), egressFilterOf(ctx));
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
		return undiciPost({ allowUnauthorizedCerts: this.allowUnauthorizedCerts, egress: this.egress });
	}

	/**
	 * A valid token; `forceNew` mints one (read token/authority.ts first). Waiting ends when
	 * `signal` aborts (default: the execution's Stop; Agent Chat passes its run's deadline too).
	 */
	async token(forceNew = false, signal: AbortSignal | undefined = this.signal): Promise<AccessToken> {
		// A token is only for a host this instance may reach: none is minted, nor handed out, for another.
		await assertEgressAllowed(this.egress, this.grant.tokenUrl);
		const token = await this.validToken(forceNew, signal);
		this.issued.add(token.value);
		return token;
	}

	/**
	 * Sends with the token header. On a 401, the token sent is checked (one cheap GET, shared): if it
	 * is refused, a new one is obtained and the request sent once more; if it is still accepted, this
	 * endpoint refuses this kind of token and a new one would not help, so the 401 is returned as is.
	 * A destination the instance's egress rules forbid is refused before any token is looked up.
	 */
	async send(options: SendOptions): Promise<HttpResponse> {
		const signal = options.signal ?? this.signal;
		await assertEgressAllowed(this.egress, options.url);
		const call = async (token: AccessToken) =>
			await send({
				...options,
				allowUnauthorizedCerts: this.allowUnauthorizedCerts,
				egress: this.egress,
				signal,
				headers: { ...options.headers, [this.grant.scheme.headerName]: headerValue(this.grant.scheme, token.value) },
			});
		const token = await this.gettingToken(this.token(false, signal));
		const first = await call(token);
		if (first.status !== 401 || uncurable.has(this.uncurableKey())) return first;
		if (this.isSignIn) {
			// A user sign-in: the credential's newer token, or one renewal through n8n; then once more.
			const renewed = await this.gettingToken(signInToken(this.ctx, this.grant, this.itemIndex, token.value));
			this.issued.add(renewed.value);
			await discard(first.body);
			const again = await call(renewed);
			if (again.status === 401) this.rememberUncurable();
			return again;
		}
		// Another process may have minted since (which invalidated the token sent): take its token.
		const newer = await this.gettingToken(this.replacementFor(token));
		if (!newer) {
			const verdict = await tokenAuthority.check(this.grant, token.value, undiciCheck({ allowUnauthorizedCerts: this.allowUnauthorizedCerts, egress: this.egress }));
			if (verdict === 'accepted') return first;
			// 'unknown' (the check got no clear answer): the 401 itself is the evidence.
			tokenAuthority.refuse(this.grant, token.value);
		}
		await discard(first.body);
		const second = await call(newer ?? (await this.gettingToken(this.token(false, signal))));
		if (second.status === 401 && newer) {
			// The other process's token was dead too (after an outage several may have minted alone): both
			// are refused, and this once a token of our own — at most three sends in all.
			tokenAuthority.refuse(this.grant, token.value);
			tokenAuthority.refuse(this.grant, newer.value);
			await discard(second.body);
			const third = await call(await this.gettingToken(this.token(false, signal)));
			if (third.status === 401) this.rememberUncurable();
			return third;
		}
		if (second.status === 401) this.rememberUncurable();
		return second;
	}

	/** An authorized JSON call; a non-2xx answer (after the 401 retry) throws HttpStatusError. */
	async json(options: SendOptions): Promise<JsonResponse> {
		return await requestJson(options, async (o) => await this.send(o));
	}

	/**
	 * A fresh token other than `sent` (refused with 401), minted by another process since: the fleet's,
	 * or the one the credential holds now. Mint times are not compared: they may come from another
	 * machine's clock.
	 */
	private async replacementFor(sent: AccessToken): Promise<AccessToken | undefined> {
		const latest = await this.ctx.getCredentials<ICredentialDataDecryptedObject>(this.type, this.itemIndex);
		return await tokenAuthority.replacementFor(this.grant, sent, storedToken(latest));
	}

	private uncurableKey(): string {
		return `${this.ctx.getExecutionId?.() ?? ''}|${identityKey(this.grant)}`;
	}

	private rememberUncurable(): void {
		// Only within an execution: the editor's list and load-options calls have no execution id,
		// and one bad moment must not turn off 401 recovery for all of them.
		if (!this.ctx.getExecutionId?.()) return;
		uncurable.add(this.uncurableKey());
		if (uncurable.size > MAX_UNCURABLE) uncurable.delete(uncurable.values().next().value as string);
	}

	/** A user sign-in (n8n's OAuth2 credential): its tokens live in the credential, renewed through n8n (token/signIn.ts). */
	get isSignIn(): boolean {
		return this.type === 'alationOAuth2Api';
	}

	private async validToken(forceNew: boolean, signal: AbortSignal | undefined): Promise<AccessToken> {
		if (this.isSignIn) {
			// Force New renews once: the token held now is treated as refused.
			const held = forceNew ? (await signInToken(this.ctx, this.grant, this.itemIndex)).value : undefined;
			return await untilAborted(signInToken(this.ctx, this.grant, this.itemIndex, held), signal);
		}
		if (!forceNew) {
			const ready = await tokenAuthority.find(this.grant, storedToken(this.credentials));
			if (ready) return ready;
			// The credential as stored now: another process may have stored a newer token since the item started.
			// (The fleet was asked a moment ago, by the find above.)
			const latest = await this.ctx.getCredentials<ICredentialDataDecryptedObject>(this.type, this.itemIndex);
			const stored = await tokenAuthority.find(this.grant, storedToken(latest), { askFleet: false });
			if (stored) return stored;
		}
		// One "fetch a token and have n8n store it" (token/storingRequest.ts) per identity at a time, process-wide.
		const pending = tokenAuthority.singleFlight(
			`store|${identityKey(this.grant)}`,
			async () => await fetchAndStore(this.ctx, this.type, this.credentials, this.grant, this.post, forceNew),
		);
		return await untilAborted(pending, signal);
	}

	/**
	 * Whether `error` (thrown by `send`) came from getting a token rather than from the request that
	 * needed it: the token request has had its own retries (auth/grants.ts), so a caller that retries
	 * its request after a connection error (Agent Chat's stream run) does not retry this one.
	 */
	failedGettingToken(error: unknown): boolean {
		return error !== null && typeof error === 'object' && this.tokenFailures.has(error);
	}

	/** `work` is getting a token: a failure of it is remembered as such (`failedGettingToken`). */
	private async gettingToken<T>(work: Promise<T>): Promise<T> {
		return await work.catch((error: unknown) => {
			if (error !== null && typeof error === 'object') this.tokenFailures.add(error);
			throw error;
		});
	}
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
