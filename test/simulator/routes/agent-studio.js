// @ts-check
'use strict';

const crypto = require('node:crypto');
const agents = require('../agents');
const { requireOAuthBearer } = require('../auth');
const { CHART_ASSET_PNG, SQL_ASSET_CSV } = require('../chats');
const { isPlainObject, isUuid, parseJson, sendJson } = require('../http');
const { EventStream } = require('../sse');
const { findUser } = require('./user-oauth');

/**
 * Agent Studio (/ai/api/v1): the agent list, agent streams and chat assets.
 * All of it takes only an OAuth bearer token.
 */

/**
 * @param {string | null} raw
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function clampInt(raw, fallback, min, max) {
	const value = raw === null || raw.trim() === '' ? NaN : Number(raw);
	if (!Number.isFinite(value)) return fallback;
	return Math.min(max, Math.max(min, Math.trunc(value)));
}

/**
 * GET /ai/api/v1/config/agent?limit=&offset=&search=
 *
 * @type {import('../context').RouteHandler}
 */
function agentList(ctx) {
	if (!requireOAuthBearer(ctx)) return;
	const query = ctx.url.searchParams;
	sendJson(ctx.res, 200, agents.listAgents({
		search: query.get('search'),
		limit: clampInt(query.get('limit'), 20, 1, 100),
		offset: clampInt(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER),
	}));
}

/**
 * A FastAPI-style validation error (422).
 *
 * @param {import('node:http').ServerResponse} res
 * @param {string} type
 * @param {(string | number)[]} loc
 * @param {string} msg
 */
function validationError(res, type, loc, msg) {
	sendJson(res, 422, { detail: [{ type, loc, msg }] });
}

/**
 * Validates the stream request body; answers the error itself and returns null
 * when it is not usable.
 *
 * @param {import('../context').RouteContext} ctx
 * @returns {{ payload: Record<string, unknown>, message: string } | null}
 */
function readAgentInput(ctx) {
	const { res } = ctx;
	/** @type {unknown} */
	let payload = {};
	if (ctx.body.trim() !== '') {
		const parsed = parseJson(ctx.body);
		if (!parsed.ok) {
			sendJson(res, 400, { detail: 'Request body is not valid JSON.' });
			return null;
		}
		payload = parsed.value;
	}
	if (!isPlainObject(payload)) {
		validationError(res, 'model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from');
		return null;
	}
	const { message } = payload;
	if (message === undefined || message === null) {
		validationError(res, 'missing', ['body', 'message'], 'Field required');
		return null;
	}
	if (typeof message !== 'string') {
		validationError(res, 'string_type', ['body', 'message'], 'Input should be a valid string');
		return null;
	}
	if (message.trim() === '') {
		validationError(res, 'string_too_short', ['body', 'message'], 'String should have at least 1 character');
		return null;
	}
	return { payload, message };
}

/**
 * The chat a stream request names with `?chat_id=`: null when it names none; undefined when the
 * request was already answered (422 for a chat id that is not a UUID, 404 for an unknown chat).
 *
 * @param {import('../context').RouteContext} ctx
 * @returns {import('../chats').Chat | null | undefined}
 */
function chatFromQuery(ctx) {
	const { res, sim } = ctx;
	const chatIdParam = ctx.url.searchParams.get('chat_id');
	if (!chatIdParam) return null;
	if (!isUuid(chatIdParam)) {
		validationError(res, 'uuid_parsing', ['query', 'chat_id'], 'Input should be a valid UUID');
		return undefined;
	}
	const chat = sim.chats.get(chatIdParam);
	if (!chat) {
		sendJson(res, 404, { detail: 'Chat not found' });
		return undefined;
	}
	return chat;
}

/**
 * POST /ai/api/v1/chats/agent/default/{ref}/stream and
 * POST /ai/api/v1/chats/agent/{uuid}/stream, optional ?chat_id=.
 *
 * @type {import('../context').RouteHandler}
 */
async function agentStream(ctx) {
	const { res, sim, params } = ctx;
	const caller = requireOAuthBearer(ctx);
	if (!caller) return;

	const agent = params.ref !== undefined ? agents.findByRef(params.ref) : agents.findById(params.agentId ?? '');
	if (!agent) {
		sendJson(res, 404, { detail: 'Agent not found' });
		return;
	}

	let chat = chatFromQuery(ctx);
	if (chat === undefined) return;

	const input = readAgentInput(ctx);
	if (!input) return;
	if (chat?.busy) {
		sendJson(res, 409, { detail: 'Chat is busy.' });
		return;
	}
	// A built-in fault for client error paths; more come from sim.intercept().
	if (input.message === '__error_500__') {
		sendJson(res, 500, { detail: 'Internal error' });
		return;
	}

	chat ??= sim.chats.create(agent.id);
	chat.busy = true;
	try {
		await runAgent(ctx, agent, chat, input, signedInUser(caller));
	} finally {
		chat.busy = false;
	}
}

/**
 * Streams one agent run: the echoed input, the tool call and its result for
 * SQL agents, then the answer in several events.
 *
 * @param {import('../context').RouteContext} ctx
 * @param {import('../agents').Agent} agent
 * @param {import('../chats').Chat} chat
 * @param {{ payload: Record<string, unknown>, message: string }} input
 * @param {import('../types').DemoUser | null} user  who signed in (user OAuth tokens), else null
 */
async function runAgent(ctx, agent, chat, input, user) {
	const { sim } = ctx;
	const style = sim.options.streamStyle;
	const stream = new EventStream(ctx.res, { pingIntervalMs: sim.options.pingIntervalMs });
	const approvals = isPlainObject(input.payload.tool_approvals) ? input.payload.tool_approvals : null;
	// Approving a pending tool call finishes the turn that asked for it.
	const continuing = approvals !== null && chat.pendingToolCall !== null;
	if (!continuing) chat.turns += 1;
	const turn = chat.turns;

	/** @type {boolean} */
	let first = true;
	/**
	 * @param {string} id
	 * @param {Record<string, unknown>} event
	 * @returns {Promise<boolean>} false once the client is gone
	 */
	const emit = async (id, event) => {
		if (!first) await stream.pause(sim.options.chunkDelayMs);
		first = false;
		if (stream.closed) return false;
		stream.send({ id, chat_id: chat.id, agent_id: agent.id, ...asker(user), ...event });
		return true;
	};
	/** @param {'request' | 'response'} kind @param {Record<string, unknown>[]} parts */
	const message = (kind, parts) => ({ model_message: { kind, parts } });

	chat.messageCount += 1;
	const echo = { input_payload: input.payload, ...message('request', [{ part_kind: 'user-prompt', content: input.message }]) };
	const echoId = crypto.randomUUID();
	sim.chats.record(chat, echoId, 'request', echo.model_message.parts);
	if (!(await emit(echoId, echo))) return;

	if (agent.tools !== 'none') {
		const call = chat.pendingToolCall ?? { id: `call_${crypto.randomBytes(8).toString('hex')}`, name: 'sql_execution_tool' };
		const needsApproval = approvals === null && agents.asksForApproval(input.message);
		const toolCall = { part_kind: 'tool-call', tool_name: call.name, args: { sql: 'SELECT 1' }, tool_call_id: call.id };
		chat.messageCount += 1;
		if (needsApproval) {
			chat.pendingToolCall = call;
			if (!(await emit(crypto.randomUUID(), message('response', [{ ...toolCall, pending_approval: true }])))) return;
			await stream.pause(sim.options.chunkDelayMs);
			stream.done();
			return;
		}
		chat.pendingToolCall = null;
		const callId = crypto.randomUUID();
		sim.chats.record(chat, callId, 'response', [toolCall]);
		if (!(await emit(callId, message('response', [toolCall])))) return;

		const metadata = [{ kind: 'sql', id: sim.assets.create('sql', chat.id) }];
		if (agent.tools === 'chart') metadata.push({ kind: 'chart', id: sim.assets.create('chart', chat.id) });
		const toolReturn = { part_kind: 'tool-return', tool_name: call.name, tool_call_id: call.id, content: agents.SQL_RESULT, metadata };
		chat.messageCount += 1;
		const returnId = crypto.randomUUID();
		sim.chats.record(chat, returnId, 'request', [toolReturn]);
		if (!(await emit(returnId, message('request', [toolReturn])))) return;
	}

	const answerId = crypto.randomUUID();
	const finalText = agents.finalAnswer(agent, input.message, turn, user?.displayName);
	const pieces = agents.splitIntoPieces(finalText);
	chat.messageCount += 1;
	// Recorded whole at once: a client reading the history mid-stream sees the answer as it will end.
	sim.chats.record(chat, answerId, 'response', [{ part_kind: 'text', content: finalText }]);
	let soFar = '';
	for (const piece of pieces) {
		soFar += piece;
		const content = style === 'delta' ? piece : soFar;
		if (!(await emit(answerId, message('response', [{ part_kind: 'text', content }])))) return;
	}
	await stream.pause(sim.options.chunkDelayMs);
	stream.done();
}

/**
 * The demo user a user OAuth token acts for; null for an OAuth client's token.
 *
 * @param {import('../tokens').TokenEntry} caller
 * @returns {import('../types').DemoUser | null}
 */
function signedInUser(caller) {
	return caller.kind === 'user' ? findUser(Number(caller.owner)) : null;
}

/**
 * The event fields that say who asked: `{ user: { id, username, display_name } }` for a user OAuth
 * token, nothing for an OAuth client's (so existing answers stay as they were).
 *
 * @param {import('../types').DemoUser | null} user
 */
function asker(user) {
	return user ? { user: { id: user.id, username: user.username, display_name: user.displayName } } : {};
}

/**
 * GET /ai/api/v1/assets/{id}?chat_id= — the CSV of a SQL result or the PNG of a chart.
 *
 * @type {import('../context').RouteHandler}
 */
function asset(ctx) {
	if (!requireOAuthBearer(ctx)) return;
	const found = ctx.sim.assets.get(ctx.params.assetId ?? '');
	const chatId = ctx.url.searchParams.get('chat_id');
	if (!found || (chatId && chatId.toLowerCase() !== found.chatId)) {
		sendJson(ctx.res, 404, { detail: 'Asset not found' });
		return;
	}
	const body = found.kind === 'sql' ? Buffer.from(SQL_ASSET_CSV, 'utf8') : CHART_ASSET_PNG;
	ctx.res.writeHead(200, {
		'content-type': found.kind === 'sql' ? 'text/csv; charset=utf-8' : 'image/png',
		'content-length': String(body.length),
	});
	ctx.res.end(body);
}

module.exports = { agentList, agentStream, asset, asker, chatFromQuery, clampInt, signedInUser, validationError };
