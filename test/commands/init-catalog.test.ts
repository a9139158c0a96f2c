import path from 'node:path';
import test from 'ava';
import {newDeployment} from '../helpers/catalog-fixtures.ts';
import {postgresLocation, postgresTest} from '../helpers/postgres-server.ts';
import {assertBuilt, parseJson, runCli} from '../helpers/run-cli.ts';

const withPostgres = await postgresTest('init --catalog on PostgreSQL');

test.before(() => {
	assertBuilt();
});

type Status = {catalog: {location: string; exists: boolean}; status: string};

test('init --catalog makes that catalog the instance\'s own: later commands use it without being told', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_INSTANCE_DIR: deployment.instanceDirectory('b'), HOME: deployment.root};
	// Relative, as typed in the catalog's directory: saved as the absolute path.
	const init = await runCli(['--catalog', 'catalog.db', 'init'], {env, cwd: deployment.root});
	t.is(init.code, 0, init.stderr);
	const status = parseJson<Status>(await runCli(['status', '--json'], {env}));
	t.is(status.catalog.location, path.join(deployment.root, 'catalog.db'));
	t.is(status.status, 'joined');
});

withPostgres('a PostgreSQL URL with a password is not saved (rscm keeps no database password), and init says so', async t => {
	const deployment = await newDeployment(t);
	const env = {RSCM_INSTANCE_DIR: deployment.instanceDirectory('b'), HOME: deployment.root};
	// Trust authentication here: the password is not needed to connect, only carried by the URL.
	const url = new URL(postgresLocation(t));
	url.username = 'root';
	url.password = 'not-a-real-secret';
	const init = await runCli(['--catalog', url.toString(), 'init'], {env});
	t.is(init.code, 0, init.stderr);
	t.regex(init.stdout, /Not saved as this instance's catalog: the URL holds a password/);
	t.false(`${init.stdout}${init.stderr}`.includes('not-a-real-secret'), 'the password is never printed');
	const status = parseJson<Status>(await runCli(['status', '--json'], {env}));
	t.false(status.catalog.location.startsWith('postgres'), status.catalog.location);
});
