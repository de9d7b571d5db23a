/** Custom agents and tools, chats and assets are named by UUIDs; built-in agents and tools by refs. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
	return UUID.test(value);
}

/**
 * Why an agent ref or tool name (or custom UUID) cannot go into a URL path, or undefined when it can:
 * '/' would change the path, and dots alone ('.', '..') are path segments themselves — the URL would
 * reach another endpoint of the server.
 */
export function refProblem(ref: string): string | undefined {
	if (ref === '') return 'is empty';
	if (!/^[A-Za-z0-9_.-]+$/.test(ref)) return 'may hold only letters, digits, "_", "-" and "."';
	if (/^\.+$/.test(ref)) return 'is not a name';
	return undefined;
}
