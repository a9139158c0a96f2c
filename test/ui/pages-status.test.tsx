import {chmod} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {RscmError} from '../../source/errors.ts';
import {getStatus} from '../../source/core/status.ts';
import StatusPage from '../../source/ui/features/status/StatusPage.tsx';
import {joinedInstance, loadDataSources, strongPassword} from '../helpers/catalog-fixtures.ts';
import {frame} from '../helpers/ink.ts';
import {renderPageComponent, waitForFrame} from '../helpers/page-harness.tsx';

test('shows the instance, the catalog, Joined, the primary key and the never-backed-up warning in 49×14', async t => {
	const {session, init} = await joinedInstance(t);
	const status = await getStatus(session);
	const rendered = await renderPageComponent(t, StatusPage, session);
	const output = frame(rendered);
	const lines = output.split('\n');
	t.true(output.includes('Instance     TESTHOST\\A'), output);
	t.true(output.includes(`Install ID   ${init.installationId}`));
	t.true(output.includes(`Catalog ID   ${status.catalog.exists ? status.catalog.catalogId : ''}`));
	t.regex(output, /Catalog {6}SQLite · /);
	t.regex(output, /Key status {3}Joined/);
	t.true(output.includes(`Primary key  ${init.keyFingerprint} (v1; live v1)`));
	t.regex(output, /Key created {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
	t.true(output.includes('Last backup  Never — back up the key now'));
	t.regex(output, /Scale-out {4}Single instance/);
	t.true(lines.length <= 14, output);
	t.true(lines.every(line => line.length <= 49), output);
});

test('counts encrypted values by kind, a pending key change, and the backup time once backed up', async t => {
	const {session, deployment} = await joinedInstance(t);
	await loadDataSources(session, 4);
	const controller = new AbortController();
	// Stop the rotation at once: it stays pending, as after Ctrl+C.
	await changeKey(session, {
		signal: controller.signal,
		batchSize: 1,
		onProgress: () => controller.abort(),
	}).catch((error: unknown) => {
		if (!(error instanceof RscmError) || error.code !== 'CANCELLED') throw error;
	});
	const rendered = await renderPageComponent(t, StatusPage, session);
	let output = frame(rendered);
	t.regex(output, /Encrypted {4}12 data source values/);
	t.regex(output, /Re-entry {5}none needed/);
	t.regex(output, /Key change {3}pending: \d+\/12 re-encrypted, v1 → v2/);

	// The page reads the status at mount and on refresh: a new page on a new session sees the backup.
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	output = frame(await renderPageComponent(t, StatusPage, await deployment.open('a')));
	t.regex(output, /Last backup {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
	t.false(output.includes('Never'));
});

test('a Waiting to Join instance says so and what to do', async t => {
	const {deployment} = await joinedInstance(t);
	const second = await deployment.open('b');
	await initialize(second, {name: 'B', machine: 'TESTHOST'});
	const rendered = await renderPageComponent(t, StatusPage, second);
	const output = await waitForFrame(rendered, 'Waiting to Join');
	t.regex(output, /Key status {3}Waiting to Join/);
	t.regex(output.replaceAll(/\s+/g, ' '), /Add it on a joined server \(10 Scale-out\), or Restore a backup\./);
	t.regex(output, /Scale-out {4}2 instances: 1 joined, 1 waiting/);
});

test('an added server that has not confirmed its key says so first, shows no primary key, and names the fingerprint to compare', async t => {
	const {deployment, session: a} = await joinedInstance(t);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'B', machine: 'TESTHOST'});
	await addInstance(a, bInit.installationId, bInit.identityFingerprint);
	const fingerprint = (await getStatus(a)).primaryKey!.fingerprint;
	const rendered = await renderPageComponent(t, StatusPage, b, {width: 80, height: 24});
	const output = await waitForFrame(rendered, 'Key not confirmed');
	t.regex(output.split('\n')[0]!, /! Key not confirmed \[KEY_NOT_CONFIRMED\]/);
	t.regex(output, /Key status {3}Key not confirmed/);
	t.false(output.includes('Primary key  '));
	t.true(output.replaceAll(/\s+/g, ' ').includes(`rscm key accept --fingerprint ${fingerprint}`), output);
});

test('a catalog file others can write is warned about at the top', async t => {
	const {deployment, session} = await joinedInstance(t);
	await chmod(deployment.catalogPath, 0o664);
	const rendered = await renderPageComponent(t, StatusPage, session, {width: 80, height: 24});
	const output = await waitForFrame(rendered, 'can be written by');
	t.regex(output.replaceAll(/\s+/g, ' '), /! The catalog file .* can be written by its group \(mode 664\)/);
	t.regex(output, /Key status {3}Joined/);
});

test('after a key change an older backup is shown as outdated, naming the version it holds and the one it lacks', async t => {
	const {session, deployment} = await joinedInstance(t);
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	await changeKey(session);
	const rendered = await renderPageComponent(t, StatusPage, session, {width: 80, height: 24});
	const output = await waitForFrame(rendered, 'Outdated');
	t.regex(output, /Last backup {2}Outdated: \d{4}-\d\d-\d\d \d\d:\d\d UTC holds v1, not v2 — back up now/);
	t.false(output.includes('Never'));
});
