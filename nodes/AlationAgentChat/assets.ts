import type { IBinaryKeyData, IDataObject } from 'n8n-workflow';

import { header, readBuffer, readText } from '../shared/http/client';
import { HttpStatusError } from '../shared/http/errors';
import { isRecord, parseJson } from '../shared/json';
import type { AssembledAnswer, Asset } from '../shared/sse/assembler';
import type { StreamContext } from '../shared/agentStudio/eventStreamRun';
/** What an asset download needs of the run: its context, and the item's bounds on assets (Max Assets, Max Asset Bytes). */
type AssetRun = StreamContext & { input: { maxAssets: number; maxAssetBytes: number } };

const ERROR_BODY_BYTES = 64 * 1024;
const MAX_ASSET_BYTES = 50 * 1024 * 1024;

/** `GET /ai/api/v1/assets/{id}?chat_id=` for each asset, as binary properties `asset_0`, `asset_1`, … */
export async function downloadAssets(run: AssetRun, answer: AssembledAnswer, json: IDataObject, signal: AbortSignal): Promise<IBinaryKeyData> {
	const { ctx, session } = run;
	const binary: IBinaryKeyData = {};
	const assets = json.assets as IDataObject[];
	// The server decides how many assets there are: the item's bounds decide how many are kept.
	const skipped: IDataObject[] = [];
	let budget = run.input.maxAssetBytes;
	let downloaded = 0;
	for (let index = 0; index < answer.assets.length; index++) {
		const asset = answer.assets[index];
		// An id of dots alone is a path segment: the URL would resolve to another endpoint of the server.
		if (/^\.*$/.test(asset.id)) throw new Error(`The agent named an asset whose id is not a name ("${asset.id}"); it was not downloaded`);
		if (downloaded >= run.input.maxAssets) {
			skipped.push({ kind: asset.kind, id: asset.id, reason: `Max Assets (${run.input.maxAssets}) reached` });
			continue;
		}
		const url = `${session.baseUrl}/ai/api/v1/assets/${encodeURIComponent(asset.id)}${answer.chatId ? `?chat_id=${encodeURIComponent(answer.chatId)}` : ''}`;
		const response = await session.send({ method: 'GET', url, headers: { accept: '*/*' }, signal });
		if (response.status < 200 || response.status >= 300) {
			const text = await readText(response.body, ERROR_BODY_BYTES);
			throw new HttpStatusError({ status: response.status, method: 'GET', url, bodyText: text });
		}
		const limit = Math.min(MAX_ASSET_BYTES, budget);
		const bytes = await readBuffer(response.body, limit);
		if (!bytes) {
			skipped.push({ kind: asset.kind, id: asset.id, reason: limit === budget ? `more than the ${budget} bytes left of Max Asset Bytes` : `larger than ${MAX_ASSET_BYTES / (1024 * 1024)} MiB` });
			continue;
		}
		budget -= bytes.length;
		downloaded++;
		const file = assetFile(asset, header(response.headers, 'content-type') ?? '', bytes);
		const property = `asset_${index}`;
		binary[property] = await ctx.helpers.prepareBinaryData(file.data, file.fileName, file.mimeType);
		assets[index].binaryProperty = property;
	}
	if (skipped.length > 0) json.assetsSkipped = skipped;
	return binary;
}

/**
 * The content types an asset keeps, with their file extensions. Anything else the server declares
 * (an HTML page with scripts, say) becomes application/octet-stream with `.bin`: a file n8n would
 * show or serve as a page must not be the server's choice. SVG is not an image here: it is XML
 * that may carry scripts, and a browser opening it from n8n runs them.
 */
const EXTENSIONS: Record<string, string> = {
	'text/csv': 'csv',
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/gif': 'gif',
	'image/webp': 'webp',
	'application/json': 'json',
	'application/pdf': 'pdf',
	'text/plain': 'txt',
};

/**
 * Assets come as the file itself (CSV, PNG…), or wrapped in JSON `{ data | base64 | content }`
 * (Alation's n8n recipe handles both). SQL results are CSV, charts images.
 */
export function assetFile(asset: Asset, contentType: string, bytes: Buffer): { data: Buffer; mimeType: string; fileName: string } {
	let mimeType = contentType.split(';')[0].trim().toLowerCase() || (asset.kind === 'sql' ? 'text/csv' : 'application/octet-stream');
	let data = bytes;
	// JSON that is not the wrapper is kept as the JSON file it came as.
	const wrapped = mimeType === 'application/json' ? parseJson(bytes.toString('utf8')) : undefined;
	const inner = isRecord(wrapped) ? (wrapped.base64 ?? wrapped.data ?? wrapped.content) : undefined;
	if (isRecord(wrapped) && typeof inner === 'string') {
		const isBase64 = typeof wrapped.base64 === 'string' || /^[A-Za-z0-9+/=\s]+$/.test(inner.slice(0, 200));
		data = isBase64 && asset.kind !== 'sql' ? Buffer.from(inner, 'base64') : Buffer.from(inner, 'utf8');
		const declared = typeof wrapped.mime_type === 'string' ? wrapped.mime_type : typeof wrapped.mimeType === 'string' ? wrapped.mimeType : undefined;
		mimeType = declared ?? (asset.kind === 'sql' ? 'text/csv' : asset.kind === 'chart' ? 'image/png' : 'application/octet-stream');
	} else if (mimeType === 'text/plain' && asset.kind === 'sql') {
		mimeType = 'text/csv';
	}
	// Own keys only: `in` and indexing would also find Object.prototype keys (constructor, __proto__, toString…).
	if (!Object.hasOwn(EXTENSIONS, mimeType)) mimeType = 'application/octet-stream';
	const extension = Object.hasOwn(EXTENSIONS, mimeType) ? EXTENSIONS[mimeType] : 'bin';
	// Both parts come from the server: only letters, digits, '_' and '-' (and '.' inside the id) reach the name.
	const safeKind = asset.kind.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'asset';
	const safeId = asset.id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/\.{2,}/g, '_').slice(0, 80);
	return { data, mimeType, fileName: `${safeKind}-${safeId}.${extension}` };
}

