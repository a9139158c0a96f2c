// First run of the built program in a pty at 80×24: no catalog at the default location (an empty XDG_DATA_HOME), so
// the manager opens on the Database page with the focus on "Create catalog"; one Enter creates it, and the Status
// page then warns that the key has never been backed up. Needs `npm run build` first (npm test does it).
import {existsSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {assertBuilt, cliPath} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';
import {tempDirectory} from '../helpers/temp-dir.ts';

test.before(() => {
	assertBuilt();
});


test.serial('first run opens on Database; one key press creates the catalog; Status says Never — back up', async t => {
	const root = await tempDirectory(t, 'rf-');
	const dataHome = path.join(root, 'data');
	const configHome = path.join(root, 'config');
	const term = spawnTerm(process.execPath, [cliPath], {
		cwd: root,
		env: {XDG_DATA_HOME: dataHome, XDG_CONFIG_HOME: configHome, RSCM_CATALOG: undefined, RSCM_INSTANCE_DIR: undefined},
	});
	t.teardown(() => term.dispose());
	await term.waitForText('No catalog exists here yet');
	t.regex(term.screen(), /━ Database ━/);
	t.regex(term.screen(), /\[>Create catalog<\]/, 'the focus is on Create catalog');

	t.false(existsSync(path.join(dataHome, 'rscm', 'catalog.db')), 'nothing is created before the admin asks');
	// One key press.
	await term.press('enter');
	await term.waitForText(/✔ ?Created the catalog at/);
	await term.waitForText('Catalog id:');
	t.true(existsSync(path.join(dataHome, 'rscm', 'catalog.db')));
	t.true(existsSync(path.join(configHome, 'rscm')));

	await term.press('esc', '1');
	await term.waitForText('Never — back up the key now');
	await term.press('q');
	t.is((await term.exit).exitCode, 0);
});
