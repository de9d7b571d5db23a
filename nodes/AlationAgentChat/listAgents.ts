import type { IDataObject, ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { toNodeError } from '../shared/http/nodeErrors';
import { CredentialSession } from '../shared/session';

const PAGE_SIZE = 100;
/** With a search filter we scan at most this many pages, so a huge catalogue cannot stall the editor. */
const MAX_FILTER_PAGES = 10;

interface AgentConfig {
	id?: unknown;
	name?: unknown;
	description?: unknown;
	is_default?: unknown;
	default_ref?: unknown;
}

/** The value stored for an agent: a built-in's ref, or a custom agent's UUID (see agentRef.ts). */
function toItem(agent: AgentConfig): INodeListSearchItems | undefined {
	const ref = typeof agent.default_ref === 'string' && agent.default_ref !== '' ? agent.default_ref : undefined;
	const id = typeof agent.id === 'string' ? agent.id : undefined;
	const value = ref ?? id;
	if (!value) return undefined;
	const name = typeof agent.name === 'string' && agent.name !== '' ? agent.name : value;
	const description = typeof agent.description === 'string' ? agent.description : undefined;
	return { name: ref ? name : `${name} (custom)`, value, description };
}

function matches(item: INodeListSearchItems, filter: string): boolean {
	const needle = filter.toLowerCase();
	return [item.name, String(item.value), item.description ?? ''].some((text) => text.toLowerCase().includes(needle));
}

/** "From list" mode of the Agent parameter: `GET /ai/api/v1/config/agent`, paginated with limit/offset. */
export async function searchAgents(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	let session: CredentialSession | undefined;
	try {
		session = await CredentialSession.open(this, 'alationApi');
		const fetchPage = async (offset: number) => {
			const response = await session!.json({ method: 'GET', url: `${session!.baseUrl}/ai/api/v1/config/agent?limit=${PAGE_SIZE}&offset=${offset}` });
			const body = (response.json ?? {}) as IDataObject;
			const data = Array.isArray(body.data) ? (body.data as AgentConfig[]) : Array.isArray(response.json) ? (response.json as AgentConfig[]) : [];
			const total = typeof body.total === 'number' ? body.total : undefined;
			const items = data.map(toItem).filter((i): i is INodeListSearchItems => i !== undefined);
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
		throw toNodeError(error, {
			node: this.getNode(),
			itemIndex: 0,
			secrets: session?.secrets ?? [],
			action: 'Loading the agent list',
			statusHints: {
				401: 'The token was refused. Agent Studio needs an OAuth client credential (Client Credentials); a refresh token is not accepted. You can still type an agent ref or UUID in "By ID" mode.',
				403: "The OAuth client's role may not list agents, or Agent Studio is not enabled on this instance. Type an agent ref or UUID in \"By ID\" mode instead.",
				404: 'Agent Studio was not found at this base URL. Check the base URL, or type an agent ref or UUID in "By ID" mode.',
			},
		});
	}
}
