import test from 'ava';
import {newDeployment} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type JsonError} from '../helpers/run-cli.ts';

test.before(() => {
	assertBuilt();
});

test('datasource remove asks, then removes the data source and its values; an unknown name is UNKNOWN_DATA_SOURCE', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	t.is((await runCli(['init'], {env})).code, 0);
	const set = await runCli(['datasource', 'set', 'Sales'], {env, stdin: JSON.stringify({connectionString: 'Server=db', password: 'p'})});
	t.is(set.code, 0, set.stderr);

	// No terminal and no --yes: nothing is removed.
	t.is(parseJson<JsonError>(await runCli(['datasource', 'remove', 'Sales', '--json'], {env})).error.code, 'CONFIRMATION_REQUIRED');
	t.is(parseJson<unknown[]>(await runCli(['datasource', 'list', '--json'], {env})).length, 1);

	const removed = await runCli(['datasource', 'remove', 'Sales', '--yes'], {env});
	t.is(removed.code, 0, removed.stderr);
	t.is(removed.stdout, 'Removed data source Sales.\n');
	t.deepEqual(parseJson<unknown[]>(await runCli(['datasource', 'list', '--json'], {env})), []);
	t.is(parseJson<JsonError>(await runCli(['datasource', 'show', 'Sales', '--reveal', '--json'], {env})).error.code, 'UNKNOWN_DATA_SOURCE');
	t.is(parseJson<JsonError>(await runCli(['datasource', 'remove', 'Sales', '--yes', '--json'], {env})).error.code, 'UNKNOWN_DATA_SOURCE');
});
