// @ts-check
'use strict';

/**
 * Type definitions shared by the routes (no runtime code). Kept in a .js file
 * so index.d.ts stays free of internal types.
 *
 * @typedef {object} SimState  everything the routes share for one simulator
 * @property {import('./types').SimulatorOptions} options  live; read at the moment of use
 * @property {import('./types').Counters} counters
 * @property {import('./tokens').TokenStore} tokens
 * @property {import('./user-oauth').UserOAuthStore} userOauth  codes, refresh tokens and sign-ins of user OAuth
 * @property {import('./chats').ChatStore} chats
 * @property {import('./chats').AssetStore} assets
 * @property {{ list: import('./types').WarehouseCredential[], nextId: number }} warehouse
 * @property {() => string} baseUrl  'http://127.0.0.1:PORT'
 *
 * @typedef {object} RouteContext
 * @property {import('node:http').IncomingMessage} req
 * @property {import('node:http').ServerResponse} res
 * @property {URL} url
 * @property {Record<string, string>} params  decoded path parameters
 * @property {string} body                   the request body as text
 * @property {SimState} sim
 *
 * @typedef {(ctx: RouteContext) => void | Promise<void>} RouteHandler
 */

module.exports = {};
