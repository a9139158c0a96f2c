// `rscm key backup` warns on stderr about a guessable password that the SSRS policy accepts, with zxcvbn-ts's advice
// (its dictionaries load for this command only), and never refuses it for that. Runs dist/: `npm run build` first.
import path from 'node:path';
import test from 'ava';
import {newDeployment, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, runCli} from '../helpers/run-cli.ts';

test.before(() => {
	assertBuilt();
});

test('a compliant but common password is backed up with zxcvbn\'s warnings on stderr; a strong one without', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	const init = await runCli(['init'], {env});
	t.is(init.code, 0, init.stderr);
	const backup = async (file: string, password: string) =>
		runCli(['key', 'backup', '--file', path.join(deployment.root, file), '--password-stdin'], {env, stdin: `${password}\n`});

	const common = await backup('common.snk', 'Password1!');
	t.is(common.code, 0, common.stderr);
	t.regex(common.stderr, /^warning: This is similar to a commonly used password\.$/m);
	t.regex(common.stderr, /^warning: Add more words that are less common\.$/m);
	t.false(common.stderr.includes('Password1!'));

	const strong = await backup('strong.snk', strongPassword);
	t.is(strong.code, 0, strong.stderr);
	t.false(strong.stderr.includes('warning:'), strong.stderr);
});
