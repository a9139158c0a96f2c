import path from 'node:path';
import test from 'ava';
import {getStatus} from '../../source/core/status.ts';
import {joinedInstance, newDeployment} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {pageText, renderPage, typeText, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

test.serial('first run: no catalog yet, the focused Create catalog button creates it with one Enter', async t => {
	const deployment = await newDeployment(t);
	const session = await deployment.open('a');
	const rendered = await renderPage(t, session, 'database');
	await waitForFrame(rendered, 'No catalog exists here yet');
	t.regex(frame(rendered), /\[>Create catalog<\]/, 'the focus starts on Create catalog');
	await press(rendered, 'enter');
	await waitForFrame(rendered, /✔ ?Created the catalog at /);
	await waitForFrame(rendered, 'Catalog id:');
	const status = await getStatus(session);
	t.true(status.catalog.exists);
	t.is(status.status, 'joined');
	t.regex(pageText(rendered), /Server: SQLite \d/);
	t.regex(pageText(rendered), /Schema: version \d+/);
	t.true(pageText(rendered).includes(status.catalog.exists ? status.catalog.catalogId : 'none'));
	t.is(status.primaryKey?.backedUpAt, undefined);
});

test.serial('Change Database: create a new SQLite catalog through every wizard step; the instance switches to it', async t => {
	const {deployment, session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'database', {catalog: deployment.catalogPath});
	await waitForFrame(rendered, '[>Change Database<]');
	// Change Database is focused first (no Create button on a joined instance).
	await press(rendered, 'enter');
	await waitForFrame(rendered, '1 of 3: Action');
	t.true(frame(rendered).includes('(•) Create a new report server database'));
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '2 of 3: Location');
	const target = path.join(deployment.root, 'second.db');
	await typeText(rendered, target);
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, /✔ SQLite \d[^\n]*connected, no catalog here/);
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, '3 of 3: Summary');
	t.regex(pageText(rendered), /This instance creates the key and joins/);
	await press(rendered, 'enter');
	await waitForFrame(rendered, '✔ This instance now uses');
	t.regex(pageText(rendered), /Joined with new key [0-9a-f-]+: back it up/);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Catalog id:');
	t.true(pageText(rendered).includes(target));
	t.is(session.settings.get('catalog'), target);
});

test.serial('Change Database: choosing an existing catalog with a key registers as Waiting to Join and says what to do', async t => {
	const {deployment} = await joinedInstance(t);
	// A second machine, on its own (empty) catalog so far.
	const b = await deployment.open('b');
	const rendered = await renderPage(t, b, 'database');
	await waitForFrame(rendered, '[ Change Database ]');
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, '1 of 3: Action');
	await press(rendered, 'tab', 'space', 'tab', 'enter');
	await waitForFrame(rendered, '2 of 3: Location');
	// Next without Test Connection runs the test itself; a wrong choice is an error at the field.
	await typeText(rendered, path.join(deployment.root, 'missing.db'));
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, "holds");
	t.regex(pageText(rendered), /✖ \S+missing.db holds no catalog/);
	await press(rendered, 'tab', 'tab', 'tab');
	t.regex(frame(rendered), /›Location:/);
	for (let index = 0; index < 'missing.db'.length; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'catalog.db');
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '3 of 3: Summary');
	t.regex(pageText(rendered), /The catalog has a key: this instance registers as Waiting to Join/);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Waiting to Join. Ask an admin');
	// The page's session was switched (and the old one closed): read this instance's status afresh.
	const status = await getStatus(await deployment.open('b'));
	t.is(status.status, 'waiting');
	t.regex(
		pageText(rendered),
		new RegExp(`Ask an admin on a joined server to add this instance \\(fingerprint ${status.identity!.fingerprint}\\), or restore a backup on the Encryption Keys page`),
	);
	t.is(b.settings.get('catalog'), deployment.catalogPath);
});

test.serial('Copy Catalog: copies to a new SQLite file with its id, verifies, and can switch this instance to the copy', async t => {
	const {deployment, session} = await joinedInstance(t);
	const before = await getStatus(session);
	const rendered = await renderPage(t, session, 'database', {catalog: deployment.catalogPath});
	await waitForFrame(rendered, '[ Copy Catalog ]');
	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, 'Copy to:');
	const target = path.join(deployment.root, 'copy.db');
	await typeText(rendered, target);
	// Location → Test Connection → Copy.
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '[ Use the copy ]');
	t.regex(pageText(rendered), /✔ Copied to \S+copy\.db \(SQLite [\d.]+\)/);
	await waitForFrame(rendered, /✔ ?Copied catalog/);
	// Use the copy: the focus is on Close; Shift+Tab to Use the copy.
	await press(rendered, 'shiftTab', 'enter');
	await waitForPage(rendered, /Location: \S+copy\.db/);
	t.true(pageText(rendered).includes(before.catalog.exists ? before.catalog.catalogId : 'none'));
	t.is(session.settings.get('catalog'), target);
});
