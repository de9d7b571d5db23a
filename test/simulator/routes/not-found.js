// @ts-check
'use strict';

const { sendJson } = require('../http');

/** @type {import('../context').RouteHandler} */
function notFound(ctx) {
	sendJson(ctx.res, 404, { detail: 'Not found' });
}

module.exports = { notFound };
