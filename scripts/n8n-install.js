#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run n8n:install [-- --force]`: installs the n8n that the demo, `npm run dev` and the e2e suite
 * use (.n8n-runtime/n8n-<version>/), or checks that it is there. The other scripts call the same
 * code, so running this first is optional; it is handy to pay the first install's minutes up front.
 */

const { ensureN8n } = require('./lib/install-n8n');
const { info } = require('./lib/log');

ensureN8n({ force: process.argv.includes('--force') })
	.then((runtime) => info(`n8n ${runtime.version} is ready: ${runtime.bin}`))
	.catch((error) => {
		process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
		process.exit(1);
	});
