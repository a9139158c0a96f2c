// `npm run demo` as a newcomer meets it: the manager opens on a throwaway catalog that already has data sources,
// shared settings and a second instance Waiting to Join, and the temporary directory is gone after quitting.
// Needs `npm run build` first (npm test does it).
import {existsSync} from 'node:fs';
import process from 'node:process';
import test from 'ava';
import {assertBuilt, root} from '../helpers/run-cli.ts';
import {spawnTerm} from '../helpers/term.ts';

test.before(() => {
	assertBuilt();
});

test('the demo opens on a populated catalog and cleans up after itself', async t => {
	const term = spawnTerm(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {cwd: root});
	t.teardown(() => term.dispose());
	await term.waitForText('RSDEMO01\\SSRS', 60_000);
	await term.waitForText('Last backup');
	// Six data sources with three secret fields each, plus the execution, SMTP and file share passwords.
	t.regex(term.screen(), /18 data source/);
	await term.press('0');
	await term.waitForText('RSDEMO02');
	t.regex(term.screen(), /Waiting to Join/);
	await term.press('6');
	await term.waitForText('smtp.contoso.example:587');
	t.false(term.screen().includes('demo-smtp-secret'), 'a saved password is never shown');
	const directory = /Demo catalog in (\S+) /.exec(term.rawOutput())?.[1];
	t.truthy(directory);
	await term.press('q');
	const exit = await term.exit;
	t.is(exit.exitCode, 0);
	t.false(existsSync(directory!), 'the throwaway catalog is removed on exit');
});
