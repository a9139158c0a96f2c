import {Box} from 'ink';
import {Text} from './Text.tsx';
import {useContext} from 'react';
import {LayerContext} from '../contexts/modal-context.ts';
import type {FocusRing} from '../hooks/use-focus-ring.ts';
import {useFocusable} from '../hooks/use-focusable.ts';
import {matchesBinding} from '../key/bindings.ts';
import {readerLabel, readerState} from '../reader.ts';
import {theme} from '../theme.ts';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type ButtonProps = {
	label: string;
	onPress: () => void;
	/** The focus ring and this button's id in it: the ring gives the focus and delivers Enter. */
	ring?: FocusRing;
	id?: string;
	/** Without a ring: whether the button has the focus (then it listens for Enter itself). */
	focused?: boolean;
	/** Drawn muted and ignores Enter, like a greyed-out Windows button. */
	disabled?: boolean;
};

/**
 * How a button is drawn: `[ OK ]`, focused `[>OK<]`, disabled `[-OK-]`. The state is in the characters, so it shows
 * where no colour or style reaches the screen (TERM=dumb, a plain terminal, a screenshot in a ticket), and every
 * state has the same width, so moving the focus shifts nothing.
 */
export function buttonText(label: string, state: 'normal' | 'focused' | 'disabled'): string {
	if (state === 'focused') return `[>${label}<]`;
	if (state === 'disabled') return `[-${label}-]`;
	return `[ ${label} ]`;
}

/** A push button; also inverse when focused and muted when disabled, where the terminal shows styles. */
export default function Button({label, onPress, ring, id, focused: focusedProp, disabled = false}: ButtonProps) {
	const inDialog = useContext(LayerContext) !== undefined;
	const {focused, standalone} = useFocusable({ring, id, focused: focusedProp, disabled, handlers: {press: onPress}});
	useKeyInput(
		(input, key) => {
			if (matchesBinding(inDialog ? 'dialog.press' : 'page.press', input, key)) onPress();
		},
		{isActive: standalone && focused && !disabled},
	);

	const state = disabled ? 'disabled' : focused ? 'focused' : 'normal';
	const style = disabled ? theme.text('muted') : focused ? theme.text('selection') : {};
	return (
		<Box
			aria-role="button"
			aria-state={readerState({focused: state === 'focused', disabled})}
			aria-label={readerLabel(label)}
		>
			<Text {...style} bold={state === 'focused' ? true : undefined}>
				{buttonText(label, state)}
			</Text>
		</Box>
	);
}
