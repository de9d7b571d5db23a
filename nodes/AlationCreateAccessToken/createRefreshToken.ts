import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { alationBaseUrl, allowsUnauthorizedCerts, CREDENTIAL_DISPLAY_NAMES, credentialSecrets } from '../shared/auth/credentialGrants';
import type { CredentialTypeName } from '../shared/auth/credentialGrants';
import { requestJson } from '../shared/http/client';
import type { ItemScope } from '../shared/items';
import { invalid, requiredPassword, requiredText } from '../shared/parameters';
import { egressFilterOf } from '../shared/session';

/** What an item's error says it was doing, and advice per HTTP status. */
export const CREATE_REFRESH_TOKEN_ACTION = 'Creating a refresh token';
export const REFRESH_TOKEN_HINTS: Partial<Record<number, string>> = {
	400: 'Alation rejected the request. Check Username, Password and Token Name.',
	401: 'Alation refused the username or password. If you sign in to Alation with single sign-on (SSO), you have no Alation password: create the refresh token in Alation under Account Settings → Authentication.',
	403: 'This user may not create refresh tokens, or password login is disabled (SSO). Create the refresh token in Alation under Account Settings → Authentication.',
};

const fillIn = (label: string) => `Fill in "${label}" to create a refresh token.`;

/**
 * The Create Refresh Token operation for one node run: per item, an Alation refresh token from a
 * user's name and password (Alation API only).
 */
export function createRefreshToken(ctx: IExecuteFunctions, type: CredentialTypeName): (scope: ItemScope) => Promise<IDataObject> {
	return async (scope) => {
		const { itemIndex } = scope;
		if (type !== 'alationApi') {
			throw invalid(ctx, itemIndex, `Create Refresh Token needs the "${CREDENTIAL_DISPLAY_NAMES.alationApi}" credential`, 'Set "Credential Type" to Alation API: DataClarity has no refresh tokens.');
		}
		// Only the base URL of the credential is used: its secrets may not exist yet, since
		// creating a refresh token is how a user gets one.
		const credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>('alationApi', itemIndex);
		const typedPassword = ctx.getNodeParameter('password', itemIndex, '') as string;
		scope.secrets.push(...credentialSecrets(credentials), typedPassword);

		const baseUrl = alationBaseUrl(credentials);
		const username = requiredText(ctx, itemIndex, ctx.getNodeParameter('username', itemIndex, ''), 'Username', fillIn('Username'));
		const tokenName = requiredText(ctx, itemIndex, ctx.getNodeParameter('tokenName', itemIndex, ''), 'Token Name', fillIn('Token Name'));
		const password = requiredPassword(ctx, itemIndex, typedPassword, 'Password', fillIn('Password'));

		// Not authorized with a token: this call is how a user gets their first token.
		const response = await requestJson({
			method: 'POST',
			url: `${baseUrl}/integration/v1/createRefreshToken/`,
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username, password, name: tokenName }),
			allowUnauthorizedCerts: allowsUnauthorizedCerts(credentials),
			signal: ctx.getExecutionCancelSignal?.(),
			egress: egressFilterOf(ctx),
		});
		const data = (response.json ?? {}) as IDataObject;
		if (typeof data.refresh_token !== 'string' || data.refresh_token === '') {
			throw invalid(ctx, itemIndex, 'Alation answered without a refresh token', 'Check that the base URL points at the Alation instance itself and not at a proxy or login page.');
		}
		// Built field by field: nothing the server echoes (such as the password) is passed through.
		return {
			refreshToken: data.refresh_token,
			userId: data.user_id as IDataObject[keyof IDataObject],
			tokenName: typeof data.name === 'string' ? data.name : tokenName,
			tokenExpiresAt: data.token_expires_at as IDataObject[keyof IDataObject],
			tokenStatus: data.token_status as IDataObject[keyof IDataObject],
		};
	};
}
