// @ts-check
'use strict';

const crypto = require('node:crypto');
const { requireOAuthBearer } = require('../auth');
const { isPlainObject, isUuid, parseJson, sendJson } = require('../http');
const { EventStream } = require('../sse');
const tools = require('../tools');
const { asker, chatFromQuery, clampInt, signedInUser, validationError } = require('./agent-studio');

/**
 * Agent Studio tools (/ai/api/v1/config/tool, /ai/api/v1/chats/tool/…/stream) and a chat's
 * messages (/ai/api/v1/chats/{id}/messages). OAuth bearer only, like the rest of Agent Studio.
 */

/**
 * GET /ai/api/v1/config/tool?limit=&offset= — `{ data, total }` like the agent list.
 *
 * @type {import('../context').RouteHandler}
 */
function toolList(ctx) {
	if (!requireOAuthBearer(ctx)) return;
	const query = ctx.url.searchParams;
	sendJson(ctx.res, 200, tools.listTools({
		limit: clampInt(query.get('limit'), 20, 1, 100),
		offset: clampInt(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER),
	}));
}

/**
 * POST /ai/api/v1/chats/tool/default/{ref}/stream and /ai/api/v1/chats/tool/{uuid}/stream,
 * optional ?chat_id=. The body is the tool's input. The stream is an agent stream with one
 * `tool-call` message and one `tool-return` message whose `content` is the result (a JSON string
 * for JSON results), as Alation's CLI reads it (alation-plugins cli/clients/query.py).
 *
 * @type {import('../context').RouteHandler}
 */
async function toolStream(ctx) {
	const { res, sim, params } = ctx;
	const caller = requireOAuthBearer(ctx);
	if (!caller) return;

	const tool = params.ref !== undefined ? tools.findToolByRef(params.ref) : tools.findToolById(params.toolId ?? '');
	if (!tool) {
		sendJson(res, 404, { detail: 'Tool not found' });
		return;
	}

	let chat = chatFromQuery(ctx);
	if (chat === undefined) return;

	/** @type {unknown} */
	let input = {};
	if (ctx.body.trim() !== '') {
		const parsed = parseJson(ctx.body);
		if (!parsed.ok) {
			sendJson(res, 400, { detail: 'Request body is not valid JSON.' });
			return;
		}
		input = parsed.value;
	}
	if (!isPlainObject(input)) {
		validationError(res, 'model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from');
		return;
	}
	const problems = tools.validateToolInput(tool, input);
	if (problems) {
		sendJson(res, 422, { detail: problems });
		return;
	}
	// The SDK's data quality tool needs tables or a query; the API says so with a 400.
	if (tool.default_ref === 'get_data_quality_tool' && input.table_ids === undefined && input.sql_query === undefined) {
		sendJson(res, 400, { detail: 'Either table_ids or sql_query is required.' });
		return;
	}
	if (chat?.busy) {
		sendJson(res, 409, { detail: 'Chat is busy.' });
		return;
	}
	// A built-in fault for client error paths, like the agents' '__error_500__' message.
	if (Object.values(input).includes('__error_500__')) {
		sendJson(res, 500, { detail: 'Internal error' });
		return;
	}

	chat ??= sim.chats.create(tool.id);
	chat.busy = true;
	try {
		await runTool(ctx, tool, chat, input, signedInUser(caller));
	} finally {
		chat.busy = false;
	}
}

/**
 * @param {import('../context').RouteContext} ctx
 * @param {import('../tools').Tool} tool
 * @param {import('../chats').Chat} chat
 * @param {Record<string, unknown>} input
 * @param {import('../types').DemoUser | null} user  who signed in (user OAuth tokens), else null
 */
async function runTool(ctx, tool, chat, input, user) {
	const { sim } = ctx;
	const stream = new EventStream(ctx.res, { pingIntervalMs: sim.options.pingIntervalMs });
	const callId = `call_${crypto.randomBytes(8).toString('hex')}`;
	const result = tool.run(input);
	const content = typeof result === 'string' ? result : JSON.stringify(result);
	const messages = [
		{ kind: /** @type {const} */ ('response'), parts: [{ part_kind: 'tool-call', tool_name: tool.function_name, args: input, tool_call_id: callId }] },
		{ kind: /** @type {const} */ ('request'), parts: [{ part_kind: 'tool-return', tool_name: tool.function_name, tool_call_id: callId, content, metadata: [] }] },
	];
	let first = true;
	for (const { kind, parts } of messages) {
		if (!first) await stream.pause(sim.options.chunkDelayMs);
		first = false;
		if (stream.closed) return;
		const id = crypto.randomUUID();
		chat.messageCount += 1;
		sim.chats.record(chat, id, kind, parts);
		stream.send({ id, chat_id: chat.id, tool_id: tool.id, ...asker(user), input_payload: input, model_message: { kind, parts } });
	}
	await stream.pause(sim.options.chunkDelayMs);
	stream.done();
}

/**
 * GET /ai/api/v1/chats/{chat_id}/messages?limit=&offset= — `{ data, total }`, oldest first.
 * Alation's CLI pages it with limit (default 100) and offset (alation-plugins cli/clients/chat.py);
 * `total` is assumed, as on the config lists.
 *
 * @type {import('../context').RouteHandler}
 */
function chatMessages(ctx) {
	if (!requireOAuthBearer(ctx)) return;
	const chatId = ctx.params.chatId ?? '';
	if (!isUuid(chatId)) {
		validationError(ctx.res, 'uuid_parsing', ['path', 'chat_id'], 'Input should be a valid UUID');
		return;
	}
	const chat = ctx.sim.chats.get(chatId);
	if (!chat) {
		sendJson(ctx.res, 404, { detail: 'Chat not found' });
		return;
	}
	const query = ctx.url.searchParams;
	const limit = clampInt(query.get('limit'), 100, 1, 100);
	const offset = clampInt(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
	sendJson(ctx.res, 200, { data: structuredClone(chat.messages.slice(offset, offset + limit)), total: chat.messages.length });
}

module.exports = { toolList, toolStream, chatMessages };
