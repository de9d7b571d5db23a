import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { isRecord, parseJson, textOf } from './json';

/*
 * Reading a node's parameters for one item: each reader checks what it reads and fails with an
 * error that names the field and says what to type, attached to the item.
 */

export function invalid(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
}

/** A JSON parameter arrives as text (typed in the editor) or as an object (from an expression). */
export function jsonObject(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string, example: string): IDataObject {
	if (value === undefined || value === null || value === '') return {};
	const parsed = typeof value === 'string' ? parseJson(value) : value;
	if (!isRecord(parsed)) {
		throw invalid(ctx, itemIndex, `${label} must be a JSON object`, `Write it like ${example}, or leave it empty.`);
	}
	return parsed as IDataObject;
}

export function positiveSeconds(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string, fallback: number): number {
	const seconds = value === undefined || value === '' ? fallback : Number(value);
	if (!Number.isFinite(seconds) || seconds <= 0) {
		throw invalid(ctx, itemIndex, `${label} must be a number of seconds above 0`, `Got ${JSON.stringify(value)}. The default is ${fallback}.`);
	}
	return Math.round(seconds * 1000);
}

/**
 * An optional text parameter (numbers from a sheet are text too): undefined when empty. A value that
 * is no text at all — a list, an object, true — is refused naming the field: read as empty, a Data
 * Product ID mapped to a list would run the agent without one, and a Chat ID start a new chat.
 */
export function optionalText(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	const text = textOf(value);
	if (text === undefined) {
		const kind = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
		throw invalid(ctx, itemIndex, `${label} must be text`, `"${label}" resolved to ${kind}: map it to a text value.`);
	}
	return text === '' ? undefined : text;
}

export function wholeNumber(ctx: IExecuteFunctions, itemIndex: number, raw: unknown, field: string, fallback: number, max: number): number {
	const value = raw === undefined || raw === '' ? fallback : Number(raw);
	if (!Number.isInteger(value) || value < 0 || value > max) {
		throw invalid(ctx, itemIndex, `${field} must be a whole number from 0 to ${max}`, `Got ${JSON.stringify(raw)}.`);
	}
	return value;
}


/**
 * A text parameter that must be filled in, trimmed (numbers from a sheet are text too). Empty, or a
 * value that is no text at all, is refused as empty; `description` says what to fill in.
 */
export function requiredText(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string, description: string): string {
	const text = textOf(value) ?? '';
	if (text === '') throw invalid(ctx, itemIndex, `${label} is empty`, description);
	return text;
}

/** A password that must be filled in: taken as typed (a password may begin or end with a space); anything but a string is empty. */
export function requiredPassword(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string, description: string): string {
	if (typeof value !== 'string' || value === '') throw invalid(ctx, itemIndex, `${label} is empty`, description);
	return value;
}
