// @ts-check
'use strict';

/**
 * The agent catalogue and what each agent "says". Everything here is
 * deterministic so tests can assert exact answers.
 *
 * @typedef {'none' | 'sql' | 'chart'} ToolBehaviour  sql/chart agents run sql_execution_tool first
 * @typedef {'text' | 'json'} AnswerFormat
 *
 * @typedef {import('./types').AgentSummary & { tools: ToolBehaviour, answerFormat: AnswerFormat }} Agent
 */

/** @param {Record<string, { type: string, description?: string }>} extra */
function schema(extra = {}) {
	return {
		type: 'object',
		properties: { message: { type: 'string', description: 'The question for the agent.' }, ...extra },
		required: ['message'],
	};
}

const DATA_PRODUCT = { data_product_id: { type: 'string', description: 'Data product to query.' } };

/** @type {readonly Agent[]} */
const CATALOGUE = Object.freeze([
	builtIn('b1a7e000-0000-4000-8000-000000000001', 'catalog_search_agent', 'Catalog Search Agent',
		'Searches the catalog for tables, columns, queries and articles.', 'none'),
	builtIn('b1a7e000-0000-4000-8000-000000000002', 'catalog_context_search_agent', 'Catalog Context Search Agent',
		'Answers questions with context retrieved from the catalog.', 'none'),
	builtIn('b1a7e000-0000-4000-8000-000000000003', 'sql_query_agent', 'SQL Query Agent',
		'Writes and runs SQL against a data product.', 'sql', DATA_PRODUCT),
	builtIn('b1a7e000-0000-4000-8000-000000000004', 'charting_agent', 'Charting Agent',
		'Runs SQL and draws a chart of the result.', 'chart'),
	builtIn('b1a7e000-0000-4000-8000-000000000005', 'deep_research_agent', 'Deep Research Agent',
		'Researches a question across the catalog in several steps.', 'none'),
	builtIn('b1a7e000-0000-4000-8000-000000000006', 'data_product_query_agent', 'Data Product Query Agent',
		'Answers questions by querying one data product.', 'sql',
		{ ...DATA_PRODUCT, auth_id: { type: 'string', description: 'Warehouse credential to use.' } }),
	custom('c0ffee00-1111-4aaa-8bbb-000000000001', 'Sales Helper',
		'Custom agent that answers questions about the sales data product.', 'text',
		{ region: { type: 'string', description: 'Sales region.' } }),
	custom('c0ffee00-2222-4aaa-8bbb-000000000002', 'JSON Agent',
		'Custom agent that replies with a JSON object {answer, turn}.', 'json'),
]);

/**
 * @param {string} id
 * @param {string} ref
 * @param {string} name
 * @param {string} description
 * @param {ToolBehaviour} tools
 * @param {Record<string, { type: string, description?: string }>} [inputs]
 * @returns {Agent}
 */
function builtIn(id, ref, name, description, tools, inputs) {
	return Object.freeze({
		id, name, description, is_default: true, default_ref: ref,
		input_json_schema: schema(inputs), tools, answerFormat: /** @type {AnswerFormat} */ ('text'),
	});
}

/**
 * @param {string} id
 * @param {string} name
 * @param {string} description
 * @param {AnswerFormat} answerFormat
 * @param {Record<string, { type: string, description?: string }>} [inputs]
 * @returns {Agent}
 */
function custom(id, name, description, answerFormat, inputs) {
	return Object.freeze({
		id, name, description, is_default: false, default_ref: null,
		input_json_schema: schema(inputs), tools: /** @type {ToolBehaviour} */ ('none'), answerFormat,
	});
}

/** The public fields only: what GET /config/agent returns. @type {readonly import('./types').AgentSummary[]} */
const AGENTS = Object.freeze(CATALOGUE.map(toSummary));

/** @param {Agent} agent @returns {import('./types').AgentSummary} */
function toSummary(agent) {
	const { id, name, description, is_default, default_ref, input_json_schema } = agent;
	return { id, name, description, is_default, default_ref, input_json_schema };
}

/** @param {string} ref built-in reference such as 'sql_query_agent' */
function findByRef(ref) {
	return CATALOGUE.find((agent) => agent.is_default && agent.default_ref === ref) ?? null;
}

/** @param {string} id catalogue UUID (built-in or custom) */
function findById(id) {
	const lower = id.toLowerCase();
	return CATALOGUE.find((agent) => agent.id === lower) ?? null;
}

/**
 * Filters (case-insensitive substring of name or description) and pages the catalogue.
 *
 * @param {{ search: string | null, limit: number, offset: number }} query
 * @returns {{ data: import('./types').AgentSummary[], total: number }}
 */
function listAgents({ search, limit, offset }) {
	const needle = (search ?? '').trim().toLowerCase();
	const matching = needle
		? AGENTS.filter((a) => a.name.toLowerCase().includes(needle) || a.description.toLowerCase().includes(needle))
		: AGENTS;
	return { data: matching.slice(offset, offset + limit).map((a) => structuredClone(a)), total: matching.length };
}

/**
 * The answer of every agent. The arrow and the accented letter are there on
 * purpose: they are multi-byte in UTF-8, so clients' decoding is exercised.
 *
 * @param {string} message
 * @param {string} agentName
 * @param {number} turn 1-based turn in the chat
 * @param {string} [askedBy] the signed-in user's display name (user OAuth tokens only)
 */
function answerText(message, agentName, turn, askedBy) {
	const forWhom = askedBy ? ` for ${askedBy}` : '';
	return `Answer to "${message}" from ${agentName} (turn ${turn})${forWhom} → terminé`;
}

/**
 * The final text an agent sends: plain for most, a JSON string for JSON agents.
 *
 * @param {Agent} agent
 * @param {string} message
 * @param {number} turn
 * @param {string} [askedBy]
 */
function finalAnswer(agent, message, turn, askedBy) {
	const text = answerText(message, agent.name, turn, askedBy);
	return agent.answerFormat === 'json' ? JSON.stringify({ answer: text, turn }) : text;
}

/**
 * Splits the answer into about `count` pieces at word boundaries (spaces stay
 * with the preceding word), so a stream has several events. Splitting by words
 * also never cuts a character in half.
 *
 * @param {string} text
 * @param {number} [count]
 * @returns {string[]}
 */
function splitIntoPieces(text, count = 4) {
	const words = text.match(/\S+\s*|\s+/g) ?? [text];
	const size = Math.ceil(words.length / count);
	/** @type {string[]} */
	const pieces = [];
	for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
	return pieces.length > 0 ? pieces : [''];
}

/** The tool result the SQL-running agents "receive". */
const SQL_RESULT = JSON.stringify({ columns: ['id', 'name'], rows: [[1, 'alpha'], [2, 'beta']], row_count: 2 });

/** @param {string} message */
function asksForApproval(message) {
	return /\bapprove\b/i.test(message);
}

module.exports = { AGENTS, findByRef, findById, listAgents, answerText, finalAnswer, splitIntoPieces, SQL_RESULT, asksForApproval };
