/**
 * n8n's community-package scan wants literal defaults in node descriptions; the code that reads an
 * option falls back to DEFAULTS. The two must say the same, or an option left at its default in the
 * editor would behave otherwise than the editor shows.
 */
import type { INodeProperties } from 'n8n-workflow';

import { agentChatProperties, DEFAULTS as CHAT } from '../../nodes/AlationAgentChat/description';
import { runToolProperties, DEFAULTS as TOOL } from '../../nodes/AlationRunTool/description';

const optionsOf = (properties: INodeProperties[], name = 'options') =>
	Object.fromEntries(((properties.find((p) => p.name === name)?.options ?? []) as INodeProperties[]).map((o) => [o.name, o.default]));

test('Agent Chat: every option shown with the default the node uses', () => {
	const shown = optionsOf(agentChatProperties);
	for (const [name, value] of Object.entries(CHAT)) expect([name, shown[name]]).toEqual([name, value]);
});

test('Run Tool: every option shown with the default the node uses', () => {
	const shown = optionsOf(runToolProperties);
	for (const [name, value] of Object.entries(TOOL)) expect([name, shown[name]]).toEqual([name, value]);
});

test('Agent Chat options are in alphabetical order of their names as shown (as n8n lists options)', () => {
	const names = ((agentChatProperties.find((p) => p.name === 'options')?.options ?? []) as INodeProperties[]).map((o) => o.displayName);
	expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
});
