/**
 * Process environment n8n-core needs before its DI container builds anything.
 *
 * Imported for its side effect by `test/helpers/n8n.ts`, BEFORE `n8n-core` is required.
 *
 * Why: during a run n8n-core resolves services from the `@n8n/di` `Container`
 * (`ExecutionContextService` -> `Cipher` -> `InstanceSettings`, `OutboundHttp`, `ErrorReporter`,
 * `Logger`). `InstanceSettings` reads `N8N_USER_FOLDER` and creates
 * `<N8N_USER_FOLDER>/.n8n/config` (holding a generated encryption key) when it does not exist.
 * Without this it would write into the real `~/.n8n` of whoever runs the tests. So every test
 * module registry (jest gives each test file its own, including its own copy of `process.env`)
 * gets a fresh temp folder, removed after the file's tests.
 *
 * n8n's own logger (`@n8n/backend-common` Logger, used e.g. by ErrorReporter, which logs every node
 * error with its stack) is silenced: `N8N_LOG_LEVEL=silent`. To see n8n's logs while debugging a
 * test, run with `N8N_HARNESS_LOG_LEVEL=debug` (or info/warn/error).
 *
 * Nothing else is configured: n8n's defaults are what the harness wants
 * (`N8N_SSRF_PROTECTION_ENABLED` defaults to false, so loopback test servers are reachable;
 * the expression engine defaults to the in-process "legacy" evaluator; jest sets
 * `NODE_ENV=test`, which n8n's `inTest` uses to keep InstanceSettings quiet).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const harnessUserFolder: string = mkdtempSync(path.join(tmpdir(), 'n8n-harness-'));

process.env.N8N_USER_FOLDER = harnessUserFolder;
process.env.N8N_LOG_LEVEL = process.env.N8N_HARNESS_LOG_LEVEL ?? 'silent';

const cleanup = (): void => {
	try {
		rmSync(harnessUserFolder, { recursive: true, force: true });
	} catch {
		// best effort
	}
};

if (typeof afterAll === 'function') {
	afterAll(cleanup);
} else {
	process.once('exit', cleanup);
}
