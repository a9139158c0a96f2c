import {Box} from 'ink';
import {Text} from './Text.tsx';
import {theme} from '../theme.ts';
import {wrapLines} from '../wrap-lines.ts';

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
	// Wrapped here, not by Ink: a message longer than its lines ends with an ellipsis instead of being clipped.
	return (
		<Box marginLeft={indent} width={room} flexDirection="column" flexShrink={0}>
			{wrapLines(`✖ ${message}`, room, maxLines).map((line, index) => (
				<Text key={index} {...theme.text('error')} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
