/** A JSON object (not null, not an array): what `JSON.parse` gives for `{…}`. */
export function isRecord(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value of a JSON text, or undefined when it is not JSON (`JSON.parse` never gives undefined). */
export function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

/**
 * The object or array a JSON text holds (white space around it allowed), or undefined for any other
 * text. Text that cannot start an object or array is not handed to the parser at all.
 */
export function parseJsonObject(text: string): object | undefined {
	const trimmed = text.trim();
	const first = trimmed.charCodeAt(0);
	if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return undefined;
	return parseJson(trimmed) as object | undefined;
}

/**
 * Decodes an answer that is a JSON object or array (also inside one ```json fenced block);
 * returns undefined for anything else.
 */
export function parseJsonAnswer(answer: string): unknown {
	if (typeof answer !== 'string') return undefined;
	let text = answer.trim();
	if (text.startsWith('```')) {
		const lineEnd = text.indexOf('\n');
		const close = text.lastIndexOf('```');
		if (lineEnd < 0 || close <= lineEnd) return undefined;
		const language = text.slice(3, lineEnd).trim().toLowerCase();
		if (language !== '' && language !== 'json') return undefined;
		text = text.slice(lineEnd + 1, close);
	}
	return parseJsonObject(text);
}

/** JSON text of a value; '' for what JSON cannot express, `String(value)` for what it cannot serialise (a cycle). */
export function safeStringify(value: unknown): string {
	try {
		const json = JSON.stringify(value);
		return typeof json === 'string' ? json : '';
	} catch {
		return String(value);
	}
}

/**
 * The text of a value read from a parameter, a credential or a header: a string (trimmed unless
 * `trim` is false: pasted values carry stray spaces and line ends), a number or bigint as its
 * digits (sheets deliver IDs and some passwords as numbers); undefined for anything else.
 */
export function textOf(value: unknown, { trim = true }: { trim?: boolean } = {}): string | undefined {
	if (typeof value === 'string') return trim ? value.trim() : value;
	if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
	return undefined;
}
