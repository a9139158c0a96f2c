// How the built Configuration Manager fails before and after its screen (issue 11): an error while it opens (here
// an instance directory others can write) is printed like every command's error, never as Node's stack trace.
// Needs `npm run build` first (npm test does it).
import {chmodSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {assertBuilt, cliPath, runCli} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});

test('an error while the manager opens is `rscm: MESSAGE [CODE]` and its hint, exit 1, no stack trace', async t => {
	const root = mkdtempSync(path.join(os.tmpdir(), 'rscm-ui-errors-'));
	t.teardown(() => rmSync(root, {recursive: true, force: true}));
	const env = {RSCM_CATALOG: path.join(root, 'catalog.db'), RSCM_INSTANCE_DIR: path.join(root, 'inst')};
	t.is((await runCli(['init', '--name', 'K'], {env})).code, 0);
	// What a careless `chmod -R a+rwX` leaves: the identity's directory open to everyone.
	mkdirSync(env.RSCM_INSTANCE_DIR, {recursive: true});
	chmodSync(env.RSCM_INSTANCE_DIR, 0o777);
	const term = spawnTerm(process.execPath, [cliPath], {env});
	t.teardown(() => term.dispose());
	const exit = await term.exit;
	t.is(exit.exitCode, 1);
	const output = term.rawOutput();
	t.regex(output, /rscm: .+ is accessible by other users \(mode 777\)\. \[INSECURE_PERMISSIONS\]\r\nRestrict it with: chmod 700 /);
	t.notRegex(output, /^\s+at /m);
	t.false(output.includes('Node.js v'), output);
});
