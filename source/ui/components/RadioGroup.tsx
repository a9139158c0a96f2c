import {Box} from 'ink';
import {Text} from './Text.tsx';
import {useContext} from 'react';
import {LayerContext} from '../contexts/modal-context.ts';
import type {FocusRing} from '../hooks/use-focus-ring.ts';
import {useFocusable} from '../hooks/use-focusable.ts';
import {matchesBinding} from '../key/bindings.ts';
import {readerLabel, readerState} from '../reader.ts';
import {theme} from '../theme.ts';
import {choiceMarker} from './Checkbox.tsx';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type RadioOption = {value: string; label: string; disabled?: boolean};

export type RadioGroupProps = {
	label?: string;
	options: readonly RadioOption[];
	value: string;
	onChange: (value: string) => void;
	/**
	 * The focus ring and the group's id. Each option is its own stop in the ring (list them with
	 * `radioOptionIds(id, options)`), so ↑/↓ walk through them like every other field; Space selects.
	 */
	ring?: FocusRing;
	id?: string;
	/** Without a ring: the option that has the focus (the group then listens for Space itself). */
	focusedValue?: string;
};

/** Focus-ring ids for the options of a group, in order. */
export function radioOptionIds(group: string, options: readonly RadioOption[]): string[] {
	return options.filter(option => !option.disabled).map(option => `${group}:${option.value}`);
}

function RadioOptionLine({
	option,
	selected,
	ring,
	group,
	focused: focusedProp,
	onChange,
}: {
	option: RadioOption;
	selected: boolean;
	ring?: FocusRing;
	group?: string;
	focused: boolean;
	onChange: (value: string) => void;
}) {
	const inDialog = useContext(LayerContext) !== undefined;
	const select = () => onChange(option.value);
	const {focused, standalone} = useFocusable({
		ring,
		id: group === undefined ? undefined : `${group}:${option.value}`,
		focused: focusedProp,
		disabled: option.disabled,
		handlers: {toggle: select},
	});
	useKeyInput(
		(input, key) => {
			if (matchesBinding(inDialog ? 'dialog.toggle' : 'page.toggle', input, key)) select();
		},
		{isActive: standalone && focused && !option.disabled},
	);
	const disabled = option.disabled === true;
	const style = disabled ? theme.text('muted') : focused ? theme.text('focus') : {};
	return (
		<Box
			aria-role="radio"
			aria-state={readerState({focused: focused && !disabled, checked: selected, disabled})}
			aria-label={readerLabel(option.label)}
		>
			<Text {...style}>
				{choiceMarker(focused, disabled)}
				<Text inverse={focused && !disabled ? true : undefined}>{selected ? '(•)' : '( )'}</Text> {option.label}
			</Text>
		</Box>
	);
}

/** `(•) Username and password`: one selected option out of several. */
export default function RadioGroup({label, options, value, onChange, ring, id, focusedValue}: RadioGroupProps) {
	return (
		// A group without a label of its own is read as its options alone ("radiogroup: radio: …" says nothing more).
		<Box flexDirection="column" aria-role={label === undefined ? undefined : 'radiogroup'}>
			{label === undefined ? null : <Text>{label}</Text>}
			{options.map(option => (
				<RadioOptionLine
					key={option.value}
					option={option}
					selected={option.value === value}
					ring={ring}
					group={id}
					focused={option.value === focusedValue}
					onChange={onChange}
				/>
			))}
		</Box>
	);
}
