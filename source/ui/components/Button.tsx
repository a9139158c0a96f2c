import {Text} from './Text.tsx';
import {useContext} from 'react';
import {LayerContext} from '../contexts/modal-context.ts';
import type {FocusRing} from '../hooks/use-focus-ring.ts';
import {useFocusable} from '../hooks/use-focusable.ts';
import {matchesBinding} from '../key/bindings.ts';
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

/** A push button: `[ OK ]`, shown inverse when focused so the focus is visible without colour. */
export default function Button({label, onPress, ring, id, focused: focusedProp, disabled = false}: ButtonProps) {
	const inDialog = useContext(LayerContext) !== undefined;
	const {focused, standalone} = useFocusable({ring, id, focused: focusedProp, disabled, handlers: {press: onPress}});
	useKeyInput(
		(input, key) => {
			if (matchesBinding(inDialog ? 'dialog.press' : 'page.press', input, key)) onPress();
		},
		{isActive: standalone && focused && !disabled},
	);

	const style = disabled ? theme.text('muted') : focused ? theme.text('selection') : {};
	return (
		<Text {...style} bold={focused && !disabled ? true : undefined}>
			{`[ ${label} ]`}
		</Text>
	);
}
