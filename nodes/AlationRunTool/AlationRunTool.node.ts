import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { runsAsTool } from '../shared/agentStudio/toolOutput';
import { alationAuthenticationProperty, alationCredentials } from '../shared/alationAuthentication';
import { runToolProperties } from './description';
import { searchTools } from './listTools';
import { runTools } from './runTool';

/**
 * Runs one Alation Agent Studio tool (catalog context, data products, lineage, data quality, a
 * custom tool…) with the item's input and outputs its result.
 */
export class AlationRunTool implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Alation Run Tool',
		name: 'alationRunTool',
		icon: { light: 'file:alation.svg', dark: 'file:alation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["tool"].cachedResultName || $parameter["tool"].value || $parameter["tool"] }}',
		description:
			'Run an Alation Agent Studio tool (catalog context, data products, lineage, data quality, custom tools) and get its result',
		defaults: { name: 'Alation Run Tool' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: alationCredentials,
		properties: [alationAuthenticationProperty, ...runToolProperties],
	};

	methods = { listSearch: { searchTools } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [await runTools(this, runsAsTool(this, 'alationRunTool'))];
	}
}
