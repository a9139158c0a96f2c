import {execFileSync} from 'node:child_process';
import {chmod, mkdir, readdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {fileError} from '../../source/files/file-error.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {joinedInstance, strongPassword, tempDirectory, temporaryFiles} from '../helpers/catalog-fixtures.ts';
import {needing} from '../helpers/precondition.ts';
import {fileTempDirectory} from '../helpers/temp-dir.ts';
import {assertBuilt, parseJson, runCli, type CliResult, type JsonError} from '../helpers/run-cli.ts';

// Full disks, open permissions, read-only and locked catalogs, through the CLI as a script meets them: exit 1, a
// stable code, a message that names the file, nothing left behind.

test.before(() => {
	assertBuilt();
});

async function cliInstance(t: ExecutionContext) {
	const {deployment, session} = await joinedInstance(t);
	await session.close();
	return {deployment, env: {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')}};
}

function errorOf(t: ExecutionContext, result: CliResult, code: string): JsonError['error'] {
	t.is(result.code, 1, `${result.stdout}\n${result.stderr}`);
	const body = parseJson<JsonError>(result);
	t.is(body.error.code, code, result.stdout);
	return body.error;
}

function mountTmpfs(directory: string, options: string): void {
	execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory], {stdio: 'ignore'});
}

/**
 * Whether this process may mount a tmpfs (root, or CAP_SYS_ADMIN): CI runs as root and must test the real full and
 * read-only file systems; elsewhere (a sandbox) those tests are skipped, and the ENOSPC → DISK_FULL mapping is still
 * tested below. Asked once, before the tests are declared.
 */
function tmpfsMissing(): string | undefined {
	const probe = fileTempDirectory(test, 'rscm-tmpfs-probe-');
	try {
		mountTmpfs(probe, 'size=16k');
		execFileSync('umount', [probe], {stdio: 'ignore'});
		return undefined;
	} catch {
		return 'cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)';
	}
}

const noTmpfs = tmpfsMissing();

needing(noTmpfs, test.serial, 'a backup to a full file system fails with DISK_FULL, exit 1, and leaves neither the file nor a temp file', async t => {
	const {deployment, env} = await cliInstance(t);
	const full = path.join(deployment.root, 'full');
	await mkdir(full, {mode: 0o700});
	// A 16 KiB tmpfs, filled up: the one sure way to get ENOSPC for a directory (/dev/full is a device, not a directory).
	mountTmpfs(full, 'size=16k,mode=0700');
	t.teardown(() => {
		execFileSync('umount', [full], {stdio: 'ignore'});
	});
	// Fill it: one file as large as it will take.
	let size = 0;
	try {
		for (; size < 64 * 1024; size += 1024) await writeFile(path.join(full, 'filler'), Buffer.alloc(size + 1024, 1));
	} catch (error) {
		t.is((error as NodeJS.ErrnoException).code, 'ENOSPC');
	}

	const file = path.join(full, 'rskey.snk');
	const result = await runCli(['key', 'backup', '--file', file, '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`});
	const error = errorOf(t, result, 'DISK_FULL');
	t.true(error.message.includes(file), error.message);
	t.regex(error.message, /Nothing was written/);
	t.deepEqual(await readdir(full), ['filler']);
	t.deepEqual(await temporaryFiles(full), []);
	// The catalog does not claim a backup was made.
	const db = new Database(deployment.catalogPath, {readonly: true});
	t.deepEqual(db.prepare('SELECT backed_up_at FROM key_versions').all(), [{backed_up_at: null}]);
	db.close();
});

test('ENOSPC and EDQUOT map to DISK_FULL', t => {
	for (const code of ['ENOSPC', 'EDQUOT']) t.is(fileError({code}, '/x/rskey.snk', 'write').code, 'DISK_FULL');
});

test('an identity file or settings file open to others is refused through the CLI with INSECURE_PERMISSIONS, exit 1', async t => {
	// The core cases are in test/core/permissions.test.ts; this is what a script sees.
	const {deployment, env} = await cliInstance(t);
	const identity = identityPath(deployment.instanceDirectory('a'), 'current');
	await chmod(identity, 0o644);
	const error = errorOf(t, await runCli(['status', '--json'], {env}), 'INSECURE_PERMISSIONS');
	t.true(error.message.includes(identity));
	await chmod(identity, 0o600);
	const settings = path.join(deployment.instanceDirectory('a'), 'settings.json');
	await chmod(settings, 0o666);
	errorOf(t, await runCli(['key', 'change', '--yes', '--json'], {env}), 'INSECURE_PERMISSIONS');
	await chmod(settings, 0o600);
	t.is((await runCli(['status', '--json'], {env})).code, 0);
});

test('a read-only catalog file gives CATALOG_READ_ONLY, exit 1, naming the file; reads still work', async t => {
	const {deployment, env} = await cliInstance(t);
	await chmod(deployment.catalogPath, 0o444);
	for (const argv of [['key', 'change', '--yes', '--json'], ['datasource', 'set', 'Sales', '--json']]) {
		const result = await runCli(argv, {env, stdin: '{"password":"x"}'});
		const error = errorOf(t, result, 'CATALOG_READ_ONLY');
		t.true(error.message.includes(deployment.catalogPath), error.message);
		t.false(/\n\s+at /.test(result.stderr));
	}

	t.is((await runCli(['status', '--json'], {env})).code, 0);
});

test('a catalog locked by another process holding a write transaction gives BUSY after the busy timeout, exit 1', async t => {
	const {deployment, env} = await cliInstance(t);
	const other = new Database(deployment.catalogPath);
	other.exec('BEGIN IMMEDIATE');
	t.teardown(() => {
		if (other.inTransaction) other.exec('ROLLBACK');
		other.close();
	});
	const started = Date.now();
	const result = await runCli(['datasource', 'set', 'Sales', '--json'], {env, stdin: '{"password":"x"}'});
	const waited = Date.now() - started;
	const error = errorOf(t, result, 'BUSY');
	t.true(error.message.includes(deployment.catalogPath), error.message);
	t.regex(error.hint ?? '', /try again/);
	// It waited for the lock (default busy timeout 5 s) rather than failing at once or hanging.
	t.true(waited >= 4500 && waited < 30_000, `${waited} ms`);
	other.exec('ROLLBACK');
	t.is((await runCli(['datasource', 'set', 'Sales', '--json'], {env, stdin: '{"password":"x"}'})).code, 0);
});

needing(noTmpfs, test, 'a backup to a read-only file system is PERMISSION_DENIED (even for root), exit 1, nothing written', async t => {
	const {env} = await cliInstance(t);
	const directory = await tempDirectory(t);
	const readOnly = path.join(directory, 'ro');
	await mkdir(readOnly, {mode: 0o700});
	mountTmpfs(readOnly, 'size=64k,ro');
	t.teardown(() => {
		execFileSync('umount', [readOnly], {stdio: 'ignore'});
	});
	const result = await runCli(['key', 'backup', '--file', path.join(readOnly, 'k.snk'), '--password-stdin', '--json'], {env, stdin: `${strongPassword}\n`});
	errorOf(t, result, 'PERMISSION_DENIED');
	t.deepEqual(await readdir(readOnly), []);
});
