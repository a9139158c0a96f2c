// The Data Sources page of the built program in a real pseudo-terminal at 80×24: reached from the list with ↓ after
// Scale-out, a data source is created in the New dialog and its password re-entered in the Edit dialog, and the CLI
// reads back what the page wrote. Needs `npm run build` first (npm test does it).
import process from 'node:process';
import test from 'ava';
import {initializedDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath, parseJson, runCli} from '../helpers/run-cli.ts';
import {pageText, spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});

test.serial('Data Sources: create one in the New dialog, then re-enter its password in Edit; the CLI reads both back', async t => {
	const env = (await initializedDeployment(t, 'S')).env();
	const term = spawnTerm(process.execPath, [cliPath], {env, cols: 80, rows: 24});
	t.teardown(() => term.dispose());
	await term.waitForText('Report Server Configuration Manager —');
	await term.press('0', 'down');
	await term.waitForText('─ Data Sources ─');
	await term.waitForText('No data sources yet: n creates one.');
	await term.press('enter', 'n');
	await term.waitForText('New Data Source');
	term.type('Sales');
	await term.press('tab');
	term.type('Server=sql01;Database=Sales');
	await term.press('tab');
	term.type('rs_sales');
	await term.press('tab');
	term.type('First!pw1');
	await term.waitForText('[*********');
	await term.press('enter');
	await term.waitForText('✔ Data source Sales saved: connection string, user name, password entered');
	await term.waitForText(/› Sales\s+conn ✔ user ✔ pass ✔/);

	// Edit: only the password is typed; the dialog says empty fields keep their value.
	await term.press('enter');
	await term.waitForText('Edit Data Source');
	t.true(pageText(term.screen()).includes('Leave a field empty to keep its value.'));
	await term.press('tab', 'tab');
	term.type('Second!pw2');
	await term.press('enter');
	await term.waitForText('✔ Data source Sales saved: password entered');
	t.false(term.rawOutput().includes('First!pw1'));
	t.false(term.rawOutput().includes('Second!pw2'));
	t.true(term.screen().split('\n').every(line => line.length <= 80));
	// q once the list has the focus: an Esc and a q read together are Alt+q.
	await term.press('esc');
	await term.waitForText('1-0 jump');
	await term.press('q');
	t.is((await term.exit).exitCode, 0);

	const shown = await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env});
	t.is(shown.code, 0, shown.stderr);
	t.like(parseJson(shown), {name: 'Sales', connectionString: 'Server=sql01;Database=Sales', username: 'rs_sales', password: 'Second!pw2'});
});
