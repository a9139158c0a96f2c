import {Text} from './Text.tsx';
import {useContext} from 'react';
import {LayerContext} from '../contexts/modal-context.ts';
import type {FocusRing} from '../hooks/use-focus-ring.ts';
import {useFocusable} from '../hooks/use-focusable.ts';
import {matchesBinding} from '../key/bindings.ts';
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
		<Text {...style}>
			{focused && !disabled ? '›' : ' '}
			<Text inverse={focused && !disabled ? true : undefined}>{checked ? '[x]' : '[ ]'}</Text> {label}
		</Text>
	);
}
