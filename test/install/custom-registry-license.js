// @ts-check
'use strict';

/**
 * Preloaded into the n8n processes of test/install/env-install.js (NODE_OPTIONS=--require=<this>).
 *
 * A TEST STAND-IN FOR ONE LICENSE CHECK, AND NOTHING ELSE. n8n 2.41.1 installs community packages
 * from a registry other than https://registry.npmjs.org only on a licensed instance:
 * dist/modules/community-packages/community-packages.service.js, CommunityPackagesService#getNpmRegistry,
 * throws FeatureNotLicensedError unless License#isCustomNpmRegistryEnabled() (dist/license.js), i.e.
 * License#isLicensed('feat:communityNodes:customRegistry'), is true. A private registry on 127.0.0.1
 * is the only registry this test may use, and it has no license to offer; so when n8n's dist/license.js
 * is loaded, its License#isLicensed answers true for that one feature and defers to n8n for every
 * other feature. Nothing else of n8n is touched. Other processes that inherit NODE_OPTIONS (npm,
 * the task runner) never load n8n's license.js: for them this does nothing.
 */

const Module = require('node:module');
const path = require('node:path');

const FEATURE = 'feat:communityNodes:customRegistry';
const LICENSE_FILE = path.join('n8n', 'dist', 'license.js');

/** @type {any} */
const M = Module;
const originalLoad = M._load;
let applied = false;

/**
 * @param {string} request
 * @param {any} parent
 * @param {boolean} isMain
 */
M._load = function load(request, parent, isMain) {
	const exported = originalLoad.apply(this, [request, parent, isMain]);
	// n8n requires it as "../license", "./license" or "../../license": look no further at anything else.
	if (applied || typeof request !== 'string' || !/(^|\/)license(\.js)?$/.test(request)) return exported;
	let filename = '';
	try {
		filename = M._resolveFilename(request, parent, isMain);
	} catch {
		return exported;
	}
	// A load that returns the exports of a module still being loaded (a cycle) has no License yet; a later load will.
	if (!filename.endsWith(LICENSE_FILE) || !exported || typeof exported.License !== 'function') return exported;
	const proto = exported.License.prototype;
	if (typeof proto.isLicensed !== 'function' || typeof proto.isCustomNpmRegistryEnabled !== 'function') return exported;
	const isLicensed = proto.isLicensed;
	/** @param {string} feature */
	proto.isLicensed = function (feature) {
		return feature === FEATURE ? true : isLicensed.call(this, feature);
	};
	applied = true;
	M._load = originalLoad;
	process.stderr.write(`[env-install test stand-in] ${filename}: License#isLicensed('${FEATURE}') → true; every other feature unchanged\n`);
	return exported;
};
