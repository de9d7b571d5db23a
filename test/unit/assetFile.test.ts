import { assetFile } from '../../nodes/AlationAgentChat/assets';

describe('assetFile: the shapes an asset download comes in', () => {
	test('CSV as it is', () => {
		const file = assetFile({ kind: 'sql', id: 'a1' }, 'text/csv; charset=utf-8', Buffer.from('id\n1\n'));
		expect(file).toEqual({ data: Buffer.from('id\n1\n'), mimeType: 'text/csv', fileName: 'sql-a1.csv' });
	});

	test('SQL result served as text/plain or without a type is CSV', () => {
		expect(assetFile({ kind: 'sql', id: 'a1' }, 'text/plain', Buffer.from('x')).mimeType).toBe('text/csv');
		expect(assetFile({ kind: 'sql', id: 'a1' }, '', Buffer.from('x')).mimeType).toBe('text/csv');
	});

	test('a chart as PNG', () => {
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
		expect(assetFile({ kind: 'chart', id: 'c/1' }, 'image/png', png)).toEqual({ data: png, mimeType: 'image/png', fileName: 'chart-c_1.png' });
	});

	test('a chart wrapped in JSON {base64} / {data}', () => {
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
		const wrapped = Buffer.from(JSON.stringify({ base64: png.toString('base64') }));
		expect(assetFile({ kind: 'chart', id: 'c1' }, 'application/json', wrapped)).toMatchObject({ data: png, mimeType: 'image/png' });
		const data = Buffer.from(JSON.stringify({ data: png.toString('base64'), mime_type: 'image/jpeg' }));
		expect(assetFile({ kind: 'chart', id: 'c1' }, 'application/json', data)).toMatchObject({ data: png, mimeType: 'image/jpeg', fileName: 'chart-c1.jpg' });
	});

	test('CSV wrapped in JSON {content}', () => {
		const wrapped = Buffer.from(JSON.stringify({ content: 'id,name\n1,alpha\n' }));
		expect(assetFile({ kind: 'sql', id: 's1' }, 'application/json', wrapped)).toMatchObject({ data: Buffer.from('id,name\n1,alpha\n'), mimeType: 'text/csv' });
	});

	test('other JSON is kept as a JSON file', () => {
		const json = Buffer.from('{"rows": [1, 2]}');
		expect(assetFile({ kind: 'sql', id: 's1' }, 'application/json', json)).toMatchObject({ data: json, mimeType: 'application/json', fileName: 'sql-s1.json' });
	});
});

describe('assetFile: what the server declares is not trusted', () => {
	test('an HTML page (or any type outside the list) becomes application/octet-stream with .bin', () => {
		for (const type of ['text/html', 'application/xhtml+xml', 'image/svg+xml', 'text/javascript', 'application/x-sh']) {
			const file = assetFile({ kind: 'chart', id: 'a1' }, type, Buffer.from('<script>alert(1)</script>'));
			expect(file).toMatchObject({ mimeType: 'application/octet-stream', fileName: 'chart-a1.bin' });
		}
		const wrapped = assetFile({ kind: 'chart', id: 'a2' }, 'application/json', Buffer.from(JSON.stringify({ data: '<p>x</p>', mime_type: 'text/html' })));
		expect(wrapped.mimeType).toBe('application/octet-stream');
	});

	test('a type named like an Object.prototype key (constructor, __proto__, toString…) is an unknown type too', () => {
		const keys = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
		const types = [...keys, ...keys.map((key) => `${key}; charset=utf-8`), 'Constructor', 'TOSTRING', ' __PROTO__ ; x=y'];
		for (const type of types) {
			const file = assetFile({ kind: 'chart', id: 'abc' }, type, Buffer.from('<script>alert(1)</script>'));
			expect({ type, mimeType: file.mimeType, fileName: file.fileName }).toEqual({ type, mimeType: 'application/octet-stream', fileName: 'chart-abc.bin' });
			expect(file.fileName).not.toContain('function');
		}
		for (const key of keys) {
			const body = Buffer.from(JSON.stringify({ data: '<p>x</p>', mime_type: key }));
			const file = assetFile({ kind: 'chart', id: 'w1' }, 'application/json', body);
			expect({ key, mimeType: file.mimeType, fileName: file.fileName }).toEqual({ key, mimeType: 'application/octet-stream', fileName: 'chart-w1.bin' });
		}
	});

	test('kind and id cannot steer the file name: no path separators, no dot segments', () => {
		const file = assetFile({ kind: '../../etc/x', id: '../../passwd' }, 'text/csv', Buffer.from('a'));
		expect(file.fileName).not.toMatch(/\.\.|\//);
		expect(file.fileName).toMatch(/\.csv$/);
	});
});
