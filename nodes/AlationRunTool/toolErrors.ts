import type { StreamWording } from '../shared/agentStudio/streamNodeError';

/** What each failure of a tool run means for the user, and what to do (the message names the cause). */
export const TOOL_WORDING: StreamWording = {
	action: 'Running the tool',
	statusHints: {
		400: "The tool rejected its input. Check Tool Input against the tool's inputs (shown with each tool in the list).",
		402: 'The tool-call quota of your Alation licence is used up. Ask your Alation administrator; retrying will not help until the quota is raised or renewed.',
		403: "The OAuth client's role may not use this tool, or Agent Studio is not enabled. Check the System User Role of the OAuth client (Admin Settings → Authentication → OAuth Client Applications).",
		404: "Tool or chat not found, or not visible to this OAuth client: check the tool (built-in tools by ref, e.g. list_data_products_tool; custom tools by UUID) and the Chat ID.",
		409: 'Another run is using this chat right now (chat busy). Runs on the same Chat ID must not overlap: wait for the other run, or leave Chat ID empty.',
		422: "The tool's input does not match its schema (a required field missing, an unknown field, or a wrong type). Check Tool Input against the tool's inputs, shown with each tool in the list.",
		429: 'Agent Studio is rate limiting requests and still was after the retries. Raise Max Retries, or run later.',
		502: 'A gateway in front of Alation failed, and still did after the retries. Try again later.',
		503: 'Agent Studio is unavailable, and still was after the retries. Try again later.',
		504: 'A gateway in front of Alation timed out, and still did after the retries. Try again later.',
	},
};
