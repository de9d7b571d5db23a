import tseslint from 'typescript-eslint';
import { configs } from '@n8n/eslint-plugin-community-nodes';

// Import paths are relative (`../shared/json`), so each pattern is written for the depth of the
// files it is given to.
const NODE_FOLDER_LEAVES = {
	regex: '^\\.\\./(?!shared/)',
	message: 'A node folder imports its own files and nodes/shared/, never another node folder.',
};
const SHARED_TO_NODE = { regex: '^\\.\\./', message: 'nodes/shared/ never imports a node folder.' };
const SHARED_SUBFOLDER_TO_NODE = { regex: '^\\.\\./\\.\\./(?!\\.\\./|shared/)', message: 'nodes/shared/ never imports a node folder.' };
const SESSION_UP = { regex: '^\\./agentStudio/', message: 'session.ts is below agentStudio/: it never imports it.' };
const TOKEN_UP = {
	regex: '^\\.\\./(agentStudio/|session$|nodeErrors$|credentialDoors$)',
	message: "token/ is below session.ts, agentStudio/, nodeErrors.ts (the boundary to n8n's errors) and credentialDoors.ts: it never imports them.",
};
const BOTTOM_UP = {
	regex: '^\\.\\./(agentStudio/|token/|session$|nodeErrors$)',
	message: "http/, sse/ and auth/ are the bottom layer: they never import agentStudio/, session, token/ or nodeErrors (the boundary to n8n's errors).",
};
const NODE_SIDE_TO_DOORS = {
	regex: '(^|/)credentialDoors$',
	message: "nodes/shared/credentialDoors.ts is the credentials' adapter: only credentials/ import it, never the nodes' side.",
};
const AUTH_TO_HTTP = { regex: '^\\.\\./http/', message: 'auth/ does no I/O: it never imports http/.' };
const CREDENTIAL_OUTSIDE_SHARED = { regex: '^\\.(?!\\./nodes/shared/)', message: 'A credential imports only from nodes/shared/.' };

export default [
	{ ignores: ['dist/**', '.build/**', 'node_modules/**', 'coverage/**', '.n8n-runtime/**', '.e2e/**', '.ci-results/**'] },
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { project: './tsconfig.json' } },
		...configs.recommended,
		rules: {
			...configs.recommended.rules,
			// This package depends on undici (streaming HTTP with separate connect/headers/idle timeouts,
			// proxy support, cancellation), eventsource-parser (a spec-complete SSE parser) and ioredis
			// (the fleet's Redis in n8n queue mode; README: "Why three runtime dependencies"). n8n's
			// helpers cannot read a Server-Sent-Events stream incrementally, and hand-writing any of
			// them would be the bug farm these libraries exist to prevent. The price: the package cannot be
			// verified for n8n Cloud (which forbids runtime dependencies); it installs on self-hosted n8n.
			// These two rules exist only for that Cloud check, so they are off; every other rule is on.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			'@n8n/community-nodes/no-restricted-imports': 'off',
		},
	},
	// The direction of imports (README, "Imports go one way"), with eslint's own no-restricted-imports.
	// A file gets the patterns of the last block whose `files` match it (flat config replaces a rule's
	// options, it does not merge them), so a block for a narrower folder repeats the wider rule.
	{
		files: ['nodes/*/**/*.ts'],
		ignores: ['nodes/shared/**'],
		rules: { 'no-restricted-imports': ['error', { patterns: [NODE_FOLDER_LEAVES, NODE_SIDE_TO_DOORS] }] },
	},
	{
		files: ['nodes/shared/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_TO_NODE, NODE_SIDE_TO_DOORS] }] },
	},
	{
		files: ['nodes/shared/session.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_TO_NODE, SESSION_UP, NODE_SIDE_TO_DOORS] }] },
	},
	{
		files: ['nodes/shared/*/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_SUBFOLDER_TO_NODE, NODE_SIDE_TO_DOORS] }] },
	},
	{
		files: ['nodes/shared/token/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_SUBFOLDER_TO_NODE, TOKEN_UP, NODE_SIDE_TO_DOORS] }] },
	},
	{
		files: ['nodes/shared/http/**/*.ts', 'nodes/shared/sse/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_SUBFOLDER_TO_NODE, BOTTOM_UP] }] },
	},
	{
		files: ['nodes/shared/auth/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_SUBFOLDER_TO_NODE, BOTTOM_UP, AUTH_TO_HTTP] }] },
	},
	{
		files: ['credentials/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: [CREDENTIAL_OUTSIDE_SHARED] }] },
	},
	{
		// The package.json rules (name, peer dependencies, lifecycle scripts…) read it as an expression.
		files: ['package.json'],
		languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
		...configs.recommended,
		rules: {
			...configs.recommended.rules,
			// See above: the three runtime dependencies are deliberate.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// The maintainer's name, email and homepage are set by whoever publishes the package;
			// we do not invent contact details. Turn these back on before the first publish.
			'@n8n/community-nodes/valid-author': 'off',
			'@n8n/community-nodes/require-homepage': 'off',
		},
	},
];
