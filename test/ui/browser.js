// @ts-check
'use strict';

/**
 * The real browser of the UI suite: Debian's Chromium (/usr/bin/chromium, installed with apt-get when
 * missing and we are root) driven by playwright-core (the library only: it never downloads a browser).
 * The network here is closed, so Chromium runs with every background service off; otherwise it
 * floods failed connections (updates, sync, QUIC probes) and slows the page down.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { info, step, formatDuration } = require('../../scripts/lib/log');
const { run, tailLines } = require('../../scripts/lib/proc');

const CHROMIUM = '/usr/bin/chromium';
const APT_TIMEOUT_MS = 10 * 60 * 1000;

/** Flags for a headless Chromium on a closed network (see ../shared/docs/real-n8n.md). */
const CHROMIUM_ARGS = Object.freeze([
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
]);

/**
 * Makes sure Debian's Chromium is installed: `apt-get install -y chromium`, and `apt-get update`
 * then the install again if that fails (stale package lists). Only root can install it.
 *
 * @returns {Promise<string>} the browser's version line
 */
async function ensureChromium() {
	if (!fs.existsSync(CHROMIUM)) {
		if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
			throw new Error(`${CHROMIUM} is missing and this is not root: install Debian's chromium first (sudo apt-get install -y chromium), then run the suite again`);
		}
		const started = Date.now();
		step(`Installing Debian's chromium (apt-get install -y chromium): ${CHROMIUM} is missing`);
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		const install = () => run('apt-get', ['install', '-y', 'chromium'], { env, timeoutMs: APT_TIMEOUT_MS, label: 'apt-get install chromium' });
		let result = await install();
		if (result.code !== 0) {
			info('  apt-get install failed; running apt-get update and trying again');
			const update = await run('apt-get', ['update'], { env, timeoutMs: APT_TIMEOUT_MS, label: 'apt-get update' });
			if (update.code !== 0) throw new Error(`apt-get update failed:\n${tailLines(update.stderr || update.stdout)}`);
			result = await install();
		}
		if (result.code !== 0 || !fs.existsSync(CHROMIUM)) throw new Error(`apt-get install -y chromium failed:\n${tailLines(result.stderr || result.stdout)}`);
		info(`  chromium installed (${formatDuration(Date.now() - started)})`);
	}
	const version = await run(CHROMIUM, ['--version'], { timeoutMs: 30000, label: 'chromium --version' });
	return version.stdout.trim().split('\n').pop() ?? 'chromium';
}

/** playwright-core, with a useful message when it is not installed. */
function loadPlaywright() {
	try {
		return /** @type {typeof import('playwright-core')} */ (require('playwright-core'));
	} catch (error) {
		const code = /** @type {{ code?: string }} */ (error).code;
		if (code === 'MODULE_NOT_FOUND') {
			throw new Error('playwright-core is not installed: it is a devDependency of this package (npm ci), or for a one-off run: npm install --no-save playwright-core@1.65.1');
		}
		throw error;
	}
}

/**
 * Launches headless Chromium with a fresh profile (removed by `close`) and one page.
 * The editor's elements carry `data-test-id`, which `getByTestId` then finds.
 *
 * @param {{ viewport?: { width: number, height: number } }} [options]
 */
async function launchBrowser(options = {}) {
	const { chromium, selectors } = loadPlaywright();
	selectors.setTestIdAttribute('data-test-id');
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-nodes-alation-ui-chromium-'));
	let context;
	try {
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: [...CHROMIUM_ARGS],
			viewport: options.viewport ?? { width: 1600, height: 1000 },
			timeout: 60000,
		});
	} catch (error) {
		fs.rmSync(profile, { recursive: true, force: true });
		throw error;
	}
	const page = context.pages()[0] ?? (await context.newPage());
	const ctx = context;
	return {
		context: ctx,
		page,
		version: ctx.browser()?.version() ?? '',
		close: async () => {
			await ctx.close().catch(() => undefined);
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, ensureChromium, launchBrowser, loadPlaywright };
