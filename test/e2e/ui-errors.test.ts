// How the built Configuration Manager fails before and after its screen (issue 11): an error while it opens (here
// an instance directory others can write) is printed like every command's error, never as Node's stack trace.
// Needs `npm run build` first (npm test does it).
import {chmodSync, mkdirSync} from 'node:fs';
import process from 'node:process';
import test from 'ava';
import {initializedDeployment} from '../helpers/cli-deployment.ts';
import {assertBuilt, cliPath} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});

test('an error while the manager opens is `rscm: MESSAGE [CODE]` and its hint, exit 1, no stack trace', async t => {
	const env = (await initializedDeployment(t, 'K')).env();
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
