import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { searchConfigList } from '../shared/agentStudio/configList';

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

/** "From list" mode of the Agent parameter: `GET /ai/api/v1/config/agent`, paginated with limit/offset. */
export async function searchAgents(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	return await searchConfigList<AgentConfig>(this, { kind: 'agent', toItem }, filter, paginationToken);
}
