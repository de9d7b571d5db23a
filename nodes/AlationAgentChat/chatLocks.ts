/**
 * Items that continue the same chat must not overlap: Alation answers 409 "Chat is busy" to a
 * second run on a chat, and turns must stay in order. Items without a chat ID run freely.
 */
export class ChatLocks {
	private readonly tails = new Map<string, Promise<unknown>>();

	async run<T>(chatId: string | undefined, task: () => Promise<T>): Promise<T> {
		if (chatId === undefined) return await task();
		const previous = this.tails.get(chatId) ?? Promise.resolve();
		const current = previous.then(task, task);
		const tail = current.then(
			() => undefined,
			() => undefined,
		);
		this.tails.set(chatId, tail);
		try {
			return await current;
		} finally {
			if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
		}
	}
}
