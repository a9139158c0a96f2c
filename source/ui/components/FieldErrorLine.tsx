import {Box} from 'ink';
import {Text} from './Text.tsx';
import {theme} from '../theme.ts';

export type FieldErrorLineProps = {
	/** Nothing is drawn without a message. */
	message: string | undefined;
	/** Columns to indent by: the label column of the form, so the error sits under the field it is about. */
	indent: number;
	/** Lines the message may take before it is cut; narrow dialogs at 80×24 have little room. */
	maxLines?: number;
	width: number;
};

/**
 * An error under the field that caused it. TextField can show an error to its right, but a dialog at 80 columns
 * has no room there, so the key dialogs put it on the line below, aligned with the field.
 */
export default function FieldErrorLine({message, indent, maxLines = 2, width}: FieldErrorLineProps) {
	if (message === undefined || message === '') return null;
	const room = Math.max(10, width - indent);
	const text = `✖ ${message}`;
	return (
		<Box marginLeft={indent} width={room} height={Math.min(maxLines, wrappedLines(text, room))} flexShrink={0} overflow="hidden">
			<Text {...theme.text('error')} wrap="wrap">
				{text}
			</Text>
		</Box>
	);
}

/** Lines a word-wrapped text takes at a width (greedy, as Ink wraps), so the box is only as tall as the message. */
export function wrappedLines(text: string, width: number): number {
	let lines = 1;
	let used = 0;
	for (const word of text.split(' ')) {
		const length = [...word].length;
		if (used === 0) used = length;
		else if (used + 1 + length <= width) used += 1 + length;
		else {
			lines++;
			used = length;
		}

		while (used > width) {
			lines++;
			used -= width;
		}
	}

	return lines;
}
