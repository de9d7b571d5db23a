import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { DEMO } from '../simulator';
import type { StoredCredential } from './n8n';

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

/** The stored "Alation API (simulator)" credential of the node tests: the demo OAuth client at `url`. */
export const simulatorOauthCredential = (url: string, data: IDataObject = {}): StoredCredential => ({
	id: 'alation-1',
	name: 'Alation API (simulator)',
	type: 'alationApi',
	data: { baseUrl: url, authType: 'clientCredentials', clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, ...data },
});
