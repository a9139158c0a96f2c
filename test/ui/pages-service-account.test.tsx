import {existsSync, statSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {getStatus} from '../../source/core/status.ts';
import ServiceAccountPage from '../../source/ui/features/accounts/ServiceAccountPage.tsx';
import {joinedInstance, strongPassword} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {allFrames, renderPageComponent, waitForFrame, waitForResults} from '../helpers/page-harness.tsx';

// Serial: each test moves into its own temp directory, where the Backup dialog suggests its file.

async function setup(t: ExecutionContext) {
	const fixture = await joinedInstance(t);
	const previous = process.cwd();
	process.chdir(fixture.deployment.root);
	t.teardown(() => process.chdir(previous));
	const rendered = await renderPageComponent(t, ServiceAccountPage, fixture.session);
	return {...fixture, rendered};
}

function suggestedFile(root: string): string {
	const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
	return path.join(root, `rskey-a-${day}.snk`);
}

test.serial('shows the service account and the identity fingerprint with its creation date', async t => {
	const {rendered, init} = await setup(t);
	const output = frame(rendered);
	t.regex(output, /Service account {2}\S+/);
	t.true(output.includes(`Identity         ${init.identityFingerprint}`));
	t.regex(output, /Identity created \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
	t.true(output.includes('[>Change<]'), 'the only button has the focus');
});

test.serial('Change opens the Backup dialog first; cancelling it changes nothing', async t => {
	const {rendered, init, session} = await setup(t);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Backup Encryption Key');
	t.true(frame(rendered).includes('Back up the key first'));
	await press(rendered, 'esc');
	const [result] = await waitForResults(rendered, 1);
	t.false(result!.ok);
	t.is(result!.message, 'Service identity not changed: the key backup was cancelled');
	t.is((await getStatus(session)).identity?.fingerprint, init.identityFingerprint);
	t.true(frame(rendered).includes('[>Change<]'));
});

test.serial('after a successful backup the new identity is created and the Results pane shows it', async t => {
	const {rendered, init, session, deployment} = await setup(t);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Backup Encryption Key');
	await press(rendered, ...[...strongPassword], 'tab', ...[...strongPassword], 'enter');
	const results = await waitForResults(rendered, 2);
	t.true(results[0]!.ok, results[0]!.message);
	t.regex(results[0]!.message, /backed up to/);
	t.is(statSync(suggestedFile(deployment.root)).mode & 0o777, 0o600);
	const status = await getStatus(session);
	t.not(status.identity?.fingerprint, init.identityFingerprint);
	t.is(status.status, 'joined', 'the keyring was re-wrapped for the new identity');
	t.is(results[1]!.message, `Service identity changed to ${status.identity!.fingerprint} (was ${init.identityFingerprint})`);
	await waitForFrame(rendered, `Identity         ${status.identity!.fingerprint}`);
	t.false(allFrames(rendered).includes(strongPassword));
	t.true(existsSync(suggestedFile(deployment.root)));
});
