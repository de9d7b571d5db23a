import { isRecord } from './json';

/**
 * The server's own words from an error body, in the shapes Alation's endpoints use: OAuth
 * `error`/`error_description`, Alation's `error`/`message`, DRF/FastAPI `detail` (a string or a list of `{loc, msg}`), `message`,
 * and DRF field errors (`{"dp_id": ["…"], "non_field_errors": ["…"]}`). One line, bounded.
 */
const MAX_CHARS = 200;

export function serverErrorText(json: unknown): string | undefined {
	if (Array.isArray(json)) return oneLine(strings(json).join(' '));
	if (!isRecord(json)) return undefined;
	const data = json;
	const parts: string[] = [];
	if (typeof data.error === 'string') parts.push(data.error);
	if (typeof data.error_description === 'string') parts.push(data.error_description);
	// Alation's SDK reads `{error, message}` as a reason and its explanation.
	else if (parts.length > 0 && typeof data.message === 'string') parts.push(data.message);
	if (parts.length === 0) {
		const detail = data.detail ?? data.message ?? data.details;
		if (typeof detail === 'string') parts.push(detail);
		else if (Array.isArray(detail)) parts.push(describeValidationErrors(detail));
	}
	if (parts.length === 0) parts.push(fieldErrors(data));
	return oneLine(parts.filter((p) => p.trim() !== '').join(': '));
}

/** Shortens any text to one bounded line (for bodies that are not JSON). */
export function oneLine(text: string): string | undefined {
	const line = text.replace(/\s+/g, ' ').trim();
	if (line === '') return undefined;
	return line.length > MAX_CHARS ? `${line.slice(0, MAX_CHARS)}…` : line;
}

function strings(values: unknown[]): string[] {
	return values.filter((v): v is string => typeof v === 'string');
}

/** FastAPI-style `[{loc: ['body','message'], msg: 'Field required'}]` → `body.message: Field required`. */
function describeValidationErrors(items: unknown[]): string {
	return items
		.slice(0, 5)
		.map((item) => {
			if (item === null || typeof item !== 'object') return String(item);
			const { loc, msg } = item as { loc?: unknown; msg?: unknown };
			const where = Array.isArray(loc) ? loc.join('.') : '';
			return `${where}${where ? ': ' : ''}${typeof msg === 'string' ? msg : JSON.stringify(item)}`;
		})
		.join('; ');
}

/** Django REST Framework's 400: the rejected fields, each with its messages. */
function fieldErrors(data: Record<string, unknown>): string {
	return Object.entries(data)
		.map(([field, value]) => {
			const list = Array.isArray(value) ? strings(value) : [];
			if (list.length === 0) return '';
			return field === 'non_field_errors' ? list.join(' ') : `${field}: ${list.join(' ')}`;
		})
		.filter((part) => part !== '')
		.slice(0, 5)
		.join('; ');
}
