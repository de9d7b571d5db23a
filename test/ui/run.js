#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run test:ui [-- --json --outputFile=<file>] [--keep]`: this package in the real n8n editor
 * (2.41.1 on Node 24, installed on first use), in a real headless browser (Debian's Chromium driven by
 * playwright-core), against the loopback Alation simulator. The set-up is `npm run dev`'s: the packed
 * tarball installed into a fresh n8n user folder's .n8n/nodes as users do, the "Alation API
 * (simulator)" credential and the example workflows imported, `n8n start` on a free port. Then,
 * as a user would: sign in on the sign-in page, search the nodes panel, load the Agent list, run a
 * workflow from the editor, test the credential, chat with the streaming example. Each check is a
 * row of the results table with at least one screenshot; the screenshots, the page texts and the
 * logs stay in the run's work folder when a check fails (or with --keep). The last check scans
 * every saved output, every answer n8n sent the browser and the n8n log for secrets.
 */

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { examplesForSimulator, SIGN_IN_CREDENTIAL, SIMULATOR_CREDENTIAL } = require('../../scripts/lib/examples');
const { argValue } = require('../../scripts/lib/args');
const { ensureN8n } = require('../../scripts/lib/install-n8n');
const { freshFolder, prepareInstance } = require('../../scripts/lib/instance');
const { formatDuration, info, step } = require('../../scripts/lib/log');
const { freePort } = require('../../scripts/lib/n8n');
const { PACKAGE, packPackage } = require('../../scripts/lib/package');
const { REPO, WORK_ROOT } = require('../../scripts/lib/paths');
const { onCleanup, runCleanups, stopAll } = require('../../scripts/lib/proc');
const { OWNER, startServer } = require('../../scripts/lib/server');
const { startLocalSimulator } = require('../../scripts/lib/simulator');
const { examplesOnFakeModel, startFakeModel } = require('../../scripts/lib/fake-model');
const { AGENTS, answerText, DEMO } = require('../simulator');
const { ensureChromium, launchBrowser, loadPlaywright } = require('./browser');
const { crashResults, scanForSecrets, writeResults } = require('../../scripts/lib/report');
const { UiHarness } = require('./harness');

/** The whole suite (n8n and Chromium installs excluded) must finish in this time. */
const SUITE_TIMEOUT_MS = 8 * 60 * 1000;
/** How long a UI step may wait for the editor (element shown, list loaded, run finished). */
const UI_WAIT_MS = 20000;
/** A workflow run or a chat answer from the editor. */
const RUN_WAIT_MS = 60000;
/** How long to wait for another engineer's `npm run build` to put dist/ back. */
const DIST_WAIT_MS = 3 * 60 * 1000;

const OUR_NODES = ['Alation Agent Chat', 'Alation Create Access Token', 'Alation Run Tool', 'Alation Set Warehouse Credentials'];

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? (argValue(args, '--outputFile') ?? path.join('.ci-results', 'ui.json')) : argValue(args, '--outputFile');
const keep = args.includes('--keep') || process.env.UI_KEEP === '1';
/** `--pictures`: also write the README's images (docs/images/*.jpg) from the same steps. */
const pictures = args.includes('--pictures');

/**
 * Polls `fn` until it returns something truthy; fails after `timeoutMs` naming `what` and the last
 * value seen.
 *
 * @template T
 * @param {string} what
 * @param {() => Promise<T | null | undefined | false>} fn
 * @param {{ timeoutMs?: number, intervalMs?: number, describe?: () => string }} [options]
 * @returns {Promise<T>}
 */
async function poll(what, fn, options = {}) {
	const timeoutMs = options.timeoutMs ?? UI_WAIT_MS;
	const started = Date.now();
	let lastError = '';
	for (;;) {
		try {
			const value = await fn();
			if (value) return value;
		} catch (error) {
			lastError = error instanceof Error ? error.message.split('\n')[0] : String(error);
		}
		if (Date.now() - started > timeoutMs) {
			const seen = options.describe?.() ?? lastError;
			throw new Error(`${what}: not within ${formatDuration(timeoutMs)}${seen ? ` (last seen: ${seen})` : ''}`);
		}
		await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
	}
}

/**
 * The inner texts of the visible elements a locator matches (hidden dropdowns of earlier opens stay
 * in the DOM in n8n's editor).
 *
 * @param {import('playwright-core').Locator} locator
 */
async function visibleTexts(locator) {
	// Runs in the page (DOM types are not in this project's type libraries, hence `any`).
	return await locator.evaluateAll((/** @type {any[]} */ elements) =>
		elements.filter((e) => e.offsetParent !== null).map((e) => String(e.innerText).replace(/\s+/g, ' ').trim()),
	);
}

/** @param {string} text @param {number} [max] */
function short(text, max = 120) {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * dist/ as `npm run build` leaves it: the node and credential files and each node's codex and icon.
 * Another engineer's build empties dist/ for a while; then we wait for it.
 */
function distComplete() {
	/** @type {string[]} */
	const nodes = PACKAGE.n8n.nodes;
	/** @type {string[]} */
	const credentials = PACKAGE.n8n.credentials;
	const files = [...nodes, ...credentials, ...nodes.map((file) => file.replace(/\.js$/, '.json'))];
	return files.every((file) => fs.existsSync(path.join(REPO, file)));
}

/** @param {string} destination */
async function packWhenBuilt(destination) {
	const started = Date.now();
	for (;;) {
		if (distComplete()) {
			try {
				return await packPackage(destination);
			} catch (error) {
				if (Date.now() - started > DIST_WAIT_MS || distComplete()) throw error;
			}
		}
		if (Date.now() - started > DIST_WAIT_MS) throw new Error(`dist/ is incomplete (run npm run build); waited ${formatDuration(DIST_WAIT_MS)} for a build in progress`);
		if (Date.now() - started < 1000) info('  dist/ is incomplete (a build in progress?): waiting for it');
		await new Promise((resolve) => setTimeout(resolve, 3000));
	}
}

async function main() {
	const startTime = Date.now();
	info(`${PACKAGE.name} UI suite: the package in the real n8n editor, in headless Chromium, against the Alation simulator\n`);
	const chromiumVersion = await ensureChromium();
	loadPlaywright();
	const playwrightVersion = /** @type {{ version: string }} */ (require('playwright-core/package.json')).version;
	info(`${chromiumVersion}; playwright-core ${playwrightVersion}`);
	const runtime = await ensureN8n();

	const suiteStarted = Date.now();
	const watchdog = setTimeout(() => {
		process.stderr.write(`\nThe UI suite did not finish within ${formatDuration(SUITE_TIMEOUT_MS)}: stopping.\n`);
		void stopAll(3000).then(runCleanups).finally(() => process.exit(1));
	}, SUITE_TIMEOUT_MS);
	watchdog.unref();

	const sim = await startLocalSimulator();
	info(`Alation simulator on ${sim.url}`);
	// Example 04's AI Agent needs a chat model: an OpenAI-compatible one on loopback.
	const model = await startFakeModel();
	onCleanup(() => model.close());
	const { examples, credentials, workflows } = examplesOnFakeModel(examplesForSimulator(sim.url, DEMO), model.url);

	/** A wrong client secret typed into the credential form; like the real ones, it must never show up. */
	const wrongSecret = ['ui-wrong', crypto.randomBytes(12).toString('hex')].join('-'); // generated at run time
	const secrets = [DEMO.clientSecret, DEMO.refreshToken, DEMO.password, DEMO.keycloakClientSecret, DEMO.keycloakPassword, DEMO.userOauthClientSecret, wrongSecret];

	const workDir = freshFolder(WORK_ROOT, 'ui');
	const userFolder = path.join(workDir, 'n8n');
	const screenshotDir = path.join(workDir, 'screenshots');
	const outputDir = path.join(workDir, 'outputs');
	let passed = false;
	onCleanup(() => {
		if (passed && !keep) fs.rmSync(workDir, { recursive: true, force: true });
	});

	const setupStarted = Date.now();
	const tarball = await packWhenBuilt(workDir);
	/** @type {Array<{ label: string, text: string }>} */
	const setupOutputs = [];
	const ctx = await prepareInstance({ runtime, userFolder, credentials, workflows, tarball, onOutput: (label, text) => setupOutputs.push({ label, text }) });
	const installedCodex = JSON.parse(
		fs.readFileSync(path.join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE.name, 'dist', 'nodes', 'AlationAgentChat', 'AlationAgentChat.node.json'), 'utf8'),
	);

	const port = await freePort();
	step(`Starting n8n ${runtime.version} (editor) on port ${port}`);
	fs.mkdirSync(outputDir, { recursive: true });
	const n8nLog = fs.createWriteStream(path.join(outputDir, 'n8n.log'));
	const server = await startServer(ctx, { port, onLine: (line) => n8nLog.write(`${line}\n`) });
	onCleanup(async () => {
		await server.close();
		await new Promise((resolve) => n8nLog.end(resolve));
	});
	info(`  editor at ${server.url} (set-up ${formatDuration(Date.now() - setupStarted)})`);

	step('Starting headless Chromium');
	const browser = await launchBrowser();
	onCleanup(() => browser.close());
	const { page, context } = browser;
	page.setDefaultTimeout(UI_WAIT_MS);
	page.setDefaultNavigationTimeout(45000);
	page.on('dialog', (dialog) => void dialog.accept().catch(() => undefined));

	// What the browser saw: console messages, and every answer n8n sent it (HTTP and push frames), in
	// memory, for the secret scan.
	/** @type {string[]} */
	const consoleLines = [];
	page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
	page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.message}`));
	/** @type {Array<{ label: string, text: string }>} */
	const received = [];
	/** @type {Promise<void>[]} */
	const pendingBodies = [];
	context.on('response', (response) => {
		const url = response.url();
		if (!url.startsWith(server.url)) return;
		const type = response.headers()['content-type'] ?? '';
		if (!/json|text|javascript/.test(type) || /\.(js|css)(\?|$)/.test(new URL(url).pathname)) return;
		pendingBodies.push(
			response
				.text()
				.then((text) => void received.push({ label: `${response.request().method()} ${new URL(url).pathname}`, text }))
				.catch(() => undefined),
		);
	});
	page.on('websocket', (ws) => {
		ws.on('framereceived', (frame) => received.push({ label: `push ${ws.url()}`, text: String(frame.payload) }));
	});

	const h = new UiHarness({ page, screenshotDir, outputDir, picturesDir: pictures ? path.join(REPO, 'docs', 'images') : undefined });
	for (const o of setupOutputs) h.record(`setup-${o.label}.log`, o.text);
	const canvasNode = (/** @type {string} */ name) => page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
	const escape = async () => {
		await page.keyboard.press('Escape');
		await page.waitForTimeout(300);
	};
	/**
	 * "Execute workflow" on the open workflow; resolves when `lastNode` shows its green tick (a node's
	 * red status fails at once). Returns how long the run took.
	 *
	 * @param {string} lastNode
	 * @param {string} what  e.g. 'example 08'
	 */
	const executeWorkflow = async (lastNode, what) => {
		const started = Date.now();
		await page.getByTestId('execute-workflow-button').click();
		await poll(
			`${what} to finish (${lastNode} green)`,
			async () => {
				const errors = await page.locator('[data-test-id="canvas-node"] [data-test-id^="canvas-node-status-error"]').count();
				if (errors > 0) throw new Error(`${errors} node(s) failed on the canvas`);
				return (await canvasNode(lastNode).getByTestId('canvas-node-status-success').count()) > 0;
			},
			{ timeoutMs: RUN_WAIT_MS },
		);
		return Date.now() - started;
	};
	/**
	 * Opens `node`'s output panel, waits until its text passes `shows`, takes the screenshot (and the
	 * README picture, when named), closes the panel. Returns the panel's text.
	 *
	 * @param {string} node
	 * @param {string} what  the poll's description
	 * @param {(text: string) => boolean} shows
	 * @param {{ screenshot: string, picture?: string }} names
	 */
	const outputPanel = async (node, what, shows, names) => {
		await canvasNode(node).dblclick();
		const panel = page.getByTestId('output-panel');
		await panel.waitFor();
		let text = '';
		await poll(
			what,
			async () => {
				text = await panel.innerText();
				return shows(text);
			},
			{ describe: () => short(text, 300) },
		);
		await h.screenshot(names.screenshot);
		if (names.picture) await h.picture(names.picture);
		await page.getByTestId('ndv-close-button').click();
		await page.getByTestId('ndv').waitFor({ state: 'hidden' });
		return text;
	};

	step(`Checks (${chromiumVersion}, n8n ${runtime.version})`);

	// a. The sign-in page, then the workflows list.
	await h.check('a', 'sign in on the sign-in page; the workflows list shows every example', async () => {
		await page.goto(`${server.url}/signin`);
		await page.getByLabel(/email/i).first().fill(OWNER.email);
		await page.getByLabel(/password/i).first().fill(OWNER.password);
		await h.screenshot('signin');
		await page.getByRole('button', { name: /sign in/i }).click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30000 });
		const landedOn = new URL(page.url()).pathname;
		if (!landedOn.startsWith('/home/workflows')) await page.goto(`${server.url}/home/workflows`);
		const expected = examples.map((e) => e.workflow.name);
		/** @type {string[]} */
		let names = [];
		await poll(
			'every example in the workflows list',
			async () => {
				names = await visibleTexts(page.getByTestId('workflow-card-name'));
				return expected.every((name) => names.includes(name));
			},
			{ describe: () => JSON.stringify(names) },
		);
		assert.equal(names.length, expected.length, `workflows listed: ${JSON.stringify(names)}`);
		return `landed on ${landedOn}; ${names.length} workflows: ${names.map((n) => `"${n.replace(/^Alation: /, '')}"`).join(', ')}`;
	});

	// b. The nodes panel (node creator) finds the package's nodes; Agent Chat is an AI root node in its
	// codex, without which the editor took it for a sub-node and left it out of the search.
	await h.check('b', 'nodes panel search: "Alation" lists the 4 nodes, "Agent Chat" and "Run Tool" find theirs', async () => {
		/** @type {Record<string, string[]>} */
		const found = {};
		const search = async (/** @type {string} */ query, /** @type {string[]} */ wanted) => {
			const input = page.getByTestId('node-creator-search-bar');
			await input.fill(query);
			/** @type {string[]} */
			let names = [];
			let key = '';
			let stableSince = Date.now();
			// The list follows the search box after a debounce: done when it lists what we want and
			// has not changed for a second.
			await poll(
				`"${query}" lists ${wanted.join(', ')}`,
				async () => {
					names = await visibleTexts(page.locator('[data-test-id="node-creator"] [data-test-id="node-creator-item-name"]'));
					if (names.join('|') !== key) {
						key = names.join('|');
						stableSince = Date.now();
						return false;
					}
					return wanted.every((w) => names.includes(w)) && Date.now() - stableSince >= 1000;
				},
				{ timeoutMs: 10000, describe: () => (names.length ? JSON.stringify(names) : 'no results') },
			);
			found[query] = names;
			await h.screenshot(`search-${query}`);
			if (query === 'Alation') await h.picture('nodes-panel-search');
		};
		await h.retry(
			'opening the nodes panel on a new workflow',
			async () => {
				await page.goto(`${server.url}/workflow/new`);
				await page.getByTestId('canvas').waitFor();
				await page.getByTestId('node-creator-plus-button').click();
				await page.getByTestId('node-creator').waitFor();
				await page.getByTestId('node-creator-search-bar').waitFor();
			},
			{ recover: escape },
		);
		await search('Alation', OUR_NODES);
		await search('Agent Chat', ['Alation Agent Chat']);
		await search('Run Tool', ['Alation Run Tool']);
		await escape();
		const ai = installedCodex.subcategories?.AI ?? [];
		return `"Alation" → ${found.Alation.join(', ')}; "Agent Chat" → ${found['Agent Chat'].join(', ')}; "Run Tool" → ${found['Run Tool'].join(', ')} (codex AI subcategories: ${ai.join(', ')})`;
	});

	// c. Example 02, the Agent parameter's "From list": the simulator's 8 agents, and search filters.
	await h.check('c', 'example 02: Agent Chat\'s Agent "From list" loads the 8 agents; searching filters', async () => {
		const agentNames = AGENTS.map((a) => (a.is_default ? a.name : `${a.name} (custom)`));
		await h.retry(
			'opening the Ask node of example 02',
			async () => {
				await page.goto(`${server.url}/workflow/alationMultiTurn`);
				await canvasNode('Ask').waitFor();
				await canvasNode('Ask').dblclick();
				await page.getByTestId('ndv').waitFor();
				await page.getByTestId('resource-locator-agent').waitFor();
			},
			{ recover: escape },
		);
		const rl = page.getByTestId('resource-locator-agent');
		const items = page.locator('[data-test-id="rlc-item"]');
		/** @type {string[]} */
		let listed = [];
		await h.retry(
			'the agent list',
			async () => {
				await rl.getByTestId('rlc-mode-selector').click();
				await page.locator('[data-test-id="mode-list"]:visible').click();
				await rl.getByTestId('rlc-input').click();
				await poll(
					'the 8 agents in the list',
					async () => {
						listed = await visibleTexts(items);
						return listed.length === agentNames.length;
					},
					{ describe: () => JSON.stringify(listed) },
				);
			},
			{ recover: escape },
		);
		assert.deepEqual([...listed].sort(), [...agentNames].sort());
		await h.screenshot('agent-list');
		await h.picture('agent-chat-agent-list');

		const searchBox = page.locator('[data-test-id="rlc-search"]:visible');
		/** @type {string[]} */
		let filtered = [];
		await searchBox.fill('sql');
		await poll(
			'the list filtered by "sql"',
			async () => {
				filtered = await visibleTexts(items);
				return filtered.length > 0 && filtered.length < agentNames.length && filtered.includes('SQL Query Agent') && !filtered.includes('Catalog Search Agent');
			},
			{ describe: () => JSON.stringify(filtered) },
		);
		await h.screenshot('agent-search-sql');

		// Pick an agent as a user would (the one the example uses), so the run of check d is unchanged.
		await searchBox.fill('catalog search');
		await poll('"catalog search" lists Catalog Search Agent', async () => (await visibleTexts(items)).includes('Catalog Search Agent'));
		await page.locator('[data-test-id="rlc-item"]:visible', { hasText: /^Catalog Search Agent$/ }).click();
		const shown = await poll('the picked agent in the field', async () => {
			const value = await rl.getByTestId('rlc-input').inputValue();
			return value ? value : null;
		});
		await h.screenshot('agent-picked');
		await page.getByTestId('ndv-close-button').click();
		await page.getByTestId('ndv').waitFor({ state: 'hidden' });
		return `listed: ${listed.join(', ')}; "sql" → ${filtered.join(', ')}; picked → field shows "${shown}"`;
	});

	// d. Example 02 run from the editor: the Agent Chat node's output panel shows the answer.
	await h.check('d', 'example 02 run from the editor ("Execute workflow"): Agent Chat output shows an answer', async () => {
		if (!new URL(page.url()).pathname.startsWith('/workflow/alationMultiTurn')) {
			await page.goto(`${server.url}/workflow/alationMultiTurn`);
		}
		await escape();
		await canvasNode('Ask').waitFor();
		const greenBefore = await page.locator('[data-test-id="canvas-node-status-success"]').count();
		assert.equal(greenBefore, 0, 'no node shows a run yet');
		const runMs = await executeWorkflow('Summary', 'the run');
		await h.screenshot('canvas-after-run');

		const outputOf = async (/** @type {string} */ node, /** @type {string} */ expected) =>
			await outputPanel(node, `${node}'s output panel shows answer "${short(expected, 60)}"`, (text) => /\banswer\b/.test(text) && text.includes(expected), {
				screenshot: `output-${node}`,
				picture: node === 'Ask' ? 'agent-chat-output' : undefined,
			});
		const first = answerText('Which tables hold customer revenue?', 'Catalog Search Agent', 1);
		const second = answerText('Who owns the largest of them?', 'Catalog Search Agent', 2);
		await outputOf('Ask', first);
		await outputOf('Follow up', second);
		return `run finished ${(runMs / 1000).toFixed(1)} s after the click; Ask output: answer "${first}"; Follow up: "${short(second, 70)}" (same chat, turn 2)`;
	});

	// e. The credential's Test (the Retry button of the modal's test banner), then a wrong secret.
	await h.check('e', 'credential test: OK; a wrong Client Secret → clear error naming the Client Secret, no secret in it', async () => {
		await page.goto(`${server.url}/home/credentials`);
		await page.getByTestId('resources-list-item').filter({ hasText: SIMULATOR_CREDENTIAL.name }).click();
		const modal = page.getByTestId('editCredential-modal');
		await modal.waitFor();
		const success = modal.locator('[data-test-id="credentials-config-container-test-success"]:visible');
		const failure = modal.locator('.el-tag--danger:visible').filter({ hasText: /Couldn.t connect/ });
		const retry = modal.getByRole('button', { name: 'Retry' });
		// Opening a saved credential tests it once by itself; pressing Retry tests it again.
		await poll('the first test result on opening', async () => (await success.count()) + (await failure.count()) > 0);
		const before = sim.requestLog.length;
		await retry.click();
		// The banner may stay up while the new test runs: wait for its request, then the banner.
		await poll('the test to reach the simulator', async () => sim.requestLog.length > before, { timeoutMs: 10000 }).catch(() => undefined);
		await success.waitFor();
		const requests = sim.requestLog.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
		const okText = short((await success.innerText()).replace(/\bRetry\b/g, ''));
		await h.screenshot('test-ok');
		await h.picture('credential-test');

		await modal.getByTestId('parameter-input-clientSecret').locator('input').fill(wrongSecret);
		await retry.click();
		await failure.waitFor();
		const details = modal.getByText('More details');
		if (await details.isVisible()) await details.click();
		let message = '';
		await poll('the error details', async () => {
			message = (await failure.innerText()).replace(/\bRetry\b/g, ' ');
			return /Client Secret/i.test(message) ? message : null;
		}, { timeoutMs: 10000, describe: () => short(message, 300) });
		await h.screenshot('test-wrong-secret');
		for (const s of secrets) assert.ok(!message.includes(s), `a secret (${s.slice(0, 3)}…) in the error message`);

		// Close without saving: the stored credential keeps the right secret for check f.
		await modal.locator('.el-dialog__headerbtn, button[aria-label="Close this dialog"]').first().click();
		await page.getByRole('button', { name: 'Close', exact: true }).click();
		await modal.waitFor({ state: 'hidden' });
		return `"${okText}" (Retry sent ${requests.length ? requests.join(', ') : 'no request'}); wrong secret → "${short(message, 400)}"`;
	});

	// f. Example 03 (Chat Trigger, streaming): two messages in the editor's chat.
	/** @type {{ first: string, second: string, partials: string[], streams: Array<{ chatId: string | undefined }> } | null} */
	let chat = null;
	await h.check('f', 'example 03 (Chat Trigger, streaming): the chat shows the agent\'s answers to a message and a follow-up', async () => {
		sim.options.chunkDelayMs = 250;
		const since = Date.now();
		try {
			await h.retry(
				'opening the chat of example 03',
				async () => {
					await page.goto(`${server.url}/workflow/alationChatStream`);
					await page.getByTestId('canvas').waitFor();
					await page.getByTestId('workflow-chat-button').click();
					await page.getByTestId('chat-input').waitFor();
				},
				{ recover: escape },
			);
			const bot = page.locator('[data-test-id="canvas-chat"] .chat-message-from-bot:not(.chat-message-typing)');
			/** @type {string[]} */
			const partials = [];
			const ask = async (/** @type {string} */ message, /** @type {number} */ n) => {
				await page.getByTestId('chat-input').fill(message);
				await page.getByTestId('chat-input').press('Enter');
				let text = '';
				let stableSince = 0;
				await poll(
					`answer ${n} in the chat`,
					async () => {
						const texts = (await visibleTexts(bot)).filter(Boolean);
						if (texts.length < n) return false;
						const now = texts[n - 1];
						if (now !== text) {
							if (n === 1 && now) partials.push(now);
							text = now;
							stableSince = Date.now();
							return false;
						}
						// Done when the text has not changed for 2 s and ends like the simulator's answers.
						return /→ terminé$/.test(text) && Date.now() - stableSince > 2000;
					},
					{ timeoutMs: RUN_WAIT_MS, intervalMs: 100, describe: () => short(text, 200) },
				);
				await h.screenshot(`chat-answer-${n}`);
				if (n === 2) await h.picture('chat-follow-up');
				return text;
			};
			const first = await ask('Which tables hold revenue?', 1);
			assert.match(first, /^Answer to "Which tables hold revenue\?" from Catalog Search Agent \(turn \d+\)/);
			const second = await ask('Who owns the largest of them?', 2);
			assert.match(second, /^Answer to "Who owns the largest of them\?" from Catalog Search Agent/);
			const streams = sim.requestLog.filter((r) => r.at >= since && r.path.endsWith('/stream')).map((r) => ({ chatId: r.query.chat_id }));
			chat = { first, second, partials, streams };
			return `answer 1 "${first}" (seen growing in ${partials.length} steps); answer 2 "${second}"`;
		} finally {
			sim.options.chunkDelayMs = 0;
		}
	});

	// f2. Did the follow-up continue the Alation chat (the n8n chat session's, Agent Chat's chat memory)?
	await h.check('f2', 'example 03: the follow-up continues the same Alation chat', async () => {
		if (!chat) throw new Error('check f did not get both answers');
		const c = /** @type {{ first: string, second: string, streams: Array<{ chatId: string | undefined }> }} */ (chat);
		const turn = /\(turn (\d+)\)/.exec(c.second)?.[1];
		const sent = c.streams.map((s, i) => `message ${i + 1}: ${s.chatId ? `?chat_id=${s.chatId.slice(0, 8)}…` : 'no chat_id (new chat)'}`).join(', ');
		assert.equal(turn, '2', `not continued: the 2nd answer says "(turn ${String(turn)})", i.e. Alation started a new chat (${sent})`);
		return `continued: 2nd answer is turn 2 (${sent})`;
	});

	// f3. Example 04 (AI Agent + Agent Chat as its tool) with the loopback fake model: one answer, the AI Agent's.
	await h.check('f3', 'example 04 (AI Agent, Agent Chat as a tool): the chat shows only the AI Agent\'s answer', async () => {
		const since = Date.now();
		await h.retry(
			'opening the chat of example 04',
			async () => {
				await page.goto(`${server.url}/workflow/alationAiAgentTool`);
				await page.getByTestId('canvas').waitFor();
				// The chat panel stays open from check f (its button then says "Hide chat"): close it
				// first, so the chat opens fresh for this workflow as a user's first click would.
				await page.waitForTimeout(500);
				if (await page.getByTestId('chat-input').isVisible()) {
					await page.getByTestId('workflow-chat-button').click();
					await page.getByTestId('chat-input').waitFor({ state: 'hidden' });
				}
				await page.getByTestId('workflow-chat-button').click();
				await page.getByTestId('chat-input').waitFor();
			},
			{ recover: escape },
		);
		const bot = page.locator('[data-test-id="canvas-chat"] .chat-message-from-bot:not(.chat-message-typing)');
		const question = 'Which tables hold churn data?';
		await page.getByTestId('chat-input').fill(question);
		await page.getByTestId('chat-input').press('Enter');
		const expected = `According to the Alation catalog: ${answerText(question, 'Catalog Search Agent', 1)}`;
		let texts = /** @type {string[]} */ ([]);
		await poll(
			'the AI Agent\'s answer in the chat',
			async () => {
				texts = (await visibleTexts(bot)).filter(Boolean);
				return texts.some((t) => t.includes(expected));
			},
			{ timeoutMs: RUN_WAIT_MS, intervalMs: 200, describe: () => short(texts.join(' | '), 300) },
		);
		// Give a tool that streams into the chat time to show itself, then count the messages.
		await page.waitForTimeout(1500);
		texts = (await visibleTexts(bot)).filter(Boolean);
		await h.screenshot('ai-agent-chat');
		await h.picture('ai-agent-chat');
		const runs = sim.requestLog.filter((r) => r.at >= since && r.path.endsWith('/stream')).length;
		assert.equal(runs, 1, `${runs} Alation agent runs`);
		assert.deepEqual(texts, [expected], `the chat shows ${texts.length} message(s): ${short(texts.join(' | '), 300)}`);
		return `1 Alation run; the chat shows one message, the AI Agent's: "${short(expected, 120)}"`;
	});

	// h. User sign-in as a person does it: the credential form's "Connect my account", the sign-in page
	// in the popup, "Account connected"; then example 08, run from the editor, answers as that person.
	await h.check('h', 'user sign-in: "Connect" in the credential form → sign-in page in a popup → "Account connected"; example 08 then runs as Ada', async () => {
		const [ada] = DEMO.oauthUsers;
		const before = { authorizations: sim.counters.userAuthorizations, mints: sim.counters.userTokenMints };
		await page.goto(`${server.url}/home/credentials`);
		await page.getByTestId('resources-list-item').filter({ hasText: SIGN_IN_CREDENTIAL.name }).click();
		const modal = page.getByTestId('editCredential-modal');
		await modal.waitFor();
		// The form shows the redirect URL a Server Admin registers in Alation: n8n's OAuth callback.
		await poll('the OAuth Redirect URL in the form', async () => (await modal.innerText()).includes(`${server.url}/rest/oauth2-credential/callback`));
		await h.screenshot('sign-in-form');
		// n8n 2.41's form: "Connect your account to use this credential" with a "Connect" button (older
		// editors say "Connect my account").
		const connect = modal.getByRole('button', { name: /^\s*Connect( my account)?\s*$/i }).first();
		await connect.waitFor();
		const [popup] = await Promise.all([page.waitForEvent('popup', { timeout: UI_WAIT_MS }), connect.click()]);
		await popup.locator(`#sign-in-${ada.id}`).waitFor({ timeout: UI_WAIT_MS });
		assert.equal(new URL(popup.url()).pathname, '/oauth/v1/authorize/');
		await popup.screenshot({ path: path.join(screenshotDir, 'sign-in-popup.png'), timeout: 15000 }).catch(() => undefined);
		await popup.locator(`#sign-in-${ada.id}`).click();
		const banner = modal.getByTestId('oauth-connect-success-banner');
		await banner.waitFor({ timeout: RUN_WAIT_MS });
		const bannerText = short(await banner.innerText());
		assert.match(bannerText, /Account connected/);
		await h.screenshot('account-connected');
		await h.picture('sign-in-account-connected');
		assert.equal(sim.counters.userAuthorizations - before.authorizations, 1, 'one sign-in');
		assert.equal(sim.counters.userTokenMints - before.mints, 1, 'one code exchange');
		await modal.locator('.el-dialog__headerbtn, button[aria-label="Close this dialog"]').first().click();
		const confirmClose = page.getByRole('button', { name: 'Close', exact: true });
		if (await confirmClose.isVisible().catch(() => false)) await confirmClose.click();
		await modal.waitFor({ state: 'hidden' });

		await page.goto(`${server.url}/workflow/alationAskAsMe`);
		await escape();
		await canvasNode('Ask as me').waitFor();
		await executeWorkflow('My data products', 'example 08');
		await outputPanel('Ask as me', "Ask as me's answer names Ada", (text) => text.includes(ada.displayName), { screenshot: 'output-ask-as-me' });
		return `popup: the simulator's sign-in page; "${bannerText}"; 1 sign-in, 1 code exchange; example 08's answer names ${ada.displayName}`;
	});

	// g. No secret anywhere the run saved or the browser received.
	await Promise.all(pendingBodies.splice(0));
	h.record('browser-console.log', consoleLines.join('\n'));
	await h.check('g', 'no secret in the saved outputs, the page texts, the n8n log or anything n8n sent the browser', async () => {
		await Promise.all(pendingBodies.splice(0));
		const sources = [
			...h.outputFiles.map((file) => ({ label: path.relative(workDir, file), text: fs.readFileSync(file, 'utf8') })),
			{ label: 'n8n log', text: server.log() },
			{ label: 'results table', text: h.table() },
			...received,
		];
		const { problems, bytes } = scanForSecrets(sources, secrets);
		assert.deepEqual(problems, []);
		return `${sources.length} texts (${h.outputFiles.length} saved files, ${received.length} answers and push frames from n8n), ${Math.round(bytes / 1024)} KB scanned for ${secrets.length} secrets`;
	});

	const durationMs = Date.now() - suiteStarted;
	info(`\n${h.table()}`);
	const failed = h.results.filter((r) => r.status === 'fail').length;
	const known = h.results.filter((r) => r.status === 'known').length;
	const passedCount = h.results.filter((r) => r.status === 'pass').length;
	if (jsonOut) {
		writeResults(jsonOut, h.jestJson(startTime));
		info(`\nresults: ${jsonOut}`);
	}
	passed = failed === 0;
	if (!passed || keep) info(`screenshots: ${screenshotDir}\nwork folder kept (n8n user folder, page texts, logs): ${workDir}`);
	else info(`\nscreenshots were in ${screenshotDir} (removed: all passed; --keep keeps them)`);
	info(
		`\n${passedCount} passed, ${failed} failed${known ? `, ${known} known problem(s)` : ''}; suite ${formatDuration(durationMs)} (set-up included, installs excluded); n8n ${runtime.version} on Node ${runtime.nodeVersion}, ${chromiumVersion}, playwright-core ${playwrightVersion}`,
	);
	clearTimeout(watchdog);
	await runCleanups();
	process.exitCode = passed ? 0 : 1;
}

main().catch(async (error) => {
	process.stderr.write(`\nUI suite failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	if (jsonOut) writeResults(jsonOut, crashResults());
	await runCleanups();
	process.exit(1);
});
