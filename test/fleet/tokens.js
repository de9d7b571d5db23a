// @ts-check
'use strict';

/**
 * What the probes (test/fleet/probe.js) saw in every n8n process of a fleet, read back: who minted
 * each token, which token each request carried, and why each 401 happened.
 *
 * A 401 is explained by the mint that superseded the token it carried (Alation invalidates a client's
 * previous token at each mint): the token of a request is identified by its fingerprint; the mint that
 * produced it is the last one answered before the token was first seen anywhere; the next mint after
 * that one superseded it. The token was due for renewal one renewal period (its lifetime less the
 * package's skew) after its mint was answered — the package's own rule, the same in every process.
 *
 * The one 401 no client can avoid — the race — is a request that took the old token a moment before
 * another process's due renewal reached Alation: the superseding mint came when the old token was due
 * (not earlier), and the request was sent at most RACE_MS after the old token came due (a request sent
 * later took a token that was no longer fresh, or waited longer than a moment to send it). A 401
 * during a Redis outage (and until every process's own token has come due once after it) is
 * explained by the outage: each process then keeps its own token. Any other 401 is unexplained.
 */

const fs = require('node:fs');
const path = require('node:path');

/** "A moment": a 401'd request sent at most this long after its token came due is the race. */
const RACE_MS = 500;
/**
 * Mint requests go to these paths of the simulator: Alation's OAuth token endpoint for OAuth clients,
 * and the user sign-in's token endpoint, where a refresh mints the person's next access token.
 */
const TOKEN_PATHS = new Set(['/oauth/v2/token/', '/oauth/v1/token/']);

/**
 * @typedef {object} ProbedRequest
 * @property {string} p        the process (label) that sent it
 * @property {number} t        sent (ms, the suite's clock)
 * @property {number} [end]    answered
 * @property {string} m
 * @property {string} u        path
 * @property {string | null} f token fingerprint
 * @property {number} [st]     status
 * @property {string} [err]
 */

/**
 * Every request every probe file in `dir` recorded (`<label>.jsonl`), sorted by the time it was sent.
 *
 * @param {string} dir
 * @returns {ProbedRequest[]}
 */
function readProbes(dir) {
	/** @type {ProbedRequest[]} */
	const requests = [];
	let files = [];
	try {
		files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
	} catch {
		return requests;
	}
	for (const file of files) {
		const label = file.replace(/\.jsonl$/, '');
		/** @type {Map<string, ProbedRequest>} */
		const byId = new Map();
		let pid = '';
		for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
			if (!line) continue;
			/** @type {any} */
			let event;
			try {
				event = JSON.parse(line);
			} catch {
				continue; // a line cut by a killed process
			}
			// A process started again under the same label: ids start over.
			if (event.k === 'start') pid = String(event.pid);
			const key = `${pid}|${String(event.id)}`;
			if (event.k === 'q') {
				const request = { p: label, t: event.t, m: event.m, u: event.u, f: event.f ?? null };
				byId.set(key, request);
				requests.push(request);
			} else if (event.k === 's' || event.k === 'e') {
				const request = byId.get(key);
				if (!request) continue;
				request.end = event.t;
				if (event.k === 's') request.st = event.st;
				else request.err = event.err;
			}
		}
	}
	return requests.sort((a, b) => a.t - b.t);
}

/**
 * @typedef {object} Mint
 * @property {string} p
 * @property {number} t     the token request was sent
 * @property {number} end   and answered
 * @property {number | null} sincePreviousMs  since the previous mint was answered
 * @property {boolean} early  sent before the previous token was due for renewal
 */

/**
 * @typedef {object} TokenAnalysis
 * @property {number} mints
 * @property {Mint[]} mintList
 * @property {Record<string, number>} mintsBy
 * @property {Mint[]} early            mints sent while the previous token was not yet due
 * @property {number} unauthorized
 * @property {number} race
 * @property {number} outage
 * @property {number} other
 * @property {number} maxRaceGapMs     the latest a raced request was sent after its token came due (ms; may be < 0)
 * @property {Record<string, number>} unauthorizedBy
 * @property {string[]} details        one line per unexplained 401 (at most 10)
 * @property {Record<string, { count: number, maxMs: number }>} pastDue   per process, requests sent more than
 *   RACE_MS after their token came due (a process that still takes a token it should have renewed)
 * @property {Map<string, { p: string, t: number }>} firstSeen   token fingerprint → first request with it
 * @property {ProbedRequest[]} requests   the window's requests
 */

/**
 * @param {ProbedRequest[]} all
 * @param {{ from: number, to: number, renewalMs: number, lifetimeMs?: number, outage?: { from: number, to: number } }} window
 *   `outage`: from Redis's stop to one renewal period after it is back
 * @returns {TokenAnalysis}
 */
function analyzeTokens(all, window) {
	const inWindow = all.filter((r) => r.t >= window.from && r.t <= window.to);
	const isMint = (/** @type {ProbedRequest} */ r) => r.m === 'POST' && TOKEN_PATHS.has(r.u) && r.st === 200;
	/** @type {Mint[]} */
	const mintList = [];
	for (const r of inWindow.filter(isMint)) {
		const previous = mintList[mintList.length - 1];
		const end = r.end ?? r.t;
		const sincePreviousMs = previous ? r.t - previous.end : null;
		mintList.push({ p: r.p, t: r.t, end, sincePreviousMs, early: sincePreviousMs !== null && sincePreviousMs < window.renewalMs - RACE_MS });
	}
	/** @type {Record<string, number>} */
	const mintsBy = {};
	for (const m of mintList) mintsBy[m.p] = (mintsBy[m.p] ?? 0) + 1;

	/** @type {Map<string, { p: string, t: number }>} */
	const firstSeen = new Map();
	for (const r of inWindow) if (r.f && !firstSeen.has(r.f)) firstSeen.set(r.f, { p: r.p, t: r.t });

	/** @type {Record<string, { count: number, maxMs: number }>} */
	const pastDue = {};
	for (const r of inWindow) {
		const seen = r.f ? firstSeen.get(r.f) : undefined;
		const origin = seen ? [...mintList].reverse().find((m) => m.end <= seen.t) : undefined;
		if (!origin) continue;
		const late = r.t - (origin.end + window.renewalMs);
		if (late <= RACE_MS) continue;
		const entry = (pastDue[r.p] ??= { count: 0, maxMs: 0 });
		entry.count++;
		entry.maxMs = Math.max(entry.maxMs, late);
	}

	const inOutage = (/** @type {number} */ t) => window.outage !== undefined && t >= window.outage.from && t <= window.outage.to;
	/** @type {Map<string, 'race' | 'outage' | 'other'>} */
	const verdictOf = new Map();
	let race = 0;
	let outage = 0;
	let other = 0;
	let maxRaceGapMs = -Infinity;
	/** @type {Record<string, number>} */
	const unauthorizedBy = {};
	/** @type {string[]} */
	const details = [];
	const unauthorized = inWindow.filter((r) => r.st === 401);
	for (const r of unauthorized) {
		unauthorizedBy[r.p] = (unauthorizedBy[r.p] ?? 0) + 1;
		// A later 401 of the same process for the same token (its check, a second item) has the first one's cause.
		const key = `${r.p}|${String(r.f)}`;
		let verdict = verdictOf.get(key);
		let why = '';
		if (!verdict) {
			const seen = r.f ? firstSeen.get(r.f) : undefined;
			const origin = seen ? [...mintList].reverse().find((m) => m.end <= seen.t) : undefined;
			const superseding = origin ? mintList.find((m) => m.end > origin.end) : undefined;
			if (!r.f || !seen) {
				verdict = 'other';
				why = 'no token sent';
			} else if (!superseding || superseding.t > (r.end ?? r.t)) {
				verdict = inOutage(r.t) ? 'outage' : 'other';
				const age = origin ? r.t - origin.end : undefined;
				why =
					age !== undefined && window.lifetimeMs !== undefined && age >= window.lifetimeMs - 200
						? `its token (minted by ${origin?.p}) had expired: sent ${Math.round(age / 100) / 10} s after its mint, ${Math.round((age - window.renewalMs) / 100) / 10} s after it came due`
						: `its token (first used by ${seen.p}) was not superseded by any mint before the 401`;
			} else {
				const due = (origin?.end ?? 0) + window.renewalMs;
				const renewal = superseding.t >= due - RACE_MS;
				const late = r.t - due;
				if (renewal && late <= RACE_MS) {
					verdict = 'race';
					maxRaceGapMs = Math.max(maxRaceGapMs, late);
				} else if (inOutage(superseding.t) || inOutage(r.t)) {
					verdict = 'outage';
				} else {
					verdict = 'other';
				}
				why = renewal
					? `sent ${late} ms after its token came due, ${r.t - superseding.end} ms after ${superseding.p}'s renewal was answered`
					: `its token was superseded by ${superseding.p}'s mint ${Math.round((superseding.t - (origin?.end ?? 0)) / 100) / 10} s into its life, before it was due`;
			}
			verdictOf.set(key, verdict);
		}
		if (verdict === 'race') race++;
		else if (verdict === 'outage') outage++;
		else {
			other++;
			if (details.length < 10) details.push(`${r.p} ${r.m} ${r.u} at +${Math.round((r.t - window.from) / 100) / 10} s: 401${why ? `, ${why}` : ''}`);
		}
	}
	return {
		mints: mintList.length,
		mintList,
		mintsBy,
		early: mintList.filter((m) => m.early),
		unauthorized: unauthorized.length,
		race,
		outage,
		other,
		maxRaceGapMs: Number.isFinite(maxRaceGapMs) ? maxRaceGapMs : 0,
		unauthorizedBy,
		details,
		pastDue,
		firstSeen,
		requests: inWindow,
	};
}

module.exports = { readProbes, analyzeTokens, RACE_MS, TOKEN_PATHS };
