import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import type { AccessToken, TokenGrant } from '../auth/types';
import { fingerprint, skewMs } from '../auth/tokenCache';
import { tokenAuthority } from './authority';

/*
 * The access token of a user sign-in (the "Alation User Sign-In OAuth2 API" credential: OAuth 2.0
 * authorization code + PKCE on n8n's OAuth2 machinery). n8n holds the tokens (encrypted, in the
 * credential) and renews them (`helpers.refreshOAuth2Token`, which stores the new ones for every
 * process). What this module adds is the rule a rotating refresh token needs — each refresh token
 * works once, and reusing a spent one signs the person out everywhere:
 *
 *   1. the token the credential holds is used while it is fresh (until its expiry less the skew) and
 *      was not just refused;
 *   2. otherwise one renewal per identity at a time, in the process and across the fleet
 *      (tokenAuthority.oneAtATime: the fleet's lock in queue mode);
 *   3. inside it, the credential is read again first: a token another item, execution or worker
 *      stored meanwhile is taken and nothing is renewed; only then n8n renews, with the refresh token
 *      it holds now (never one already spent);
 *   4. a sign-in that cannot be renewed (expired, revoked, signed out) fails with SignInExpiredError,
 *      which says to reconnect the account, and nothing else is requested.
 */

export const SIGN_IN_CREDENTIAL = 'alationOAuth2Api';

/** What n8n's OAuth2 credential keeps of a sign-in (oauthTokenData). */
interface SignInTokens {
	access_token?: unknown;
	refresh_token?: unknown;
	expires_in?: unknown;
	/** Set by n8n 2.x when it stores renewed tokens: epoch milliseconds, as text. */
	n8n_expires_at?: unknown;
}

/** The sign-in cannot be renewed: the person must connect the account again. */
export class SignInExpiredError extends Error {
	constructor(readonly credentialName: string | undefined) {
		super(`The Alation sign-in of the credential ${credentialName ? `"${credentialName}"` : 'in use'} has expired or was revoked`);
		this.name = 'SignInExpiredError';
	}

	readonly hint =
		'Open the credential and connect the account again ("Connect" or "Reconnect"; "Connect my account" in n8n 1.x) to sign in to Alation. (The refresh token expired, was revoked, or the account was signed out elsewhere.)';
}

/**
 * Refresh tokens this process saw refused (fingerprints): the sign-in behind them is gone, so the
 * next item fails at once instead of asking again. Bounded, oldest first out.
 */
const gone = new Set<string>();
const MAX_GONE = 1_000;

function refreshTokenOf(credentials: ICredentialDataDecryptedObject): string | undefined {
	const value = (credentials.oauthTokenData as SignInTokens | undefined)?.refresh_token;
	return typeof value === 'string' && value !== '' ? value : undefined;
}

export type SignInContext = Pick<IExecuteFunctions, 'getCredentials' | 'getNode'> & {
	helpers: Partial<Pick<IExecuteFunctions['helpers'], 'refreshOAuth2Token'>>;
};

/** The access token a sign-in credential holds, as the package keeps tokens; undefined when none. */
export function signInTokenOf(credentials: ICredentialDataDecryptedObject, now: number = Date.now()): AccessToken | undefined {
	const data = credentials.oauthTokenData as SignInTokens | undefined;
	if (!data || typeof data.access_token !== 'string' || data.access_token === '') return undefined;
	const expiresIn = Number(data.expires_in);
	const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined;
	const storedExpiry = Number(data.n8n_expires_at);
	// No expiry known (n8n 1.x, or a first sign-in n8n stored without one): fresh until refused.
	const expiresAt = Number.isFinite(storedExpiry) && storedExpiry > 0 ? storedExpiry : Number.MAX_SAFE_INTEGER;
	const mintedAt = lifetimeMs !== undefined && expiresAt !== Number.MAX_SAFE_INTEGER ? expiresAt - lifetimeMs : now;
	return { value: data.access_token, expiresAt, mintedAt };
}

function isFresh(token: AccessToken, now: number): boolean {
	return token.expiresAt === Number.MAX_SAFE_INTEGER || now < token.expiresAt - skewMs(token);
}

/**
 * A fresh access token of the sign-in, renewing it once if needed. `refused`: the token a request just
 * sent and the server refused (401): never handed out again.
 */
export async function signInToken(
	ctx: SignInContext,
	grant: TokenGrant,
	itemIndex: number | undefined,
	refused?: string,
	now: () => number = Date.now,
): Promise<AccessToken> {
	let credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(SIGN_IN_CREDENTIAL, itemIndex);
	const usable = (token: AccessToken | undefined) => (token && token.value !== refused && isFresh(token, now()) ? token : undefined);
	const held = signInTokenOf(credentials, now());
	const ready = usable(held);
	if (ready) return ready;
	const credentialName = ctx.getNode().credentials?.[SIGN_IN_CREDENTIAL]?.name;
	if (!held) throw new SignInExpiredError(credentialName);
	const renewOnce = async () => await tokenAuthority.oneAtATime(grant, async () => {
		// Renewed meanwhile (another item, execution or worker)? Then that token, and no renewal.
		credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(SIGN_IN_CREDENTIAL, itemIndex);
		const latest = signInTokenOf(credentials, now());
		if (latest && latest.value !== held.value && usable(latest)) return latest;
		const refreshToken = refreshTokenOf(credentials);
		const renew = ctx.helpers.refreshOAuth2Token;
		// An n8n whose node helpers cannot renew a sign-in (older than the versions tested): say so, not "expired".
		if (!renew) throw new Error('This n8n cannot renew a user sign-in from a node (no refreshOAuth2Token helper): use n8n 1.123 or later');
		if (!refreshToken || gone.has(fingerprint(refreshToken))) throw new SignInExpiredError(credentialName);
		const renewed = await renew.call(ctx as IExecuteFunctions, SIGN_IN_CREDENTIAL).catch((error: unknown) => {
			if (!isSignInGone(error)) throw error;
			gone.add(fingerprint(refreshToken));
			if (gone.size > MAX_GONE) gone.delete(gone.values().next().value as string);
			throw new SignInExpiredError(credentialName);
		});
		const token = signInTokenOf({ oauthTokenData: renewed } as ICredentialDataDecryptedObject, now());
		if (!token) throw new SignInExpiredError(credentialName);
		return token;
	});
	const token = await renewOnce();
	if (refused === undefined || token.value !== refused) return token;
	// This caller joined a renewal that began before its token was refused, and that renewal took the
	// very token this caller had sent (another worker stored it meanwhile). Once more, knowing it.
	return await renewOnce();
}

/**
 * n8n's words for a sign-in that cannot be renewed: 2.x throws "… needs to be reconnected" for an
 * `invalid_grant`; 1.x passes the OAuth error on (`invalid_grant` in its body or message). Only
 * `invalid_grant` says the refresh token is spent, expired or revoked: n8n's OAuth client gives every
 * 4xx answer with an `error` the same code (EAUTH) — a rate limit or a passing `invalid_client` too —
 * and such a failure must not brand a still-valid refresh token as gone.
 */
function isSignInGone(error: unknown): boolean {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
		const { message, body } = e as { message?: unknown; body?: { error?: unknown } };
		if (typeof message === 'string' && (/needs to be reconnected/i.test(message) || /invalid_grant/.test(message))) return true;
		if (body?.error === 'invalid_grant') return true;
		e = (e as { cause?: unknown }).cause;
	}
	return false;
}
