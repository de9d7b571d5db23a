/** Building blocks of the workflows the n8n benchmarks import (the node parameters a user would set). */
import { CREDENTIAL } from './n8nInstance';

export type WorkflowNode = Record<string, unknown> & { name: string };

let counter = 0;

export function node(name: string, type: string, typeVersion: number, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): WorkflowNode {
	counter += 1;
	return { id: `bench-node-${counter}`, name, type, typeVersion, position: [counter * 220, 0], parameters, ...extra };
}

/** A chain: each node feeds the next; `extraEdges` adds more (e.g. a second trigger). */
export function workflow(id: string, name: string, chain: WorkflowNode[], extra: { nodes?: WorkflowNode[]; edges?: Array<[string, string]> } = {}): object {
	const connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: 0 }>> }> = {};
	const edges: Array<[string, string]> = [...chain.slice(1).map((n, i): [string, string] => [chain[i].name, n.name]), ...(extra.edges ?? [])];
	for (const [from, to] of edges) {
		connections[from] ??= { main: [[]] };
		connections[from].main[0].push({ node: to, type: 'main', index: 0 });
	}
	return { id, name, nodes: [...chain, ...(extra.nodes ?? [])], connections, active: false, settings: { executionOrder: 'v1' }, pinData: {} };
}

export const manualTrigger = () => node('Start', 'n8n-nodes-base.manualTrigger', 1, {});

/**
 * `count` items `{ i }`, whatever came in: a Set node holding the list (Execute Once: one output item
 * however many items arrive), and a Split Out (no Code node, no task runner).
 */
export function items(label: string, count: number): [WorkflowNode, WorkflowNode] {
	const list = Array.from({ length: count }, (_, i) => ({ i }));
	return [
		node(`${label} list`, 'n8n-nodes-base.set', 3.4, { mode: 'raw', jsonOutput: JSON.stringify({ list }), options: {} }, { executeOnce: true }),
		node(label, 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'list', options: {} }),
	];
}

const credentials = { credentials: { alationApi: CREDENTIAL } };

/** The message both nodes send for an item. */
export const MESSAGE_EXPRESSION = '={{ "Question " + $itemIndex }}';

export function agentChat(name: string, options: Record<string, unknown> = {}): WorkflowNode {
	return node(name, 'n8n-nodes-alation.alationAgentChat', 1, { agent: { __rl: true, mode: 'id', value: 'catalog_search_agent' }, message: MESSAGE_EXPRESSION, options }, credentials);
}

/**
 * n8n's HTTP Request node: POST `url` with the body Agent Chat sends (`{ "message": … }`), Authentication →
 * Predefined Credential Type → Alation API, the answer read whole as text.
 */
export function httpRequestPost(name: string, url: string): WorkflowNode {
	return node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'POST',
			url,
			authentication: 'predefinedCredentialType',
			nodeCredentialType: 'alationApi',
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ message: "Question " + $itemIndex }) }}',
			options: { response: { response: { responseFormat: 'text' } } },
		},
		credentials,
	);
}
