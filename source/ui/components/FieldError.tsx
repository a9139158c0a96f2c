import {Box} from 'ink';
import {Text} from './Text.tsx';
import {theme} from '../theme.ts';

export type FieldErrorProps = {
	/** The message; nothing is drawn without one. */
	message: string | undefined;
	/** Columns to indent by, so the message starts under the field's value box. */
	indent?: number;
};

/**
 * A validation error on the line under the field that caused it. At 80 columns the page is 49 wide: a message
 * beside the field would be squeezed into a few columns, so it goes directly below, where it still reads as the
 * field's own.
 */
export default function FieldError({message, indent = 0}: FieldErrorProps) {
	if (message === undefined || message === '') return null;
	return (
		<Box marginLeft={indent}>
			<Text {...theme.text('error')}>✖ {message}</Text>
		</Box>
	);
}
