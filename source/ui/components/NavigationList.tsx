import {useRef} from 'react';
import {Box} from 'ink';
import {Text} from './Text.tsx';
import {matchesBinding} from '../key/bindings.ts';
import {digitForPage, pageNumberForDigit} from '../key/page-jump.ts';
import {theme} from '../theme.ts';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type NavigationEntry = {id: string; number: number; title: string};

export type NavigationListProps = {
	pages: readonly NavigationEntry[];
	selectedId: string;
	/** The list has the keyboard focus: keys are live and the selection is drawn as a bar. */
	focused: boolean;
	width: number;
	/** Rows available; a longer list scrolls to keep the selection visible. */
	height?: number;
	/** The selection moved (↑/↓, k/j, a digit): the shell shows that page at once. */
	onSelect: (id: string) => void;
	/** Enter, → or Tab: the focus goes into the page. */
	onEnter: (id: string) => void;
};

/** A page with a digit to jump to is listed with its number (10 for the tenth, reached with 0); the others without. */
function shownNumber(entry: NavigationEntry): string {
	return digitForPage(entry.number) === undefined ? '' : String(entry.number);
}

/** An entry's text without the selection marker: " 9 Subscription Settings". */
function label(entry: NavigationEntry): string {
	return `${shownNumber(entry).padStart(2)} ${entry.title}`;
}

/** Columns the longest entry takes, selection marker included: the list's width follows the registry. */
export function navigationListWidth(entries: readonly NavigationEntry[]): number {
	return Math.max(0, ...entries.map(entry => 1 + label(entry).length));
}

function line(entry: NavigationEntry, selected: boolean, width: number): string {
	const text = `${selected ? '›' : ' '}${label(entry)}`;
	return text.length > width ? text.slice(0, width) : text.padEnd(width);
}

/**
 * The page list on the left of the SSRS Configuration Manager. Moving the selection shows the page immediately
 * (as the SSRS list does); entering it is a separate key so browsing never lands the focus in a form.
 */
export default function NavigationList({pages, selectedId, focused, width, height, onSelect, onEnter}: NavigationListProps) {
	const index = Math.max(0, pages.findIndex(page => page.id === selectedId));
	// ↓↓ arriving in one read runs twice before React re-subscribes the handler: track the selection in a ref.
	const latest = useRef(selectedId);
	latest.current = selectedId;

	useKeyInput(
		(input, key) => {
			const at = Math.max(0, pages.findIndex(page => page.id === latest.current));
			let target: NavigationEntry | undefined;
			if (matchesBinding('list.previous', input, key)) target = pages[Math.max(0, at - 1)];
			else if (matchesBinding('list.next', input, key)) target = pages[Math.min(pages.length - 1, at + 1)];
			else if (matchesBinding('list.jump', input, key)) {
				const number = pageNumberForDigit(input);
				target = pages.find(page => page.number === number);
			} else if (matchesBinding('list.enter', input, key)) {
				const entry = pages[at];
				if (entry !== undefined) onEnter(entry.id);
				return;
			}

			if (target === undefined || target.id === latest.current) return;
			latest.current = target.id;
			onSelect(target.id);
		},
		{isActive: focused},
	);

	const visible = height === undefined ? pages.length : Math.max(1, height);
	const start = Math.min(Math.max(0, index - visible + 1), Math.max(0, pages.length - visible));
	return (
		<Box flexDirection="column" width={width} aria-role="list">
			{pages.slice(start, start + visible).map(entry => {
				const selected = entry.id === selectedId;
				const style = selected ? (focused ? theme.text('selection') : theme.text('accent')) : {};
				return (
					<Text
						key={entry.id}
						wrap="truncate-end"
						{...style}
						bold={selected || undefined}
						aria-label={`${selected ? (focused ? '(selected, focused) ' : '(selected) ') : ''}${label(entry).trim()}`}
					>
						{line(entry, selected, width)}
					</Text>
				);
			})}
		</Box>
	);
}
