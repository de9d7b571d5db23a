import { DEMO } from '../simulator';

/** Every secret the simulator's demo accounts hold: none may appear in any output or error. */
export const DEMO_SECRETS: string[] = [
	DEMO.clientSecret,
	DEMO.refreshToken,
	DEMO.password,
	DEMO.keycloakClientSecret,
	DEMO.keycloakPassword,
];

/** Fails the test with the offending path if any secret appears anywhere in `value`. */
export function expectNoSecrets(value: unknown, secrets: readonly string[]): void {
	const seen = new WeakSet<object>();
	const visit = (v: unknown, path: string, depth: number): void => {
		if (depth > 30) return;
		if (typeof v === 'string') {
			for (const secret of secrets) {
				if (secret && v.includes(secret)) throw new Error(`secret found at ${path}: ${v.slice(0, 200)}`);
			}
			return;
		}
		if (v === null || typeof v !== 'object' || seen.has(v)) return;
		seen.add(v);
		const entries: Array<[string, unknown]> = Object.getOwnPropertyNames(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
		for (const [k, child] of entries) visit(child, `${path}.${k}`, depth + 1);
	};
	visit(value, '$', 0);
	// And the plain serialisation, as n8n would store it.
	const text = safeStringify(value);
	for (const secret of secrets) if (secret && text.includes(secret)) throw new Error(`secret found in serialised output`);
}

function safeStringify(value: unknown): string {
	const seen = new WeakSet<object>();
	try {
		return JSON.stringify(value, (_k, v: unknown) => {
			if (v !== null && typeof v === 'object') {
				if (seen.has(v)) return undefined;
				seen.add(v);
			}
			if (v instanceof Error) return { ...v, message: v.message, stack: v.stack };
			return v;
		}) ?? '';
	} catch {
		return '';
	}
}

/**
 * What of a run reaches users and storage: the output items, and the node error as n8n persists it.
 * The error's `node` field (n8n's copy of the node, with the workflow's own parameters) is left out,
 * as n8n's `ExecutionBaseError.toJSON` leaves it out when it stores an execution.
 */
export function visibleRunData(result: { items: unknown[]; error?: Error }): unknown {
	if (!result.error) return { items: result.items };
	const { node: _node, ...error } = result.error as Error & { node?: unknown };
	return { items: result.items, error: { ...error, message: result.error.message } };
}
