import type { IDataObject, ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { errorCode } from '../http/errors';
import { nodeOperationError, toNodeError } from '../nodeErrors';
import { alationCredentialTypeOfEditor } from '../alationAuthentication';
import { CredentialSession } from '../session';

const PAGE_SIZE = 100;
/** With a search filter we scan at most this many pages, so a huge catalogue cannot stall the editor. */
const MAX_FILTER_PAGES = 10;

/** One of Agent Studio's configuration lists, as a resource locator's "From list" mode shows it. */
export interface ConfigList<T> {
	/** `agent` → `GET /ai/api/v1/config/agent`, `tool` → `GET /ai/api/v1/config/tool`. */
	kind: 'agent' | 'tool';
	/** The list entry as the editor shows it; undefined for an entry without a ref or id. */
	toItem: (entry: T) => INodeListSearchItems | undefined;
}

function matches(item: INodeListSearchItems, filter: string): boolean {
	const needle = filter.toLowerCase();
	return [item.name, String(item.value), item.description ?? ''].some((text) => text.toLowerCase().includes(needle));
}

/**
 * Pages through the list with limit/offset: without a filter one page per call (n8n asks for the
 * next with the pagination token); with a filter, at most MAX_FILTER_PAGES pages, matched by name,
 * value or description. Errors say what the user can do instead: type the value "By ID".
 */
export async function searchConfigList<T>(
	ctx: ILoadOptionsFunctions,
	list: ConfigList<T>,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	let session: CredentialSession | undefined;
	try {
		session = await CredentialSession.open(ctx, alationCredentialTypeOfEditor(ctx));
		const open = session;
		const fetchPage = async (offset: number) => {
			const response = await open.json({ method: 'GET', url: `${open.baseUrl}/ai/api/v1/config/${list.kind}?limit=${PAGE_SIZE}&offset=${offset}` });
			const body = (response.json ?? {}) as IDataObject;
			// `{ data }` on the config lists, `{ results }` elsewhere, or a bare list (Alation's CLI accepts all three).
			const data = Array.isArray(body.data) ? body.data : Array.isArray(body.results) ? body.results : Array.isArray(response.json) ? response.json : [];
			const total = typeof body.total === 'number' ? body.total : undefined;
			const items = (data as T[]).map(list.toItem).filter((i): i is INodeListSearchItems => i !== undefined);
			const more = data.length === PAGE_SIZE && (total === undefined || offset + PAGE_SIZE < total);
			return { items, more };
		};

		const query = filter?.trim() ?? '';
		if (query === '') {
			const offset = Number(paginationToken ?? 0) || 0;
			const page = await fetchPage(offset);
			return { results: page.items, paginationToken: page.more ? String(offset + PAGE_SIZE) : undefined };
		}
		const results: INodeListSearchItems[] = [];
		for (let pageIndex = 0; pageIndex < MAX_FILTER_PAGES; pageIndex++) {
			const page = await fetchPage(pageIndex * PAGE_SIZE);
			results.push(...page.items.filter((item) => matches(item, query)));
			if (!page.more) break;
		}
		return { results };
	} catch (error) {
		const noun = list.kind;
		const context = {
			node: ctx.getNode(),
			itemIndex: 0,
			secrets: session?.secrets ?? [],
			action: `Loading the ${noun} list`,
		};
		// A page cut at the client's 1 MiB bound, or not JSON (client.ts requestJson): never an empty list.
		const code = errorCode(error);
		if (code === 'ERR_BODY_TOO_LARGE' || code === 'ERR_BODY_NOT_JSON') {
			throw nodeOperationError(
				context,
				`${context.action} failed: ${(error as Error).message}`,
				`${code === 'ERR_BODY_TOO_LARGE' ? 'The list could not be read.' : 'Check that the base URL in the credential points at Alation itself, not at a proxy or login page.'} Type ${noun === 'agent' ? 'an agent' : 'a tool'} ref or UUID in "By ID" mode instead.`,
			);
		}
		throw toNodeError(error, {
			...context,
			statusHints: {
				401: `The token was refused. Agent Studio needs an OAuth client credential (Client Credentials); a refresh token is not accepted. You can still type ${noun === 'agent' ? 'an agent' : 'a tool'} ref or UUID in "By ID" mode.`,
				403: `The OAuth client's role may not list ${noun}s, or Agent Studio is not enabled on this instance. Type ${noun === 'agent' ? 'an agent' : 'a tool'} ref or UUID in "By ID" mode instead.`,
				404: `Agent Studio was not found at this base URL. Check the base URL, or type ${noun === 'agent' ? 'an agent' : 'a tool'} ref or UUID in "By ID" mode.`,
			},
		});
	}
}
