// @ts-check
'use strict';

/**
 * An OpenAI-compatible chat model on 127.0.0.1 that behaves the same every time: a test double of a
 * protocol we do not own (like the Alation simulator), so n8n's AI Agent can run example 04 with no
 * account and no network. n8n's "OpenAI Chat Model" node (1.2, Chat Completions API) reaches it
 * through an `openAiApi` credential whose Base URL is `<url>/v1`.
 *
 * What it does with a conversation (the last user message decides):
 *   1. no tool result since that message → it calls the tool the message names ("List data products:
 *      sales" calls List_data_products with "sales"), else the first tool it was given, writing the
 *      user's text into the tool's text parameter and the placeholder "null" into a chat-id parameter (as
 *      real models do when n8n makes every `$fromAI` parameter required);
 *   2. one tool result, and the user asked for a "follow-up" → it calls the tool again with the
 *      chatId the first result gave;
 *   3. otherwise → it answers in text, quoting the tool's answer (or its error).
 * Streaming (`stream: true`, what the AI Agent uses when the chat streams) and plain answers, tool
 * calls in both. Every request is kept in `requests` for the tests.
 */

const http = require('node:http');

const MODEL = 'gpt-4.1-mini';
const FOLLOW_UP = 'And which of them changed this week?';

/** @typedef {{ role: string, content?: unknown, tool_calls?: Array<{ id: string, function: { name: string, arguments: string } }>, tool_call_id?: string }} Message */
/** @typedef {{ type: string, function: { name: string, description?: string, parameters?: { properties?: Record<string, { type?: string, description?: string }> } } }} Tool */
/** @typedef {{ stream: boolean, messages: Message[], tools: Tool[] }} ModelRequest */

/** @param {unknown} content */
function textOf(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((part) => (typeof part === 'string' ? part : (part?.text ?? ''))).join('');
	return '';
}

/**
 * The first value of `key` anywhere in a tool result (n8n wraps tool outputs in arrays or objects,
 * depending on its version).
 *
 * @param {unknown} value
 * @param {string} key
 * @returns {unknown}
 */
function find(value, key) {
	if (typeof value === 'string') {
		try {
			return find(JSON.parse(value), key);
		} catch {
			return undefined;
		}
	}
	if (Array.isArray(value)) {
		for (const entry of value) {
			const found = find(entry, key);
			if (found !== undefined) return found;
		}
		return undefined;
	}
	if (value && typeof value === 'object') {
		const record = /** @type {Record<string, unknown>} */ (value);
		if (key in record) return record[key];
		for (const entry of Object.values(record)) {
			const found = find(entry, key);
			if (found !== undefined) return found;
		}
	}
	return undefined;
}

/**
 * The tool's arguments: the text parameter gets `text`, a chat-id parameter `chatId`, others "".
 *
 * @param {Tool} tool
 * @param {string} text
 * @param {string} chatId
 */
function argumentsFor(tool, text, chatId) {
	const properties = tool.function.parameters?.properties ?? {};
	/** @type {Record<string, string>} */
	const args = {};
	for (const name of Object.keys(properties)) args[name] = /chat/i.test(name) ? chatId : /message|question|input|query|search|term/i.test(name) ? text : '';
	if (Object.keys(args).length === 0) args.input = text;
	return args;
}

/**
 * What the model does next: a tool call or a text answer.
 *
 * @param {ModelRequest} request
 * @returns {{ toolCall?: { name: string, arguments: string }, text?: string }}
 */
function decide(request) {
	const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
	const question = textOf(request.messages[lastUser]?.content);
	const results = request.messages.slice(lastUser + 1).filter((m) => m.role === 'tool');
	const words = (/** @type {string} */ text) => text.toLowerCase().replace(/[_\s]+/g, ' ').trim();
	const named = request.tools.find((t) => words(question).startsWith(words(t.function.name)));
	const tool = named ?? request.tools[0];
	// "List data products: sales" → the text after the tool's name.
	const text = named ? question.slice(named.function.name.length).replace(/^[\s:,-]+/, '') : question;
	if (tool && results.length === 0) {
		return { toolCall: { name: tool.function.name, arguments: JSON.stringify(argumentsFor(tool, text, 'null')) } };
	}
	const first = results[0]?.content;
	const chatId = find(first, 'chatId');
	if (tool && results.length === 1 && /follow-up/i.test(question) && typeof chatId === 'string') {
		return { toolCall: { name: tool.function.name, arguments: JSON.stringify(argumentsFor(tool, FOLLOW_UP, chatId)) } };
	}
	if (results.length === 0) return { text: `You said: ${question}` };
	const parts = results.map((result) => {
		const error = find(result.content, 'error');
		return typeof error === 'string' ? `the Alation tool failed (${error})` : String(find(result.content, 'answer') ?? textOf(result.content));
	});
	return { text: `According to the Alation catalog: ${parts.join(' Then: ')}` };
}

let sequence = 0;

/**
 * @param {http.ServerResponse} res
 * @param {ModelRequest} request
 */
function answer(res, request) {
	const id = `chatcmpl-fake-${++sequence}`;
	const created = Math.floor(Date.now() / 1000);
	const next = decide(request);
	const toolCalls = next.toolCall ? [{ id: `call_${sequence}`, type: 'function', function: next.toolCall }] : undefined;
	const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
	if (!request.stream) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify({
				id,
				object: 'chat.completion',
				created,
				model: MODEL,
				choices: [{ index: 0, message: { role: 'assistant', content: next.text ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: toolCalls ? 'tool_calls' : 'stop' }],
				usage,
			}),
		);
		return;
	}
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	/** @param {Record<string, unknown>} delta @param {string | null} finish */
	const chunk = (delta, finish = null) =>
		res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
	if (toolCalls) {
		const [call] = toolCalls;
		chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
		chunk({ tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] });
		chunk({}, 'tool_calls');
	} else {
		chunk({ role: 'assistant', content: '' });
		// A few words at a time, as a model streams.
		const words = String(next.text).split(/(?<= )/);
		for (let i = 0; i < words.length; i += 4) chunk({ content: words.slice(i, i + 4).join('') });
		chunk({}, 'stop');
	}
	res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: MODEL, choices: [], usage })}\n\n`);
	res.end('data: [DONE]\n\n');
}

/**
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ url: string, requests: ModelRequest[], close: () => Promise<void> }>}
 */
async function startFakeModel(options = {}) {
	/** @type {ModelRequest[]} */
	const requests = [];
	const server = http.createServer((req, res) => {
		const chunks = /** @type {Buffer[]} */ ([]);
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const path = (req.url ?? '').split('?')[0];
			if (req.method === 'GET' && path.endsWith('/models')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'fake' }] }));
				return;
			}
			if (req.method === 'POST' && path.endsWith('/chat/completions')) {
				let body;
				try {
					body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
				} catch {
					res.writeHead(400, { 'content-type': 'application/json' });
					res.end('{"error":{"message":"body is not JSON"}}');
					return;
				}
				const request = { stream: body.stream === true, messages: Array.isArray(body.messages) ? body.messages : [], tools: Array.isArray(body.tools) ? body.tools : [] };
				requests.push(request);
				answer(res, request);
				return;
			}
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: { message: `the fake model does not serve ${req.method} ${path}` } }));
		});
	});
	await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

/**
 * The `openAiApi` credential that points n8n's OpenAI Chat Model at the fake model.
 *
 * @param {string} url  the fake model's address
 */
function fakeModelCredential(url) {
	return { id: 'fakeChatModel', name: 'OpenAI (loopback fake model)', type: 'openAiApi', data: { apiKey: 'fake-model-key', url: `${url}/v1` } };
}

/**
 * Example 04 ships without a chat model credential (users pick their own); this gives its OpenAI
 * Chat Model the fake model's credential (`fakeModelCredential`). Changes the workflow in place.
 *
 * @template {{ nodes: Array<Record<string, any>> }} W
 * @param {W} workflow
 * @returns {W}
 */
function withFakeModel(workflow) {
	const { id, name } = fakeModelCredential('');
	for (const n of workflow.nodes) {
		if (n.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') n.credentials = { openAiApi: { id, name } };
	}
	return workflow;
}

/** @typedef {ReturnType<typeof import('./examples').examplesForSimulator>} ExampleSet */

/**
 * The examples as `examplesForSimulator` gives them, with the fake model's credential added and
 * their OpenAI Chat Model pointed at it (what `npm run dev` and the browser suite import).
 *
 * @param {ExampleSet} set
 * @param {string} url  the fake model's address
 * @returns {{ examples: ExampleSet['examples'], credentials: Array<{ id: string, name: string, type: string, data: Record<string, unknown> }>, workflows: ExampleSet['workflows'] }}
 */
function examplesOnFakeModel(set, url) {
	return { examples: set.examples, credentials: [...set.credentials, fakeModelCredential(url)], workflows: set.workflows.map(withFakeModel) };
}

module.exports = { FOLLOW_UP, MODEL, decide, examplesOnFakeModel, fakeModelCredential, startFakeModel, withFakeModel };
