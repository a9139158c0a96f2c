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

export type CheckboxProps = {
	label: string;
	checked: boolean;
	onChange: (checked: boolean) => void;
	ring?: FocusRing;
	id?: string;
	/** Without a ring: whether the checkbox has the focus (then it listens for Space itself). */
	focused?: boolean;
	disabled?: boolean;
};

/**
 * The column before a checkbox or a radio option: `›` where the focus is, `-` when it cannot be changed now, blank
 * otherwise. Characters, not styles, so both show on a terminal without them.
 */
export function choiceMarker(focused: boolean, disabled: boolean): string {
	if (disabled) return '-';
	return focused ? '›' : ' ';
}

/** `[x] Specify an execution account`; Space toggles it while focused. */
export default function Checkbox({label, checked, onChange, ring, id, focused: focusedProp, disabled = false}: CheckboxProps) {
	const inDialog = useContext(LayerContext) !== undefined;
	const toggle = () => onChange(!checked);
	const {focused, standalone} = useFocusable({ring, id, focused: focusedProp, disabled, handlers: {toggle}});
	useKeyInput(
		(input, key) => {
			if (matchesBinding(inDialog ? 'dialog.toggle' : 'page.toggle', input, key)) toggle();
		},
		{isActive: standalone && focused && !disabled},
	);

	const style = disabled ? theme.text('muted') : focused ? theme.text('focus') : {};
	return (
		<Box
			aria-role="checkbox"
			aria-state={readerState({focused: focused && !disabled, checked, disabled})}
			aria-label={readerLabel(label)}
		>
			<Text {...style}>
				{choiceMarker(focused, disabled)}
				<Text inverse={focused && !disabled ? true : undefined}>{checked ? '[x]' : '[ ]'}</Text> {label}
			</Text>
		</Box>
	);
}
