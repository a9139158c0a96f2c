import test from 'ava';
import {postgresMigrations} from '../../source/catalog/migrations/postgres.ts';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {PostgresCatalog} from '../../source/catalog/dialects/postgres.ts';
import {adminClient, dropSchema, postgresServer as server, postgresSuite, uniqueSchema} from '../helpers/postgres-server.ts';
import {catalogContract} from './contract.ts';

// One fresh schema per test on the local server; without it the tests are skipped, except under CI=true, where a
// missing server fails the run rather than silently dropping the PostgreSQL half of the contract.
const {maybe, skip} = await postgresSuite('PostgreSQL catalog');

catalogContract(
	'postgres',
	async () => {
		const schema = uniqueSchema();
		const location = `${server}?schema=${schema}`;
		return {
			catalog: new PostgresCatalog(location),
			second: async () => new PostgresCatalog(location),
			older: async version => new PostgresCatalog(location, {migrations: postgresMigrations.slice(0, version)}),
			location,
			async forgeSchemaVersion(version) {
				const client = adminClient();
				await client.connect();
				try {
					await client.query(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, now())`, [version]);
				} finally {
					await client.end();
				}
			},
			cleanup: async () => dropSchema(schema),
		};
	},
	{skip},
);

test('the printable location has no password and names the schema', t => {
	const catalog = new PostgresCatalog('postgres://report:s3cr%40t@db.example.com:5433/rs?sslmode=require&schema=rs_prod');
	t.is(catalog.location, 'postgres://report@db.example.com:5433/rs?sslmode=require&schema=rs_prod');
	t.is(new PostgresCatalog('postgresql://db.example.com/rs').location, 'postgresql://db.example.com/rs?schema=rscm');
	t.false(new PostgresCatalog('postgres://u@h/d?password=hunter2').location.includes('hunter2'));
});

test('a schema name that is not a plain identifier is refused', t => {
	for (const schema of ['a-b', '1abc', 'x"; DROP SCHEMA public; --', 'a'.repeat(64)]) {
		const error = t.throws(() => new PostgresCatalog(`postgres://h/d?schema=${encodeURIComponent(schema)}`));
		t.is((error as {code?: string}).code, 'INVALID_INPUT');
	}
});

test('openCatalog loads the PostgreSQL backend for postgres:// locations', async t => {
	const catalog = await openCatalog('postgresql://report:pw@db.example.com/rs?schema=rs');
	t.is(catalog.kind, 'postgres');
	t.is(catalog.location, 'postgresql://report@db.example.com/rs?schema=rs');
	await catalog.close();
});

test('a server that refuses the connection is CATALOG_UNAVAILABLE naming host and database, never the password', async t => {
	const catalog = new PostgresCatalog('postgres://report:hunter2@127.0.0.1:1/sales_rs?schema=rscm', {connectTimeout: 3000});
	for (const attempt of [catalog.probe(), catalog.read(async tx => tx.listInstances()), catalog.create()]) {
		const error = await t.throwsAsync(attempt);
		t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
		t.regex(error!.message, /127\.0\.0\.1:1/);
		t.regex(error!.message, /sales_rs/);
		t.false(JSON.stringify({message: error!.message, hint: (error as {hint?: string}).hint}).includes('hunter2'));
	}

	await catalog.close();
});

maybe('a database that does not exist, or a login that fails, is CATALOG_UNAVAILABLE', async t => {
	const url = new URL(server);
	url.pathname = '/rscm_no_such_database';
	const missing = new PostgresCatalog(url.toString());
	const error = await t.throwsAsync(missing.probe());
	t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.regex(error!.message, /rscm_no_such_database/);
	await missing.close();

	const stranger = new URL(server);
	stranger.username = 'rscm_no_such_role';
	stranger.password = 'hunter2';
	const refused = new PostgresCatalog(stranger.toString());
	const loginError = await t.throwsAsync(refused.read(async tx => tx.listInstances()));
	t.is((loginError as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.false(loginError!.message.includes('hunter2'));
	await refused.close();
});

maybe('a writer that cannot get the write lock within lockTimeout fails with BUSY', async t => {
	const schema = uniqueSchema();
	const location = `${server}?schema=${schema}`;
	const holder = new PostgresCatalog(location);
	const impatient = new PostgresCatalog(location, {lockTimeout: 200});
	try {
		await holder.create();
		let signalLocked!: () => void;
		const locked = new Promise<void>(resolve => {
			signalLocked = resolve;
		});
		let release!: () => void;
		const released = new Promise<void>(resolve => {
			release = resolve;
		});
		const holding = holder.write(async tx => {
			await tx.upsertDataSource('Held');
			signalLocked();
			await released;
		});
		await locked;
		const error = await t.throwsAsync(impatient.write(async tx => tx.upsertDataSource('Blocked')));
		t.is((error as {code?: string}).code, 'BUSY');
		// Readers are not blocked by the writer.
		t.deepEqual(await impatient.read(async tx => tx.listDataSources()), []);
		release();
		await holding;
		await impatient.write(async tx => tx.upsertDataSource('Later'));
		t.deepEqual(
			(await impatient.read(async tx => tx.listDataSources())).map(row => row.name),
			['Held', 'Later'],
		);
	} finally {
		await holder.close();
		await impatient.close();
		await dropSchema(schema);
	}
});

maybe('two catalogs in two schemas of one database are independent', async t => {
	const [first, second] = [uniqueSchema(), uniqueSchema()];
	const a = new PostgresCatalog(`${server}?schema=${first}`);
	const b = new PostgresCatalog(`${server}?schema=${second}`, {lockTimeout: 2000});
	try {
		const infoA = await a.create();
		const infoB = await b.create();
		t.not(infoA.catalogId, infoB.catalogId);
		// A writer in one schema does not hold up a writer in the other.
		await a.write(async () => {
			await b.write(async tx => tx.upsertDataSource('B only'));
		});
		t.deepEqual(await a.read(async tx => tx.listDataSources()), []);
		t.is((await b.read(async tx => tx.listDataSources())).length, 1);
	} finally {
		await a.close();
		await b.close();
		await dropSchema(first);
		await dropSchema(second);
	}
});

maybe('step 2 adds nullable chain columns to audit_log: entries from before keep none', async t => {
	const schema = uniqueSchema();
	const location = `${server}?schema=${schema}`;
	const old = new PostgresCatalog(location, {migrations: postgresMigrations.slice(0, 1)});
	const catalog = new PostgresCatalog(location);
	const client = adminClient();
	try {
		await old.create();
		await client.connect();
		// An entry as schema 1 wrote it (this code cannot write schema 1 any more: it names the new columns).
		await client.query(
			`INSERT INTO "${schema}".audit_log (at, installation_id, operation, fingerprints, outcome, detail)
				VALUES ('2024-05-01T10:00:00.000Z', NULL, 'initialize', '[]', 'success', '')`,
		);
		await catalog.create();
		t.like(await catalog.read(async tx => tx.lastAuditEntry()), {
			operation: 'initialize',
			at: '2024-05-01T10:00:00.000Z',
			chainHash: undefined,
			keyVersion: undefined,
			signature: undefined,
		});
		const columns = await client.query(
			`SELECT column_name, data_type, is_nullable FROM information_schema.columns
				WHERE table_schema = $1 AND table_name = 'audit_log' AND column_name IN ('chain_hash', 'key_version', 'signature')
				ORDER BY ordinal_position`,
			[schema],
		);
		t.deepEqual(columns.rows, [
			{column_name: 'chain_hash', data_type: 'bytea', is_nullable: 'YES'},
			{column_name: 'key_version', data_type: 'integer', is_nullable: 'YES'},
			{column_name: 'signature', data_type: 'bytea', is_nullable: 'YES'},
		]);
	} finally {
		await client.end();
		await old.close();
		await catalog.close();
		await dropSchema(schema);
	}
});
