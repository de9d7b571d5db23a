/**
 * How much memory the assembler keeps, in bytes: an estimate that errs high, so a bound on it is a
 * bound on the heap a run holds.
 *
 * Why an estimate and not the UTF-8 length: the heap is what has to be bounded, and the two can be
 * far apart. Parsed JSON costs more than its text (9 M characters of `[{},…]` held 170 MiB, some 20
 * bytes a character), and V8 holds a string in one or two bytes per UTF-16 unit whatever its UTF-8
 * length (a mostly-ASCII text with one emoji takes two bytes a character). So text counts two bytes
 * per UTF-16 unit — an upper bound that costs nothing to compute, where a UTF-8 length would be a
 * pass over the whole answer at every snapshot — and parsed values count what V8 allocates for them
 * on a 64-bit heap without pointer compression (as Node.js runs): object and array headers, one
 * slot per element or property, strings with their header. Checked against measured heap in
 * test/unit/sse/memoryBounds.test.ts.
 */

const STRING_HEADER = 16;
const HEAP_NUMBER = 16;
const SLOT = 8;
/** A JSArray; a non-empty one has its own elements store (an empty one shares V8's). */
const ARRAY = 32;
const ELEMENTS_HEADER = 16;
/** An object as `JSON.parse` makes it: header and room for four properties in the object. */
const OBJECT = 56;
/** A property of a small object: its slot, plus a share of its map's descriptors. */
const PROPERTY = 2 * SLOT;
/**
 * Beyond this many properties an object is a hash table whose keys are mostly its own (a map keyed
 * by ids): an entry, the table's slack (up to half of it empty) and the key string, measured at
 * 71–87 bytes a property.
 */
const MANY_PROPERTIES = 128;
const DICTIONARY_PROPERTY = 100;

/** Bytes counted per UTF-16 unit of text: V8 uses one or two. */
export const TEXT_UNIT_BYTES = 2;

/** A string's memory: its header and two bytes per UTF-16 unit. */
export function textBytes(text: string): number {
	return STRING_HEADER + TEXT_UNIT_BYTES * text.length;
}

/** The memory of a JSON-like value (what `JSON.parse` gives), walked without recursion. */
export function retainedBytes(value: unknown): number {
	let total = 0;
	const stack: unknown[] = [value];
	while (stack.length > 0) {
		const item = stack.pop();
		switch (typeof item) {
			case 'string':
				total += textBytes(item);
				break;
			case 'number':
				// Small integers live in the slot itself; others are boxed.
				if (!Number.isInteger(item) || item > 0x3fffffff || item < -0x40000000) total += HEAP_NUMBER;
				break;
			case 'object':
				if (item === null) break;
				if (Array.isArray(item)) {
					total += ARRAY + (item.length > 0 ? ELEMENTS_HEADER + SLOT * item.length : 0);
					for (const element of item as unknown[]) if (element !== null && typeof element !== 'boolean') stack.push(element);
				} else {
					let properties = 0;
					for (const key in item) {
						properties++;
						stack.push((item as Record<string, unknown>)[key]);
					}
					total += OBJECT + properties * (properties > MANY_PROPERTIES ? DICTIONARY_PROPERTY : PROPERTY);
				}
				break;
			default:
				break;
		}
	}
	return total;
}
