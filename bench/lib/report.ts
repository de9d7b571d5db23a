/** The benchmark table: one row per figure, with its target and whether it was met. */

export type Verdict = 'met' | 'missed' | '—';

export interface Row {
	/** Benchmark number and letter, e.g. "1a". */
	id: string;
	measure: string;
	ours: string;
	/** The floor or the naive clients, where there is one. */
	reference: string;
	target: string;
	verdict: Verdict;
	/** Why a target was missed, or what a figure means; printed under the table. */
	note?: string;
}

export function verdict(ok: boolean): Verdict {
	return ok ? 'met' : 'missed';
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(rows: readonly Row[]): string {
	const lines = ['| # | measure | ours | reference | target | |', '|---|---|---|---|---|---|'];
	for (const row of rows) {
		lines.push(`| ${row.id} | ${escape(row.measure)} | ${escape(row.ours)} | ${escape(row.reference)} | ${escape(row.target)} | ${row.verdict} |`);
	}
	return lines.join('\n');
}

/** The same table for a terminal: fixed-width columns, long cells wrapped. */
export function textTable(rows: readonly Row[]): string {
	const headers = ['#', 'measure', 'ours', 'reference', 'target', ''];
	const widths = [3, 44, 30, 34, 16, 6];
	const wrap = (text: string, width: number): string[] => {
		const out: string[] = [];
		let line = '';
		for (const word of text.split(' ')) {
			if (line !== '' && line.length + 1 + word.length > width) {
				out.push(line);
				line = word;
			} else {
				line = line === '' ? word : `${line} ${word}`;
			}
		}
		out.push(line);
		return out;
	};
	const render = (cells: string[]) => {
		const wrapped = cells.map((cell, i) => wrap(cell, widths[i]));
		const height = Math.max(...wrapped.map((w) => w.length));
		const lines: string[] = [];
		for (let r = 0; r < height; r++) lines.push(wrapped.map((w, i) => (w[r] ?? '').padEnd(widths[i])).join(' │ ').trimEnd());
		return lines.join('\n');
	};
	const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
	return [render(headers), rule, ...rows.map((row) => render([row.id, row.measure, row.ours, row.reference, row.target, row.verdict]))].join('\n');
}
