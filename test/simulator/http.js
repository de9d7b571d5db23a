// @ts-check
'use strict';

/**
 * Small HTTP helpers shared by every route: bounded body reading, JSON and
 * form parsing that never throws, and reading credentials from headers.
 */

/**
 * Reads the whole request body, but stops buffering at `limit` bytes so a
 * misbehaving client cannot make the simulator hold an unbounded body.
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<{ text: string, tooLarge: boolean }>}
 */
function readBody(req, limit) {
	return new Promise((resolve) => {
		/** @type {Buffer[]} */
		const chunks = [];
		let size = 0;
		let settled = false;
		/** @param {boolean} tooLarge */
		const finish = (tooLarge) => {
			if (settled) return;
			settled = true;
			resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge });
		};
		req.on('data', (/** @type {Buffer} */ chunk) => {
			if (settled) return; // draining the rest of an oversized body
			size += chunk.length;
			if (size > limit) {
				chunks.length = 0;
				finish(true);
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => finish(false));
		// An aborted upload still settles, so the handler never hangs on it.
		req.on('error', () => finish(false));
		req.on('close', () => finish(false));
	});
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
function sendJson(res, status, body, headers = {}) {
	if (res.headersSent || res.destroyed) return;
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json',
		'content-length': String(Buffer.byteLength(text)),
		...headers,
	});
	res.end(text);
}

/**
 * The media type of the request without parameters, lower-cased ('' if none).
 *
 * @param {import('node:http').IncomingMessage} req
 */
function mediaType(req) {
	const value = req.headers['content-type'] ?? '';
	return value.split(';')[0].trim().toLowerCase();
}

/**
 * Parses an application/x-www-form-urlencoded body. The first value of a
 * repeated field wins, like most OAuth servers.
 *
 * @param {string} text
 * @returns {Record<string, string>}
 */
function parseForm(text) {
	/** @type {Record<string, string>} */
	const fields = {};
	for (const [name, value] of new URLSearchParams(text)) {
		if (!Object.hasOwn(fields, name)) fields[name] = value;
	}
	return fields;
}

/**
 * @param {string} text
 * @returns {{ ok: true, value: unknown } | { ok: false }}
 */
function parseJson(text) {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isPlainObject(value) {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a body that may be JSON or form-encoded (the /integration endpoints
 * accept both, as Django REST Framework does).
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {string} text
 * @returns {Record<string, unknown> | null} null when the body is not an object
 */
function parseJsonOrForm(req, text) {
	if (mediaType(req) === 'application/x-www-form-urlencoded') return parseForm(text);
	if (text.trim() === '') return {};
	const parsed = parseJson(text);
	return parsed.ok && isPlainObject(parsed.value) ? parsed.value : null;
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {string | null} the token of `Authorization: Bearer <token>`
 */
function bearerToken(req) {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
	return match ? match[1] : null;
}

/**
 * HTTP Basic client authentication. RFC 6749 §2.3.1 says the id and secret
 * are form-encoded before base64, so they are form-decoded here.
 *
 * @param {import('node:http').IncomingMessage} req
 * @returns {{ id: string, secret: string } | null}
 */
function basicCredentials(req) {
	const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
	if (!match) return null;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return null;
	return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/** @param {string} value */
function formDecode(value) {
	try {
		return decodeURIComponent(value.replace(/\+/g, ' '));
	} catch {
		return value; // not form-encoded after all; compare it as sent
	}
}

/**
 * Client credentials from Basic auth, else from the form body.
 *
 * @param {import('node:http').IncomingMessage} req
 * @param {Record<string, string>} form
 * @returns {{ id: string, secret: string, via: 'basic' | 'body' } | null}
 */
function clientCredentials(req, form) {
	const basic = basicCredentials(req);
	if (basic) return { ...basic, via: 'basic' };
	if (typeof form.client_id === 'string' && typeof form.client_secret === 'string') {
		return { id: form.client_id, secret: form.client_secret, via: 'body' };
	}
	return null;
}

/** @param {string} value */
function safeDecodeURIComponent(value) {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @param {string} value */
function isUuid(value) {
	return UUID_PATTERN.test(value);
}

module.exports = {
	readBody,
	sendJson,
	mediaType,
	parseForm,
	parseJson,
	parseJsonOrForm,
	isPlainObject,
	bearerToken,
	basicCredentials,
	clientCredentials,
	safeDecodeURIComponent,
	isUuid,
};
