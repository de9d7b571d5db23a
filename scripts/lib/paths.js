// @ts-check
'use strict';

/** Where things live. Every folder the scripts write to is in .gitignore. */

const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');

/** The n8n version the scripts install and the e2e suite tests; N8N_VERSION overrides it. */
const N8N_VERSION = process.env.N8N_VERSION || '2.41.1';

/**
 * Installed n8n runtimes, one folder per version, reused across runs. N8N_RUNTIME_DIR moves it
 * (e.g. to a CI cache directory outside the clone).
 */
const RUNTIME_ROOT = process.env.N8N_RUNTIME_DIR ? path.resolve(process.env.N8N_RUNTIME_DIR) : path.join(REPO, '.n8n-runtime');

/**
 * Scratch space of the demo and the e2e and fleet suites: packed tarball, fresh n8n user folders,
 * outputs. Outside the repository on purpose: Node resolves a module by walking up from the
 * package's folder before it tries the NODE_PATH n8n sets to its own node_modules, so a user folder
 * inside the clone would make the installed package load this repository's n8n-workflow (a
 * devDependency) instead of the running n8n's — not what users get (measured: on n8n 1.123.81 the
 * package then saw n8n-workflow 2.41). N8N_WORK_DIR moves it.
 */
const WORK_ROOT = process.env.N8N_WORK_DIR ? path.resolve(process.env.N8N_WORK_DIR) : path.join(os.tmpdir(), 'n8n-nodes-alation');

/** The n8n user folder of `npm run dev`, kept between runs so the editor remembers the owner account (outside the clone: see WORK_ROOT). */
const DEV_USER_FOLDER = path.join(WORK_ROOT, 'dev');

const EXAMPLES = path.join(REPO, 'examples');

module.exports = { REPO, N8N_VERSION, RUNTIME_ROOT, WORK_ROOT, DEV_USER_FOLDER, EXAMPLES };
