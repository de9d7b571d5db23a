// @ts-check
'use strict';

/**
 * What the real-n8n suites (e2e, fleet, ui) report the same way: results in the shape of
 * `jest --json` (the fields .ci/run's summary reads), written to --outputFile, and the scan of
 * everything they saw for secrets.
 */

const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {object} ReportedTest
 * @property {string} title
 * @property {string} [fullName]
 * @property {'passed' | 'failed' | 'pending'} status   pending: a known problem, neither passed nor failed
 * @property {number} duration
 * @property {string[]} failureMessages
 */

/**
 * @param {string} file         the suite's script, e.g. 'test/e2e/run.js'
 * @param {number} startTime
 * @param {Array<ReportedTest & Record<string, unknown>>} tests   extra fields are kept per test
 */
function jestResults(file, startTime, tests) {
	const count = (/** @type {ReportedTest['status']} */ status) => tests.filter((t) => t.status === status).length;
	const failed = count('failed');
	return {
		success: failed === 0,
		startTime,
		numTotalTestSuites: 1,
		numPassedTestSuites: failed === 0 ? 1 : 0,
		numFailedTestSuites: failed === 0 ? 0 : 1,
		numTotalTests: tests.length,
		numPassedTests: count('passed'),
		numFailedTests: failed,
		numPendingTests: count('pending'),
		testResults: [
			{
				name: file,
				status: failed === 0 ? 'passed' : 'failed',
				startTime,
				endTime: Date.now(),
				assertionResults: tests.map((t) => ({ fullName: t.title, ...t })),
			},
		],
	};
}

/** The results of a suite that could not run at all: one failure, so CI's summary goes red. */
function crashResults() {
	return { success: false, numTotalTestSuites: 1, numFailedTestSuites: 1, numPassedTests: 0, numFailedTests: 1, numTotalTests: 1, testResults: [] };
}

/**
 * @param {string} file
 * @param {unknown} results
 */
function writeResults(file, results) {
	fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
	fs.writeFileSync(file, JSON.stringify(results, null, 2));
}

/**
 * Every text checked for every secret. A problem names where, never the secret (its first 3
 * characters only).
 *
 * @param {Array<{ label: string, text: string }>} sources
 * @param {readonly string[]} secrets
 */
function scanForSecrets(sources, secrets) {
	/** @type {string[]} */
	const problems = [];
	let bytes = 0;
	for (const source of sources) {
		bytes += source.text.length;
		for (const secret of secrets) if (source.text.includes(secret)) problems.push(`a secret (${secret.slice(0, 3)}…) in ${source.label}`);
	}
	return { problems, bytes };
}

module.exports = { jestResults, crashResults, writeResults, scanForSecrets };
