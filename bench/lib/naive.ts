/**
 * Honest, tiny reference clients for what users write today, to count their requests:
 *
 * - `recipeItem`: Alation's n8n recipe (docs: get-started/recipes/n8n-workflow) — per item, request a
 *   token (POST /oauth/v2/token/), then POST the agent stream with it, read the lines, `JSON.parse`
 *   each `data:` line, keep the last answer. No cache, no retry.
 * - `SdkClient`: Alation's Python SDK (api.py `_with_valid_auth`) — one client object; before every
 *   call, if it holds a token, POST /oauth/v2/introspect/; if the token is inactive (or there is
 *   none), mint a new one. No expiry bookkeeping, no retry on 401, no single-flight.
 *
 * Both use Node's global `fetch`, as a Code node would.
 */
import { DEMO } from '../../test/simulator';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const AGENT_PATH = '/ai/api/v1/chats/agent/default/catalog_search_agent/stream';

export interface NaiveResult {
	ok: boolean;
	status: number;
	answer?: string;
}

async function mintToken(baseUrl: string): Promise<string> {
	const response = await fetch(`${baseUrl}/oauth/v2/token/`, {
		method: 'POST',
		headers: FORM,
		body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	const json = (await response.json()) as { access_token?: string };
	if (!response.ok || typeof json.access_token !== 'string') throw new Error(`token request failed: ${response.status}`);
	return json.access_token;
}

/** The recipe's stream handling: split lines, skip pings, parse `data:` JSON, keep the last text. */
async function askAgent(baseUrl: string, token: string, message: string): Promise<NaiveResult> {
	const response = await fetch(`${baseUrl}${AGENT_PATH}`, {
		method: 'POST',
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
		body: JSON.stringify({ message }),
	});
	const text = await response.text();
	if (!response.ok) return { ok: false, status: response.status };
	let answer: string | undefined;
	for (const line of text.split('\n')) {
		if (!line.trim() || line.startsWith(': ping') || !line.startsWith('data: ')) continue;
		const data = line.slice(6);
		if (data === '[DONE]') break;
		try {
			const event = JSON.parse(data) as { model_message?: { kind?: string; parts?: Array<{ part_kind?: string; content?: unknown }> } };
			const part = event.model_message?.parts?.[0];
			if (event.model_message?.kind === 'response' && part?.part_kind === 'text' && typeof part.content === 'string') answer = part.content;
		} catch {
			// the recipe skips what does not parse
		}
	}
	return { ok: true, status: response.status, answer };
}

export async function recipeItem(baseUrl: string, message: string): Promise<NaiveResult> {
	const token = await mintToken(baseUrl);
	return await askAgent(baseUrl, token, message);
}

export class SdkClient {
	private token: string | undefined;

	constructor(private readonly baseUrl: string) {}

	private async isValidOnServer(): Promise<boolean> {
		const response = await fetch(`${this.baseUrl}/oauth/v2/introspect/?verify_token=true`, {
			method: 'POST',
			headers: FORM,
			body: new URLSearchParams({
				token: this.token ?? '',
				token_type_hint: 'access_token',
				client_id: DEMO.clientId,
				client_secret: DEMO.clientSecret,
			}),
		});
		const json = (await response.json()) as { active?: boolean };
		return json.active === true;
	}

	private async withValidAuth(): Promise<void> {
		try {
			if (this.token && (await this.isValidOnServer())) return;
		} catch {
			// the SDK mints on any introspection error
		}
		this.token = await mintToken(this.baseUrl);
	}

	async chat(message: string): Promise<NaiveResult> {
		await this.withValidAuth();
		return await askAgent(this.baseUrl, this.token!, message);
	}
}

/** Runs `count` items with `run`, all at once or one after another; never throws. */
export async function runItems(count: number, concurrent: boolean, run: (i: number) => Promise<NaiveResult>): Promise<NaiveResult[]> {
	const safe = (i: number) => run(i).catch((): NaiveResult => ({ ok: false, status: 0 }));
	if (concurrent) return await Promise.all(Array.from({ length: count }, (_, i) => safe(i)));
	const results: NaiveResult[] = [];
	for (let i = 0; i < count; i++) results.push(await safe(i));
	return results;
}
