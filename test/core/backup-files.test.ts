import {access, chmod, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {RscmError} from '../../source/errors.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {writeFileAtomic} from '../../source/files/atomic-write.ts';
import {fileError} from '../../source/files/file-error.ts';
import {joinedInstance, rejectsWithCode, strongPassword, tempDirectory, temporaryFiles} from '../helpers/catalog-fixtures.ts';

const isRoot = process.getuid?.() === 0;

test('a backup file is private (0600) even when the umask would allow more', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'rskey.snk');
	const previous = process.umask(0o000);
	try {
		await backupKey(session, {file, password: strongPassword});
	} finally {
		process.umask(previous);
	}

	t.is((await stat(file)).mode & 0o777, 0o600);
	t.regex(await readFile(file, 'utf8'), /^-----BEGIN [^\n]+-----\n/);
	t.deepEqual(await temporaryFiles(deployment.root), []);
});

test('an existing file is refused with FILE_EXISTS and left untouched; overwrite replaces it privately', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'rskey.snk');
	await writeFile(file, 'precious, not a backup\n', {mode: 0o644});
	await chmod(file, 0o644);

	const started = Date.now();
	const error = await rejectsWithCode(t, backupKey(session, {file, password: strongPassword}), 'FILE_EXISTS');
	t.true(error.message.includes(file));
	// Checked before the KDF: a mistake costs no wait (scrypt alone takes several hundred ms).
	t.true(Date.now() - started < 250, `took ${Date.now() - started} ms`);
	t.is(await readFile(file, 'utf8'), 'precious, not a backup\n');
	t.deepEqual(await temporaryFiles(deployment.root), []);

	await backupKey(session, {file, password: strongPassword, overwrite: true});
	t.regex(await readFile(file, 'utf8'), /BEGIN/);
	t.is((await stat(file)).mode & 0o777, 0o600);
	t.deepEqual(await temporaryFiles(deployment.root), []);
});

test('a missing directory is DIRECTORY_NOT_FOUND; a directory as the file is IS_A_DIRECTORY', async t => {
	const {deployment, session} = await joinedInstance(t);
	await rejectsWithCode(t, backupKey(session, {file: path.join(deployment.root, 'nope', 'rskey.snk'), password: strongPassword}), 'DIRECTORY_NOT_FOUND');
	const directory = path.join(deployment.root, 'adir');
	await mkdir(directory);
	await rejectsWithCode(t, backupKey(session, {file: directory, password: strongPassword}), 'IS_A_DIRECTORY');
	await rejectsWithCode(t, backupKey(session, {file: directory, password: strongPassword, overwrite: true}), 'IS_A_DIRECTORY');
	t.deepEqual(await readdir(directory), []);
	t.deepEqual(await temporaryFiles(deployment.root), []);
});

test('an unwritable directory is PERMISSION_DENIED and leaves no temp file', async t => {
	const {deployment, session} = await joinedInstance(t);
	let directory: string | undefined;
	if (isRoot) {
		// chmod does not stop root; sysfs refuses file creation even to root (EACCES), when it is mounted.
		try {
			await access('/sys', 0);
			await writeFile('/sys/.rscm-probe', '', {flag: 'wx'});
			t.log('/sys accepted a new file; falling back to the error mapping alone');
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') directory = '/sys';
			else t.log(`/sys is not usable here (${code}); testing the error mapping alone`);
		}
	} else {
		directory = path.join(deployment.root, 'locked');
		await mkdir(directory, {mode: 0o500});
		await chmod(directory, 0o500);
	}

	for (const code of ['EACCES', 'EPERM', 'EROFS']) t.is(fileError({code}, '/x', 'write').code, 'PERMISSION_DENIED');
	if (!directory) return;
	const file = path.join(directory, 'rskey.snk');
	const error = await rejectsWithCode(t, backupKey(session, {file, password: strongPassword}), 'PERMISSION_DENIED');
	t.true(error.message.includes(file));
	t.deepEqual(await temporaryFiles(directory), []);
});

test('the atomic writer removes its temp file when writing fails after the temp file was created', async t => {
	const directory = await tempDirectory(t);
	const target = path.join(directory, 'out.snk');
	// Not writable data: the failure happens after the temp file exists, inside the write step.
	await t.throwsAsync(writeFileAtomic(target, 42 as unknown as string), {instanceOf: RscmError});
	t.deepEqual(await readdir(directory), []);
});

test('a weak password is WEAK_PASSWORD listing each unmet rule, before the KDF or any file check', async t => {
	const {deployment, session} = await joinedInstance(t);
	// The directory does not exist either: the policy is checked first.
	const file = path.join(deployment.root, 'missing', 'rskey.snk');
	const started = Date.now();
	const error = await rejectsWithCode(t, backupKey(session, {file, password: 'weakpass'}), 'WEAK_PASSWORD');
	t.true(Date.now() - started < 250, `took ${Date.now() - started} ms: the KDF must not run for a weak password`);
	t.true(error.message.includes('an uppercase letter'), error.message);
	t.true(error.message.includes('a symbol'), error.message);
	t.false(error.message.includes('at least 8 characters'), error.message);
	t.false(error.message.includes('weakpass'), 'the password itself is never in the message');

	const short = await rejectsWithCode(t, backupKey(session, {file, password: 'Ab1!'}), 'WEAK_PASSWORD');
	t.true(short.message.includes('at least 8 characters'));
	t.false(short.message.includes('uppercase'));
	await rejectsWithCode(t, backupKey(session, {file, password: strongPassword, confirm: strongPassword + 'x'}), 'PASSWORD_MISMATCH');
	t.deepEqual(await temporaryFiles(deployment.root), []);
});
