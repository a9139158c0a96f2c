import type {ExecutionContext} from 'ava';
import type pg from 'pg';
import {isConnectionFailure} from '../../source/catalog/schema.ts';
import {PostgresCatalog} from '../../source/catalog/dialects/postgres.ts';
import {adminClient, dropSchema, postgresServer, postgresTest, uniqueSchema} from '../helpers/postgres-server.ts';

/**
 * A PostgreSQL connection that drops under a transaction (issue 11), one case at a time: rscm's backend is
 * terminated with pg_terminate_backend at a chosen point of a read or a write. What the catalog retries on its own
 * and what it reports is described in the PostgresCatalog class comment; test/reliability/postgres-faults.test.ts
 * drops connections at random points of whole operations.
 *
 * Each test runs in its own ava worker process: without the catalog's 'error' listeners, the first termination would
 * end that process with "Unhandled 'error' event", and ava would report the test file as failed.
 */
const test = await postgresTest('PostgreSQL dropped connections');

type Setup = {catalog: PostgresCatalog; application: string; terminate(): Promise<number>; backends(): Promise<string[]>};

async function setUp(t: ExecutionContext): Promise<Setup> {
	const schema = uniqueSchema();
	const application = `rscm_drop_${schema.slice(-12)}`;
	const location = new URL(postgresServer);
	location.searchParams.set('schema', schema);
	location.searchParams.set('application_name', application);
	const catalog = new PostgresCatalog(location.toString(), {lockTimeout: 5000});
	const admin: pg.Client = adminClient();
	admin.on('error', () => undefined);
	await admin.connect();
	t.teardown(async () => {
		await catalog.close();
		await admin.end().catch(() => undefined);
		await dropSchema(schema);
	});
	await catalog.create();
	return {
		catalog,
		application,
		async terminate() {
			// The two-argument form waits until the backend is gone, so the next statement surely meets the drop.
			const result = await admin.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [application]);
			return result.rowCount ?? 0;
		},
		async backends() {
			const result = await admin.query<{state: string}>('SELECT state FROM pg_stat_activity WHERE application_name = $1', [application]);
			return result.rows.map(row => row.state);
		},
	};
}

test('a read whose connection drops between two statements runs again on a fresh connection', async t => {
	const {catalog, terminate} = await setUp(t);
	await catalog.write(async tx => tx.upsertDataSource('Sales'));
	let attempts = 0;
	const names = await catalog.read(async tx => {
		attempts++;
		const first = await tx.listDataSources();
		if (attempts === 1) t.is(await terminate(), 1);
		return [first, await tx.listDataSources()];
	});
	t.is(attempts, 2);
	t.deepEqual(names.map(rows => rows.map(row => row.name)), [['Sales'], ['Sales']]);
});

test('a read retries once only: dropped twice, it is CATALOG_UNAVAILABLE naming the location', async t => {
	const {catalog, terminate, application} = await setUp(t);
	let attempts = 0;
	const error = await t.throwsAsync(
		catalog.read(async tx => {
			attempts++;
			await terminate();
			return tx.listDataSources();
		}),
	);
	t.is(attempts, 2);
	t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.true(isConnectionFailure(error));
	t.regex(error!.message, /dropped/);
	t.true(error!.message.includes(application), error!.message);
	t.regex((error as {hint?: string}).hint ?? '', /Run the command again/);
});

test('a write whose connection drops in its work is not run again: CATALOG_UNAVAILABLE, nothing saved', async t => {
	const {catalog, terminate} = await setUp(t);
	let attempts = 0;
	const error = await t.throwsAsync(
		catalog.write(async tx => {
			attempts++;
			await tx.upsertDataSource('Lost');
			await terminate();
			await tx.upsertDataSource('Never');
		}),
	);
	t.is(attempts, 1);
	t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.true(isConnectionFailure(error));
	t.regex(error!.message, /before the change was committed: nothing of it was saved/);
	t.deepEqual(await catalog.read(async tx => tx.listDataSources()), []);
	// The catalog keeps working on fresh connections.
	await catalog.write(async tx => tx.upsertDataSource('Later'));
	t.deepEqual((await catalog.read(async tx => tx.listDataSources())).map(row => row.name), ['Later']);
});

test('a write whose idle pooled connection was ended meanwhile runs on a fresh one, without an error', async t => {
	const {catalog, terminate, backends} = await setUp(t);
	await catalog.write(async tx => tx.upsertDataSource('First'));
	t.deepEqual(await backends(), ['idle']);
	t.is(await terminate(), 1);
	await catalog.write(async tx => tx.upsertDataSource('Second'));
	t.deepEqual((await catalog.read(async tx => tx.listDataSources())).map(row => row.name), ['First', 'Second']);
});

test('a connection dropped while no statement runs on it (the work is busy elsewhere) does not crash the process', async t => {
	const {catalog, terminate} = await setUp(t);
	const error = await t.throwsAsync(
		catalog.write(async tx => {
			await tx.upsertDataSource('Lost');
			// The backend ends while this transaction waits for something else: the client emits 'error' with no query
			// running — the unhandled event of issue 11.
			await terminate();
			await new Promise(resolve => setTimeout(resolve, 100));
			await tx.upsertDataSource('Never');
		}),
	);
	t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.deepEqual(await catalog.read(async tx => tx.listDataSources()), []);
});

test("an application_name in the URL names rscm's sessions in pg_stat_activity (the default is rscm)", async t => {
	const {catalog, backends} = await setUp(t);
	await catalog.read(async tx => tx.listDataSources());
	t.deepEqual(await backends(), ['idle']);
});
