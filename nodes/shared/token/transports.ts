import type { IHttpRequestHelper } from 'n8n-workflow';

import { headerValue } from '../auth/types';
import type { PostFn, TokenGrant } from '../auth/types';
import { discard, header, readText, send, withTarget } from '../http/client';
import type { EgressFilter } from '../http/egress';
import type { CheckFn } from './authority';

/*
 * The two transports a token request can take, as adapters beside the authority: n8n's own helper
 * (inside a credential's `preAuthentication`, where it is the only helper n8n offers: n8n's proxy,
 * SSRF and domain rules apply) and undici (the nodes' own client). Both send a grant's request
 * unchanged, never follow a redirect (the request carries the secret), and hand back the answer;
 * judging it is `auth/tokenResponse.ts`'s job.
 */

const TOKEN_TIMEOUT_MS = 60_000;
const CHECK_TIMEOUT_MS = 30_000;

type N8nHelpers = IHttpRequestHelper['helpers'];

interface N8nFullResponse {
	statusCode: number;
	headers?: Record<string, unknown>;
	body: unknown;
}

/** A token request through n8n's helper. No caller's cancel signal (the request is shared by every caller waiting for it): only its deadline. */
export function n8nPost(helpers: N8nHelpers, allowUnauthorizedCerts: boolean): PostFn {
	return async (tokenRequest, signal) => {
		const response = (await helpers
			.httpRequest({
				method: 'POST',
				url: tokenRequest.url,
				headers: tokenRequest.headers,
				body: tokenRequest.body,
				abortSignal: signal,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				disableFollowRedirect: true,
				skipSslCertificateValidation: allowUnauthorizedCerts,
				timeout: TOKEN_TIMEOUT_MS,
			})
			.catch((error: unknown) => {
				throw withTarget(error, tokenRequest.url);
			})) as N8nFullResponse;
		return {
			status: response.statusCode,
			contentType: header(response.headers, 'content-type'),
			retryAfter: header(response.headers, 'retry-after'),
			location: header(response.headers, 'location'),
			body: response.body,
		};
	};
}

/** A token request through undici. No caller's cancel signal (the request is shared by every caller waiting for it): only its deadline. */
/** How the nodes' own client reaches the token endpoint: the credential's TLS setting and the instance's egress rules. */
export interface UndiciTransportOptions {
	allowUnauthorizedCerts: boolean;
	egress?: EgressFilter;
}

export function undiciPost(options: UndiciTransportOptions): PostFn {
	return async (tokenRequest, signal) => {
		const response = await send({
			method: 'POST',
			url: tokenRequest.url,
			headers: tokenRequest.headers,
			body: tokenRequest.body,
			allowUnauthorizedCerts: options.allowUnauthorizedCerts,
			egress: options.egress,
			followRedirects: false,
			signal,
		});
		return {
			status: response.status,
			contentType: header(response.headers, 'content-type'),
			retryAfter: header(response.headers, 'retry-after'),
			location: header(response.headers, 'location'),
			body: await readText(response.body),
		};
	};
}

function authorization(grant: TokenGrant, token: string): Record<string, string> {
	return { [grant.scheme.headerName]: headerValue(grant.scheme, token), accept: 'application/json' };
}

/** The authority's check (`grant.checkUrl` with the token) through n8n's helper; undefined when no answer came. */
export function n8nCheck(helpers: N8nHelpers, allowUnauthorizedCerts: boolean): CheckFn {
	return async (grant, token) => {
		try {
			const response = (await helpers.httpRequest({
				method: 'GET',
				url: grant.checkUrl,
				headers: authorization(grant, token),
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				disableFollowRedirect: true,
				skipSslCertificateValidation: allowUnauthorizedCerts,
				timeout: CHECK_TIMEOUT_MS,
			})) as N8nFullResponse;
			return response.statusCode;
		} catch {
			return undefined;
		}
	};
}

/**
 * The authority's check through undici; undefined when no answer came. No cancel signal: a check is
 * shared by every caller asking about the same token.
 */
export function undiciCheck(options: UndiciTransportOptions): CheckFn {
	return async (grant, token) => {
		try {
			const response = await send({
				method: 'GET',
				url: grant.checkUrl,
				headers: authorization(grant, token),
				allowUnauthorizedCerts: options.allowUnauthorizedCerts,
				egress: options.egress,
				headersTimeoutMs: CHECK_TIMEOUT_MS,
				followRedirects: false,
			});
			await discard(response.body);
			return response.status;
		} catch {
			return undefined;
		}
	};
}
