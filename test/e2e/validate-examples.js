// @ts-check
'use strict';

/**
 * "Opens in the editor without warnings", checked without a browser: the editor marks a node with a
 * warning when its type or version is unknown, a parameter has an issue (required and empty, a
 * resource locator failing its validation…), a credential it needs is not set, or a sub-node it
 * needs (the AI Agent's chat model) is not connected. The same checks run here with n8n-workflow's
 * NodeHelpers (what the editor uses to compute parameter issues), on the node descriptions a started
 * n8n serves its editor (GET /types/nodes.json, tool variants included) or, without a started n8n,
 * on the installed packages' `dist/types/nodes.json` plus this package's built descriptions and the
 * tool variant n8n's own convertNodeToAiTool generates.
 */

const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {Record<string, any>} NodeDescription
 * @typedef {{ file: string, workflow: import('../../scripts/lib/examples').WorkflowJson }} Example
 */

/**
 * @param {string} runtimeDir    the installed n8n (.n8n-runtime/n8n-<version>)
 * @param {string} packageDir    this package as installed in the n8n user folder
 */
function loadDescriptions(runtimeDir, packageDir) {
	const modules = path.join(runtimeDir, 'node_modules');
	/** @type {Map<string, NodeDescription[]>} */
	const byType = new Map();
	/** @param {string} type @param {NodeDescription} description */
	const add = (type, description) => byType.set(type, [...(byType.get(type) ?? []), description]);

	for (const [pkg, prefix] of [
		['n8n-nodes-base', 'n8n-nodes-base.'],
		['@n8n/n8n-nodes-langchain', '@n8n/n8n-nodes-langchain.'],
	]) {
		const list = JSON.parse(fs.readFileSync(path.join(modules, pkg, 'dist', 'types', 'nodes.json'), 'utf8'));
		for (const description of list) add(`${prefix}${description.name}`, description);
	}

	const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
	const convertNodeToAiTool = toolConverter(modules);
	const { deepCopy } = require(path.join(modules, 'n8n-workflow'));
	for (const file of manifest.n8n.nodes) {
		const exports = require(path.join(packageDir, file));
		const NodeClass = Object.values(exports).find((value) => typeof value === 'function');
		const description = new NodeClass().description;
		add(`${manifest.name}.${description.name}`, description);
		if (description.usableAsTool) {
			const tool = convertNodeToAiTool({ description: deepCopy(description) }).description;
			add(`${manifest.name}.${tool.name}`, tool);
		}
	}
	return byType;
}

/**
 * n8n's own convertNodeToAiTool: a module of its own in n8n 2.x, a method of LoadNodesAndCredentials
 * in n8n 1.x.
 *
 * @param {string} modules  the runtime's node_modules
 * @returns {(item: { description: NodeDescription }) => { description: NodeDescription }}
 */
function toolConverter(modules) {
	const v2 = path.join(modules, 'n8n', 'dist', 'tool-generation', 'ai-tools.js');
	if (fs.existsSync(v2)) return require(v2).convertNodeToAiTool;
	const { LoadNodesAndCredentials } = require(path.join(modules, 'n8n', 'dist', 'load-nodes-and-credentials.js'));
	return (item) => LoadNodesAndCredentials.prototype.convertNodeToAiTool.call(LoadNodesAndCredentials.prototype, item);
}

/**
 * The same, from the node types a started n8n serves its editor (GET /types/nodes.json): these
 * already include the tool variants n8n generates.
 *
 * @param {NodeDescription[]} served
 */
function descriptionsFromServed(served) {
	/** @type {Map<string, NodeDescription[]>} */
	const byType = new Map();
	for (const description of served) byType.set(description.name, [...(byType.get(description.name) ?? []), description]);
	return byType;
}

/**
 * @param {Map<string, NodeDescription[]>} byType
 * @param {string} type
 * @param {number} version
 */
function findDescription(byType, type, version) {
	return (byType.get(type) ?? []).find((d) => (Array.isArray(d.version) ? d.version.includes(version) : d.version === version)) ?? null;
}

/**
 * The warnings the editor would show for each node of an example, as text.
 *
 * @param {Example} example
 * @param {{ runtimeDir: string, byType: Map<string, NodeDescription[]>, credentialIds: Set<string>, expected?: Record<string, RegExp[]> }} options
 * @returns {{ problems: string[], expected: string[], nodes: number }}
 */
function validateExample(example, options) {
	const { NodeHelpers } = require(path.join(options.runtimeDir, 'node_modules', 'n8n-workflow'));
	const { workflow } = example;
	/** @type {string[]} */
	const problems = [];
	/** @type {string[]} */
	const expected = [];
	/** @param {string} nodeName @param {string} text */
	const report = (nodeName, text) => {
		const line = `${nodeName}: ${text}`;
		const allowed = options.expected?.[workflow.id]?.some((pattern) => pattern.test(line));
		(allowed ? expected : problems).push(line);
	};

	if (typeof workflow.id !== 'string' || workflow.id.length > 21) problems.push(`workflow id must be at most 21 characters: ${String(workflow.id)}`);
	const names = new Set(workflow.nodes.map((n) => n.name));
	for (const [from, outputs] of Object.entries(workflow.connections)) {
		if (!names.has(from)) problems.push(`connection from unknown node "${from}"`);
		for (const list of Object.values(/** @type {Record<string, any[][]>} */ (outputs)))
			for (const targets of list) for (const target of targets ?? []) if (!names.has(target.node)) problems.push(`connection to unknown node "${target.node}"`);
	}

	for (const node of workflow.nodes) {
		const description = findDescription(options.byType, node.type, node.typeVersion);
		if (!description) {
			report(node.name, `node type ${node.type} version ${node.typeVersion} is not known to this n8n`);
			continue;
		}
		// What the editor does when it opens a node: fill in defaults, then compute issues.
		const parameters = NodeHelpers.getNodeParameters(description.properties, node.parameters, true, false, node, description);
		const full = { ...node, parameters };
		const issues = NodeHelpers.getNodeParametersIssues(description.properties, full, description);
		if (issues) for (const text of NodeHelpers.nodeIssuesToString(issues, full)) report(node.name, text);

		// Parameters that the editor would not show (a typo, or set where it does not apply).
		for (const key of Object.keys(node.parameters)) {
			if (!(key in (parameters ?? {}))) report(node.name, `parameter "${key}" does not exist or is not shown for these settings`);
		}
		for (const property of description.properties) {
			if (property.type !== 'collection' || !node.parameters[property.name] || !NodeHelpers.displayParameter(parameters, property, full, description)) continue;
			const known = new Set(property.options.map((/** @type {{ name: string }} */ o) => o.name));
			for (const key of Object.keys(node.parameters[property.name])) if (!known.has(key)) report(node.name, `option "${property.name}.${key}" does not exist`);
		}

		// Credentials: every credential the node shows must be set, to one that exists.
		/** @type {string[]} */
		const needed = (description.credentials ?? [])
			.filter((/** @type {any} */ c) => c.required && NodeHelpers.displayParameter(parameters, c, full, description))
			.map((/** @type {any} */ c) => c.name);
		if (parameters.authentication === 'predefinedCredentialType' && parameters.nodeCredentialType) needed.push(String(parameters.nodeCredentialType));
		for (const type of needed) {
			const ref = node.credentials?.[type];
			if (!ref) report(node.name, `credential "${type}" is not set`);
			else if (!options.credentialIds.has(ref.id)) report(node.name, `credential "${type}" refers to "${ref.name}" (${ref.id}), which is not imported`);
		}
	}

	// AI Agents need a chat model connected (the editor flags the agent otherwise).
	for (const agent of workflow.nodes.filter((n) => n.type === '@n8n/n8n-nodes-langchain.agent')) {
		const hasModel = Object.values(workflow.connections).some((outputs) =>
			(outputs.ai_languageModel ?? []).some((/** @type {any[]} */ targets) => targets.some((t) => t.node === agent.name)),
		);
		if (!hasModel) report(agent.name, 'no chat model connected');
	}
	return { problems, expected, nodes: workflow.nodes.length };
}

module.exports = { loadDescriptions, descriptionsFromServed, validateExample };
