// @ts-check
'use strict';

/**
 * The tool catalogue and what each tool returns. Deterministic, so tests can assert exact results.
 *
 * Refs, inputs and defaults follow Alation's Python SDK (alation-ai-agent-sdk 1.0.0rc3, api.py:
 * `POST /ai/api/v1/chats/tool/default/<ref>/stream`) and the list fields Alation's CLI prints
 * (alation-plugins cli/commands/tool.py: id, name, function_name, description, tool_type,
 * is_default, default_ref). Alation documents no schema field for built-in tools in the list;
 * custom (HTTP) tools are created with `input_parameter_schema`, so every tool here carries one.
 * The results are invented but shaped like the SDK's docstrings describe them.
 *
 * @typedef {{ type: string, description?: string, enum?: string[], default?: unknown }} Property
 * @typedef {{ type: 'object', properties: Record<string, Property>, required: string[], additionalProperties: boolean }} InputSchema
 * @typedef {object} ToolSummary
 * @property {string} id
 * @property {string} name
 * @property {string} function_name
 * @property {string} description
 * @property {string} tool_type
 * @property {boolean} is_default
 * @property {string | null} default_ref
 * @property {InputSchema} input_parameter_schema
 * @typedef {ToolSummary & { run: (input: Record<string, unknown>) => unknown }} Tool
 */

/**
 * @param {Record<string, Property>} properties
 * @param {string[]} [required]
 * @returns {InputSchema}
 */
function schema(properties, required = []) {
	return { type: 'object', properties, required, additionalProperties: false };
}

const SIGNATURE = {
	type: 'object',
	description: 'Which object types to return and which fields of each, e.g. {"table": {"fields_required": ["name", "description"]}}.',
};

const TABLES = [
	{ id: 101, otype: 'table', name: 'sales_orders', title: 'Sales Orders', description: 'One row per order line, from the ERP.', url: '/table/101/' },
	{ id: 102, otype: 'table', name: 'customers', title: 'Customers', description: 'Customer master data, refreshed nightly.', url: '/table/102/' },
];

const DATA_PRODUCTS = [
	{ product_id: 'sales_analytics', name: 'Sales Analytics', description: 'Orders, revenue and customers for the sales team.' },
	{ product_id: 'finance_ledger', name: 'Finance Ledger', description: 'General ledger entries and cost centres.' },
	{ product_id: 'marketing_campaigns', name: 'Marketing Campaigns', description: 'Campaigns, spend and attribution.' },
	{ product_id: 'supply_chain', name: 'Supply Chain', description: 'Shipments, suppliers and stock levels.' },
];

/** @param {unknown} value @param {number} fallback */
function intOr(value, fallback) {
	return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

/** @type {readonly Tool[]} */
const CATALOGUE = Object.freeze([
	builtIn('7001a000-0000-4000-8000-000000000001', 'alation_context_tool', 'Alation Context',
		'Answers a natural-language question with context retrieved from the catalog (tables, columns, documentation).',
		schema({ question: { type: 'string', description: 'The question, in natural language.' }, signature: SIGNATURE }, ['question']),
		(input) => ({ question: input.question, relevant_catalog_objects: TABLES })),
	builtIn('7001a000-0000-4000-8000-000000000002', 'bulk_retrieval_tool', 'Bulk Retrieval',
		'Lists catalog objects of the types and fields named in a signature, with filters.',
		schema({ signature: SIGNATURE }, ['signature']),
		() => ({ table: TABLES })),
	builtIn('7001a000-0000-4000-8000-000000000003', 'get_context_by_id_tool', 'Get Context By ID',
		'Retrieves catalog objects by id or search phrases given in a signature.',
		schema({ signature: SIGNATURE }, ['signature']),
		() => ({ table: TABLES.slice(0, 1) })),
	builtIn('7001a000-0000-4000-8000-000000000004', 'analyze_catalog_question_tool', 'Analyze Catalog Question',
		'Analyzes a catalog question and returns workflow guidance: which tools to call, in which order.',
		schema({ question: { type: 'string', description: 'The question to analyze.' } }, ['question']),
		(input) => `## Workflow for: ${String(input.question)}\n1. Call get_signature_creation_instructions.\n2. Call bulk_retrieval with the signature.\n3. Summarize → terminé.`),
	builtIn('7001a000-0000-4000-8000-000000000005', 'list_data_products_tool', 'List Data Products',
		'Searches the data products of the marketplace by a free-text term.',
		schema({
			search_term: { type: 'string', description: 'Free text to search for.' },
			limit: { type: 'integer', description: 'Most results to return.', default: 5 },
			marketplace_id: { type: 'string', description: 'Marketplace to search in.' },
		}, ['search_term']),
		(input) => {
			const needle = String(input.search_term).toLowerCase();
			const found = DATA_PRODUCTS.filter((p) => needle === '' || `${p.product_id} ${p.name} ${p.description}`.toLowerCase().includes(needle));
			return { instructions: 'Use get_data_product_spec with a product_id for details.', results: found.slice(0, intOr(input.limit, 5)) };
		}),
	builtIn('7001a000-0000-4000-8000-000000000006', 'get_data_product_spec_tool', 'Get Data Product Spec',
		'Returns the specification of one data product: its schema, record sets and usage notes.',
		schema({ data_product_id: { type: 'string', description: 'The product_id of the data product.' } }, ['data_product_id']),
		(input) => {
			const product = DATA_PRODUCTS.find((p) => p.product_id === input.data_product_id);
			if (!product) return { error: { code: 30001, message: `Data product ${String(input.data_product_id)} not found` } };
			return { product: { productId: product.product_id, en: { name: product.name, description: product.description }, recordSets: { orders: { schema: [{ name: 'id', type: 'integer' }, { name: 'amount', type: 'decimal' }] } } } };
		}),
	builtIn('7001a000-0000-4000-8000-000000000007', 'get_data_sources_tool', 'Get Data Sources',
		'Lists the data sources catalogued in Alation.',
		schema({ limit: { type: 'integer', description: 'Most data sources to return.', default: 100 } }),
		(input) => ({ data_sources: [{ id: 1, title: 'Snowflake Prod', dbtype: 'snowflake' }, { id: 2, title: 'Postgres Ops', dbtype: 'postgresql' }].slice(0, intOr(input.limit, 100)) })),
	builtIn('7001a000-0000-4000-8000-000000000008', 'get_data_quality_tool', 'Get Data Quality',
		'Checks data quality for a list of tables or for one SQL query.',
		schema({
			table_ids: { type: 'array', description: 'Table ids to check.' },
			sql_query: { type: 'string', description: 'A SQL query whose tables to check.' },
			db_uri: { type: 'string', description: 'Database URI, with sql_query.' },
			ds_id: { type: 'integer', description: 'Data source id, with sql_query.' },
			bypassed_dq_sources: { type: 'array', description: 'Data quality sources to skip.' },
			default_schema_name: { type: 'string', description: 'Schema for unqualified table names.' },
			output_format: { type: 'string', description: 'JSON or YAML_MARKDOWN.' },
			dq_score_threshold: { type: 'integer', description: 'Scores below this are flagged.' },
		}),
		(input) => ({ overall_score: 87, tables: (Array.isArray(input.table_ids) ? input.table_ids : [101]).map((id) => ({ table_id: id, score: 87, issues: [] })) })),
	builtIn('7001a000-0000-4000-8000-000000000009', 'lineage_tool', 'Lineage',
		'Returns the upstream or downstream lineage of a catalog object.',
		schema({
			root_node: { type: 'object', description: 'The object to start from, e.g. {"id": 101, "otype": "table"}.' },
			direction: { type: 'string', enum: ['upstream', 'downstream'], description: 'Which way to follow the lineage.' },
			limit: { type: 'integer', default: 1000 },
			batch_size: { type: 'integer', default: 1000 },
			pagination: { type: 'object' },
			processing_mode: { type: 'string' },
			show_temporal_objects: { type: 'boolean' },
			design_time: { type: 'integer' },
			max_depth: { type: 'integer', default: 10 },
			excluded_schema_ids: { type: 'array' },
			allowed_otypes: { type: 'array' },
			time_from: { type: 'string' },
			time_to: { type: 'string' },
		}, ['root_node', 'direction']),
		(input) => ({ direction: input.direction, graph: [{ id: 102, otype: 'table', name: 'customers', neighbors: [{ id: 101, otype: 'table' }] }], pagination: null })),
	builtIn('7001a000-0000-4000-8000-00000000000a', 'generate_data_product_tool', 'Generate Data Product',
		'Returns instructions and the YAML schema for creating an Alation data product.',
		schema({}),
		() => '# Creating a data product\nWrite a YAML file with product.productId, product.en.name and recordSets.'),
	builtIn('7001a000-0000-4000-8000-00000000000b', 'get_custom_fields_definitions_tool', 'Get Custom Fields Definitions',
		'Lists the custom field definitions of the instance.',
		schema({}),
		() => [{ id: 3, name_singular: 'Steward', field_type: 'OBJECT_SET' }, { id: 8, name_singular: 'Data Classification', field_type: 'PICKER' }]),
	builtIn('7001a000-0000-4000-8000-00000000000c', 'get_signature_creation_instructions_tool', 'Get Signature Creation Instructions',
		'Explains how to build the signature parameter of the low-level catalog tools.',
		schema({}),
		() => 'A signature maps object types to the fields to return, e.g. {"table": {"fields_required": ["name"]}}.'),
	builtIn('7001a000-0000-4000-8000-00000000000d', 'get_data_dictionary_instructions_tool', 'Get Data Dictionary Instructions',
		'Explains how to write a data dictionary CSV file for upload.',
		schema({}),
		() => 'Columns: al_datadict_item_properties, al_datadict_item_name, title, description.'),
	Object.freeze({
		id: 'c0ffee00-3333-4aaa-8bbb-000000000003',
		name: 'Ticket Lookup',
		function_name: 'ticket_lookup',
		description: 'Custom HTTP tool: looks a support ticket up in the service desk.',
		tool_type: 'HTTP',
		is_default: false,
		default_ref: null,
		input_parameter_schema: schema({ ticket_id: { type: 'string', description: 'The ticket number, e.g. INC-1234.' } }, ['ticket_id']),
		run: (/** @type {Record<string, unknown>} */ input) => ({ ticket_id: input.ticket_id, status: 'open', assignee: 'data-platform' }),
	}),
]);

/**
 * @param {string} id
 * @param {string} ref
 * @param {string} name
 * @param {string} description
 * @param {InputSchema} inputSchema
 * @param {(input: Record<string, unknown>) => unknown} run
 * @returns {Tool}
 */
function builtIn(id, ref, name, description, inputSchema, run) {
	return Object.freeze({ id, name, function_name: ref, description, tool_type: 'default', is_default: true, default_ref: ref, input_parameter_schema: inputSchema, run });
}

/** @param {Tool} tool @returns {ToolSummary} */
function toSummary(tool) {
	const { run: _run, ...summary } = tool;
	return summary;
}

/** What GET /config/tool returns. @type {readonly ToolSummary[]} */
const TOOLS = Object.freeze(CATALOGUE.map(toSummary));

/** @param {string} ref */
function findToolByRef(ref) {
	return CATALOGUE.find((tool) => tool.is_default && tool.default_ref === ref) ?? null;
}

/** @param {string} id */
function findToolById(id) {
	const lower = id.toLowerCase();
	return CATALOGUE.find((tool) => tool.id === lower) ?? null;
}

/**
 * @param {{ limit: number, offset: number }} query
 * @returns {{ data: ToolSummary[], total: number }}
 */
function listTools({ limit, offset }) {
	return { data: TOOLS.slice(offset, offset + limit).map((t) => structuredClone(t)), total: TOOLS.length };
}

/** @param {unknown} value @param {string} type */
function hasType(value, type) {
	switch (type) {
		case 'string': return typeof value === 'string';
		case 'integer': return typeof value === 'number' && Number.isInteger(value);
		case 'number': return typeof value === 'number';
		case 'boolean': return typeof value === 'boolean';
		case 'array': return Array.isArray(value);
		case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
		default: return true;
	}
}

/**
 * FastAPI-style validation of a tool's input against its schema: the `detail` list of a 422, or
 * null when the input is fine.
 *
 * @param {Tool} tool
 * @param {Record<string, unknown>} input
 * @returns {{ type: string, loc: (string | number)[], msg: string }[] | null}
 */
function validateToolInput(tool, input) {
	const { properties, required } = tool.input_parameter_schema;
	/** @type {{ type: string, loc: (string | number)[], msg: string }[]} */
	const problems = [];
	for (const name of required) {
		if (input[name] === undefined || input[name] === null) problems.push({ type: 'missing', loc: ['body', name], msg: 'Field required' });
	}
	for (const [name, value] of Object.entries(input)) {
		const property = properties[name];
		if (!property) {
			problems.push({ type: 'extra_forbidden', loc: ['body', name], msg: 'Extra inputs are not permitted' });
			continue;
		}
		if (value === null || value === undefined) continue;
		if (!hasType(value, property.type)) problems.push({ type: `${property.type}_type`, loc: ['body', name], msg: `Input should be a valid ${property.type}` });
		else if (property.enum && !property.enum.includes(String(value))) problems.push({ type: 'enum', loc: ['body', name], msg: `Input should be ${property.enum.map((e) => `'${e}'`).join(' or ')}` });
	}
	return problems.length > 0 ? problems : null;
}

module.exports = { TOOLS, findToolByRef, findToolById, listTools, validateToolInput };
