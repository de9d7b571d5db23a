// @ts-check
'use strict';

/** Where things live. Every folder the scripts write to is in .gitignore. */

const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');

/** The n8n version the scripts install and the e2e suite tests; N8N_VERSION overrides it. */
const N8N_VERSION = process.env.N8N_VERSION || '2.41.1';

/**
 * Installed n8n runtimes, one folder per version, reused across runs. N8N_RUNTIME_DIR moves it
 * (e.g. to a CI cache directory outside the clone).
 */
const RUNTIME_ROOT = process.env.N8N_RUNTIME_DIR ? path.resolve(process.env.N8N_RUNTIME_DIR) : path.join(REPO, '.n8n-runtime');

/** Scratch space of the demo and the e2e suite: packed tarball, fresh n8n user folders, outputs. */
const WORK_ROOT = path.join(REPO, '.e2e');

/** The n8n user folder of `npm run dev`, kept between runs so the editor remembers the owner account. */
const DEV_USER_FOLDER = path.join(REPO, '.n8n', 'dev');

const EXAMPLES = path.join(REPO, 'examples');

module.exports = { REPO, N8N_VERSION, RUNTIME_ROOT, WORK_ROOT, DEV_USER_FOLDER, EXAMPLES };
