import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { searchConfigList } from '../shared/agentStudio/configList';
import { isRecord } from '../shared/json';

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

/** "From list" mode of the Tool parameter: `GET /ai/api/v1/config/tool`, paginated with limit/offset. */
export async function searchTools(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	return await searchConfigList<ToolConfig>(this, { kind: 'tool', toItem }, filter, paginationToken);
}
