import {computeLayout, navigationWidth} from '../../source/ui/layout.ts';
import {frame, resize, settleUntil} from './ink.ts';
import type {RenderedPage} from './page-harness.tsx';

/**
 * What a check looks at: the page panel's inner lines (inside the border and the padding), where pages and their
 * dialogs draw, or the inside of the whole body, where the help overlay draws.
 */
export type FitRegion = 'page' | 'body';

export function regionLines(text: string, columns: number, rows: number, region: FitRegion = 'page'): string[] {
	const layout = computeLayout({columns, rows});
	const lines = text.split('\n');
	// Line 0 is the title, line 1 the panels' top border; a panel's padding is one column on each side.
	const start = region === 'page' ? navigationWidth + 2 : 2;
	const width = region === 'page' ? layout.page.width : columns - 4;
	return lines.slice(2, 2 + layout.bodyHeight - 2).map(line => [...line].slice(start, start + width).join('').trimEnd());
}

export type FitProblem = string;

/** The last row of a page that scrolls (ScrollArea): "↓ 7 more lines (↓ scrolls)". */
const scrollMarker = /^[↑↓] \d+ (more )?lines?\b/;

/** Resizes and waits for the frame drawn at the new size (Ink throttles frames, so the next one may lag). */
async function drawnAt(rendered: RenderedPage, columns: number, rows: number, region: FitRegion): Promise<string[]> {
	await resize(rendered, columns, rows);
	const isDrawn = () => {
		const lines = frame(rendered).split('\n');
		return lines.length === rows - 1 && [...(lines[1] ?? '')].length === columns;
	};

	await settleUntil(isDrawn, 5000);
	if (!isDrawn()) throw new Error(`never drawn at ${columns}×${rows}:\n${frame(rendered)}`);
	// And settled: what was typed or loaded last has been drawn (two turns in a row give the same frame).
	let previous = '';
	await settleUntil(() => {
		const current = frame(rendered);
		const same = current === previous;
		previous = current;
		return same;
	}, 5000);
	return regionLines(frame(rendered), columns, rows, region);
}

/** Borders are drawing, not text: a border as wide as the screen is no word to find at 80 columns. */
const borders = /[─━│┃┌┐└┘┏┓┗┛]/g;

function words(lines: readonly string[]): Set<string> {
	return new Set(lines.flatMap(line => line.replaceAll(borders, ' ').split(/\s+/)).filter(word => word.length > 1));
}

/**
 * What is wrong with the page panel (or the body) at 80×24, judged against the same state drawn taller (80×27) and wider
 * (200×60):
 * - lines the taller drawing has and 80×24 does not, with nothing on screen saying there is more (clipped);
 * - a line the taller drawing at the same width does not have (rows drawn over each other, which is what Yoga does
 *   to rows it shrinks to fit);
 * - a word of the wide drawing missing at 80×24 from a line that is not cut with an ellipsis (cut text).
 * Leaves the rendering at 80×24.
 */
export async function fitProblems(rendered: RenderedPage, region: FitRegion = 'page'): Promise<FitProblem[]> {
	const small = await drawnAt(rendered, 80, 24, region);
	// Three rows taller, not more: pages and dialogs space themselves out from about 18 rows of room, and the lines
	// must be those of the same layout.
	const tall = await drawnAt(rendered, 80, 27, region);
	const wide = await drawnAt(rendered, 200, 60, region);
	const again = await drawnAt(rendered, 80, 24, region);

	const problems: FitProblem[] = [];
	if (again.join('\n') !== small.join('\n')) problems.push(`the 80×24 drawing changed after resizing back:\n${again.join('\n')}`);
	// A page may space itself out when it has room, so blank lines do not count.
	const blank = (line: string) => line.replaceAll(borders, '').trim() === '';
	const shown = small.filter(line => !blank(line));
	const all = tall.filter(line => !blank(line));
	// More lines when taller is clipping, unless the page says there is more (a list that scrolls).
	const more = shown.some(line => scrollMarker.test(line) || /\bmore\b/.test(line));
	if (all.length > shown.length && !more) {
		problems.push(`clipped at 80×24 without saying so: ${JSON.stringify(all.filter(line => !shown.includes(line)))}`);
	}

	// Every line must be one of the tall drawing's, in the same order: two rows drawn over each other make a line the
	// tall drawing does not have.
	let next = 0;
	for (const line of shown.filter(line => !scrollMarker.test(line))) {
		const found = tall.indexOf(line, next);
		if (found === -1) problems.push(`a line the tall drawing does not have (rows drawn over each other?): ${JSON.stringify(line)}`);
		else next = found + 1;
	}

	// A line cut with an ellipsis (at its end or in the middle of a path) excuses the words of the wide lines it
	// begins like.
	const cut = small.filter(line => line.includes('…')).map(line => line.slice(0, line.indexOf('…')).trim().slice(0, 12));
	const excused = words(wide.filter(line => cut.some(prefix => prefix !== '' && line.trim().startsWith(prefix))));
	// Below the fold of a page that says there is more, words are not cut, only not shown yet.
	if (more) for (const word of words(wide)) excused.add(word);
	// Joined without spaces: a long word that wraps across two lines is still all there.
	const present = small.map(line => line.replaceAll(borders, ' ').trim()).join('').replaceAll(/\s+/g, '');
	const missing = [...words(wide)].filter(word => !excused.has(word) && !present.includes(word));
	if (missing.length > 0) problems.push(`words of the wide drawing missing at 80×24 without an ellipsis: ${JSON.stringify(missing)}`);
	if (problems.length > 0) problems.push(`80×24:\n${small.join('\n')}\n200×60:\n${wide.join('\n')}`);
	return problems;
}
