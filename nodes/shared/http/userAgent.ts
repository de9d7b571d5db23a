import { version } from '../../../package.json';

/** Sent on every request so Alation administrators can tell this integration's traffic apart. */
export const USER_AGENT = `n8n-nodes-alation/${version}`;
