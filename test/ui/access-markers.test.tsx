import type React from 'react';
import test from 'ava';
import {Box} from 'ink';
import {CharsetContext} from '../../source/ui/contexts/charset-context.ts';
import Button, {buttonText} from '../../source/ui/components/Button.tsx';
import Checkbox from '../../source/ui/components/Checkbox.tsx';
import KeyHints from '../../source/ui/components/KeyHints.tsx';
import Panel from '../../source/ui/components/Panel.tsx';
import RadioGroup from '../../source/ui/components/RadioGroup.tsx';
import ResultsPane from '../../source/ui/components/ResultsPane.tsx';
import Spinner, {asciiSpinnerFrames} from '../../source/ui/components/Spinner.tsx';
import TextField from '../../source/ui/components/TextField.tsx';
import {frame, settleUntil} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

// ink-testing-library's stdout is no terminal, so chalk sends no style at all, as under TERM=dumb: what these frames
// show is what such a terminal shows.
// eslint-disable-next-line no-control-regex
const anyStyle = /\u001B\[/;

function lastLine(element: React.ReactElement): string {
	const rendered = renderUi(element);
	const output = frame(rendered);
	rendered.unmount();
	return output;
}

test('a button shows focus and disabled in its characters, at the same width', t => {
	const normal = lastLine(<Button label="Backup" onPress={() => undefined} />);
	const focused = lastLine(<Button focused label="Backup" onPress={() => undefined} />);
	const disabled = lastLine(<Button disabled label="Backup" onPress={() => undefined} />);
	t.false(anyStyle.test(normal + focused + disabled), 'the test must see plain text');
	t.is(normal, '[ Backup ]');
	t.is(focused, '[>Backup<]');
	t.is(disabled, '[-Backup-]');
	t.is(new Set([normal.length, focused.length, disabled.length]).size, 1);
	t.is(buttonText('OK', 'normal'), '[ OK ]');
	// A disabled button never shows the focus, even if asked to.
	t.is(lastLine(<Button focused disabled label="OK" onPress={() => undefined} />), '[-OK-]');
});

test('buttons in a row do not move when the focus moves', t => {
	const row = (focus: string) =>
		lastLine(
			<Box gap={2}>
				{['Backup', 'Restore', 'Change'].map(label => (
					<Button key={label} label={label} focused={label === focus} disabled={label === 'Change'} onPress={() => undefined} />
				))}
			</Box>,
		);
	t.is(row('Backup'), '[>Backup<]  [ Restore ]  [-Change-]');
	t.is(row('Restore'), '[ Backup ]  [>Restore<]  [-Change-]');
});

test('checkboxes and radio options: › where the focus is, - when they cannot be changed', t => {
	t.is(lastLine(<Checkbox focused checked label="Specify an account" onChange={() => undefined} />), '›[x] Specify an account');
	t.is(lastLine(<Checkbox checked={false} label="Specify an account" onChange={() => undefined} />), ' [ ] Specify an account');
	t.is(lastLine(<Checkbox disabled checked label="Specify an account" onChange={() => undefined} />), '-[x] Specify an account');
	const options = [
		{value: 'none', label: 'No authentication'},
		{value: 'basic', label: 'Username and password'},
		{value: 'ntlm', label: 'Windows', disabled: true},
	];
	t.is(
		lastLine(<RadioGroup options={options} value="none" focusedValue="basic" onChange={() => undefined} />),
		' (•) No authentication\n›( ) Username and password\n-( ) Windows',
	);
});

test('a text field marks its focus with ›', t => {
	t.is(lastLine(<TextField focused label="Name:" value="" fieldWidth={6} onChange={() => undefined} />), '›Name: [    ]');
	t.is(lastLine(<TextField label="Name:" value="" fieldWidth={6} onChange={() => undefined} />), ' Name: [    ]');
});

test('in ASCII every widget draws plain ASCII; the focused panel keeps a border of its own', async t => {
	const ascii = (element: React.ReactElement) => lastLine(<CharsetContext.Provider value="ascii">{element}</CharsetContext.Provider>);
	t.is(ascii(<Panel title="Status" width={14} height={3} />), '+- Status ---+\n|            |\n+------------+');
	t.is(ascii(<Panel focused title="Status" width={14} height={3} />), '#= Status ===#\n#            #\n#============#');
	t.is(ascii(<KeyHints scope="list" width={80} />), 'Up/Down move  1-0 jump  Enter open  q quit  ? help');
	const results = ascii(
		<ResultsPane
			width={40}
			height={4}
			entries={[
				{id: 1, ok: true, message: 'Backed up — to /srv/Zürich.snk'},
				{id: 2, ok: false, message: 'Wrong password…'},
			]}
		/>,
	);
	t.is(results, '+- Results ----------------------------+\n| v Backed up - to /srv/Z?rich.snk     |\n| x Wrong password.                    |\n+--------------------------------------+');
	t.is(ascii(<Checkbox focused checked label="Specify" onChange={() => undefined} />), '>[x] Specify');
	const spinner = renderUi(
		<CharsetContext.Provider value="ascii">
			<Spinner label="Connecting" intervalMs={5} />
		</CharsetContext.Provider>,
	);
	// Until it has turned once, however slow the machine is: the test proves turning, not a speed.
	const firstCharacters = () => new Set(spinner.frames.map(output => output.slice(0, 1)));
	await settleUntil(() => firstCharacters().size >= 2, 10_000);
	const seen = firstCharacters();
	spinner.unmount();
	t.true([...seen].every(first => asciiSpinnerFrames.includes(first)), [...seen].join(''));
	t.true(seen.size >= 2, 'the ASCII spinner turns');
});
