/**
 * Merges an event into the message it belongs to. Events of one message either carry the whole
 * message so far ("snapshot", what Alation sends today) or only what is new ("delta"). Both are
 * handled, per message.
 *
 * ## Snapshot or delta: the rule
 *
 * Parts are compared with what we hold for the same message: text-like parts (`text`, `thinking`)
 * by content, `tool-call` / `tool-return` parts by `tool_call_id` (and a tool call's string `args`
 * like text), other parts only by kind.
 * Comparing part i of the event with our part i gives, per part:
 *   - `same`    equal content, or the event's content is empty (an empty piece carries nothing);
 *   - `fill`    our content is empty and the event's is not (both readings agree);
 *   - `extends` the event's content starts with ours and is longer;
 *   - `shrinks` ours starts with the event's content, which is shorter (a trimmed snapshot);
 *   - `other`   a different kind, a different tool call id, or unrelated text.
 * The message-level relation is the strongest of these (`other` > `shrinks` > `extends` > `fill`
 * > `same`); more parts than we hold counts as `extends`, fewer as `shrinks`.
 *
 * A message starts undecided and is locked into one mode by its first clear evidence:
 *   - `other`   → delta (the event cannot be a snapshot of what we hold);
 *   - `shrinks` → snapshot (a snapshot that was trimmed or corrected);
 *   - `extends` → snapshot, unless an earlier message of this stream was locked into delta
 *                 (the stream's style hint), then delta;
 *   - `same`    → a snapshot resend: texts stay, tool parts take their latest version, nothing
 *                 is locked; unless the hint says delta: then the repeated piece is appended and the
 *                 message locks into delta;
 *   - `fill` and a message's first event → taken as they are, nothing locked.
 * The hint is the mode of the message that locked most recently from its own evidence.
 *
 * Applying a mode:
 *   - snapshot: part i of the event replaces our part i (an empty text never erases ours); parts we
 *     hold beyond the event's are kept, so a tool call once seen is never lost;
 *   - delta: each part of the event continues our last part when it is of the same kind (text is
 *     appended; for the same tool call a string `args` is appended, other fields replaced),
 *     otherwise it is added as a new part. So delta text always lands at the end of the message.
 * A locked message keeps its mode for good (a later non-extending snapshot is a rewrite and
 * replaces; a later delta that happens to repeat the text so far is appended).
 *
 * Ambiguous cases, decided as above and pinned by tests:
 *   1. Second event equal to the first ("ha", "ha"): a snapshot resend → "ha" (a delta stream
 *      would have meant "haha"), unless another message already showed delta → "haha".
 *   2. Second event extends the first ("The", "There"): snapshot → "There" (delta would give
 *      "TheThere"), unless the hint says delta.
 *   3. Second event is a prefix of the first ("Hello\n", "Hello"): a trimmed snapshot → "Hello"
 *      (delta would give "Hello\nHello").
 *   4. First event empty: no evidence; the next one decides.
 *   5. Events without an `id` share one anonymous message per kind.
 * Once a message has two events that are not ambiguous, its mode is certain.
 */

import { partBytes } from './parts';
import type { MessageState, Mode, PartState } from './parts';
import { TEXT_UNIT_BYTES } from './retained';

type Relation = 'same' | 'fill' | 'extends' | 'shrinks' | 'other';

const RELATION_RANK: Record<Relation, number> = { same: 0, fill: 1, extends: 2, shrinks: 3, other: 4 };

function relationOf(ours: PartState, theirs: PartState): Relation {
	if (ours.kind !== theirs.kind) return 'other';
	if (ours.text !== undefined && theirs.text !== undefined) return textRelation(ours.text, theirs.text);
	if (ours.toolCallId !== undefined && theirs.toolCallId !== undefined && ours.toolCallId !== theirs.toolCallId) {
		return 'other';
	}
	// Tool call arguments sent as a JSON string may grow like text (snapshot) or come in pieces (delta).
	if (typeof ours.args === 'string' && typeof theirs.args === 'string') return textRelation(ours.args, theirs.args);
	return 'same';
}

function textRelation(a: string, b: string): Relation {
	if (b.length === 0 || a === b) return 'same';
	if (a.length === 0) return 'fill';
	if (b.length > a.length) return b.startsWith(a) ? 'extends' : 'other';
	return a.startsWith(b) ? 'shrinks' : 'other';
}

function messageRelation(ours: PartState[], theirs: PartState[]): Relation {
	let relation: Relation = theirs.length > ours.length ? 'extends' : theirs.length < ours.length ? 'shrinks' : 'same';
	const common = Math.min(ours.length, theirs.length);
	for (let i = 0; i < common; i++) {
		const r = relationOf(ours[i], theirs[i]);
		if (RELATION_RANK[r] > RELATION_RANK[relation]) {
			relation = r;
			if (r === 'other') break;
		}
	}
	return relation;
}

/** The merge rule for one stream: it holds the stream's style hint. */
export class MessageMerger {
	/** Mode of the message that locked most recently from its own evidence. */
	private styleHint: Mode = 'unknown';

	/**
	 * Merges an event into a known message (the rule at the top of this file). Returns the text
	 * appended at the end of the message's text when that is known cheaply (delta), else undefined.
	 */
	merge(message: MessageState, parts: PartState[], hasTextLike: boolean): string | undefined {
		if (parts.length === 0) return '';
		let mode = message.mode;
		if (mode === 'unknown') {
			const relation = messageRelation(message.parts, parts);
			if (relation === 'other') {
				mode = this.lock(message, 'delta');
			} else if (relation === 'shrinks') {
				mode = this.lock(message, 'snapshot');
			} else if (relation === 'extends') {
				mode = this.lock(message, this.styleHint === 'delta' ? 'delta' : 'snapshot');
			} else if (relation === 'same') {
				if (this.styleHint !== 'delta') {
					// A resend: the texts are unchanged, tool parts take their latest version.
					applySnapshot(message, parts);
					return '';
				}
				mode = this.lock(message, 'delta');
			} else {
				mode = 'snapshot'; // 'fill': both readings agree; stay undecided.
			}
		}
		if (mode === 'delta') return applyDelta(message, parts);
		applySnapshot(message, parts);
		return hasTextLike ? undefined : '';
	}

	private lock(message: MessageState, mode: 'snapshot' | 'delta'): Mode {
		message.mode = mode;
		this.styleHint = mode;
		return mode;
	}
}

function applySnapshot(message: MessageState, parts: PartState[]): void {
	const ours = message.parts;
	for (let i = 0; i < parts.length; i++) {
		const theirs = parts[i];
		if (i >= ours.length) {
			ours.push(theirs);
			continue;
		}
		// An empty text never erases what we hold.
		if (theirs.text === '' && ours[i].kind === theirs.kind) continue;
		ours[i] = theirs;
	}
}

function applyDelta(message: MessageState, parts: PartState[]): string {
	const ours = message.parts;
	let appended = '';
	for (const theirs of parts) {
		const last = ours.length > 0 ? ours[ours.length - 1] : undefined;
		if (last === undefined || last.kind !== theirs.kind) {
			ours.push(theirs);
			if (theirs.kind === 'text' && theirs.text) appended += theirs.text;
			continue;
		}
		if (last.text !== undefined) {
			const piece = theirs.text ?? '';
			if (piece.length > 0) {
				last.text += piece;
				last.bytes += TEXT_UNIT_BYTES * piece.length;
				if (last.kind === 'text') appended += piece;
			}
			continue;
		}
		if (theirs.toolCallId !== undefined && last.toolCallId !== undefined && theirs.toolCallId !== last.toolCallId) {
			ours.push(theirs);
			continue;
		}
		// The same tool call or return, continued.
		if (theirs.toolCallId !== undefined) last.toolCallId = theirs.toolCallId;
		if (theirs.toolName !== undefined) last.toolName = theirs.toolName;
		if (theirs.pendingApproval !== undefined) last.pendingApproval = theirs.pendingApproval;
		if (theirs.args !== undefined) {
			last.args = typeof theirs.args === 'string' && typeof last.args === 'string' ? last.args + theirs.args : theirs.args;
		}
		if (theirs.content !== undefined) last.content = theirs.content;
		if (theirs.metadata !== undefined) last.metadata = theirs.metadata;
		last.bytes = partBytes(last);
	}
	return appended;
}
