import test from 'ava';
import {getSharedSettings} from '../../source/core/shared-settings.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

test.serial('Execution Account: the checkbox shows the fields; a mismatched confirmation is refused at Confirm Password', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'execution-account');
	await waitForFrame(rendered, '[ ] Specify an execution account');
	t.false(frame(rendered).includes('Account:'));
	await press(rendered, 'space');
	await waitForFrame(rendered, 'Confirm Password:');
	await press(rendered, 'tab');
	await typeText(rendered, 'CORP\\exec');
	await press(rendered, 'tab');
	await typeText(rendered, 'Exec-Pass1');
	await press(rendered, 'tab');
	await typeText(rendered, 'Exec-Pass2');
	t.false(frame(rendered).includes('Exec-Pass'));
	await press(rendered, 'tab', 'enter');
	// The error sits on the line under Confirm Password (and in the Results pane).
	await waitForFrame(rendered, /Confirm Password:.*\n.*✖ Password and Confirm Password differ/);
	t.is((await getSharedSettings(session)).execution.enabled, false);

	// Fix the confirmation: Shift+Tab back to it, erase, type the right one.
	await press(rendered, 'shiftTab');
	for (let index = 0; index < 10; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'Exec-Pass1');
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, '✔ Execution account set: CORP\\exec');
	await waitForPage(rendered, /Password saved; leave empty to keep it\./);
	t.false(frame(rendered).includes('Exec-Pass'));
	t.like((await getSharedSettings(session)).execution, {enabled: true, account: 'CORP\\exec', password: 'set'});

	// Clearing the checkbox hides the fields and, applied, removes the account.
	await press(rendered, 'tab', 'space');
	await waitForFrame(rendered, '[ ] Specify an execution account');
	t.false(frame(rendered).includes('Confirm Password:'));
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, '✔ Execution account removed');
	t.like((await getSharedSettings(session)).execution, {enabled: false, password: 'unset'});
});

test.serial('Subscription Settings: file share account without confirmation; a bad account is shown at its field', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'subscription-settings');
	await waitForFrame(rendered, 'Specify a file share account');
	await press(rendered, 'space');
	await waitForFrame(rendered, 'Account:');
	t.false(frame(rendered).includes('Confirm Password:'));
	await press(rendered, 'tab');
	await typeText(rendered, 'bad account');
	await press(rendered, 'tab');
	await typeText(rendered, 'Sh4re-Pass!');
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, /Account:.*\n.*✖ Account must be/);
	await press(rendered, 'shiftTab', 'shiftTab');
	for (let index = 0; index < 11; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'CORP\\share');
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '✔ File share account set: CORP\\share');
	t.false(frame(rendered).includes('Sh4re-Pass'));
	t.like((await getSharedSettings(session)).fileShare, {enabled: true, account: 'CORP\\share', password: 'set'});
});
