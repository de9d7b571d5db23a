/** What the assembler gives for one agent run: the node's output is built from it. */

export interface ToolCall {
	id: string;
	name: string;
	args: unknown;
	/** Present (true) while the call waits for approval: `pending_approval` and no tool return yet. */
	pendingApproval?: boolean;
}

export interface ToolResult {
	id: string;
	name: string;
	content: unknown;
}

export interface Asset {
	kind: string;
	id: string;
}

export interface AssembledAnswer {
	answer: string;
	chatId?: string;
	agentId?: string;
	status: 'completed' | 'pending_approval';
	toolCalls: ToolCall[];
	toolResults: ToolResult[];
	assets: Asset[];
	events?: unknown[];
	eventsTruncated?: boolean;
}
