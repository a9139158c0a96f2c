import {useState} from 'react';
import test from 'ava';
import {Box, Text} from 'ink';
import Button from '../../source/ui/components/Button.tsx';
import Checkbox from '../../source/ui/components/Checkbox.tsx';
import RadioGroup, {radioOptionIds} from '../../source/ui/components/RadioGroup.tsx';
import TextField from '../../source/ui/components/TextField.tsx';
import {useFocusRing} from '../../source/ui/hooks/use-focus-ring.ts';
import {frame, listening, press, settleUntil} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

const options = [
	{value: 'none', label: 'No authentication'},
	{value: 'basic', label: 'Username and password'},
];

function Form({pressed, active = true}: {pressed: string[]; active?: boolean}) {
	const [name, setName] = useState('');
	const [checked, setChecked] = useState(false);
	const [auth, setAuth] = useState('none');
	const ring = useFocusRing({ids: ['name', 'check', ...radioOptionIds('auth', options), 'ok', 'cancel'], isActive: active});
	return (
		<Box flexDirection="column">
			<TextField label="Name:" value={name} onChange={setName} ring={ring} id="name" />
			<Checkbox label="Specify" checked={checked} onChange={setChecked} ring={ring} id="check" />
			<RadioGroup options={options} value={auth} onChange={setAuth} ring={ring} id="auth" />
			<Box gap={1}>
				<Button label="OK" ring={ring} id="ok" onPress={() => pressed.push(`ok:${name}:${checked}:${auth}`)} />
				<Button label="Cancel" ring={ring} id="cancel" onPress={() => pressed.push('cancel')} />
			</Box>
			<Text>{`focus=${ring.focusedId}`}</Text>
		</Box>
	);
}

function focusOf(output: string): string | undefined {
	return /focus=(\S+)/.exec(output)?.[1];
}

test('Tab and ↓ go forward, Shift+Tab and ↑ back, wrapping round', async t => {
	const rendered = renderUi(<Form pressed={[]} />);
	t.is(focusOf(frame(rendered)), 'name');
	await press(rendered, 'tab');
	t.is(focusOf(frame(rendered)), 'check');
	await press(rendered, 'down', 'down', 'down');
	t.is(focusOf(frame(rendered)), 'ok');
	await press(rendered, 'tab', 'tab');
	t.is(focusOf(frame(rendered)), 'name');
	await press(rendered, 'shiftTab');
	t.is(focusOf(frame(rendered)), 'cancel');
	await press(rendered, 'up');
	t.is(focusOf(frame(rendered)), 'ok');
	rendered.unmount();
});

test('typing goes to the focused field, Space toggles, Enter presses the focused button', async t => {
	const pressed: string[] = [];
	const rendered = renderUi(<Form pressed={pressed} />);
	await press(rendered, 'a', ' ', 'b');
	await press(rendered, 'tab', 'space');
	t.true(frame(rendered).includes('›[x] Specify'));
	await press(rendered, 'tab', 'tab', 'space');
	t.true(frame(rendered).includes('›(•) Username and password'));
	await press(rendered, 'tab', 'enter');
	t.deepEqual(pressed, ['ok:a b:true:basic']);
	await press(rendered, 'tab', 'enter');
	t.deepEqual(pressed, ['ok:a b:true:basic', 'cancel']);
	rendered.unmount();
});

test('keys that arrive in one read are each handled with the focus the previous one left', async t => {
	const pressed: string[] = [];
	const rendered = renderUi(<Form pressed={pressed} />);
	// Tab ×4 then Enter, all in one chunk: lands on OK and presses it.
	await listening(rendered);
	rendered.stdin.write('xy\t\t\t\t\r');
	await settleUntil(() => pressed.length > 0);
	t.deepEqual(pressed, ['ok:xy:false:none']);
	rendered.unmount();
});

test('an inactive ring neither moves nor presses', async t => {
	const pressed: string[] = [];
	const rendered = renderUi(<Form pressed={pressed} active={false} />);
	await press(rendered, 'tab', 'enter', 'x');
	t.is(focusOf(frame(rendered)), 'name');
	t.deepEqual(pressed, []);
	t.false(frame(rendered).includes('›'));
	rendered.unmount();
});

test('standalone Button, Checkbox and RadioGroup handle their own keys when focused', async t => {
	const events: string[] = [];
	const button = renderUi(<Button label="Apply" focused onPress={() => events.push('press')} />);
	await press(button, 'enter');
	button.unmount();
	const disabled = renderUi(<Button label="Apply" focused disabled onPress={() => events.push('disabled')} />);
	await press(disabled, 'enter');
	disabled.unmount();
	const checkbox = renderUi(<Checkbox label="Use" checked={false} focused onChange={value => events.push(`check:${value}`)} />);
	await press(checkbox, 'space');
	checkbox.unmount();
	const radio = renderUi(<RadioGroup options={options} value="none" focusedValue="basic" onChange={value => events.push(`radio:${value}`)} />);
	await press(radio, 'space');
	radio.unmount();
	t.deepEqual(events, ['press', 'check:true', 'radio:basic']);
});
