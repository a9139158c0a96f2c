import {mkdir} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {
	assertActionFits,
	connectCatalog,
	catalogLocationToSave,
	testCatalogConnection,
} from '../../source/core/catalog-connection.ts';
import {initialize} from '../../source/core/initialize.ts';
import {listInstances} from '../../source/core/instances.ts';
import {joinedInstance, newDeployment, rejectsWithCode} from '../helpers/catalog-fixtures.ts';
import {dropSchema, postgresServer, postgresUnavailable, schemaUrl, uniqueSchema} from '../helpers/postgres-server.ts';

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) {
	if (process.env['CI'] === 'true') {
		test('PostgreSQL is reachable for the catalog connection tests', t => {
			t.fail(`PostgreSQL at ${postgresServer} is not reachable (${unavailable}); CI must run these tests.`);
		});
	} else {
		console.error(`PostgreSQL catalog connection tests skipped: ${postgresServer} is not reachable (${unavailable}).`);
	}
}

const withPostgres = unavailable === undefined ? test : test.skip;

test('a SQLite path with no file: the library version, no catalog, nothing created', async t => {
	const deployment = await newDeployment(t);
	const file = path.join(deployment.root, 'new.db');
	const found = await testCatalogConnection(file);
	t.like(found, {kind: 'sqlite', location: file, catalog: undefined});
	t.regex(found.serverVersion, /^SQLite \d+\.\d+/);
	await t.throwsAsync(import('node:fs/promises').then(async fs => fs.stat(file)), {code: 'ENOENT'});
	t.notThrows(() => assertActionFits('create', found));
	const refused = t.throws(() => assertActionFits('existing', found));
	t.like(refused, {code: 'CATALOG_NOT_FOUND', field: 'location'});
});

test('an existing SQLite catalog: its id, instances and that it has a key', async t => {
	const {deployment, init} = await joinedInstance(t);
	const found = await testCatalogConnection(deployment.catalogPath);
	t.like(found.catalog, {instances: 1, joined: 1, hasKey: true, schemaVersion: found.catalog!.schemaVersion});
	t.truthy(found.catalog?.catalogId);
	t.is(init.status, 'joined');
	const refused = t.throws(() => assertActionFits('create', found));
	t.like(refused, {code: 'CATALOG_EXISTS', field: 'location'});
});

test('locations: relative paths resolve, a URL with a password is refused at the field', t => {
	t.is(catalogLocationToSave(' cat.db '), path.resolve('cat.db'));
	t.like(t.throws(() => catalogLocationToSave('')), {code: 'INVALID_INPUT', field: 'location'});
	t.like(t.throws(() => catalogLocationToSave('postgres://u:hunter2@db/rs')), {code: 'INVALID_INPUT', field: 'location'});
	t.like(t.throws(() => catalogLocationToSave('postgres://u@db/rs?password=hunter2')), {code: 'INVALID_INPUT', field: 'location'});
	const error = t.throws(() => catalogLocationToSave('postgres://u:hunter2@db/rs'));
	t.false(error!.message.includes('hunter2'));
	t.is(catalogLocationToSave('postgres://db/rs?schema=x'), 'postgres://db/rs?schema=x');
});

test('a missing directory is an error, not a silent create', async t => {
	const deployment = await newDeployment(t);
	// Test Connection says so too, before Finish: the wizard must not report "connected" for a path that cannot work.
	const tested = await t.throwsAsync(testCatalogConnection(path.join(deployment.root, 'no', 'such', 'c.db')));
	t.like(tested, {code: 'DIRECTORY_NOT_FOUND'});
	t.regex(tested!.message, /no\/such does not exist/);
	await rejectsWithCode(t, connectCatalog({action: 'create', location: path.join(deployment.root, 'no', 'such', 'c.db'), instanceDirectory: deployment.instanceDirectory('a')}), 'DIRECTORY_NOT_FOUND');
});

test('connect: create makes a new catalog and joins; existing with a key registers as Waiting to Join', async t => {
	const deployment = await newDeployment(t);
	await mkdir(path.join(deployment.root, 'second'));
	const created = await connectCatalog({action: 'create', location: deployment.catalogPath, instanceDirectory: deployment.instanceDirectory('a'), machine: 'NODE-A'});
	t.like(created, {status: 'joined', catalogCreated: true, location: deployment.catalogPath});
	t.truthy(created.keyFingerprint);
	await rejectsWithCode(t, connectCatalog({action: 'create', location: deployment.catalogPath, instanceDirectory: deployment.instanceDirectory('b')}), 'CATALOG_EXISTS');

	const joined = await connectCatalog({action: 'existing', location: deployment.catalogPath, instanceDirectory: deployment.instanceDirectory('b'), machine: 'NODE-B'});
	t.like(joined, {status: 'waiting', catalogCreated: false, keyFingerprint: undefined});
	const a = await deployment.open('a');
	const rows = await listInstances(a);
	t.deepEqual(rows.map(row => [row.machine, row.status]).sort(), [['NODE-A', 'joined'], ['NODE-B', 'waiting']]);
	t.is(rows.find(row => row.machine === 'NODE-B')?.identityFingerprint, joined.identityFingerprint);
	await rejectsWithCode(t, connectCatalog({action: 'existing', location: path.join(deployment.root, 'second', 'none.db'), instanceDirectory: deployment.instanceDirectory('c')}), 'CATALOG_NOT_FOUND');
	// Running again on a joined instance changes nothing.
	t.is((await initialize(a)).status, 'joined');
});

withPostgres('PostgreSQL: server version before and after the catalog exists', async t => {
	const schema = uniqueSchema('rscm_conn');
	t.teardown(async () => dropSchema(schema));
	const location = schemaUrl(schema);
	const empty = await testCatalogConnection(location);
	t.like(empty, {kind: 'postgres', catalog: undefined});
	t.regex(empty.serverVersion, /^PostgreSQL \d+/);
	t.true(empty.location.includes(`schema=${schema}`));

	const deployment = await newDeployment(t);
	const created = await connectCatalog({action: 'create', location, instanceDirectory: deployment.instanceDirectory('a')});
	t.is(created.status, 'joined');
	const full = await testCatalogConnection(location);
	t.like(full.catalog, {instances: 1, joined: 1, hasKey: true});
	t.is(full.serverVersion, empty.serverVersion);
});

withPostgres('PostgreSQL: an unreachable server is an error, not a hang', async t => {
	const error = await t.throwsAsync(testCatalogConnection('postgres://127.0.0.1:1/test?schema=x'));
	t.truthy((error as {code?: string}).code);
});
