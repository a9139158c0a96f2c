// The key pages of the built program in a real pseudo-terminal at 80×24, as an admin over SSH sees them: the
// Status page's backup warning, the Backup Encryption Key dialog's refusals and its 0600 file, restore on a second
// instance, a key change with its progress bar (and Ctrl+C stopping it), and Delete's typed confirmation.
// Needs `npm run build` first (npm test does it).
import {statSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {initializedDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath, parseJson, runCli} from '../helpers/run-cli.ts';
import {pageText, spawnTerm, type Term} from '../helpers/term.ts';

const password = 'Str0ng!Backup#Pass';

test.before(() => {
	assertBuilt();
});


async function importDataSources(t: ExecutionContext, env: Record<string, string>, count: number): Promise<void> {
	const lines = Array.from({length: count}, (_, index) =>
		JSON.stringify({name: `DS-${index}`, connectionString: `Server=db;Database=D${index}`, username: `u${index}`, password: `p-${index}`}),
	);
	const result = await runCli(['datasource', 'import'], {env, stdin: `${lines.join('\n')}\n`, timeoutMs: 120_000});
	t.is(result.code, 0, result.stderr);
}

async function open(t: ExecutionContext, root: string, env: Record<string, string>): Promise<Term> {
	// The working directory is where the Backup dialog suggests its file.
	const term = spawnTerm(process.execPath, [cliPath], {cwd: root, env});
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager —');
	return term;
}

/** Jumps to the Encryption Keys page (8) and enters it: the first enabled button has the focus. */
async function openEncryptionKeys(term: Term): Promise<void> {
	await term.press('8');
	await term.waitForText('[ Restore ]');
	await term.press('enter');
}

test('keys pasted the moment the manager is up reach the Backup dialog, though the page was still loading', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	const term = await open(t, root, env());
	// One read: jump to Encryption Keys, enter it, press Backup, type a password. The page's code loads after the
	// first frame; the keys wait for it, and the run of characters goes whole into the field Enter focused.
	term.type('8\r\rAb1!');
	await term.waitForText('Backup Encryption Key');
	await term.waitForText(/Password: +\[\*{4} /);
	t.false(term.screen().includes('Ab1!'), 'the password is masked');
});

test('Enter Enter read in one go enters the page, then presses Backup', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	const term = await open(t, root, env());
	await term.press('8');
	await term.waitForText('[ Restore ]');
	// What a quick double press over a slow link looks like: both Enters in one read. The second must see the page
	// the first one focused.
	term.type('\r\r');
	await term.waitForText('Backup Encryption Key');
	t.regex(term.screen(), /Password: +\[/);
});

function suggestedFile(root: string): string {
	const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
	return path.join(root, `rskey-k-${day}.snk`);
}

async function fillBackup(term: Term, first: string, second: string): Promise<void> {
	await term.press('enter');
	await term.waitForText('Backup Encryption Key');
	await term.press(...[...first], 'tab', ...[...second]);
}

test.serial('the Status page shows the instance and that the key was never backed up', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	const term = await open(t, root, env());
	await term.waitForText('Never — back up the key now');
	t.regex(term.screen(), /Instance {5}\S+\\K/);
	t.regex(term.screen(), /Key status {3}Joined/);
});

test.serial('Backup: a weak password is refused with the unmet rules, a mismatch is refused, a good one writes a 0600 file', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	const file = suggestedFile(root);
	const term = await open(t, root, env());
	await openEncryptionKeys(term);

	await fillBackup(term, 'password', 'password');
	await term.waitForText('✖ Uppercase letter');
	await term.press('enter');
	await term.waitForText('✖ Missing: an uppercase letter, a symbol');
	await term.waitForText(/✖ ?The password does not meet the password policy/);
	t.true(term.screen().includes('✖ Symbol such as ! or #'));
	t.throws(() => statSync(file));

	// Esc closes the dialog; a new one starts empty.
	await term.press('esc');
	await term.waitForNoText('Backup Encryption Key');
	await fillBackup(term, password, `${password}x`);
	await term.waitForText('✖ Passwords do not match');
	await term.press('enter');
	await term.waitForText('✖ Password and Confirm Password differ.');
	t.throws(() => statSync(file));

	await term.press('backspace');
	await term.waitForText('✔ Passwords match');
	await term.press('enter');
	await term.waitForText(/✔ ?Key [\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4} backed up to /);
	// The newest result may wrap over the Results pane's free lines: read it with the pane's borders and breaks out.
	const results = term.screen().replaceAll(/\s*│\n│\s*/g, ' ');
	t.true(results.includes(`backed up to ${file}`), term.screen());
	t.is(statSync(file).mode & 0o777, 0o600);
	const status = parseJson<{primaryKey: {fingerprint: string; backedUpAt?: string}}>(await runCli(['status', '--json'], {env: env()}));
	t.true(term.screen().includes(`Key ${status.primaryKey.fingerprint} backed up`));
	t.truthy(status.primaryKey.backedUpAt);
	t.false(term.rawOutput().includes(password));
});

test.serial('Restore on a second instance directory: Waiting to Join, restore in the UI, then Joined', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	const file = path.join(root, 'key.snk');
	const backup = await runCli(['key', 'backup', '--file', file, '--password-stdin'], {env: env(), stdin: `${password}\n`});
	t.is(backup.code, 0, backup.stderr);
	const init = await runCli(['init', '--name', 'K2'], {env: env('inst2')});
	t.is(init.code, 0, init.stderr);

	const term = await open(t, root, env('inst2'));
	await term.waitForText(/Key status {3}Waiting to Join/);
	await openEncryptionKeys(term);
	// Backup and Change need the key this instance does not hold yet: Restore has the focus.
	await term.press('enter');
	await term.waitForText('Restore Encryption Key');
	await term.press(...[...file], 'tab', ...[...password], 'enter');
	await term.waitForText(/✔ ?Key [\da-f-]+ restored from /);
	await term.press('esc', '1');
	await term.waitForText(/Key status {3}Joined/);
	t.is(parseJson<{status: string}>(await runCli(['status', '--json'], {env: env('inst2')})).status, 'joined');
	t.false(term.rawOutput().includes(password));
});

test.serial('Change: confirmation, then a progress bar with counts, then the offer to back up the new key', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	await importDataSources(t, env(), 8000);
	const term = await open(t, root, env());
	await openEncryptionKeys(term);
	await term.press('tab', 'tab', 'enter');
	await term.waitForText('Change Encryption Key');
	t.true(pageText(term.screen()).includes('re-encrypts 24,000 encrypted values'), term.screen());
	await term.press('shiftTab', 'enter');
	await term.waitForText(/\[█*░+\] [\d,]+\/24,000 \d+%/);
	t.true(pageText(term.screen()).includes('Esc or Ctrl+C stops after the current batch'));
	await term.waitForText('Back up the new key now?', 60_000);
	await term.waitForText(/✔ ?Key changed to [\da-f-]+ \(version 2\): 24,000 values re-encrypted/);
	await term.press('enter');
	await term.waitForText('Backup Encryption Key');
});

/** The stop message as the commands print it, on the normal screen once the UI has left the alternate one. */
const stoppedMessage = /rscm: Key change stopped after ([\d,]+) of 60,000 values\. \[CANCELLED\]\r\nRun the key change again to resume where it stopped\.\r\n/;

/** Starts a key change of 60,000 values from the page and waits until batches are being committed. */
async function startLongChange(t: ExecutionContext) {
	const {root, env} = await initializedDeployment(t, 'K');
	await importDataSources(t, env(), 20_000);
	const term = await open(t, root, env());
	await openEncryptionKeys(term);
	await term.press('tab', 'tab', 'enter');
	await term.waitForText('Change Encryption Key');
	await term.press('shiftTab', 'enter');
	await term.waitForText(/[1-9][\d,]*\/60,000/);
	return {root, env, term};
}

test.serial('Change: Ctrl+C stops after the current batch, prints the stop message, exits 130; the next start resumes with one key', async t => {
	const {root, env, term} = await startLongChange(t);
	await term.press('ctrlC');
	const exit = await term.exit;
	t.is(exit.exitCode, 130);
	const output = term.rawOutput();
	// After the terminal is restored (alternate screen left), the message the commands print.
	const restoredAt = output.lastIndexOf('\u001B[?1049l');
	t.true(restoredAt > 0);
	const message = stoppedMessage.exec(output.slice(restoredAt));
	t.truthy(message, JSON.stringify(output.slice(restoredAt)));
	t.false(output.slice(restoredAt).includes('    at '), 'no stack trace');
	const status = parseJson<{rotation?: {done: number; total: number}}>(await runCli(['status', '--json'], {env: env()}));
	t.truthy(status.rotation, 'the key change is pending');
	// Stopped after the batch: the counts printed are the ones committed.
	t.is(status.rotation!.done, Number(message![1]!.replaceAll(',', '')));
	t.true(status.rotation!.done < status.rotation!.total);

	// The next run shows it on Status, with where to resume it.
	const again = await open(t, root, env());
	await again.waitForText(/Key change +pending: [\d,]+\/60,000 re-encrypted/);
	await again.waitForText('Resume: 8 Encryption Keys → Resume');
	// 8, Enter: the page opens with the focus on Resume; one Enter resumes (no dialog).
	await again.press('8');
	await again.waitForText('Key change pending:');
	await again.waitForText('[ Resume ]');
	await again.press('enter', 'enter');
	await again.waitForText(/✔ ?Key changed to [\da-f-]+ \(version 2\) \(resumed\)/, 60_000);
	t.false(again.screen().includes('A key change is pending'));
	t.is(parseJson<{rotation?: unknown}>(await runCli(['status', '--json'], {env: env()})).rotation, undefined);
});

for (const [signal, code] of [
	['SIGTERM', 143],
	['SIGHUP', 129],
] as const) {
	test.serial(`Change: ${signal} stops after the current batch, prints the same message, exits ${code}`, async t => {
		const {env, term} = await startLongChange(t);
		term.kill(signal);
		const exit = await term.exit;
		t.is(exit.exitCode, code);
		const output = term.rawOutput();
		const message = stoppedMessage.exec(output.slice(output.lastIndexOf('\u001B[?1049l')));
		t.truthy(message, output.slice(-400));
		const status = parseJson<{rotation?: {done: number}}>(await runCli(['status', '--json'], {env: env()}));
		t.is(status.rotation?.done, Number(message![1]!.replaceAll(',', '')));
	});
}

test.serial('Delete: lists what must be re-entered and needs DELETE typed', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	await importDataSources(t, env(), 3);
	const term = await open(t, root, env());
	await openEncryptionKeys(term);
	await term.press('tab', 'tab', 'tab', 'enter');
	// The dialog opens at once and counts while it is shown: wait for the count.
	await term.waitForText('To re-enter:');
	t.true(pageText(term.screen()).includes('To re-enter: 9 data source values.'), term.screen());
	t.true(pageText(term.screen()).includes('No other instance is affected.'));
	await term.press('D', 'E', 'L', 'E', 'T', 'enter');
	t.true(term.screen().includes('Delete Encrypted Content'), 'not confirmed by a partial word');
	await term.press('E', 'enter', 'enter');
	await term.waitForText(/✔ ?Encrypted content deleted: 9 values to re-enter; new key/);
	const list = await runCli(['datasource', 'list', '--json'], {env: env()});
	t.regex(list.stdout, /needsReentry"?:\s*true/);
});

test.serial('Delete: DELETE typed in the same read as the key that opens the dialog lands in its field, then deletes', async t => {
	const {root, env} = await initializedDeployment(t, 'K');
	await importDataSources(t, env(), 2);
	const term = await open(t, root, env());
	await openEncryptionKeys(term);
	await term.press('tab', 'tab', 'tab');
	await term.waitForText('[>Delete<]');
	// A fast typist: the dialog, its count and the word all in one read. None of the word is lost.
	term.type('\rDELETE');
	await term.waitForText(/Type DELETE to confirm: +\[DELETE/);
	await term.waitForText('To re-enter: 6 data source values.');
	await term.press('enter', 'enter');
	await term.waitForText(/✔ ?Encrypted content deleted: 6 values to re-enter; new key/);
	await term.waitForText('Open Data Sources now?');
	t.true(pageText(term.screen()).includes('2 data sources need their credentials entered again.'), term.screen());
});
