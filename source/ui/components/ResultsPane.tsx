import {Box} from 'ink';
import {Text} from './Text.tsx';
import {wrapLines} from '../wrap-lines.ts';
import {displayText} from '../../core/terminal-text.ts';
import {theme} from '../theme.ts';
import Panel from './Panel.tsx';

export type ResultEntry = {
	/** Stable key: a counter, so two identical messages are still two entries. */
	id: number;
	ok: boolean;
	message: string;
};

export type ResultsPaneProps = {
	entries: readonly ResultEntry[];
	/** Outer size, border included. */
	width: number;
	height: number;
};

// Control characters (escape codes in a file name, a newline in an error) must not reach the terminal: one entry
// is one line, and nothing in a message may move the cursor or recolour the screen.
// Line breaks become spaces; every other control character (and bidi override) is made visible by displayText.
export function toOneLine(message: string): string {
	return displayText(message.replace(/[\r\n\t]+/g, ' ')).replace(/ {2,}/g, ' ').trim();
}

type ShownEntry = {entry: ResultEntry; lines: string[]};

/**
 * Which entries fit `rows` lines: the newest whole (wrapped over as many lines as it needs, with an ellipsis only if
 * it needs more than there are), then older ones above it, one line each, as many as are left.
 */
export function layoutResults(entries: readonly ResultEntry[], columns: number, rows: number): ShownEntry[] {
	const newest = entries.at(-1);
	if (newest === undefined || rows <= 0) return [];
	// "✔ " leads the first line; the message starts after it.
	const [first = '', ...rest] = wrapLines(`✔ ${toOneLine(newest.message)}`, columns, rows);
	const newestLines = [first.slice(2), ...rest];
	const room = rows - newestLines.length;
	const older = room > 0 ? entries.slice(0, -1).slice(-room) : [];
	return [...older.map(entry => ({entry, lines: [toOneLine(entry.message)]})), {entry: newest, lines: newestLines}];
}

/** The Results pane: each action with ✔ or ✖ and its message, newest last and whole, older ones one line each. */
export default function ResultsPane({entries, width, height}: ResultsPaneProps) {
	const rows = Math.max(0, height - 2);
	const shown = layoutResults(entries, Math.max(1, width - 4), rows);
	return (
		<Panel title="Results" heading="Results, newest last" width={width} height={height}>
			{shown.length === 0 ? (
				<Text {...theme.text('muted')}>No actions yet.</Text>
			) : (
				shown.map(({entry, lines: [first, ...rest]}) => (
					<Box key={entry.id} flexDirection="column" aria-label={`${entry.ok ? 'Done' : 'Failed'}: ${toOneLine(entry.message)}`}>
						{/* One Text: a separate "✖ " would lose its trailing space to Ink's wrapping, which trims it. */}
						<Text wrap="truncate-end">
							<Text {...theme.text(entry.ok ? 'success' : 'error')}>{entry.ok ? '✔' : '✖'}</Text> {first}
						</Text>
						{rest.map((line, index) => (
							<Text key={`${entry.id}:${index + 1}`} wrap="truncate-end">
								{line}
							</Text>
						))}
					</Box>
				))
			)}
		</Panel>
	);
}
