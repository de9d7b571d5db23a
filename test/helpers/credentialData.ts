import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { DEMO } from '../simulator';

/**
 * Credential data as n8n hands it to a credential type (decrypted, hidden fields at their
 * defaults), for the simulator's demo identities at `url`.
 */
export const alationOauthData = (url: string, extra: IDataObject = {}): ICredentialDataDecryptedObject => ({
	baseUrl: url,
	authType: 'clientCredentials',
	clientId: DEMO.clientId,
	clientSecret: DEMO.clientSecret,
	allowUnauthorizedCerts: false,
	accessToken: '',
	expiresAt: 0,
	...extra,
});

export const alationRefreshData = (url: string, extra: IDataObject = {}): ICredentialDataDecryptedObject => ({
	baseUrl: url,
	authType: 'refreshToken',
	userId: String(DEMO.userId),
	refreshToken: DEMO.refreshToken,
	accessToken: '',
	expiresAt: 0,
	...extra,
});
