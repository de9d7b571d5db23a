#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * Secret scan of the repository (CI: .ci/run). Reads every file git tracks, and the untracked files
 * it does not ignore (so a secret is caught before it is committed), and looks for private key
 * blocks, known token formats, credentials in URLs, and high-entropy values assigned to
 * secret-looking names. Exits 1 with the findings (values masked) if there is any, else 0.
 *
 *   node tools/secret-scan.js            scan the repository
 *   node tools/secret-scan.js --verbose  also list the allowlisted hits
 *
 * A finding that is a deliberate fake (a test fixture) is allowlisted below by path and rule, with
 * the reason; a single line can also carry the marker `secret-scan: allow` (say why next to it).
 * Plain CommonJS, standard library only, Node ≥ 20.
 */

const { execFileSync } = require('node:child_process');
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * @typedef {object} Rule
 * @property {string} id
 * @property {RegExp} pattern   global; the match (or its group `value`) is the secret
 * @property {(value: string, line: string) => boolean} [accept]  false: not a finding after all
 */

/** Bits of entropy per character of `text` (Shannon). */
function entropy(text) {
	const counts = new Map();
	for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
	let bits = 0;
	for (const count of counts.values()) {
		const p = count / text.length;
		bits -= p * Math.log2(p);
	}
	return bits;
}

const PLACEHOLDER = /^(?:<[^>]*>|\$\{[^}]*\}|\{\{.*\}\}|=\{\{.*|process\.env\..*|x+|\*+|\.{3}|…|changeme|placeholder|example.*|your[-_ ].*|redacted|\[.*\])$/i;

/** @type {Rule[]} */
const RULES = [
	{
		id: 'private-key',
		// A PEM private key with a body: the BEGIN line, then (a real or an escaped `\n` line break) base64.
		pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\r?\n|\\r?\\n)(?:[A-Za-z0-9-]+: [^\n]*(?:\r?\n|\\r?\\n))*[A-Za-z0-9+/=]{40,}/g,
	},
	{ id: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
	{ id: 'aws-secret-access-key', pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?(?<value>[A-Za-z0-9/+=]{40})\b/gi },
	{ id: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b/g },
	{ id: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
	{ id: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
	{ id: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/g },
	{ id: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
	{
		id: 'npmrc-auth-token',
		pattern: /_authToken\s*=\s*(?<value>[^\s"'$][^\s"']{9,})/g,
	},
	{ id: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
	{ id: 'stripe-live-key', pattern: /\b[rs]k_live_[0-9a-zA-Z]{24,}\b/g },
	{ id: 'openai-or-anthropic-key', pattern: /\bsk-(?:proj-|ant-(?:api\d+-)?)?[A-Za-z0-9_-]{32,}\b/g },
	{
		id: 'jwt',
		// A literal JWT with a signature (tests build theirs at run time).
		pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/g,
	},
	{
		id: 'url-credentials',
		pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@'"`]+:(?<value>[^/\s:@'"`]{6,})@[^\s'"`]+/gi,
		accept: (value) => !PLACEHOLDER.test(value) && !/^(?:password|passw0rd|secret|pass|pwd)$/i.test(value) && entropy(value) >= 2.5,
	},
	{
		id: 'high-entropy-assignment',
		// A secret-looking name given a long literal: `clientSecret: '…'`, `"api_key": "…"`, `TOKEN=…`.
		pattern: /(?:secret|passw(?:or)?d|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)["'`]?\s*[:=]\s*["'`](?<value>[^"'`\s]{20,})["'`]/gi,
		accept: (value) =>
			!PLACEHOLDER.test(value) &&
			/[A-Za-z]/.test(value) &&
			/\d/.test(value) &&
			entropy(value) >= 4.0 &&
			// A file path, a URL, or an identifier made of words is not a secret.
			!/^(?:\.{0,2}\/|https?:\/\/)/.test(value) &&
			!/^[a-z]+(?:[-_.][a-z0-9]+)+$/i.test(value),
	},
];

/**
 * Deliberate fakes, by path (exact, or a prefix ending in '/') and rule.
 *
 * @type {Array<{ path: string, rule: string, reason: string }>}
 */
const ALLOWLIST = [
	{
		path: 'test/integration/setWarehouseCredentials.test.ts',
		rule: 'private-key',
		reason: 'fake PEM keys for the validation tests: generated with crypto.generateKeyPairSync at run time, or deliberately broken',
	},
	{
		path: 'test/fixtures/tls/localhost.key.pem',
		rule: 'private-key',
		reason: 'key of the self-signed 127.0.0.1 test certificate (test/fixtures/tls/README.md); it protects nothing',
	},
	{
		path: 'test/unit/urlAndCredentials.test.ts',
		rule: 'url-credentials',
		reason: 'a made-up user:password URL the test checks is refused without being echoed',
	},
];

const INLINE_ALLOW = 'secret-scan: allow';

function trackedFiles() {
	const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
	return [...new Set(out.toString('utf8').split('\0').filter(Boolean))].sort();
}

/** @param {string} file @param {string} rule */
function allowlisted(file, rule) {
	return ALLOWLIST.find((entry) => (entry.rule === '*' || entry.rule === rule) && (entry.path.endsWith('/') ? file.startsWith(entry.path) : file === entry.path));
}

/** @param {string} value */
function mask(value) {
	return value.length <= 8 ? '*'.repeat(value.length) : `${value.slice(0, 4)}…(${value.length} chars)`;
}

function main() {
	const verbose = process.argv.includes('--verbose');
	const files = trackedFiles();
	/** @type {string[]} */
	const findings = [];
	/** @type {string[]} */
	const allowed = [];
	let scanned = 0;
	for (const file of files) {
		const absolute = path.join(ROOT, file);
		let stat;
		try {
			stat = statSync(absolute);
		} catch {
			continue; // deleted in the work tree
		}
		if (!stat.isFile() || stat.size > MAX_BYTES) continue;
		const bytes = readFileSync(absolute);
		if (bytes.subarray(0, 8000).includes(0)) continue; // binary
		const text = bytes.toString('utf8');
		scanned++;
		const lineStarts = [0];
		for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
		const lineOf = (index) => {
			let lo = 0;
			let hi = lineStarts.length - 1;
			while (lo < hi) {
				const mid = (lo + hi + 1) >> 1;
				if (lineStarts[mid] <= index) lo = mid;
				else hi = mid - 1;
			}
			return lo;
		};
		for (const rule of RULES) {
			rule.pattern.lastIndex = 0;
			for (const match of text.matchAll(rule.pattern)) {
				const value = match.groups?.value ?? match[0];
				const index = match.index ?? 0;
				const lineNumber = lineOf(index);
				const line = text.slice(lineStarts[lineNumber], lineStarts[lineNumber + 1] ?? text.length);
				if (rule.accept && !rule.accept(value, line)) continue;
				const where = `${file}:${lineNumber + 1}  ${rule.id}  ${mask(value)}`;
				const entry = allowlisted(file, rule.id);
				if (entry) allowed.push(`${where}  (allowlisted: ${entry.reason})`);
				else if (line.includes(INLINE_ALLOW)) allowed.push(`${where}  (allowed on the line)`);
				else findings.push(where);
			}
		}
	}
	if (verbose) for (const line of allowed) console.log(`allowed  ${line}`);
	if (findings.length > 0) {
		console.error(`secret scan: ${findings.length} possible secret(s) in ${scanned} files:`);
		for (const line of findings) console.error(`  ${line}`);
		console.error('Remove the secret (and rotate it if it was real). A deliberate fake: add it to ALLOWLIST in tools/secret-scan.js with the reason.');
		process.exit(1);
	}
	console.log(`secret scan: ${scanned} files, no secrets (${allowed.length} allowlisted hit(s))`);
}

main();
