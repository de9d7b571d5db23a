// @ts-check
'use strict';

/**
 * The example workflows in examples/: what users import, and what the demo and the e2e suite run.
 * They reference the credential "Alation API (simulator)" (id alationSimulator) and the placeholder
 * instance https://acme.alationcloud.com; `forSimulator` points both at the loopback simulator.
 */

const fs = require('node:fs');
const path = require('node:path');

const { EXAMPLES } = require('./paths');

/** The instance address written in the examples; users replace it with theirs. */
const PLACEHOLDER_URL = 'https://acme.alationcloud.com';
/** The credential the examples reference, as `npm run dev` and the demo import it. */
const SIMULATOR_CREDENTIAL = Object.freeze({ id: 'alationSimulator', name: 'Alation API (simulator)' });

/**
 * @typedef {{ id: string, name: string, nodes: Array<Record<string, any>>, connections: Record<string, any>, [key: string]: unknown }} WorkflowJson
 */

/**
 * Every example, in file-name order.
 *
 * @returns {Array<{ file: string, workflow: WorkflowJson }>}
 */
function loadExamples() {
	return fs
		.readdirSync(EXAMPLES)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({ file: path.join('examples', file), workflow: JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) }));
}

/**
 * A copy of the workflow that talks to the simulator at `url` instead of the placeholder instance.
 *
 * @param {WorkflowJson} workflow
 * @param {string} url
 * @returns {WorkflowJson}
 */
function forSimulator(workflow, url) {
	return JSON.parse(JSON.stringify(workflow).split(PLACEHOLDER_URL).join(url));
}

/**
 * The "Alation API (simulator)" credential as plain data for `n8n import:credentials` (n8n
 * encrypts it). Demo values only.
 *
 * @param {string} url  the simulator's address
 * @param {{ clientId: string, clientSecret: string }} client
 */
function simulatorCredential(url, client) {
	return {
		...SIMULATOR_CREDENTIAL,
		type: 'alationApi',
		data: { baseUrl: url, authType: 'clientCredentials', clientId: client.clientId, clientSecret: client.clientSecret, allowUnauthorizedCerts: false },
	};
}

/**
 * Every example pointed at the simulator at `url`, with the credential they use: what `prepareInstance`
 * imports for the demo and for `npm run dev`.
 *
 * @param {string} url  the simulator's address
 * @param {{ clientId: string, clientSecret: string }} client
 */
function examplesForSimulator(url, client) {
	const examples = loadExamples();
	return {
		examples,
		credentials: [simulatorCredential(url, client)],
		workflows: examples.map((example) => forSimulator(example.workflow, url)),
	};
}

/**
 * @param {WorkflowJson} workflow
 * @param {string} name
 */
function nodeNamed(workflow, name) {
	const node = workflow.nodes.find((n) => n.name === name);
	if (!node) throw new Error(`workflow ${workflow.id} has no node "${name}"`);
	return node;
}

module.exports = { PLACEHOLDER_URL, SIMULATOR_CREDENTIAL, loadExamples, forSimulator, simulatorCredential, examplesForSimulator, nodeNamed };
