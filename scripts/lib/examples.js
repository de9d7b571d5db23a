// @ts-check
'use strict';

/**
 * The example workflows in examples/: what users import, and what the demo and the e2e suite run.
 * They reference the credential "Alation API (simulator)" (id alationSimulator), example 08 the user
 * sign-in credential "Alation User Sign-In (simulator)" (id alationSignInSimulator, connected by
 * "Connect my account"), and the placeholder instance https://acme.alationcloud.com; `forSimulator`
 * points them at the loopback simulator.
 */

const fs = require('node:fs');
const path = require('node:path');

const { EXAMPLES } = require('./paths');

/** The instance address written in the examples; users replace it with theirs. */
const PLACEHOLDER_URL = 'https://acme.alationcloud.com';
/** The credential the examples reference, as `npm run dev` and the demo import it. */
const SIMULATOR_CREDENTIAL = Object.freeze({ id: 'alationSimulator', name: 'Alation API (simulator)' });
/** The user sign-in credential example 08 references: imported not yet connected. */
const SIGN_IN_CREDENTIAL = Object.freeze({ id: 'alationSignInSimulator', name: 'Alation User Sign-In (simulator)' });

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
 * The "Alation User Sign-In (simulator)" credential, not yet connected: its form's "Connect my account"
 * opens the simulator's sign-in page. Demo values only.
 *
 * @param {string} url  the simulator's address
 * @param {{ userOauthClientId: string, userOauthClientSecret: string }} client
 */
function signInSimulatorCredential(url, client) {
	return {
		...SIGN_IN_CREDENTIAL,
		type: 'alationOAuth2Api',
		data: { baseUrl: url, clientId: client.userOauthClientId, clientSecret: client.userOauthClientSecret },
	};
}

/**
 * Every example pointed at the simulator at `url`, with the credentials they use: what `prepareInstance`
 * imports for the demo and for `npm run dev`.
 *
 * @param {string} url  the simulator's address
 * @param {{ clientId: string, clientSecret: string, userOauthClientId: string, userOauthClientSecret: string }} client
 */
function examplesForSimulator(url, client) {
	const examples = loadExamples();
	return {
		examples,
		credentials: [simulatorCredential(url, client), signInSimulatorCredential(url, client)],
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

module.exports = { PLACEHOLDER_URL, SIMULATOR_CREDENTIAL, SIGN_IN_CREDENTIAL, signInSimulatorCredential, loadExamples, forSimulator, simulatorCredential, examplesForSimulator, nodeNamed };
