// The Scale-out Deployment page of the built program in a pty at 80×24: a second instance directory registered
// with `rscm --instance-dir B init` is listed as Waiting to Join, and Add Server wraps the key for it only after the
// confirmation that shows its fingerprint. Needs `npm run build` first (npm test does it).
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import Database from 'better-sqlite3';
import {cliDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath, parseJson, runCli} from '../helpers/run-cli.ts';
import {pageText, spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});


type Row = {installationId: string; machine: string; instanceName: string; status: string; identityFingerprint: string};

test.serial('Scale-out lists a second instance as Waiting to Join and adds it after the fingerprint confirmation', async t => {
	const {root, sharedEnv: base} = await cliDeployment(t);
	const a = await runCli(['--instance-dir', path.join(root, 'A'), 'init', '--name', 'A'], {env: base});
	t.is(a.code, 0, a.stderr);
	const b = await runCli(['--instance-dir', path.join(root, 'B'), 'init', '--name', 'B'], {env: base});
	t.is(b.code, 0, b.stderr);
	const listed = await runCli(['--instance-dir', path.join(root, 'A'), 'instance', 'list', '--json'], {env: base});
	const rows = parseJson<Row[] | {instances: Row[]}>(listed);
	const instances = Array.isArray(rows) ? rows : rows.instances;
	const waiting = instances.find(row => row.instanceName === 'B')!;
	t.is(waiting.status, 'waiting');

	const term = spawnTerm(process.execPath, [cliPath], {env: {...base, RSCM_INSTANCE_DIR: path.join(root, 'A')}});
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager —');
	await term.press('0');
	await term.waitForText('Waiting to Join');
	t.regex(term.screen(), /\s+A\s+Joined \(this\)/);
	t.regex(term.screen(), /\s+B\s+Waiting to Join/);
	t.true(term.screen().includes(waiting.identityFingerprint));

	// Into the page, ↓ to B's row: Add Server appears; ↓ again to it, Enter.
	await term.press('enter');
	await term.waitForText('┏━ Scale-out Deployment');
	await term.press('down');
	await term.waitForText('[ Add Server ]');
	await term.press('down', 'enter');
	await term.waitForText('Identity fingerprint:');
	const dialog = pageText(term.screen());
	t.true(dialog.includes(`Identity fingerprint: ${waiting.identityFingerprint}`));
	t.regex(dialog, /Compare with what `rscm status` shows on that server/);
	// Cancel has the focus: Shift+Tab to Add, Enter.
	await term.press('shiftTab', 'enter');
	await term.waitForText(/✔ ?Added .*\\B/);
	await term.waitForText(/\s+B\s+Joined/);

	const after = await runCli(['--instance-dir', path.join(root, 'A'), 'instance', 'list', '--json'], {env: base});
	const afterRows = parseJson<Row[] | {instances: Row[]}>(after);
	t.is((Array.isArray(afterRows) ? afterRows : afterRows.instances).find(row => row.instanceName === 'B')?.status, 'joined');
	// B holds the key but uses it only once its admin compared the fingerprint with A's Primary key and accepted it.
	const bDirectory = ['--instance-dir', path.join(root, 'B')];
	const unconfirmed = await runCli([...bDirectory, 'status', '--json'], {env: base});
	t.regex(unconfirmed.stdout, /"status":\s*"unconfirmed"/);
	const primary = parseJson<{primaryKey: {fingerprint: string}}>(await runCli(['--instance-dir', path.join(root, 'A'), 'status', '--json'], {env: base})).primaryKey.fingerprint;
	const accepted = await runCli([...bDirectory, 'key', 'accept', '--fingerprint', primary, '--json'], {env: base});
	t.is(accepted.code, 0, accepted.stdout + accepted.stderr);
	const bStatus = await runCli([...bDirectory, 'status', '--json'], {env: base});
	t.regex(bStatus.stdout, /"status":\s*"joined"/);
});

test.serial('names planted in the catalog with escape sequences reach the screen as visible stand-ins, never as escapes', async t => {
	const {root, sharedEnv: base} = await cliDeployment(t);
	t.is((await runCli(['--instance-dir', path.join(root, 'A'), 'init', '--name', 'A'], {env: base})).code, 0);
	const b = parseJson<Row>(await runCli(['--instance-dir', path.join(root, 'B'), 'init', '--name', 'B', '--json'], {env: base}));
	// The catalog writer's edit: OSC 52 (set the clipboard, ended by BEL) and ESC[8m (conceal) in B's names.
	const database = new Database(base.RSCM_CATALOG);
	const rename = database.prepare('UPDATE instances SET machine = ?, instance_name = ? WHERE installation_id = ?');
	rename.run('NB\u001B]52;c;eA==\u0007', 'B\u001B[8m', b.installationId);
	database.close();

	const term = spawnTerm(process.execPath, [cliPath], {env: {...base, RSCM_INSTANCE_DIR: path.join(root, 'A')}});
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager —');
	await term.press('0', 'enter');
	await term.waitForText('┏━ Scale-out Deployment');
	await term.waitForText('NB␛]52');
	await term.press('down');
	await term.waitForText('[ Add Server ]');
	await term.press('down', 'enter');
	await term.waitForText('Identity fingerprint:');
	t.true(pageText(term.screen()).includes('Add NB␛]52;c;eA==␇\\B␛[8m to the'), term.screen());
	const raw = term.rawOutput();
	t.false(raw.includes('\u001B]52'));
	t.false(raw.includes('\u0007'));
	t.false(raw.includes('\u001B[8m'));
});
