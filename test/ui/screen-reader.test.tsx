import process from 'node:process';
import test from 'ava';
import Checklist from '../../source/ui/components/Checklist.tsx';
import ConfirmDialog from '../../source/ui/components/ConfirmDialog.tsx';
import KeyHints from '../../source/ui/components/KeyHints.tsx';
import ProgressBar from '../../source/ui/components/ProgressBar.tsx';
import ResultsPane from '../../source/ui/components/ResultsPane.tsx';
import Spinner from '../../source/ui/components/Spinner.tsx';
import TextField from '../../source/ui/components/TextField.tsx';
import {pages} from '../../source/ui/pages/index.ts';
import {setDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {joinedInstance, strongPassword} from '../helpers/catalog-fixtures.ts';
import {frame, press, settle, settleUntil} from '../helpers/ink.ts';
import {renderPage} from '../helpers/page-harness.tsx';
import {renderUi} from '../helpers/render-ui.tsx';

// Ink reads this when a render starts (ink-testing-library passes no option of its own). Each test file runs in a
// process of its own, so only the renders of this file read the screen-reader way, as `rscm --screen-reader` does.
process.env['INK_SCREEN_READER'] = 'true';

// What must never be read out: the drawing (box edges, the focus and list markers, progress blocks, spinner frames),
// which a screen reader would spell out character by character.
const decoration = /[\u2500-\u259F›⠀-⣿]/;

function lines(output: string): string[] {
	return output.split('\n').map(line => line.trim());
}

test('widgets read as role, state and label', async t => {
	const dialog = renderUi(
		<ConfirmDialog
			title="Delete Encrypted Content"
			message="All encrypted content is deleted."
			requireText="DELETE"
			confirmLabel="Delete"
			width={50}
			onConfirm={() => undefined}
			onCancel={() => undefined}
		/>,
	);
	await press(dialog, 'D', 'E');
	const reading = lines(frame(dialog));
	t.false(decoration.test(frame(dialog)), frame(dialog));
	t.true(reading.includes('Dialog: Delete Encrypted Content (focused)'), frame(dialog));
	t.true(reading.includes('All encrypted content is deleted.'));
	t.true(reading.includes('textbox: (focused) Type DELETE to confirm: DE'), frame(dialog));
	t.true(reading.some(line => line.includes('button: (disabled) Delete') && line.includes('button: Cancel')), frame(dialog));
	await press(dialog, 'L', 'E', 'T', 'E', 'enter');
	t.true(frame(dialog).includes('button: (focused) Delete'), frame(dialog));
	dialog.unmount();

	const secret = 'Sup3r$ecret';
	const field = renderUi(<TextField focused mask label="Password:" value={secret} onChange={() => undefined} />);
	t.is(frame(field), `textbox: (focused, masked) Password: ${secret.length} characters`);
	t.true(field.frames.every(output => !output.includes(secret) && !output.includes('ecret')));
	field.unmount();

	const checklist = renderUi(
		<Checklist
			items={[
				{id: 'length', label: 'At least 8 characters', ok: true},
				{id: 'digit', label: 'A digit', ok: false},
			]}
		/>,
	);
	t.is(frame(checklist), '(met) At least 8 characters\n(not met) A digit');
	checklist.unmount();

	const progress = renderUi(<ProgressBar label="Re-encrypting" done={1200} total={3000} width={60} />);
	t.is(frame(progress), 'progressbar: Re-encrypting 40%, 1,200/3,000');
	progress.unmount();

	const spinner = renderUi(<Spinner label="Connecting" intervalMs={5} />);
	for (let turn = 0; turn < 5; turn++) await settle();
	t.true(spinner.frames.every(output => output === 'Busy: Connecting'), spinner.frames.join(' | '));
	spinner.unmount();

	const results = renderUi(
		<ResultsPane
			width={60}
			height={4}
			entries={[
				{id: 1, ok: true, message: 'Backed up the key'},
				{id: 2, ok: false, message: 'Wrong password'},
			]}
		/>,
	);
	t.deepEqual(lines(frame(results)).filter(Boolean), ['Results, newest last', 'Done: Backed up the key', 'Failed: Wrong password']);
	results.unmount();

	const hints = renderUi(<KeyHints scope="list" width={80} />);
	t.is(frame(hints), 'Keys: Up/Down move, 1-0 jump, Enter open, q quit, ? help');
	hints.unmount();
});

test.serial('every page reads as a linear, labelled text: the page list, the page, Results and the keys', async t => {
	const {session} = await joinedInstance(t);
	for (const page of pages) {
		const rendered = await renderPage(t, session, page.id);
		// Loaded: the page's heading is read and its body is no longer "Loading…".
		await settleUntil(() => frame(rendered).includes(`${page.title} (focused)`) && !frame(rendered).includes('Loading'));
		const output = frame(rendered);
		const reading = lines(output);
		t.true(reading.includes(`${page.title} (focused)`), `${page.id}:\n${output}`);
		t.true(reading.includes(`list: ${pages[0]!.id === page.id ? '(selected) ' : ''}1 ${pages[0]!.title}`), `${page.id}:\n${output}`);
		t.true(reading.some(line => line.endsWith(`(selected) ${page.number <= 10 ? `${page.number} ` : ''}${page.title}`)), `${page.id}:\n${output}`);
		t.true(reading.includes('Results, newest last'), `${page.id}:\n${output}`);
		t.true(reading.at(-1)!.startsWith('Keys: '), `${page.id}:\n${output}`);
		t.false(decoration.test(output), `${page.id} reads decoration:\n${output}`);
	}
});

test.serial('a dialog reads its title, its fields with their state and never the password', async t => {
	const {session, deployment} = await joinedInstance(t);
	const previous = process.cwd();
	// The Backup dialog suggests a file in the current directory.
	process.chdir(deployment.root);
	t.teardown(() => process.chdir(previous));
	const rendered = await renderPage(t, session, 'encryption-keys');
	await settleUntil(() => frame(rendered).includes('button: (focused) Backup'));
	t.true(frame(rendered).includes('button: (focused) Backup'), frame(rendered));
	await press(rendered, 'enter');
	await settleUntil(() => frame(rendered).includes('Dialog: '));
	await press(rendered, ...strongPassword);
	const output = frame(rendered);
	const reading = lines(output);
	t.true(reading.some(line => /^Dialog: Back ?up Encryption Key \(focused\)$/i.test(line)), output);
	t.true(reading.some(line => line.startsWith(`textbox: (focused, masked) Password: ${strongPassword.length} characters`)), output);
	t.true(reading.some(line => line.startsWith('textbox: (masked) Confirm Password: empty')), output);
	t.true(reading.some(line => line.startsWith('(met) ')), output);
	t.false(decoration.test(output), output);
	t.true(rendered.frames.every(written => !written.includes(strongPassword)));
});

const dialogs: Array<{page: string; keys: string[]; heading: RegExp}> = [
	{page: 'encryption-keys', keys: ['tab', 'enter'], heading: /^Dialog: Restore Encryption Key \(focused\)$/},
	{page: 'encryption-keys', keys: ['tab', 'tab', 'enter'], heading: /^Dialog: Change Encryption Key \(focused\)$/},
	{page: 'encryption-keys', keys: ['tab', 'tab', 'tab', 'enter'], heading: /^Dialog: Delete Encrypted Content \(focused\)$/},
	{page: 'database', keys: ['enter'], heading: /^Dialog: Change Database.* \(focused\)$/},
	{page: 'database', keys: ['tab', 'enter'], heading: /^Dialog: Copy Catalog.* \(focused\)$/},
	{page: 'status', keys: ['?'], heading: /^Help: keys \(\? or Esc closes\) \(focused\)$/},
];

for (const dialog of dialogs) {
	test.serial(`the dialog behind ${dialog.keys.join(' ')} on ${dialog.page} reads as a dialog with labelled controls`, async t => {
		const {session} = await joinedInstance(t);
		const rendered = await renderPage(t, session, dialog.page);
		await settleUntil(() => /^button: \(focused\)/m.test(frame(rendered)) || dialog.keys[0] === '?');
		await press(rendered, ...dialog.keys);
		await settleUntil(() => lines(frame(rendered)).some(line => dialog.heading.test(line)));
		const output = frame(rendered);
		t.true(lines(output).some(line => dialog.heading.test(line)), output);
		// Its controls say what they are (the help lists keys: each as "key: what it does").
		t.regex(output, dialog.keys[0] === '?' ? /^Up \/ k: Previous page/m : /^\s*(?:button|textbox|radio|checkbox): /m, output);
		// Each section of the help starts a line of its own, though the two columns stand side by side.
		if (dialog.keys[0] === '?') for (const section of ['Page list', 'Inside a page', 'Dialogs', 'Anywhere']) t.true(lines(output).includes(section), section);
		t.false(decoration.test(output), output);
	});
}

test.serial('the Data Sources list reads each row in words: its name, which values are set, empty or need re-entry', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {connectionString: 'Server=db', password: 'p'});
	await setDataSource(session, 'Stock', {connectionString: 'Server=db2', username: 'u', password: 'p'});
	await deleteEncryptedContent(session);
	await setDataSource(session, 'Stock', {connectionString: 'Server=db2', username: 'u', password: 'p'});
	const rendered = await renderPage(t, session, 'data-sources');
	await settleUntil(() => frame(rendered).includes('Stock:'));
	const output = frame(rendered);
	const reading = lines(output);
	t.true(reading.some(line => line.endsWith('listitem: (selected, focused) Sales: connection string needs re-entry, user name empty, password needs re-entry')), output);
	t.false(output.includes('needs re-entry\n') && output.includes('✔ set'), 'the marks\' key is not read');
	t.true(reading.includes('listitem: Stock: connection string set, user name set, password set'), output);
	t.false(decoration.test(output), output);
});
