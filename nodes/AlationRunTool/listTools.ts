import type { IDataObject, ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { toNodeError } from '../shared/http/nodeErrors';
import { isRecord } from '../shared/json';
import { CredentialSession } from '../shared/session';

const PAGE_SIZE = 100;
/** With a search filter we scan at most this many pages, so a huge catalogue cannot stall the editor. */
const MAX_FILTER_PAGES = 10;
/** A list entry's description stays readable in the dropdown. */
const MAX_DESCRIPTION_CHARS = 600;

/**
 * One entry of `GET /ai/api/v1/config/tool` (fields as Alation's CLI prints them: alation-plugins
 * cli/commands/tool.py). The input schema is `input_parameter_schema` for custom (HTTP) tools; for
 * built-in tools Alation documents none in the list, so other likely names are read too.
 */
interface ToolConfig {
	id?: unknown;
	name?: unknown;
	function_name?: unknown;
	description?: unknown;
	is_default?: unknown;
	default_ref?: unknown;
	input_parameter_schema?: unknown;
	input_json_schema?: unknown;
	input_schema?: unknown;
}

/** `{"search_term": string*, "limit": integer}` — the tool's inputs, required ones starred. */
export function inputSummary(schema: unknown): string | undefined {
	if (!isRecord(schema) || !isRecord(schema.properties)) return undefined;
	const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
	const fields = Object.entries(schema.properties).map(([name, property]) => {
		const type = isRecord(property) && typeof property.type === 'string' ? property.type : 'any';
		return `"${name}": ${type}${required.has(name) ? '*' : ''}`;
	});
	return fields.length === 0 ? 'Input: {} (none)' : `Input: {${fields.join(', ')}}`;
}

/** The value stored for a tool: a built-in's ref, or a custom tool's UUID (see toolRef.ts). */
function toItem(tool: ToolConfig): INodeListSearchItems | undefined {
	const ref = typeof tool.default_ref === 'string' && tool.default_ref !== '' ? tool.default_ref : undefined;
	const id = typeof tool.id === 'string' ? tool.id : undefined;
	const value = ref ?? id;
	if (!value) return undefined;
	const name = typeof tool.name === 'string' && tool.name !== '' ? tool.name : typeof tool.function_name === 'string' ? tool.function_name : value;
	const inputs = inputSummary(tool.input_parameter_schema ?? tool.input_json_schema ?? tool.input_schema);
	const text = [typeof tool.description === 'string' ? tool.description : '', inputs ?? ''].filter((t) => t !== '').join(' — ');
	const description = text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
	return { name: ref ? name : `${name} (custom)`, value, description: description === '' ? undefined : description };
}

function matches(item: INodeListSearchItems, filter: string): boolean {
	const needle = filter.toLowerCase();
	return [item.name, String(item.value), item.description ?? ''].some((text) => text.toLowerCase().includes(needle));
}

/** "From list" mode of the Tool parameter: `GET /ai/api/v1/config/tool`, paginated with limit/offset. */
export async function searchTools(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	let session: CredentialSession | undefined;
	try {
		session = await CredentialSession.open(this, 'alationApi');
		const fetchPage = async (offset: number) => {
			const response = await session!.json({ method: 'GET', url: `${session!.baseUrl}/ai/api/v1/config/tool?limit=${PAGE_SIZE}&offset=${offset}` });
			const body = (response.json ?? {}) as IDataObject;
			// `{ data }` on the config lists, `{ results }` elsewhere, or a bare list (Alation's CLI accepts all three).
			const data = Array.isArray(body.data) ? body.data : Array.isArray(body.results) ? body.results : Array.isArray(response.json) ? response.json : [];
			const total = typeof body.total === 'number' ? body.total : undefined;
			const items = (data as ToolConfig[]).map(toItem).filter((i): i is INodeListSearchItems => i !== undefined);
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
			action: 'Loading the tool list',
			statusHints: {
				401: 'The token was refused. Agent Studio needs an OAuth client credential (Client Credentials); a refresh token is not accepted. You can still type a tool ref or UUID in "By ID" mode.',
				403: "The OAuth client's role may not list tools, or Agent Studio is not enabled on this instance. Type a tool ref or UUID in \"By ID\" mode instead.",
				404: 'Agent Studio was not found at this base URL. Check the base URL, or type a tool ref or UUID in "By ID" mode.',
			},
		});
	}
}
