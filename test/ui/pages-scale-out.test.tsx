import test from 'ava';
import Database from 'better-sqlite3';
import {fingerprintPublicKey} from '../../source/core/fingerprint.ts';
import {generateIdentity} from '../../source/core/key-wrap.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance, listInstances} from '../../source/core/instances.ts';
import {getStatus, instanceStatus} from '../../source/core/status.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {pageText, renderPage, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

test.serial('Scale-out: a waiting server is added only after its fingerprint is shown and confirmed', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	const rendered = await renderPage(t, session, 'scale-out');
	await waitForFrame(rendered, 'NODE-B');
	const table = frame(rendered);
	t.regex(table, /TESTHOST\s+A\s+Joined \(this\)/);
	t.regex(table, /NODE-B\s+SSRS\s+Waiting to Join/);
	t.true(table.includes(init.identityFingerprint));
	t.true(table.includes(bInit.identityFingerprint));

	// ↓ to the waiting row, then to Add Server.
	await press(rendered, 'down');
	await waitForFrame(rendered, '[ Add Server ]');
	t.true(frame(rendered).includes(`Id: ${bInit.installationId}`));
	await press(rendered, 'down', 'enter');
	await waitForFrame(rendered, 'Add NODE-B\\SSRS to the');
	const dialog = pageText(rendered);
	t.true(dialog.includes(`Identity fingerprint: ${bInit.identityFingerprint}`));
	t.true(dialog.includes('Compare with what `rscm status` shows on that server'));
	// Cancel has the focus first: Enter alone does not add.
	await press(rendered, 'esc');
	await waitForFrame(rendered, '[>Add Server<]');
	t.is((await listInstances(session)).find(row => row.machine === 'NODE-B')?.status, 'waiting');

	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Identity fingerprint:');
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, `✔ Added NODE-B\\SSRS (${bInit.identityFingerprint})`);
	await waitForFrame(rendered, /NODE-B\s+SSRS\s+Joined/);
	t.is((await listInstances(session)).find(row => row.machine === 'NODE-B')?.status, 'joined');
});

test.serial('Scale-out: removing the last joined instance warns first; LAST_JOINED_INSTANCE is shown on the page', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'scale-out');
	await waitForFrame(rendered, '[ Remove Server ]');
	await press(rendered, 'down', 'enter');
	await waitForFrame(rendered, 'Remove TESTHOST\\A');
	const dialog = pageText(rendered);
	t.regex(dialog, /last joined instance/);
	t.regex(dialog, /a backup will then be needed/);
	await press(rendered, 'shiftTab', 'enter');
	await waitForPage(rendered, /✖ TESTHOST\\A is the last joined instance and the key has no backup.*\[LAST_JOINED_INSTANCE\]/);
	t.is((await listInstances(session)).length, 1);
});

test.serial('Scale-out: a waiting instance sees its own fingerprint and what to do; it cannot add anyone', async t => {
	const {deployment} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	const rendered = await renderPage(t, b, 'scale-out');
	await waitForFrame(rendered, 'Waiting to Join (fingerprint');
	t.regex(pageText(rendered), new RegExp(`Waiting to Join \\(fingerprint ${bInit.identityFingerprint}\\)\\. Ask an admin on a joined server to add it`));
	t.notRegex(frame(rendered), /\[.Add Server.\]/, 'no Add Server button, in any state');
});

test.serial('Scale-out: a public key swapped in the catalog shows its own fingerprint, flagged, and Add Server refuses it', async t => {
	const {deployment, session} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	// The attack, from outside: raw SQL on the catalog file replaces the waiting server's public key only.
	const attacker = generateIdentity();
	const database = new Database(deployment.catalogPath);
	database.prepare('UPDATE instances SET public_key = ? WHERE installation_id = ?').run(attacker.publicKey, bInit.installationId);
	database.close();

	const rendered = await renderPage(t, session, 'scale-out');
	await waitForFrame(rendered, 'NODE-B');
	const flagged = frame(rendered).split('\n').find(line => line.includes(fingerprintPublicKey(attacker.publicKey)));
	t.regex(flagged ?? '', /✖ edited/, frame(rendered));
	t.false(frame(rendered).includes(bInit.identityFingerprint));
	await press(rendered, 'down');
	await waitForFrame(rendered, '[ Add Server ]');
	await press(rendered, 'down', 'enter');
	await waitForFrame(rendered, 'Identity fingerprint:');
	t.true(pageText(rendered).includes(`Identity fingerprint: ${fingerprintPublicKey(attacker.publicKey)}`));
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, '[KEYRING_TAMPERED]');
	t.is((await listInstances(session)).find(row => row.machine === 'NODE-B')?.status, 'waiting');
});

test.serial('Scale-out: escape sequences planted in a name are drawn as visible stand-ins, in the list and in the Add Server dialog', async t => {
	const {deployment, session} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	// From outside: OSC 52 (set the clipboard, ended by BEL) and ESC[8m (conceal) in the waiting row's names.
	const database = new Database(deployment.catalogPath);
	database
		.prepare('UPDATE instances SET machine = ?, instance_name = ? WHERE installation_id = ?')
		.run('NB\u001B]52;c;eA==\u0007', 'S\u001B[8m', bInit.installationId);
	database.close();

	const rendered = await renderPage(t, session, 'scale-out');
	await waitForFrame(rendered, 'NB␛]52');
	t.regex(frame(rendered), /NB␛]52;c;eA==…S␛\[8m\s+Waiting to Join/);
	await press(rendered, 'down');
	await waitForFrame(rendered, '[ Add Server ]');
	await press(rendered, 'down', 'enter');
	await waitForFrame(rendered, 'Identity fingerprint:');
	t.true(pageText(rendered).includes('Add NB␛]52;c;eA==␇\\S␛[8m to the'));
	for (const shown of rendered.frames) {
		t.false(shown.includes('\u001B]') || shown.includes('\u0007') || shown.includes('\u001B[8m'), shown);
	}
});

test.serial('Scale-out: an added server shows the key it was given and uses it only after Accept Key is confirmed', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'SSRS', machine: 'NODE-B'});
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	const primary = (await getStatus(a)).primaryKey!;

	const rendered = await renderPage(t, b, 'scale-out');
	await waitForFrame(rendered, '[ Accept Key ]');
	t.regex(pageText(rendered), new RegExp(`given key version 1, fingerprint ${primary.fingerprint}\\. Compare it with the Primary key line on a joined server's Status page`));
	// From the first row, ↓ past the two rows and Remove Server to Accept Key.
	await press(rendered, 'down', 'down', 'down', 'enter');

	await waitForFrame(rendered, 'Key fingerprint:');
	t.true(pageText(rendered).includes(`Key fingerprint: ${primary.fingerprint}`));
	t.is(await instanceStatus(b), 'unconfirmed');
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, `✔ Accepted key version 1 (${primary.fingerprint})`);
	t.is(await instanceStatus(b), 'joined');
});
