import test from 'ava';
import {applyEmailSettings} from '../../source/core/settings-forms.ts';
import {getSharedSettings} from '../../source/core/shared-settings.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

// Serial: each renders the whole shell; side by side they starve each other's event-loop turns.

test.serial('E-mail Settings: a bad sender is shown under Sender Address; a good one is saved', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'email');
	await waitForFrame(rendered, '›Sender Address:');
	await typeText(rendered, 'not-an-address');
	await press(rendered, 'tab');
	await typeText(rendered, 'smtp.example.com');
	// Sender, SMTP, three radio options, Apply.
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'enter');
	const refused = await waitForFrame(rendered, /Sender Address:.*\n.*✖ Sender Address must be an/);
	t.regex(refused, /│ ✖ ?Sender Address must be an e-mail address such as/, "and in the Results pane");
	t.is((await getSharedSettings(session)).email.senderAddress, '');

	// Back to the field: fix it, apply again.
	await press(rendered, 'tab');
	t.regex(frame(rendered), /›Sender Address:/);
	for (let index = 0; index < 'not-an-address'.length; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'reports@example.com');
	t.false(frame(rendered).includes('✖ Sender Address must be an e-mail address such as reports@example.com.\n'));
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '✔ E-mail settings applied');
	const saved = (await getSharedSettings(session)).email;
	t.is(saved.senderAddress, 'reports@example.com');
	t.is(saved.smtpServer, 'smtp.example.com');
	t.is(saved.authentication, 'none');
});

test.serial('E-mail Settings: username and password shows its fields; the password never renders and is kept when left empty', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'email');
	await waitForFrame(rendered, '›Sender Address:');
	t.false(frame(rendered).includes('User Name:'));
	await typeText(rendered, 'reports@example.com');
	await press(rendered, 'tab');
	await typeText(rendered, 'smtp.example.com:587');
	await press(rendered, 'tab', 'tab', 'space');
	await waitForFrame(rendered, 'User Name:');
	t.true(frame(rendered).includes('Use secure connection'));
	await press(rendered, 'tab', 'tab', 'space');
	t.true(frame(rendered).includes('[x] Use secure connection'));
	await press(rendered, 'tab');
	await typeText(rendered, 'mailer');
	await press(rendered, 'tab');
	await typeText(rendered, 'Sm7p-Secret!');
	t.true(frame(rendered).includes('************'));
	t.false(frame(rendered).includes('Sm7p-Secret'));
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, '✔ E-mail settings applied');
	await waitForPage(rendered, /Password saved; leave empty to keep it\./);
	t.false(frame(rendered).includes('Sm7p-Secret'));
	let saved = (await getSharedSettings(session)).email;
	t.like(saved, {authentication: 'basic', useSecureConnection: true, userName: 'mailer', password: 'set'});

	// Apply again with the Password field left empty: the saved password stays.
	await press(rendered, 'enter');
	await waitForFrame(rendered, /✔ E-mail settings applied[\s\S]*✔ E-mail settings applied/);
	saved = (await getSharedSettings(session)).email;
	t.is(saved.password, 'set');
});

/** What another server saves while the page is open: a stored password changes the status, so the shell refreshes. */
const savedElsewhere = {
	senderAddress: 'ops@example.com',
	smtpServer: 'smtp.example.com',
	authentication: 'basic',
	useSecureConnection: false,
	userName: 'mailer',
	password: 'Sm7p-Secret!',
} as const;

test.serial('E-mail Settings: a status refresh shows what another server saved while nothing was edited here', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'email', {refreshIntervalMs: 50});
	await waitForFrame(rendered, '›Sender Address:');
	await applyEmailSettings(session, savedElsewhere);
	const refreshed = await waitForFrame(rendered, 'ops@example.com', 15_000);
	t.true(refreshed.includes('User Name:'), refreshed);
	t.regex(refreshed, /Password saved; leave empty to/);
});

test.serial('E-mail Settings: a status refresh keeps what the admin has typed', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'email', {refreshIntervalMs: 50});
	await waitForFrame(rendered, '›Sender Address:');
	await typeText(rendered, 'typed@example.com');
	// Username and password: its fields show, empty.
	await press(rendered, 'tab', 'tab', 'tab', 'space');
	await waitForFrame(rendered, 'User Name:');
	await applyEmailSettings(session, savedElsewhere);
	// The saved password is noted (the refresh came), the fields are the ones typed here.
	const refreshed = await waitForFrame(rendered, /Password saved; leave empty to/, 15_000);
	t.true(refreshed.includes('typed@example.com'), refreshed);
	t.false(refreshed.includes('ops@example.com'));
	t.false(refreshed.includes('mailer'));
});
