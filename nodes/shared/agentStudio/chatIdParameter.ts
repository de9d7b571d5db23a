import type { IExecuteFunctions } from 'n8n-workflow';

import { invalid, optionalText } from '../parameters';
import { isUuid } from './identifiers';

/** How a node names the field and says what to put in it. */
export interface ChatIdWording {
	label: string;
	hint: string;
}

/**
 * The item's Chat ID parameter: a chat's UUID, or undefined when empty. `countsAsEmpty` lets other
 * values mean "no chat" (an AI Agent's placeholders); anything else that is not a UUID is refused
 * before any request, with the node's wording.
 */
export function readChatId(ctx: IExecuteFunctions, itemIndex: number, wording: ChatIdWording, countsAsEmpty: (text: string) => boolean = () => false): string | undefined {
	const chatId = optionalText(ctx, itemIndex, ctx.getNodeParameter('chatId', itemIndex, ''), 'Chat ID');
	if (chatId === undefined || countsAsEmpty(chatId)) return undefined;
	if (!isUuid(chatId)) throw invalid(ctx, itemIndex, `${wording.label} "${chatId.slice(0, 80)}" is not a chat ID`, wording.hint);
	return chatId;
}
