#!/usr/bin/env node
/**
 * `npm run release:check [-- --tag vX.Y.Z] [--no-build]`: what must hold before a version is published
 * (CI runs it; the publish workflow runs it with the tag it publishes).
 *
 *   1. the packed tarball: `npm pack`, its files listed and checked — only the build (dist/), package.json,
 *      README, LICENSE, CHANGELOG; every node and credential package.json names is in it; no tests,
 *      fixtures, scripts, benchmarks, examples, docs, sources maps of tests or `.env`;
 *   2. version, CHANGELOG and tag agree: CHANGELOG.md has a section for package.json's version, and a
 *      release tag (--tag, the workflow's tag, or a v* tag on HEAD) is `v<version>`;
 *   3. n8n's community-package scan — its own rule set (@n8n/scan-community-package's buildScanConfig:
 *      @n8n/eslint-plugin-community-nodes recommended + eslint-plugin-n8n-nodes-base, no-console),
 *      inline disables ignored — on the source and on the unpacked tarball, as n8n's scanner runs it;
 *      passing except for the findings listed, each with its reason, in release/scan-exceptions.json
 *      (an exception that matches nothing fails too: the list stays true);
 *   4. the GitHub workflows validate (action-validator, from npm).
 * Exits 1 on any failure, after printing every one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import glob from 'fast-glob';
import { buildScanConfig, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const argValue = (name) => {
	const inline = args.find((a) => a.startsWith(`${name}=`));
	if (inline) return inline.slice(name.length + 1);
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
};

const failures = [];
const fail = (message) => failures.push(message);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const run = (cmd, cmdArgs, options = {}) => execFileSync(cmd, cmdArgs, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000, ...options });

// ---- 1. the tarball -------------------------------------------------------------------------------
if (!args.includes('--no-build')) {
	console.log('▸ npm run build');
	run('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const work = mkdtempSync(join(tmpdir(), 'alation-release-'));
const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work]))[0];
const files = packed.files.map((f) => f.path).sort();
console.log(`▸ ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked`);

// dist/package.json: the compiled code reads its own version from it (the User-Agent it sends).
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^dist\/package\.json$/, /^dist\/(credentials|nodes)\/.+\.(js|json|svg)$/];
const FORBIDDEN = [/(^|\/)(test|tests|__tests__|fixtures|scripts|bench|examples|docs|tools|\.github)\//, /(^|\/)\.env/, /\.(test|spec)\./, /\.tsbuildinfo$/, /\.map$/, /\.ts$/];
for (const file of files) {
	if (FORBIDDEN.some((re) => re.test(file))) fail(`tarball: ${file} must not be published`);
	else if (!ALLOWED.some((re) => re.test(file))) fail(`tarball: ${file} is not among the files a release ships (dist/ build, package.json, README, LICENSE, CHANGELOG)`);
}
for (const entry of [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])]) {
	if (!files.includes(entry)) fail(`tarball: ${entry} (named in package.json "n8n") is missing`);
}
for (const node of pkg.n8n?.nodes ?? []) {
	const codex = node.replace(/\.js$/, '.json');
	if (!files.includes(codex)) fail(`tarball: the codex file ${codex} is missing`);
}
for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
	if (!files.includes(required)) fail(`tarball: ${required} is missing`);
}
for (const field of ['repository', 'homepage', 'bugs', 'author', 'license']) {
	if (!pkg[field]) fail(`package.json: "${field}" is missing`);
}

// ---- 2. version, CHANGELOG, tag -------------------------------------------------------------------------
const changelog = existsSync(join(ROOT, 'CHANGELOG.md')) ? readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8') : '';
if (!new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm').test(changelog)) {
	fail(`CHANGELOG.md has no section "## [${pkg.version}]" for package.json's version`);
}
const tagged = (() => {
	const given = argValue('--tag') ?? (process.env.GITHUB_REF_TYPE === 'tag' ? process.env.GITHUB_REF_NAME : undefined);
	if (given) return [given];
	try {
		return run('git', ['tag', '--points-at', 'HEAD']).split('\n').filter((t) => /^v\d/.test(t));
	} catch {
		return [];
	}
})();
for (const tag of tagged) {
	if (tag !== `v${pkg.version}`) fail(`tag ${tag} does not match package.json's version ${pkg.version} (expected v${pkg.version})`);
}
console.log(`▸ version ${pkg.version}; CHANGELOG section ${failures.some((f) => f.startsWith('CHANGELOG')) ? 'missing' : 'present'}; tag ${tagged.length ? tagged.join(', ') : 'none on HEAD (not a release commit)'}`);

// ---- 3. n8n's community-package scan --------------------------------------------------------------------
const { exceptions } = JSON.parse(readFileSync(join(ROOT, 'release', 'scan-exceptions.json'), 'utf8'));
const used = new Set();
async function scan(folder, patterns, label) {
	const eslint = new ESLint({ cwd: folder, allowInlineConfig: false, overrideConfigFile: true, overrideConfig: await buildScanConfig() });
	const targets = glob.sync(patterns, { cwd: folder, absolute: true, ignore: ['node_modules/**', '**/package-lock.json'] });
	const results = await eslint.lintFiles(targets);
	let findings = 0;
	let excepted = 0;
	for (const result of results) {
		const file = relative(folder, result.filePath);
		for (const message of result.messages) {
			if (message.severity !== 2) continue;
			findings++;
			const match = exceptions.findIndex(
				(e) => e.rule === message.ruleId && e.files.includes(file) && (!e.message || message.message.includes(e.message)),
			);
			if (match >= 0) {
				used.add(match);
				excepted++;
			} else {
				fail(`scan (${label}): ${file}:${message.line} ${message.ruleId ?? 'parse error'} — ${message.message}`);
			}
		}
	}
	console.log(`▸ scan of the ${label}: ${targets.length} files, ${findings} findings, ${excepted} of them listed exceptions`);
}
const unpacked = join(work, 'package');
run('tar', ['xzf', join(work, packed.filename), '-C', work]);
await scan(ROOT, SOURCE_FILE_PATTERNS, 'source');
await scan(unpacked, ['**/*.js', 'package.json'], 'tarball');
exceptions.forEach((e, i) => {
	if (!used.has(i)) fail(`release/scan-exceptions.json: the exception for ${e.rule} (${e.files.join(', ')}) matches no finding any more: remove it`);
});

// ---- 4. the GitHub workflows --------------------------------------------------------------------------
const workflowDir = join(ROOT, '.github', 'workflows');
const workflows = existsSync(workflowDir) ? readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f)) : [];
for (const name of ['ci.yml', 'publish.yml']) if (!workflows.includes(name)) fail(`.github/workflows/${name} is missing`);
for (const name of workflows) {
	try {
		execFileSync(join(ROOT, 'node_modules', '.bin', 'action-validator'), [join(workflowDir, name)], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
	} catch (error) {
		fail(`.github/workflows/${name} does not validate: ${String(error.stdout ?? error.message).slice(0, 2000)}`);
	}
}
console.log(`▸ workflows validated: ${workflows.join(', ') || 'none'}`);

rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
	console.log(`\nrelease:check failed (${failures.length}):`);
	for (const f of failures) console.log(`  ✗ ${f}`);
	process.exit(1);
}
console.log('\nrelease:check passed');
