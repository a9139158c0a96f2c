import test from 'ava';
import ConfirmDialog from '../../source/ui/components/ConfirmDialog.tsx';
import {CharsetContext} from '../../source/ui/contexts/charset-context.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

function setup(props: {requireText?: string; initialFocus?: 'confirm' | 'cancel'} = {}) {
	const events: string[] = [];
	const rendered = renderUi(
		<ConfirmDialog
			title="Change Encryption Key"
			message={['Create a new key?', 'Content is re-encrypted.']}
			width={50}
			onConfirm={() => events.push('confirm')}
			onCancel={() => events.push('cancel')}
			{...props}
		/>,
	);
	return {events, rendered};
}

test('shows title, message and OK/Cancel in a bordered dialog', async t => {
	const {rendered} = setup();
	await press(rendered);
	const output = frame(rendered);
	t.regex(output, /┏━ Change Encryption Key ━+┓/);
	t.true(output.includes('Create a new key?'));
	t.true(output.includes('Content is re-encrypted.'));
	// The focus is in the characters (README, Accessibility): Cancel has it first.
	t.true(output.includes('[ OK ]  [>Cancel<]'));
	rendered.unmount();
});

test('Cancel has the focus first: Enter alone cancels', async t => {
	const {events, rendered} = setup();
	await press(rendered, 'enter');
	t.deepEqual(events, ['cancel']);
	rendered.unmount();
});

test('Shift+Tab to OK, Enter confirms', async t => {
	const {events, rendered} = setup();
	await press(rendered, 'shiftTab');
	t.true(frame(rendered).includes('[>OK<]  [ Cancel ]'));
	await press(rendered, 'enter');
	t.deepEqual(events, ['confirm']);
	rendered.unmount();
});

test('Esc cancels', async t => {
	const {events, rendered} = setup({initialFocus: 'confirm'});
	await press(rendered, 'esc');
	t.deepEqual(events, ['cancel']);
	rendered.unmount();
});

test('the DELETE variant confirms only after the word is typed exactly', async t => {
	const {events, rendered} = setup({requireText: 'DELETE'});
	t.true(frame(rendered).includes('Type DELETE to confirm:'));
	// Disabled shows in the characters too, and keeps the button's width.
	t.true(frame(rendered).includes('[-OK-]  [ Cancel ]'));
	// OK is disabled and skipped: Tab from the field goes to Cancel.
	await press(rendered, 'D', 'E', 'L', 'tab', 'enter');
	t.deepEqual(events, ['cancel']);
	await press(rendered, 'tab');
	await press(rendered, 'E', 'T', 'E', 'enter');
	// Enter in the field moves to OK once the word is complete; a second Enter confirms.
	await press(rendered, 'enter');
	t.deepEqual(events, ['cancel', 'confirm']);
	rendered.unmount();
});

test('delete is case-sensitive', async t => {
	const {events, rendered} = setup({requireText: 'DELETE'});
	await press(rendered, 'd', 'e', 'l', 'e', 't', 'e', 'enter', 'tab', 'enter');
	t.deepEqual(events, ['cancel']);
	rendered.unmount();
});

test('busy: a spinner under the message, the typed word kept, and the confirm button off until it is gone', async t => {
	const events: string[] = [];
	const props = {
		title: 'Delete Encrypted Content',
		message: ['Erases every encrypted value.'],
		requireText: 'DELETE',
		confirmLabel: 'Delete',
		width: 50,
		onConfirm: () => events.push('confirm'),
		onCancel: () => events.push('cancel'),
	};
	const rendered = renderUi(<ConfirmDialog {...props} busy="Counting the encrypted values…" />);
	await press(rendered, ...'DELETE', 'enter');
	let output = frame(rendered);
	t.true(output.includes('Counting the encrypted values…'), output);
	t.true(output.includes('[DELETE'), output);
	t.true(output.includes('[-Delete-]'), 'the confirm button is off while busy');
	t.deepEqual(events, []);
	rendered.rerender(<ConfirmDialog {...props} message={['Erases every encrypted value.', 'To re-enter: 3 values.']} />);
	await press(rendered, 'enter', 'enter');
	output = frame(rendered);
	t.false(output.includes('Counting'), output);
	t.deepEqual(events, ['confirm']);
	rendered.unmount();
});

test('busy: Esc cancels while it waits', async t => {
	const events: string[] = [];
	const rendered = renderUi(
		<ConfirmDialog title="Delete" message="Erases." requireText="DELETE" width={50} busy="Counting…" onConfirm={() => events.push('confirm')} onCancel={() => events.push('cancel')} />,
	);
	await press(rendered, 'esc');
	t.deepEqual(events, ['cancel']);
	rendered.unmount();
});

test('busy on a plain (ASCII) terminal: the turning bar and the label in ASCII', async t => {
	const rendered = renderUi(
		<CharsetContext.Provider value="ascii">
			<ConfirmDialog title="Delete" message="Erases." width={50} busy="Counting the encrypted values…" onConfirm={() => undefined} onCancel={() => undefined} />
		</CharsetContext.Provider>,
	);
	await press(rendered);
	const line = frame(rendered).split('\n').find(text => text.includes('Counting the encrypted values')) ?? '';
	t.regex(line, /# [-\\|/] Counting the encrypted values\.\s/, 'the bar, then the ellipsis as a full stop');
	t.false(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(line), line);
	rendered.unmount();
});
