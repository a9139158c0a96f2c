import {Text} from './Text.tsx';
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

/** The Results pane: each action with ✔ or ✖ and a one-line message, newest last, only the last that fit. */
export default function ResultsPane({entries, width, height}: ResultsPaneProps) {
	const rows = Math.max(0, height - 2);
	const shown = rows === 0 ? [] : entries.slice(-rows);
	return (
		<Panel title="Results" width={width} height={height}>
			{shown.length === 0 ? (
				<Text {...theme.text('muted')}>No actions yet.</Text>
			) : (
				shown.map(entry => (
					// One Text: a separate "✖ " would lose its trailing space to Ink's wrapping, which trims it.
					<Text key={entry.id} wrap="truncate-end">
						<Text {...theme.text(entry.ok ? 'success' : 'error')}>{entry.ok ? '✔' : '✖'}</Text> {toOneLine(entry.message)}
					</Text>
				))
			)}
		</Panel>
	);
}
