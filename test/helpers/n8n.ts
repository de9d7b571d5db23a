/**
 * Test harness: runs a node's `execute` inside a REAL n8n-core execution.
 *
 * A two-node workflow (`Start` -> node under test) is run by n8n-core's `WorkflowExecute`
 * (`processRunExecutionData`, exactly as n8n's own `NodeTestHarness` in
 * packages/core/nodes-testing/node-test-harness.ts does). Everything the node touches —
 * `this.getInputData()`, `this.getNodeParameter()`, `this.getCredentials()`,
 * `this.helpers.httpRequest`, `this.helpers.httpRequestWithAuthentication`, `continueOnFail`,
 * `getExecutionCancelSignal()`, pairedItem handling, error recording — is n8n-core's real code.
 *
 * The only n8n piece replaced is the CLI's `CredentialsHelper` (it needs a database):
 * `TestCredentialsHelper` below re-implements packages/cli/src/credentials-helper.ts for an
 * in-memory store, line by line where it matters (authenticate, preAuthentication,
 * runPreAuthentication, getCredentialsProperties, getDecrypted's defaults + expression resolution).
 *
 * Environment: see ./n8n-env.ts (a temp N8N_USER_FOLDER per test file, n8n's logger silenced).
 */
import './n8n-env';

export * from './n8n/types';
export * from './n8n/credentialsHelper';
export * from './n8n/runNode';
