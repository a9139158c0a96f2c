import type React from 'react';
import {Box, type Key} from 'ink';
import {Text} from './Text.tsx';
import type {FocusRing} from '../hooks/use-focus-ring.ts';
import {useFocusable} from '../hooks/use-focusable.ts';
import {useClaimTextEntry} from '../hooks/use-text-entry.ts';
import {readerLabel, readerState} from '../reader.ts';
import {theme} from '../theme.ts';
import {useKeyInput} from '../hooks/use-key-input.ts';
import FieldError from './FieldError.tsx';
import {useInkTextEntry} from './InkTextEntry.tsx';

export type TextFieldProps = {
	label: string;
	value: string;
	onChange: (value: string) => void;
	/** The focus ring and this field's id in it: the ring gives the focus and delivers the typed keys. */
	ring?: FocusRing;
	id?: string;
	/** Without a ring: whether the field has the focus (then it listens to the keyboard itself). */
	focused?: boolean;
	/**
	 * Renders one `*` per character. The real value never enters the rendered tree, so it cannot reach the
	 * screen, the scroll-back or a terminal recording.
	 */
	mask?: boolean;
	/** A validation error, shown on the line under the field (at 80 columns there is no room beside it). */
	error?: string;
	placeholder?: string;
	/** Columns for the label (the fields of one form line up) and for the value box. */
	labelWidth?: number;
	fieldWidth?: number;
	/** Enter in the field; forms usually move to the next field or press their default button. */
	onSubmit?: (value: string) => void;
};

/** Characters as the user sees them (code points), so a mask shows one `*` per typed character. */
function characters(value: string): string[] {
	return [...value];
}

/**
 * What a screen reader hears for the field's value. A masked field says how many characters it holds, as its row of
 * `*` shows, and never the value.
 */
export function fieldReading(label: string, value: string, {mask = false, placeholder}: {mask?: boolean; placeholder?: string}): string {
	const count = characters(value).length;
	let reading: string;
	if (count === 0) reading = placeholder === undefined ? 'empty' : `empty, ${placeholder}`;
	else if (mask) reading = count === 1 ? '1 character' : `${count} characters`;
	else reading = value;
	return readerLabel(`${label} ${reading}`);
}

/**
 * A labelled one-line text field. The editing is ink-text-input's, fed by rscm's key dispatcher (see
 * InkTextEntry.tsx); the drawing is the field's own: a window of the field's width that follows the cursor, `…` where
 * the value is cut, and the placeholder in the theme's colours (ink-text-input's is a literal grey, against NO_COLOR,
 * so it is given none).
 */
export default function TextField({
	label,
	value,
	onChange,
	ring,
	id,
	focused: focusedProp,
	mask = false,
	error,
	placeholder,
	labelWidth,
	fieldWidth = 24,
	onSubmit,
}: TextFieldProps) {
	const chars = characters(value);
	const entry = useInkTextEntry({value, onChange, onSubmit, mask});
	const handleKey = (input: string, key: Key) => {
		// Focus moves and leaving the dialog are the ring's and the shell's.
		if (key.upArrow || key.downArrow || key.tab || key.escape || key.pageUp || key.pageDown) return;
		entry.handleKey(input, key);
	};

	const {focused, standalone} = useFocusable({ring, id, focused: focusedProp, handlers: {input: handleKey}});
	useClaimTextEntry(focused);
	useKeyInput(handleKey, {isActive: standalone && focused});

	// ink-text-input counts the cursor in UTF-16 units; the window counts characters.
	const cursor = characters(value.slice(0, entry.cursor)).length;
	const shown = mask ? chars.map(() => '*') : chars;
	// Keep the cursor inside the box: scroll so the window ends just after it.
	const room = Math.max(1, fieldWidth - 2);
	const start = Math.max(0, Math.min(cursor + 1, shown.length + 1) - room);
	const visible = shown.slice(start, start + room);
	const cursorInWindow = cursor - start;
	// Text beyond the window is marked where it is cut, never cut silently: `[…/rskey-ssrs-20261202.snk]` is a path
	// that goes on to the left, not a file in /.
	if (start > 0 && cursorInWindow !== 0) visible[0] = '…';
	if (start + room < shown.length && cursorInWindow !== room - 1) visible[room - 1] = '…';
	const showPlaceholder = chars.length === 0 && placeholder !== undefined && !focused;

	let body: React.ReactNode;
	if (showPlaceholder) {
		body = <Text {...theme.text('muted')}>{placeholder.slice(0, room).padEnd(room)}</Text>;
	} else if (focused) {
		const before = visible.slice(0, cursorInWindow).join('');
		const at = visible[cursorInWindow] ?? ' ';
		const after = visible.slice(cursorInWindow + 1).join('');
		const used = before.length + 1 + after.length;
		body = (
			<Text>
				{before}
				<Text inverse>{at}</Text>
				{after}
				{' '.repeat(Math.max(0, room - used))}
			</Text>
		);
	} else {
		body = <Text>{visible.join('').padEnd(room)}</Text>;
	}

	return (
		<Box flexDirection="column">
			<Box
				flexDirection="row"
				aria-role="textbox"
				aria-state={readerState({focused, masked: mask})}
				aria-label={fieldReading(label, value, {mask, placeholder})}
			>
				{/* The › marker shows the focus as text: visible without colour and to a screen reader. */}
				<Box width={(labelWidth ?? label.length + 1) + 1} flexShrink={0}>
					<Text {...(focused ? theme.text('focus') : {})} wrap="truncate-end">
						{(focused ? '›' : ' ') + label}
					</Text>
				</Box>
				<Box flexShrink={0}>
					<Text {...(focused ? theme.text('focus') : {})}>[</Text>
					{body}
					<Text {...(focused ? theme.text('focus') : {})}>]</Text>
				</Box>
			</Box>
			<FieldError message={error} indent={2} />
			{entry.engine}
		</Box>
	);
}
