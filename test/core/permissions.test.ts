import {chmod, stat} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {showDataSource} from '../../source/core/data-sources.ts';
import {openSession} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {identityPath, writeIdentityFile} from '../../source/instance/identity-file.ts';
import {joinedInstance, rejectsWithCode} from '../helpers/catalog-fixtures.ts';

test('initialize creates a 0700 instance directory with a 0600 identity file and 0600 settings', async t => {
	const {session} = await joinedInstance(t);
	t.is((await stat(session.instanceDirectory)).mode & 0o777, 0o700);
	t.is((await stat(identityPath(session.instanceDirectory, 'current'))).mode & 0o777, 0o600);
	t.is((await stat(session.settings.path)).mode & 0o777, 0o600);
});

test('an identity file readable by others is refused with INSECURE_PERMISSIONS', async t => {
	const {session} = await joinedInstance(t);
	const file = identityPath(session.instanceDirectory, 'current');
	await chmod(file, 0o644);
	const error = await rejectsWithCode(t, getStatus(session), 'INSECURE_PERMISSIONS');
	t.true(error.message.includes(file));
	t.regex(error.hint ?? '', /chmod 600/);
	await rejectsWithCode(t, showDataSource(session, 'x'), 'INSECURE_PERMISSIONS');
	// Group-readable is refused too, as ssh does.
	await chmod(file, 0o640);
	await rejectsWithCode(t, getStatus(session), 'INSECURE_PERMISSIONS');
	await chmod(file, 0o600);
	t.is((await getStatus(session)).status, 'joined');
});

test('a pending identity.next.key readable by others is refused too', async t => {
	const {session} = await joinedInstance(t);
	const current = (await session.instance.readIdentity('current'))!;
	await writeIdentityFile(session.instanceDirectory, current, 'next');
	await chmod(identityPath(session.instanceDirectory, 'next'), 0o604);
	await rejectsWithCode(t, getStatus(session), 'INSECURE_PERMISSIONS');
});

test('an instance directory accessible by others is refused with INSECURE_PERMISSIONS', async t => {
	const {deployment, session} = await joinedInstance(t);
	await session.close();
	await chmod(session.instanceDirectory, 0o755);
	const error = await rejectsWithCode(t, openSession({catalog: deployment.catalogPath, instanceDirectory: session.instanceDirectory, env: {}}), 'INSECURE_PERMISSIONS');
	t.regex(error.hint ?? '', /chmod 700/);
	await chmod(session.instanceDirectory, 0o700);
	const again = await openSession({catalog: deployment.catalogPath, instanceDirectory: session.instanceDirectory, env: {}});
	t.is((await getStatus(again)).status, 'joined');
	await again.close();
});

test('a settings file writable or readable by others is refused with INSECURE_PERMISSIONS', async t => {
	const {deployment, session} = await joinedInstance(t);
	await session.close();
	t.is(path.basename(session.settings.path), 'settings.json');
	await chmod(session.settings.path, 0o644);
	const error = await rejectsWithCode(t, openSession({catalog: deployment.catalogPath, instanceDirectory: session.instanceDirectory, env: {}}), 'INSECURE_PERMISSIONS');
	t.true(error.message.includes('settings.json'));
});
