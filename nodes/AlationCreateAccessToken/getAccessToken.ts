import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { CredentialTypeName } from '../shared/auth/credentialGrants';
import { identityKey } from '../shared/auth/identity';
import { headerValue } from '../shared/auth/types';
import type { AccessToken } from '../shared/auth/types';
import type { ItemScope } from '../shared/items';
import { CredentialSession } from '../shared/session';

/** What an item's error says it was doing. */
export const GET_ACCESS_TOKEN_ACTION = 'Getting an access token';

/**
 * The Create Access Token operation for one node run: per item, the credential's valid token (the one
 * it holds while it is valid) and the header to send it in.
 */
export function getAccessToken(ctx: IExecuteFunctions, type: CredentialTypeName): (scope: ItemScope) => Promise<IDataObject> {
	// "Force New Token" mints once per execution and credential, not once per item: every mint
	// invalidates the previous token, so minting per item would break the tokens just handed out.
	const forcedThisRun = new Map<string, Promise<AccessToken>>();

	return async (scope) => {
		const { itemIndex } = scope;
		const session = await CredentialSession.open(ctx, type, itemIndex);
		scope.session = session;
		const forceNew = ctx.getNodeParameter('forceNew', itemIndex, false) as boolean;
		let token: AccessToken;
		if (forceNew) {
			const key = identityKey(session.grant);
			let minted = forcedThisRun.get(key);
			if (!minted) {
				minted = session.token(true);
				forcedThisRun.set(key, minted);
			}
			token = await minted;
		} else {
			token = await session.token();
		}
		return tokenOutput(session, token);
	};
}

function tokenOutput(session: CredentialSession, token: AccessToken): IDataObject {
	const { scheme } = session.grant;
	return {
		accessToken: token.value,
		tokenType: scheme.tokenType,
		headerName: scheme.headerName,
		headerValue: headerValue(scheme, token.value),
		expiresAt: new Date(token.expiresAt).toISOString(),
		expiresIn: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
	};
}
