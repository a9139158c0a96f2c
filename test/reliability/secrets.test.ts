import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import {existsSync} from 'node:fs';
import {readdir, readFile} from 'node:fs/promises';
import {syncBuiltinESMExports} from 'node:module';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import {decodeBackup} from '../../source/core/backup/backup-codec.ts';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey, restoreKey, verifyBackup} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {changeServiceIdentity} from '../../source/core/service-identity.ts';
import {openInstanceState} from '../../source/core/session.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {joinedInstance, newDeployment} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, cliPath, collect, parseJson, rskeymgmtPath, root, runCli, type CliResult} from '../helpers/run-cli.ts';

// Secrets never leak (issue 6, SECURITY.md): not in argv, the audit log, --json output, error messages, the settings
// file or the catalog file in clear; key buffers are zeroed after use. (The screen is the UI's part.)

const backupPassword = 'Leak!Check#Backup-7731';
const wrongPassword = 'Wr0ng!Guess#Attempt-55';
const weakPassword = 'weakpass-0192';
const dataSource = {connectionString: 'Server=db7;User Id=sa;Password=Conn!Str#Secret-4417', username: 'svc_secret_user_913', password: 'Ds!Password#Secret-8823'};

test.before(() => {
	assertBuilt();
});

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env};
	for (const name of Object.keys(env)) if (name.startsWith('RSCM_')) delete env[name];
	return {...env, ...extra};
}

/** Every spelling of a key a careless program might write: hex, base64, base64url. */
function spellings(key: Buffer): string[] {
	return [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url')];
}

async function keysOf(file: string, password: string): Promise<Buffer[]> {
	const contents = await decodeBackup(await readFile(file), password);
	// Copies the test keeps; the decoded buffers are zeroed as a caller must.
	const keys = contents.keys.map(entry => Buffer.from(entry.key));
	for (const entry of contents.keys) entry.key.fill(0);
	return keys;
}

function assertNoSecret(t: ExecutionContext, where: string, text: string, secrets: string[]) {
	for (const secret of secrets) t.false(text.includes(secret), `${where} contains a secret (${secret.slice(0, 4)}…)`);
}

async function cmdline(pid: number): Promise<string> {
	return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

async function descendants(pid: number): Promise<number[]> {
	const children: number[] = [];
	for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
		const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
		for (const child of text.trim().split(/\s+/).filter(Boolean)) children.push(Number(child), ...(await descendants(Number(child))));
	}

	return children;
}

test.serial('the backup password reaches `rscm key backup` through stdin only: never in its argv, its environment or a child process', async t => {
	const {deployment, session} = await joinedInstance(t);
	await session.close();
	const file = path.join(deployment.root, 'k.snk');
	const child = spawn(process.execPath, [cliPath, 'key', 'backup', '--file', file, '--password-stdin'], {
		cwd: root,
		env: cleanEnv({RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')}),
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	const result = collect(child);
	await delay(150);
	child.stdin!.end(`${backupPassword}\n`);
	let samples = 0;
	while (child.exitCode === null) {
		const pid = child.pid!;
		const line = await cmdline(pid);
		if (line) {
			samples++;
			t.false(line.includes(backupPassword), line);
			t.false((await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).includes(backupPassword));
			for (const descendant of await descendants(pid)) t.false((await cmdline(descendant)).includes(backupPassword), 'a child process got the password');
		}

		await delay(10);
	}

	const done = await result;
	t.is(done.code, 0, done.stderr);
	t.true(samples > 3, `only ${samples} samples of the running process`);
	assertNoSecret(t, 'backup output', done.stdout + done.stderr, [backupPassword]);
});

test.serial('rskeymgmt -p PASSWORD warns, and hands the password on through stdin only (no child process, not in the trace)', async t => {
	const {deployment, session} = await joinedInstance(t);
	await session.close();
	const file = path.join(deployment.root, 'k.snk');
	const child = spawn(process.execPath, [rskeymgmtPath, '-e', '-f', file, '-p', backupPassword, '-t', '-i', deployment.instanceDirectory('a'), '--catalog', deployment.catalogPath], {
		cwd: root,
		env: cleanEnv({}),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const result = collect(child);
	let sawChild = false;
	while (child.exitCode === null) {
		// By design the password is in rskeymgmt's own argv (SSRS compatibility, with a warning) — and nowhere further.
		if ((await descendants(child.pid!)).length > 0) sawChild = true;
		await delay(10);
	}

	const done = await result;
	t.is(done.code, 0, done.stderr);
	t.false(sawChild, 'rskeymgmt started a child process');
	t.regex(done.stderr, /warning: a password on the command line is visible to other users/);
	t.regex(done.stderr, /trace: rscm key backup --file \S+ --password-stdin/);
	assertNoSecret(t, 'rskeymgmt output', done.stdout + done.stderr.replace(/^warning:.*$/m, ''), [backupPassword]);
	t.deepEqual(
		(await keysOf(file, backupPassword)).length,
		1,
	);
});

test.serial('passwords, values and key material appear in no --json output (but `datasource show --reveal`), error message, audit entry, settings file, or the catalog file and its WAL in clear', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	const outputs: Array<[string, CliResult]> = [];
	const run = async (argv: string[], stdin?: string) => {
		const result = await runCli([...argv, '--json'], {env, ...(stdin === undefined ? {} : {stdin})});
		outputs.push([argv.join(' '), result]);
		return result;
	};

	t.is((await run(['init'])).code, 0);
	// A reader holds the catalog open for the whole test, so the WAL file is never checkpointed away: its history
	// (every page ever written) is searched too.
	const reader = new Database(deployment.catalogPath, {readonly: true});
	t.teardown(() => reader.close());
	t.is((await run(['datasource', 'set', 'Sales'], JSON.stringify(dataSource))).code, 0);
	const first = path.join(deployment.root, 'first.snk');
	t.is((await run(['key', 'backup', '--file', first, '--password-stdin'], `${backupPassword}\n`)).code, 0);
	t.is((await run(['key', 'verify', '--file', first, '--password-stdin'], `${backupPassword}\n`)).code, 0);
	// Errors that carry a password the user typed: none may repeat it.
	const wrong = await run(['key', 'restore', '--file', first, '--password-stdin'], `${wrongPassword}\n`);
	t.is(parseJson<{error: {code: string}}>(wrong).error.code, 'WRONG_PASSWORD');
	const weak = await run(['key', 'backup', '--file', path.join(deployment.root, 'weak.snk'), '--password-stdin'], `${weakPassword}\n`);
	t.is(parseJson<{error: {code: string}}>(weak).error.code, 'WEAK_PASSWORD');
	const wrongHuman = await runCli(['key', 'verify', '--file', first, '--password-stdin'], {env, stdin: `${wrongPassword}\n`});
	outputs.push(['key verify (human)', wrongHuman]);
	t.is((await run(['key', 'change', '--yes'])).code, 0);
	const second = path.join(deployment.root, 'second.snk');
	t.is((await run(['key', 'backup', '--file', second, '--password-stdin'], `${backupPassword}\n`)).code, 0);
	t.is((await run(['account', 'change', '--yes'])).code, 0);
	t.is((await run(['key', 'restore', '--file', second, '--password-stdin'], `${backupPassword}\n`)).code, 0);
	for (const argv of [['status'], ['instance', 'list'], ['datasource', 'list']]) t.is((await run(argv)).code, 0);
	const reveal = await run(['datasource', 'show', 'Sales', '--reveal']);
	// The one command whose job is to show a secret, asked with --reveal.
	t.like(parseJson(reveal), {password: dataSource.password});

	const keys = [...(await keysOf(first, backupPassword)), ...(await keysOf(second, backupPassword))];
	t.is(keys.length, 2, 'version 1 from the first backup, version 2 from the second');
	const identity = (await (await openInstanceState(deployment.instanceDirectory('a'))).readIdentity('current'))!;
	const textSecrets = [backupPassword, wrongPassword, weakPassword, dataSource.password, dataSource.connectionString, dataSource.username, ...keys.flatMap(key => spellings(key)), ...spellings(identity.privateKey)];

	for (const [name, result] of outputs) {
		if (result === reveal) continue;
		assertNoSecret(t, `\`rscm ${name}\` stdout/stderr`, result.stdout + result.stderr, textSecrets);
	}

	const audit = JSON.stringify(reader.prepare('SELECT * FROM audit_log').all());
	t.true(audit.includes('restore') && audit.includes('WRONG_PASSWORD'), 'the audit log records the operations');
	assertNoSecret(t, 'the audit log', audit, textSecrets);
	assertNoSecret(t, 'settings.json', await readFile(path.join(deployment.instanceDirectory('a'), 'settings.json'), 'utf8'), textSecrets);
	// The identity file holds the identity's private key by design — and never the symmetric key.
	assertNoSecret(t, 'identity.key', await readFile(identityPath(deployment.instanceDirectory('a'), 'current'), 'utf8'), [...keys.flatMap(key => spellings(key)), backupPassword]);

	const files = [deployment.catalogPath, `${deployment.catalogPath}-wal`].filter(file => existsSync(file));
	t.true(files.length === 2, `expected the catalog and its WAL, found ${files.join(', ')}`);
	for (const file of files) {
		const bytes = await readFile(file);
		for (const secret of [backupPassword, wrongPassword, dataSource.password, dataSource.connectionString, dataSource.username]) {
			t.false(bytes.includes(Buffer.from(secret, 'utf8')), `${path.basename(file)} holds ${secret.slice(0, 4)}… in clear (UTF-8)`);
			t.false(bytes.includes(Buffer.from(secret, 'utf16le')), `${path.basename(file)} holds ${secret.slice(0, 4)}… in clear (UTF-16)`);
		}

		for (const key of [...keys, identity.privateKey]) {
			t.false(bytes.includes(key), `${path.basename(file)} holds raw key bytes`);
			for (const spelling of spellings(key)) t.false(bytes.includes(Buffer.from(spelling)), `${path.basename(file)} holds a key spelled out`);
		}
	}

	for (const key of keys) key.fill(0);
});

test.serial('error messages never repeat the password: weak, mismatched, wrong (core level)', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'k.snk');
	for (const [options, code] of [
		[{password: weakPassword}, 'WEAK_PASSWORD'],
		[{password: backupPassword, confirm: `${backupPassword}x`}, 'PASSWORD_MISMATCH'],
	] as const) {
		const error = await t.throwsAsync(backupKey(session, {file, ...options}));
		t.is((error as {code?: string}).code, code);
		assertNoSecret(t, code, `${error!.message} ${(error as {hint?: string}).hint ?? ''} ${JSON.stringify(error)}`, [weakPassword, backupPassword]);
	}

	await backupKey(session, {file, password: backupPassword});
	const error = await t.throwsAsync(restoreKey(session, {file, password: wrongPassword}));
	t.is((error as {code?: string}).code, 'WRONG_PASSWORD');
	assertNoSecret(t, 'WRONG_PASSWORD', `${error!.message} ${(error as {hint?: string}).hint ?? ''}`, [wrongPassword, backupPassword]);
});

// --- Key buffers are zeroed after use -----------------------------------------------------------------------------

type Recorder = {buffers: Array<{buffer: Uint8Array; site: string}>; stop(): void};

/**
 * Records every buffer of at least 32 bytes created while an operation runs — through Buffer.from/concat/alloc/
 * allocUnsafe, and the outputs of decipher.update/final, randomBytes and scrypt (native code allocates those, so
 * they are wrapped at node:crypto, whose ESM bindings syncBuiltinESMExports refreshes). Afterwards none may still
 * hold a key.
 */
function recordBuffers(): Recorder {
	const buffers: Recorder['buffers'] = [];
	const keep = (value: unknown, site: string) => {
		if (value instanceof Uint8Array && value.length >= 32 && value.length <= 64 * 1024) buffers.push({buffer: value, site});
		return value;
	};

	const originals = {
		from: Buffer.from,
		concat: Buffer.concat,
		alloc: Buffer.alloc,
		allocUnsafe: Buffer.allocUnsafe,
		createDecipheriv: crypto.createDecipheriv,
		randomBytes: crypto.randomBytes,
		scrypt: crypto.scrypt,
	};
	const patchable = Buffer as unknown as Record<string, (...parameters: unknown[]) => unknown>;
	for (const name of ['from', 'concat', 'alloc', 'allocUnsafe'] as const) {
		const original = originals[name] as (...parameters: unknown[]) => unknown;
		patchable[name] = (...parameters: unknown[]) => keep(original.apply(Buffer, parameters), `Buffer.${name}`);
	}

	const cryptoModule = crypto as unknown as Record<string, unknown>;
	cryptoModule['createDecipheriv'] = (...parameters: unknown[]) => {
		const decipher = (originals.createDecipheriv as (...p: unknown[]) => crypto.Decipher)(...parameters);
		const update = decipher.update.bind(decipher) as (...p: unknown[]) => unknown;
		const final = decipher.final.bind(decipher) as (...p: unknown[]) => unknown;
		Object.assign(decipher, {
			update: (...p: unknown[]) => keep(update(...p), 'decipher.update'),
			final: (...p: unknown[]) => keep(final(...p), 'decipher.final'),
		});
		return decipher;
	};

	cryptoModule['randomBytes'] = (...parameters: unknown[]) => keep((originals.randomBytes as (...p: unknown[]) => unknown)(...parameters), 'randomBytes');
	cryptoModule['scrypt'] = (...parameters: unknown[]) => {
		const callback = parameters.pop() as (error: Error | null, derived: Buffer) => void;
		(originals.scrypt as (...p: unknown[]) => void)(...parameters, (error: Error | null, derived: Buffer) => callback(error, keep(derived, 'scrypt') as Buffer));
	};

	syncBuiltinESMExports();
	return {
		buffers,
		stop() {
			Object.assign(Buffer, {from: originals.from, concat: originals.concat, alloc: originals.alloc, allocUnsafe: originals.allocUnsafe});
			Object.assign(cryptoModule, {createDecipheriv: originals.createDecipheriv, randomBytes: originals.randomBytes, scrypt: originals.scrypt});
			syncBuiltinESMExports();
		},
	};
}

async function recorded<T>(work: () => Promise<T>): Promise<{result: T; buffers: Recorder['buffers']}> {
	const recorder = recordBuffers();
	try {
		return {result: await work(), buffers: recorder.buffers};
	} finally {
		recorder.stop();
	}
}

function leaks(buffers: Recorder['buffers'], keys: Buffer[]): string[] {
	const found: string[] = [];
	for (const {buffer, site} of buffers) {
		const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
		for (const key of keys) if (view.includes(key)) found.push(`${site} (${buffer.length} bytes)`);
	}

	return found;
}

test.serial('no buffer created during a key operation still holds a key when it returns (backup, verify, restore, change, values, identity change, add, delete)', async t => {
	const {deployment, session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', dataSource);
	const other = await deployment.open('b');
	const waiting = await initialize(other);
	const file = (name: string) => path.join(deployment.root, name);
	const currentKeys = async (name: string) => {
		await backupKey(session, {file: file(name), password: backupPassword, overwrite: true});
		return keysOf(file(name), backupPassword);
	};

	const before = await currentKeys('before.snk');
	const operations: Array<[string, () => Promise<unknown>]> = [
		['backup', async () => backupKey(session, {file: file('b1.snk'), password: backupPassword})],
		['verify', async () => verifyBackup(session, {file: file('b1.snk'), password: backupPassword})],
		['restore', async () => restoreKey(session, {file: file('b1.snk'), password: backupPassword})],
		['set value', async () => setDataSource(session, 'Sales', {password: 'another value'})],
		['show value', async () => showDataSource(session, 'Sales')],
		['add instance', async () => addInstance(session, waiting.installationId, waiting.identityFingerprint)],
		['identity change', async () => changeServiceIdentity(session, {allowWithoutBackup: true})],
		['key change', async () => changeKey(session)],
	];
	const allKeys = [...before];
	for (const [name, work] of operations) {
		const {buffers} = await recorded(work);
		// Keys that exist after the operation too (a key change creates one).
		const after = await currentKeys(`after-${name.replaceAll(' ', '-')}.snk`);
		for (const key of after) if (!allKeys.some(known => known.equals(key))) allKeys.push(key);
		t.deepEqual(leaks(buffers, allKeys), [], `${name}: ${buffers.length} buffers recorded`);
	}

	const {buffers} = await recorded(async () => deleteEncryptedContent(session));
	const afterDelete = await currentKeys('after-delete.snk');
	t.deepEqual(leaks(buffers, [...allKeys, ...afterDelete]), [], 'delete content');
	t.true(allKeys.length >= 2);
	for (const key of [...allKeys, ...afterDelete]) key.fill(0);
});

test.serial('decodeBackup hands its keys to the caller, and verify/restore zero them (no copy left once they return)', async t => {
	const {deployment, session} = await joinedInstance(t);
	const file = path.join(deployment.root, 'k.snk');
	await backupKey(session, {file, password: backupPassword});
	const keys = await keysOf(file, backupPassword);
	const {buffers: verifyBuffers} = await recorded(async () => verifyBackup(session, {file, password: backupPassword}));
	t.true(verifyBuffers.length > 0);
	t.deepEqual(leaks(verifyBuffers, keys), []);
	const {buffers: restoreBuffers} = await recorded(async () => restoreKey(session, {file, password: backupPassword}));
	t.deepEqual(leaks(restoreBuffers, keys), []);
	// The spy sees keys: a decode whose result the test keeps is reported, so the check above is not vacuous.
	const {result, buffers} = await recorded(async () => decodeBackup(await readFile(file), backupPassword));
	t.true(leaks(buffers, keys).length > 0, 'the spy must see the decoded key');
	for (const entry of result.keys) entry.key.fill(0);
	t.deepEqual(leaks(buffers, keys), []);
	for (const key of keys) key.fill(0);
});
