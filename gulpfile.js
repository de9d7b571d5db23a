// Copies what tsc does not emit into dist/: node and credential icons (SVG) and the codex files
// (<Node>.node.json) that n8n reads beside each compiled node.
const path = require('path');
const { src, dest, parallel } = require('gulp');

function copy(folder) {
	return function copyAssets() {
		return src(path.join(folder, '**', '*.{svg,png,node.json}'), { encoding: false }).pipe(
			dest(path.join('dist', folder)),
		);
	};
}

exports.build = parallel(copy('nodes'), copy('credentials'));
exports.default = exports.build;
