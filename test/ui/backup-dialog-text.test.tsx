import path from 'node:path';
import os from 'node:os';
import test from 'ava';
import {loadedPasswordStrength} from '../../source/core/password-strength.ts';
import {backupDirectory} from '../../source/ui/features/encryption-keys/BackupKeyDialog.tsx';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {press, resize} from '../helpers/ink.ts';
import {pageText, renderPage, typeText, waitForPage} from '../helpers/page-harness.tsx';

test('the suggested backup goes where rscm was started, never into the checkout `npm start` runs in', t => {
	const checkout = path.join(os.tmpdir(), 'rscm-checkout');
	t.is(backupDirectory({}, checkout), checkout);
	// `npm test` and other scripts: their working directory is the admin's choice.
	t.is(backupDirectory({npm_lifecycle_event: 'test', INIT_CWD: '/elsewhere'}, checkout), checkout);
	// `npm start` from another directory: that one; from the checkout itself: the home directory.
	t.is(backupDirectory({npm_lifecycle_event: 'start', INIT_CWD: '/srv/backups'}, checkout), '/srv/backups');
	t.is(backupDirectory({npm_lifecycle_event: 'start', INIT_CWD: `${checkout}/`}, checkout), os.homedir());
});

test('the strength estimate comes from its own thread: typing never waits for zxcvbn', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'encryption-keys');
	await waitForPage(rendered, /Key \S+ · version 1/);
	await press(rendered, 'enter');
	await waitForPage(rendered, /Backup Encryption Key/);
	await typeText(rendered, 'abcd1234');
	await waitForPage(rendered, /Strength: very weak/);
	// The verdict is on screen, yet this thread, the one taking the keys, never loaded the dictionaries.
	t.is(loadedPasswordStrength(), undefined);
});

test('a strong password gets no advice that contradicts it; a weak one gets it whole, not cut', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'encryption-keys');
	await waitForPage(rendered, /Key \S+ · version 1/);
	await press(rendered, 'enter');
	await waitForPage(rendered, /Backup Encryption Key/);
	await typeText(rendered, 'abcd1234');
	// zxcvbn's own warning, from its English translations.
	t.regex(await waitForPage(rendered, /Strength: very weak/), /Strength: very weak — This is a commonly used password\./);
	// Still a sequence in it, but the estimate says very strong: no advice next to it.
	await typeText(rendered, '-Correct-Horse-Battery!');
	const strong = await waitForPage(rendered, /Strength: very strong/);
	t.false(strong.includes('commonly used'), strong);
	t.false(strong.includes('Strength: very strong —'), strong);
});

test('the password checklist uses the same words at 80×24 and on a tall terminal', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'encryption-keys');
	await waitForPage(rendered, /Key \S+ · version 1/);
	await press(rendered, 'enter');
	await waitForPage(rendered, /Backup Encryption Key/);
	const rules = ['8 or more characters', 'Uppercase letter', 'Lowercase letter', 'Symbol such as ! or #'];
	const small = pageText(rendered);
	await resize(rendered, 80, 50);
	const tall = await waitForPage(rendered, /Symbol such as ! or #/);
	for (const rule of rules) {
		t.true(small.includes(rule), `80×24 lacks "${rule}": ${small}`);
		t.true(tall.includes(rule), `80×50 lacks "${rule}": ${tall}`);
	}
});
