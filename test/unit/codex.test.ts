import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The codex files decide where the editor lists a node. Measured in the n8n 2.41.1 editor: a node in
 * category AI with subcategory "Agents" but without "Root Nodes" is taken for a sub-node and left
 * out of the nodes panel's search ("Alation" and "Agent Chat" did not find Agent Chat).
 */
const NODES = join(__dirname, '..', '..', 'nodes');

describe('codex files', () => {
	const codexes = readdirSync(NODES)
		.filter((dir) => dir.startsWith('Alation'))
		.map((dir) => ({ dir, codex: JSON.parse(readFileSync(join(NODES, dir, `${dir}.node.json`), 'utf8')) as { node: string; categories: string[]; subcategories?: Record<string, string[]> } }));

	// Every node of this package has a main input, so each one in the AI category must be a root node.
	test.each(codexes.filter((c) => c.codex.categories.includes('AI')).map((c) => [c.dir, c.codex] as const))('%s: in AI, so listed as a root node', (_dir, codex) => {
		expect(codex.subcategories?.AI).toEqual(expect.arrayContaining(['Root Nodes']));
	});

	// The editor links "Docs" to these: the portal's home page tells a user nothing about this node.
	test.each(codexes.map((c) => [c.dir, c.codex] as const))('%s: documentation links point at specific pages', (_dir, codex) => {
		const resources = (codex as { resources?: Record<string, Array<{ url: string }>> }).resources ?? {};
		const urls = [...(resources.primaryDocumentation ?? []), ...(resources.credentialDocumentation ?? [])].map((r) => r.url);
		expect(urls.length).toBeGreaterThanOrEqual(2);
		for (const url of urls) expect(new URL(url).pathname.length).toBeGreaterThan(1);
	});

	test('Agent Chat is in the AI category as an agent and a root node', () => {
		const chat = codexes.find((c) => c.dir === 'AlationAgentChat')!.codex;
		expect(chat.subcategories?.AI).toEqual(['Agents', 'Root Nodes']);
	});
});
