import type {BoxProps} from 'ink';
import {displayText} from '../core/terminal-text.ts';

/**
 * What Ink's screen-reader mode reads for a widget: `role: (states) label`. Ink prints the truthy keys of
 * `aria-state` in their order; its type lists only ARIA's states, and the reading also needs the keyboard focus
 * (which the screen shows with a marker) and that a field is masked.
 */
export type ReaderState = {
	focused?: boolean;
	checked?: boolean;
	selected?: boolean;
	disabled?: boolean;
	masked?: boolean;
	busy?: boolean;
};

export function readerState(state: ReaderState): BoxProps['aria-state'] {
	return state as BoxProps['aria-state'];
}

/** A Box's aria-label does not pass Text.tsx: make its control characters visible as Text would, on one line. */
export function readerLabel(text: string): string {
	return displayText(text);
}
