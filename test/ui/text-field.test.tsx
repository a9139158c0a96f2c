import {useState} from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import TextField from '../../source/ui/components/TextField.tsx';
import {frame, press, settle} from '../helpers/ink.ts';

function Field({mask = false, error, onValue}: {mask?: boolean; error?: string; onValue?: (value: string) => void}) {
	const [value, setValue] = useState('');
	return (
		<TextField
			label="Password:"
			value={value}
			onChange={next => {
				setValue(next);
				onValue?.(next);
			}}
			focused
			mask={mask}
			error={error}
		/>
	);
}

test('a masked field shows one * per character and never renders the secret', async t => {
	const secret = 'Sup3r$ecretÄ';
	let value = '';
	const rendered = render(<Field mask onValue={next => (value = next)} />);
	// One key at a time, as typed, then a paste.
	await press(rendered, ...secret.slice(0, 4).split(''));
	rendered.stdin.write(secret.slice(4));
	await settle();
	t.is(value, secret);
	t.true(frame(rendered).includes(`[${'*'.repeat([...secret].length)}`));
	for (const output of rendered.frames) {
		t.false(output.includes(secret.slice(0, 4)));
		t.false(output.includes('ecret'));
	}

	rendered.unmount();
});

test('typing, cursor moves, backspace and paste edit the value', async t => {
	let value = '';
	const rendered = render(<Field onValue={next => (value = next)} />);
	await press(rendered, 'a', 'c', 'left', 'b');
	t.is(value, 'abc');
	await press(rendered, 'right', 'backspace');
	t.is(value, 'ab');
	rendered.stdin.write('xy\u001B[A');
	await settle();
	t.is(value, 'abxy');
	// Control characters in a paste do not reach the value.
	rendered.stdin.write('1\u00072');
	await settle();
	t.is(value, 'abxy12');
	t.true(frame(rendered).includes('[abxy12'));
	rendered.unmount();
});

test('the focused field is marked and shows its error on the line under it', t => {
	const rendered = render(<Field error="too short" />);
	const [field, error] = frame(rendered).split('\n');
	t.true(field!.startsWith('›Password:'));
	t.true(field!.endsWith(']'));
	t.is(error, '  ✖ too short');
	rendered.unmount();
});

test('without focus it ignores keys', async t => {
	let value = '';
	function Unfocused() {
		const [text, setText] = useState('');
		return (
			<TextField
				label="Account:"
				value={text}
				onChange={next => {
					setText(next);
					value = next;
				}}
				focused={false}
			/>
		);
	}

	const rendered = render(<Unfocused />);
	await press(rendered, 'a');
	t.is(value, '');
	t.true(frame(rendered).startsWith(' Account:'));
	rendered.unmount();
});

test('a value wider than the field is marked with … where it is cut, on the side it goes on', async t => {
	const path = '/var/backups/report-server/rskey-ssrs-20261202.snk';
	const unfocused = render(<TextField label="File Location:" value={path} onChange={() => undefined} fieldWidth={22} />);
	await settle();
	// Not focused: the end, which names the file, with the rest of the path marked.
	t.true(frame(unfocused).includes('[…-ssrs-20261202.snk ]'), frame(unfocused));
	unfocused.unmount();

	function Editing() {
		const [value, setValue] = useState(path);
		return <TextField label="File Location:" value={value} onChange={setValue} fieldWidth={22} focused />;
	}

	const focused = render(<Editing />);
	// Home, as a terminal sends it.
	await press(focused, '\u001B[H');
	// At the start: nothing cut on the left, the rest of the path marked on the right.
	t.true(frame(focused).includes('[/var/backups/report…]'), frame(focused));
	focused.unmount();
});
