/**
 * A simulator in a worker thread (as simWorker.ts) whose chat CHAT_ID has `count` messages: GET
 * /ai/api/v1/chats/CHAT_ID/messages?limit=&offset= answers `{ data, total }` with pages of at most
 * 100 (the simulator's own cap), each message made when asked (the simulator itself keeps at most
 * 1,000 per chat, and a 10,000-message history is not held here either). Alternate user and
 * assistant messages in Alation's shape; every tenth assistant message also calls a tool.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parentPort } from 'node:worker_threads';

import { startSimulator } from '../../test/simulator';
import type { Simulator } from '../../test/simulator';
import { answerOf } from './streams';

export const CHAT_ID = '5d0c3a4e-8b1f-4c2a-9e6d-7f1a2b3c4d5e';
export const MESSAGES_PATH = `/ai/api/v1/chats/${CHAT_ID}/messages`;

export type MessagesCommand = { cmd: 'start'; count: number; textChars: number } | { cmd: 'stats' } | { cmd: 'close' };

let sim: Simulator | undefined;
let stats = { requests: 0, bytes: 0 };

function message(i: number, text: string): Record<string, unknown> {
	const created_at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
	const id = `m-${String(i).padStart(6, '0')}`;
	if (i % 2 === 0) {
		return { id, chat_id: CHAT_ID, created_at, model_message: { kind: 'request', parts: [{ part_kind: 'user-prompt', content: `Question ${i}: ${text.slice(0, 120)}` }] } };
	}
	const parts: Record<string, unknown>[] = [{ part_kind: 'text', content: `${i}: ${text}` }];
	if (i % 20 === 1) parts.push({ part_kind: 'tool-call', tool_name: 'sql_execution_tool', tool_call_id: `call_${i}`, args: '{"sql": "SELECT region, SUM(revenue) FROM sales GROUP BY region"}' });
	return { id, chat_id: CHAT_ID, created_at, model_message: { kind: 'response', parts } };
}

async function handle(command: MessagesCommand): Promise<unknown> {
	switch (command.cmd) {
		case 'start': {
			sim = await startSimulator({ quiet: true });
			const text = answerOf(command.textChars);
			const { count } = command;
			sim.intercept(
				'GET',
				MESSAGES_PATH,
				(req: IncomingMessage, res: ServerResponse) => {
					const url = new URL(req.url ?? '/', 'http://localhost');
					const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit')) || 100));
					const offset = Math.max(0, Number(url.searchParams.get('offset')) || 0);
					const data: Record<string, unknown>[] = [];
					for (let i = offset; i < Math.min(count, offset + limit); i++) data.push(message(i, text));
					const body = JSON.stringify({ data, total: count });
					stats.requests += 1;
					stats.bytes += Buffer.byteLength(body);
					res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
					res.end(body);
				},
				{ times: Infinity },
			);
			return { url: sim.url };
		}
		case 'stats': {
			const taken = stats;
			stats = { requests: 0, bytes: 0 };
			return taken;
		}
		case 'close':
			await sim?.close();
			sim = undefined;
			return null;
	}
}

parentPort?.on('message', (message: { id: number; command: MessagesCommand }) => {
	handle(message.command).then(
		(result) => parentPort?.postMessage({ id: message.id, result }),
		(error: unknown) => parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
	);
});
