/**
 * n8n's real `this.helpers.httpRequest` — the function n8n-core hands to a credential's
 * `preAuthentication` (n8n-core request-helpers/factory.js: `Container.get(OutboundHttp).requests().request`),
 * so credential tests call `preAuthentication` exactly the way n8n does, on n8n's own axios stack.
 */
import './n8n-env';

import { OutboundHttp } from '@n8n/backend-network';
import { Container } from '@n8n/di';
import type { IHttpRequestHelper, IHttpRequestOptions } from 'n8n-workflow';

export async function n8nHttpRequest(options: IHttpRequestOptions): Promise<unknown> {
	return await Container.get(OutboundHttp).requests().request(options);
}

/** The `this` n8n binds when it calls `preAuthentication` (helpers narrowed to httpRequest). */
export const preAuthenticationThis = { helpers: { httpRequest: n8nHttpRequest } } as unknown as IHttpRequestHelper;
