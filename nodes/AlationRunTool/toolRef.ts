import { isUuid } from '../shared/agentStudio/identifiers';

/**
 * How a tool is addressed. Built-in tools by their ref (`/ai/api/v1/chats/tool/default/{ref}/stream`),
 * custom tools by their UUID (`/ai/api/v1/chats/tool/{uuid}/stream`) — as Alation's CLI does
 * (alation-plugins cli/clients/chat.py `invoke_tool_stream`).
 */
export function toolStreamUrl(baseUrl: string, tool: string, chatId?: string): string {
	const path = isUuid(tool) ? `/ai/api/v1/chats/tool/${tool}/stream` : `/ai/api/v1/chats/tool/default/${encodeURIComponent(tool)}/stream`;
	return `${baseUrl}${path}${chatId ? `?chat_id=${encodeURIComponent(chatId)}` : ''}`;
}

/**
 * The names Alation's Python SDK and MCP server give the built-in tools, and the refs the REST API
 * takes (the SDK's api.py builds each URL with the ref). People who know the MCP tools type these
 * names; the API answers 404 to them, so they are translated.
 */
const SDK_NAMES: Readonly<Record<string, string>> = {
	alation_context: 'alation_context_tool',
	bulk_retrieval: 'bulk_retrieval_tool',
	alation_bulk_retrieval: 'bulk_retrieval_tool',
	get_context_by_id: 'get_context_by_id_tool',
	analyze_catalog_question: 'analyze_catalog_question_tool',
	list_data_products: 'list_data_products_tool',
	get_data_product_spec: 'get_data_product_spec_tool',
	get_data_sources: 'get_data_sources_tool',
	get_data_quality: 'get_data_quality_tool',
	check_data_quality: 'get_data_quality_tool',
	lineage: 'lineage_tool',
	get_lineage: 'lineage_tool',
	generate_data_product: 'generate_data_product_tool',
	get_custom_fields_definitions: 'get_custom_fields_definitions_tool',
	get_signature_creation_instructions: 'get_signature_creation_instructions_tool',
	get_data_dictionary_instructions: 'get_data_dictionary_instructions_tool',
};

/** A built-in tool's ref for an SDK/MCP name; any other value (a ref, a UUID) as it is. */
export function toolRef(name: string): string {
	return Object.prototype.hasOwnProperty.call(SDK_NAMES, name) ? SDK_NAMES[name] : name;
}
