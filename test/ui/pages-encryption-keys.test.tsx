import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {initialize} from '../../source/core/initialize.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {changeKey, pendingRotation} from '../../source/core/key-change.ts';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import EncryptionKeysPage from '../../source/ui/features/encryption-keys/EncryptionKeysPage.tsx';
import {joinedInstance, loadDataSources, strongPassword} from '../helpers/catalog-fixtures.ts';
import {frame, press, settle} from '../helpers/ink.ts';
import {watchScryptJobs} from '../helpers/scrypt-jobs.ts';
import {allFrames, renderPageComponent, waitForFrame, waitForResults, type RenderedPageComponent} from '../helpers/page-harness.tsx';

// Serial: the Backup dialog suggests a file in the current directory, so each test moves into its own temp
// directory; and the KDF and rotations are timed work that parallel tests would starve.

/** The frame as one line of words: text that wrapped inside a dialog reads as it was written. */
function flat(output: string): string {
	return output.replaceAll(/[┃│]/g, ' ').replaceAll(/\s+/g, ' ');
}

async function typeText(rendered: RenderedPageComponent, text: string): Promise<void> {
	await press(rendered, ...[...text]);
}

async function clearField(rendered: RenderedPageComponent, length: number): Promise<void> {
	await press(rendered, ...Array.from({length}, () => 'backspace' as const));
}

/** A joined instance "A", its Encryption Keys page focused, the working directory its temp directory. */
async function setup(t: ExecutionContext, options: {dataSources?: number} = {}) {
	const fixture = await joinedInstance(t);
	if (options.dataSources) await loadDataSources(fixture.session, options.dataSources);
	const previous = process.cwd();
	process.chdir(fixture.deployment.root);
	t.teardown(() => process.chdir(previous));
	const rendered = await renderPageComponent(t, EncryptionKeysPage, fixture.session);
	return {...fixture, rendered};
}

function suggestedFile(root: string): string {
	const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
	return path.join(root, `rskey-a-${day}.snk`);
}

/** Opens the Backup dialog (Backup is the first button) and types both passwords; the focus starts on Password. */
async function fillBackup(rendered: RenderedPageComponent, password: string, confirm = password): Promise<void> {
	await press(rendered, 'enter');
	await typeText(rendered, password);
	await press(rendered, 'tab');
	await typeText(rendered, confirm);
}

test.serial('the page shows the key, the backup warning and the four SSRS buttons with their help', async t => {
	const {rendered, init} = await setup(t);
	const output = frame(rendered);
	t.true(output.includes(`Key ${init.keyFingerprint} · version 1`));
	t.true(output.includes('Never backed up — back up the key now'));
	for (const label of ['[>Backup<]', '[ Restore ]', '[ Change ]', '[ Delete ]']) t.true(output.includes(label), label);
	t.true(output.includes('Back up a copy of the symmetric key'));
	t.true(output.includes('re-encrypt all encrypted content'));
	t.true(output.split('\n').every(line => line.length <= 49));
});

test.serial('Backup: suggested file, masked fields never render the password, live checklist and match indicator', async t => {
	const {rendered, deployment} = await setup(t);
	await press(rendered, 'enter');
	let output = frame(rendered);
	t.true(output.includes('Backup Encryption Key'));
	t.true(output.includes('File Location:'));
	t.true(output.includes(path.basename(suggestedFile(deployment.root)).slice(-16)), output);
	t.true(output.includes('✖ 8 or more characters'));

	await typeText(rendered, 'abc');
	output = frame(rendered);
	t.true(output.includes('[***'));
	t.true(output.includes('✔ Lowercase letter'));
	t.true(output.includes('✖ Uppercase letter'));
	t.true(output.includes('✖ 8 or more characters'));
	t.true(output.includes('✖ Symbol such as ! or #'));

	await typeText(rendered, 'DEFG!');
	output = frame(rendered);
	for (const rule of ['8 or more characters', 'Uppercase letter', 'Lowercase letter', 'Symbol such as ! or #']) {
		t.true(output.includes(`✔ ${rule}`), rule);
	}

	// zxcvbn loads when the dialog opens; its verdict follows, the fields never blocked by it.
	t.regex(await waitForFrame(rendered, /Strength: (?:very weak|weak|fair|strong|very strong)\b/), /Strength: fair — Add more/, 'a strength hint, not blocking');
	await press(rendered, 'tab');
	await typeText(rendered, 'abcD');
	t.true(frame(rendered).includes('✖ Passwords do not match'));
	await typeText(rendered, 'EFG!');
	t.true(frame(rendered).includes('✔ Passwords match'));

	const frames = allFrames(rendered);
	t.false(frames.includes('abcDEFG!'));
	t.false(frames.includes('abc*'));
	t.false(frames.includes('DEFG'));
});

test.serial('Backup: a weak password is refused with the unmet rules at the field, nothing written', async t => {
	const {rendered, deployment} = await setup(t);
	await fillBackup(rendered, 'password');
	await press(rendered, 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.false(result!.ok);
	t.regex(result!.message, /WEAK_PASSWORD/);
	const output = frame(rendered);
	t.true(output.includes('✖ Missing: an uppercase letter, a symbol'), output);
	t.true(output.includes('Backup Encryption Key'), 'the dialog stays open');
	t.false(existsSync(suggestedFile(deployment.root)));
	t.false(allFrames(rendered).includes('password]'));
});

test.serial('Backup: a mismatched confirmation is refused at the Confirm Password field', async t => {
	const {rendered, deployment} = await setup(t);
	await fillBackup(rendered, strongPassword, `${strongPassword}x`);
	await press(rendered, 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.regex(result!.message, /PASSWORD_MISMATCH/);
	t.true(frame(rendered).includes('✖ Password and Confirm Password differ.'));
	t.false(existsSync(suggestedFile(deployment.root)));
	t.false(allFrames(rendered).includes(strongPassword));
});

test.serial('Backup: a good password writes a 0600 file; Results shows the path and the key fingerprint', async t => {
	const {rendered, deployment, init, session} = await setup(t);
	await fillBackup(rendered, strongPassword);
	await press(rendered, 'enter');
	// scrypt takes a moment: the spinner shows while it runs.
	await waitForFrame(rendered, 'Protecting the key with the password');
	const [result] = await waitForResults(rendered, 1);
	const file = suggestedFile(deployment.root);
	t.true(result!.ok, result!.message);
	t.is(result!.message, `Key ${init.keyFingerprint} backed up to ${file}`);
	t.is(statSync(file).mode & 0o777, 0o600);
	await waitForFrame(rendered, 'Last backup');
	t.is((await getStatus(session)).primaryKey?.backedUpAt !== undefined, true);
	t.false(allFrames(rendered).includes(strongPassword));
});

test.serial('Backup: Esc while the KDF runs cancels, and nothing is written', async t => {
	const {rendered, deployment} = await setup(t);
	const scrypt = watchScryptJobs(t);
	await fillBackup(rendered, strongPassword);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Protecting the key with the password');
	// The dialog still answers keys while scrypt runs on the thread pool.
	await press(rendered, 'esc');
	await waitForFrame(rendered, '[>Backup<]');
	// The KDF cannot be interrupted: once it has ended (and its result was discarded), still nothing is written.
	await scrypt.allFinished();
	await settle();
	t.false(existsSync(suggestedFile(deployment.root)));
	t.deepEqual(rendered.results, []);
});

test.serial('Backup: an existing file is replaced only after a confirmation', async t => {
	const {rendered, deployment} = await setup(t);
	const file = suggestedFile(deployment.root);
	writeFileSync(file, 'keep me\n', {mode: 0o600});
	await fillBackup(rendered, strongPassword);
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'already exists.');
	t.true(frame(rendered).includes('Replace it with this backup?'));
	// Cancel has the focus first: Enter alone never overwrites.
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'The file exists');
	t.is(readFileSync(file, 'utf8'), 'keep me\n');

	await press(rendered, 'tab', 'enter');
	await waitForFrame(rendered, 'Replace it with this backup?');
	await press(rendered, 'shiftTab', 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.true(result!.ok, result!.message);
	t.regex(readFileSync(file, 'utf8'), /BEGIN/);
});

test.serial('Backup: a missing directory is an error at the File Location field', async t => {
	const {rendered, deployment} = await setup(t);
	await press(rendered, 'enter', 'shiftTab');
	await clearField(rendered, suggestedFile(deployment.root).length);
	const missing = path.join(deployment.root, 'no-such-dir', 'key.snk');
	await typeText(rendered, missing);
	await press(rendered, 'tab');
	await typeText(rendered, strongPassword);
	await press(rendered, 'tab');
	await typeText(rendered, strongPassword);
	await press(rendered, 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.regex(result!.message, /DIRECTORY_NOT_FOUND/);
	const lines = frame(rendered).split('\n');
	const at = lines.findIndex(line => line.includes('File Location:'));
	t.true(flat(lines.slice(at + 1, at + 4).join('\n')).includes(`✖ The directory ${path.dirname(missing)} does not exist.`), frame(rendered));
	t.true(lines[at + 4]!.includes('Password:'), 'the error sits between File Location and Password');
});

test.serial('Delete: lists what must be re-entered and needs DELETE typed', async t => {
	const {rendered, session} = await setup(t, {dataSources: 5});
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	let output = await waitForFrame(rendered, 'To re-enter:');
	t.true(output.includes('To re-enter: 15 data source values.'), output);
	t.true(output.includes('DS-00000 (connectionString)'), output);
	t.true(output.includes('and 12 more'));
	t.true(output.includes('No other instance is affected.'));
	// Enter on the typed field does nothing until the word is right.
	await typeText(rendered, 'DELET');
	await press(rendered, 'enter');
	t.true(frame(rendered).includes('Delete Encrypted Content'));
	t.deepEqual(rendered.results, []);
	await typeText(rendered, 'E');
	await press(rendered, 'enter', 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.true(result!.ok, result!.message);
	t.regex(result!.message, /Encrypted content deleted: 15 values to re-enter; new key/);
	const status = await getStatus(session);
	t.is(status.secrets?.datasource.needsReentry, 15);
	// The next step offered: re-enter the 5 data sources' credentials. Later (Esc) comes back to the page.
	t.regex(flat(await waitForFrame(rendered, 'Open Data Sources now?')), /5 data sources need their credentials entered again\./);
	await press(rendered, 'esc');
	output = await waitForFrame(rendered, '[>Delete<]');
	t.true(output.includes('version 2'));
});

/** The session with its catalog's reads and writes held at a gate: what a slow catalog looks like to the page. */
function gated(session: Session) {
	const gates = {read: Promise.resolve(), write: Promise.resolve()};
	const opened = {read: () => undefined as void, write: () => undefined as void};
	const catalog = new Proxy(session.catalog, {
		get(target, property) {
			if (property === 'read' || property === 'write') {
				return async (...args: unknown[]) => {
					await gates[property];
					return (target[property] as (...args: unknown[]) => Promise<unknown>).apply(target, args);
				};
			}

			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
	const hold = (kind: 'read' | 'write') => {
		gates[kind] = new Promise(resolve => {
			opened[kind] = resolve;
		});
	};

	return {session: {...session, catalog}, hold, release: (kind: 'read' | 'write') => opened[kind]()};
}

test.serial('Delete: the dialog opens before the count, keeps what is typed meanwhile, and shows the delete running', async t => {
	const fixture = await joinedInstance(t);
	await loadDataSources(fixture.session, 5);
	const slow = gated(fixture.session);
	const rendered = await renderPageComponent(t, EncryptionKeysPage, slow.session);
	slow.hold('read');
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	let output = await waitForFrame(rendered, 'Counting the encrypted values');
	t.true(flat(output).includes('Erases every encrypted value and creates a new key.'), output);
	t.false(output.includes('To re-enter'));
	// Typed while the catalog is still counting: the word stays in the field; Delete stays off until the count is in.
	await typeText(rendered, 'DELETE');
	await press(rendered, 'enter');
	output = frame(rendered);
	t.true(output.includes('[DELETE'), output);
	t.true(output.includes('[-Delete-]'), output);
	t.deepEqual(rendered.results, []);

	slow.hold('write');
	slow.release('read');
	output = await waitForFrame(rendered, 'To re-enter: 15 data source values.');
	t.false(output.includes('Counting'), output);
	t.true(output.includes('[DELETE'), output);
	await press(rendered, 'enter', 'enter');
	// The delete is one transaction that cannot be stopped: a spinner says it runs, and what it erases.
	output = flat(await waitForFrame(rendered, 'cannot be stopped'));
	t.regex(output, /Erasing 15 encrypted values and creating a new key/);
	slow.release('write');
	const [result] = await waitForResults(rendered, 1);
	t.regex(result!.message, /Encrypted content deleted: 15 values to re-enter/);
	// The data sources to re-enter come from the delete itself.
	t.regex(flat(await waitForFrame(rendered, 'Open Data Sources now?')), /5 data sources need their credentials entered again\./);
});

test.serial('Delete: Esc while it counts closes the dialog, and nothing is erased', async t => {
	const fixture = await joinedInstance(t);
	await loadDataSources(fixture.session, 2);
	const slow = gated(fixture.session);
	const rendered = await renderPageComponent(t, EncryptionKeysPage, slow.session);
	slow.hold('read');
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, 'Counting the encrypted values');
	await press(rendered, 'esc');
	await waitForFrame(rendered, '[>Delete<]');
	slow.release('read');
	await settle();
	t.false(frame(rendered).includes('Delete Encrypted Content'), 'the late count opens nothing');
	t.deepEqual(rendered.results, []);
	t.is((await getStatus(fixture.session)).secrets?.datasource.needsReentry, 0);
});

test.serial('Change: confirmation, progress bar with counts, then the offer to back up the new key', async t => {
	const {rendered, session} = await setup(t, {dataSources: 2000});
	await press(rendered, 'tab', 'tab', 'enter');
	let output = await waitForFrame(rendered, 'Change Encryption Key');
	t.true(flat(output).includes('re-encrypts 6,000 encrypted values'), output);
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, /\d+\/6,000 \d+%/);
	t.true(flat(frame(rendered)).includes('Esc or Ctrl+C stops after the current batch'));
	output = await waitForFrame(rendered, 'Back up the new key now?');
	const [result] = await waitForResults(rendered, 1);
	t.regex(result!.message, /^Key changed to [\da-f-]+ \(version 2\): 6,000 values re-encrypted$/);
	t.true(rendered.frames.some(each => /Re-encrypting: version 1 → 2/.test(each)));
	t.true(rendered.frames.some(each => /\[█*░+\] [\d,]+\/6,000/.test(each)), 'the bar was seen part-way');
	// Enter on Back Up (focused first) opens the Backup dialog.
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Backup Encryption Key');
	t.is((await getStatus(session)).primaryKey?.version, 2);
});

test.serial('Change: Esc stops after the current batch; Change becomes Resume, and one Enter resumes it', async t => {
	const {rendered, session} = await setup(t, {dataSources: 3000});
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, 'Change Encryption Key');
	await press(rendered, 'shiftTab', 'enter', 'esc');
	const [stopped] = await waitForResults(rendered, 1);
	t.false(stopped!.ok);
	const pending = await pendingRotation(session);
	t.truthy(pending);
	// The counts the catalog committed, from the error's details (the message's wording is free to change).
	t.is(stopped!.message, `Key change stopped after ${pending!.done.toLocaleString('en-US')} of 9,000 values; press Resume to finish it`);
	await waitForFrame(rendered, 'Key change pending:');
	t.true(frame(rendered).includes('[>Resume<]'));
	t.notRegex(frame(rendered), /\[.Change.\]/);
	t.true(frame(rendered).includes('Resume the pending key change'));

	// One key: Resume has the focus, Enter resumes, no dialog in between.
	await press(rendered, 'enter');
	const results = await waitForResults(rendered, 2, 30_000);
	t.false(rendered.frames.some(each => each.includes('A key change is pending')), 'no confirmation before a resume');
	t.regex(results[1]!.message, /\(resumed\): [\d,]+ values re-encrypted/);
	t.is(await pendingRotation(session), undefined);
	await press(rendered, 'esc');
	await waitForFrame(rendered, '[>Change<]');
});

test.serial('a key change pending when the page opens: Resume has the focus, and Enter resumes it at once', async t => {
	const fixture = await joinedInstance(t);
	await loadDataSources(fixture.session, 1000);
	const controller = new AbortController();
	await t.throwsAsync(
		changeKey(fixture.session, {batchSize: 500, signal: controller.signal, onProgress: ({done}) => done > 0 && controller.abort()}),
		{code: 'CANCELLED'},
	);
	const rendered = await renderPageComponent(t, EncryptionKeysPage, fixture.session);
	const output = frame(rendered);
	t.true(flat(output).includes('Key change pending: 500 of 3,000 re-encrypted'), output);
	t.true(output.includes('[>Resume<]'));
	await press(rendered, 'enter');
	const [result] = await waitForResults(rendered, 1, 30_000);
	t.regex(result!.message, /^Key changed to [\da-f-]+ \(version 2\) \(resumed\): 3,000 values re-encrypted$/);
	t.is(await pendingRotation(fixture.session), undefined);
});

test.serial('Resume when another server finished the change meanwhile: nothing new is started', async t => {
	const fixture = await joinedInstance(t);
	await loadDataSources(fixture.session, 400);
	const controller = new AbortController();
	await t.throwsAsync(
		changeKey(fixture.session, {batchSize: 300, signal: controller.signal, onProgress: ({done}) => done > 0 && controller.abort()}),
		{code: 'CANCELLED'},
	);
	const rendered = await renderPageComponent(t, EncryptionKeysPage, fixture.session);
	t.true(frame(rendered).includes('[>Resume<]'));
	// Finished elsewhere while the page still shows Resume.
	await changeKey(fixture.session);
	await press(rendered, 'enter');
	const [result] = await waitForResults(rendered, 1);
	t.is(result!.message, 'The key change was finished meanwhile (by another server); nothing to resume');
	const status = await getStatus(fixture.session);
	t.is(status.primaryKey?.version, 2, 'no second key change was started');
	await waitForFrame(rendered, '[>Change<]');
});

test.serial('Change: quitting stops the rotation after its batch and the shell waits for it', async t => {
	const {rendered, session} = await setup(t, {dataSources: 3000});
	await press(rendered, 'tab', 'tab', 'enter');
	await waitForFrame(rendered, 'Change Encryption Key');
	await press(rendered, 'shiftTab', 'enter');
	await waitForFrame(rendered, /Re-encrypting/);
	t.is(rendered.cleanups.size, 1, 'the running change registered a clean-up');
	const outcomes = await rendered.requestExit();
	const rotation = await pendingRotation(session);
	t.truthy(rotation, 'stopped part-way, resumable');
	t.is(rotation?.leaseOwner, undefined, 'the lease was released, so the next change resumes at once');
	// The clean-up hands the shell the error to print once the terminal is restored, with the committed counts.
	t.is(outcomes.length, 1);
	t.like(outcomes[0], {code: 'CANCELLED', details: {progress: {done: rotation!.done, total: 9000}}});
});

test.serial('Restore on a second instance: refused with a wrong password, then Joined', async t => {
	const fixture = await joinedInstance(t);
	const file = path.join(fixture.deployment.root, 'key.snk');
	await backupKey(fixture.session, {file, password: strongPassword});
	const second = await fixture.deployment.open('b');
	await initialize(second, {name: 'B', machine: 'TESTHOST'});
	const rendered = await renderPageComponent(t, EncryptionKeysPage, second);
	t.true(frame(rendered).includes('Waiting to Join:'), frame(rendered));
	// Backup and Change need the key: Restore is the first button this instance can press.
	await press(rendered, 'enter');
	await waitForFrame(rendered, 'Restore Encryption Key');
	await typeText(rendered, file);
	await press(rendered, 'tab');
	await typeText(rendered, 'Wrong!Password1');
	await press(rendered, 'enter');
	const [refused] = await waitForResults(rendered, 1);
	t.regex(refused!.message, /WRONG_PASSWORD/);
	t.regex(frame(rendered), /✖ Wrong password/);

	await clearField(rendered, 'Wrong!Password1'.length);
	await typeText(rendered, strongPassword);
	await press(rendered, 'enter');
	const results = await waitForResults(rendered, 2);
	t.true(results[1]!.ok, results[1]!.message);
	t.regex(results[1]!.message, new RegExp(`restored from ${file}`));
	t.is((await getStatus(second)).status, 'joined');
	await waitForFrame(rendered, '[>Backup<]');
	t.false(allFrames(rendered).includes(strongPassword));
	t.false(allFrames(rendered).includes('Wrong!Password1'));
});
