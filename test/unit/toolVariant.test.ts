import type { INodeType } from 'n8n-workflow';

import { AlationAgentChat } from '../../nodes/AlationAgentChat/AlationAgentChat.node';
import { AlationRunTool } from '../../nodes/AlationRunTool/AlationRunTool.node';

/**
 * n8n builds a node's AI-tool variant from its description. When the description has a parameter
 * named `operation` or `resource`, n8n adds a "Tool Description: Set Automatically / Set Manually"
 * switch defaulting to automatic, which hides `toolDescription` (n8n 2.41,
 * tool-generation/ai-tools.js): every saved tool with its own description would lose it (seen in
 * the e2e suite: examples 04 and 06 flagged "toolDescription … is not shown").
 */
describe('AI-tool variants keep their Tool Description', () => {
	test.each([new AlationAgentChat(), new AlationRunTool()].map((n: INodeType) => [n.description.displayName, n] as const))('%s has no operation/resource parameter', (_name, node) => {
		expect(node.description.usableAsTool).toBe(true);
		const names = node.description.properties.map((p) => p.name);
		expect(names).not.toContain('operation');
		expect(names).not.toContain('resource');
	});
});
