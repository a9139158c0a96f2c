import type {TerminalSize} from './hooks/use-terminal-size.ts';
import {navigationListWidth} from './components/NavigationList.tsx';
import {panelInnerSize} from './components/Panel.tsx';
import {designPages} from './page-types.ts';

export const minimumSize: TerminalSize = {columns: 80, rows: 24};

/** The navigation list's column: the longest entry ("› 9 Subscription Settings", 25 today) plus the border. */
export const navigationWidth = navigationListWidth(designPages) + 2;

export type ShellLayout = {
	tooSmall: boolean;
	/** Lines the whole frame may use: one less than the terminal, so Ink never falls back to clearing the screen. */
	frameHeight: number;
	bodyHeight: number;
	resultsHeight: number;
	navigationWidth: number;
	pageWidth: number;
	page: {width: number; height: number};
};

/**
 * Splits the terminal into title (1 line), body (list and page), Results and the hint line (1). Ink rewrites the
 * whole screen on every frame once its output is as tall as the terminal (flicker over SSH), so the frame is
 * exactly rows - 1 lines. The Results pane grows a little on tall terminals.
 */
export function computeLayout(size: TerminalSize): ShellLayout {
	const tooSmall = size.columns < minimumSize.columns || size.rows < minimumSize.rows;
	const frameHeight = Math.max(1, size.rows - 1);
	const resultLines = Math.min(8, Math.max(3, 3 + Math.floor((size.rows - minimumSize.rows) / 4)));
	const resultsHeight = resultLines + 2;
	const bodyHeight = Math.max(3, frameHeight - 2 - resultsHeight);
	const pageWidth = Math.max(10, size.columns - navigationWidth);
	return {
		tooSmall,
		frameHeight,
		bodyHeight,
		resultsHeight,
		navigationWidth,
		pageWidth,
		page: panelInnerSize(pageWidth, bodyHeight),
	};
}
