// @ts-check
'use strict';

/**
 * "Connect my account" on an Alation User Sign-In credential, driven over HTTP as the editor and its
 * popup drive it together against a started n8n and the simulator's sign-in page:
 *
 *   1. the editor asks n8n for the authorization URL (GET /rest/oauth2-credential/auth?id=…), with
 *      the signed-in n8n user's cookie; n8n answers the URL and may set a browser-binding cookie;
 *   2. the popup opens that URL: the simulator's sign-in page;
 *   3. the person presses "Sign in as …": the page's own form for that user is submitted;
 *   4. the popup follows the 302 to n8n's OAuth callback with the browser's cookies; n8n swaps the
 *      code (with its PKCE verifier) for tokens, stores them encrypted in the credential and answers
 *      the page that tells the editor "success" (the editor then shows "Account connected").
 *
 * The browser suite (test/ui) does the same by clicking in a real popup.
 */

/** @param {Response} response */
function cookiesSet(response) {
	return (response.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]);
}

/**
 * The form the sign-in page shows for one user: its action and the fields it submits.
 *
 * @param {string} html
 * @param {number} userId
 */
function signInForm(html, userId) {
	const forms = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/g) ?? [];
	const form = forms.find((f) => f.includes(`id="sign-in-${userId}"`));
	if (!form) throw new Error(`the sign-in page offers no "Sign in" button for user ${userId}`);
	const unescape = (/** @type {string} */ s) => s.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
	const action = unescape(/action="([^"]*)"/.exec(form)?.[1] ?? '');
	/** @type {Record<string, string>} */
	const fields = {};
	for (const input of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(input[1])] = unescape(input[2]);
	fields.user_id = String(userId);
	return { action, fields };
}

/**
 * @param {{
 *   base: string,
 *   session: { cookie: string, browserId: string },
 *   credentialId: string,
 *   userId: number,
 * }} options  `base`: the loopback address n8n listens on, e.g. http://127.0.0.1:5678
 * @returns {Promise<{ authUrl: URL, callbackStatus: number, callbackPage: string }>}
 */
async function connectAccount({ base, session, credentialId, userId }) {
	const timeout = () => AbortSignal.timeout(30000);
	// 1. The editor's request for the authorization URL.
	const asked = await fetch(`${base}/rest/oauth2-credential/auth?id=${encodeURIComponent(credentialId)}`, {
		headers: { cookie: session.cookie, 'browser-id': session.browserId },
		signal: timeout(),
	});
	const askedText = await asked.text();
	if (asked.status !== 200) throw new Error(`GET /rest/oauth2-credential/auth: HTTP ${asked.status} ${askedText.slice(0, 300)}`);
	const browserCookies = [session.cookie, ...cookiesSet(asked)].filter(Boolean).join('; ');
	const authUrl = new URL(JSON.parse(askedText).data);

	// 2. The popup opens the sign-in page.
	const page = await fetch(authUrl, { signal: timeout() });
	const pageHtml = await page.text();
	if (page.status !== 200) throw new Error(`the sign-in page answered ${page.status}: ${pageHtml.slice(0, 300)}`);

	// 3. "Sign in as …".
	const form = signInForm(pageHtml, userId);
	const submitted = await fetch(new URL(form.action, authUrl), {
		method: 'POST',
		redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(form.fields),
		signal: timeout(),
	});
	const location = submitted.headers.get('location');
	if (submitted.status !== 302 || !location) throw new Error(`signing in answered ${submitted.status}: ${(await submitted.text()).slice(0, 300)}`);

	// 4. Back to n8n's callback. n8n names itself http://localhost:<port> (the editor's address); the
	// scripts talk to the address it listens on, which is the same server.
	const callback = new URL(location);
	const local = new URL(base);
	callback.protocol = local.protocol;
	callback.host = local.host;
	const answered = await fetch(callback, { headers: { cookie: browserCookies, 'browser-id': session.browserId }, signal: timeout() });
	const callbackPage = await answered.text();
	if (answered.status !== 200 || !callbackPage.includes("postMessage('success')")) {
		const reason = /<h4>([^<]*)<\/h4>/.exec(callbackPage)?.[1] ?? callbackPage.slice(0, 300);
		throw new Error(`n8n's OAuth callback did not connect the account (HTTP ${answered.status}): ${reason}`);
	}
	return { authUrl, callbackStatus: answered.status, callbackPage };
}

module.exports = { connectAccount, signInForm };
