import test from 'ava';
import {MariadbCatalog} from '../../source/catalog/dialects/mariadb.ts';
import {mariadbMigrations} from '../../source/catalog/migrations/mariadb.ts';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {isConnectionFailure} from '../../source/catalog/schema.ts';
import {
	createDatabase,
	databaseUrl,
	dropDatabase,
	mariadbAdmin,
	mariadbServer as server,
	mariadbSuite,
	uniqueDatabase,
} from '../helpers/mariadb-server.ts';
import {catalogContract} from './contract.ts';

// One fresh database per test on the local server; without it the tests are skipped, except under CI=true, where a
// missing server fails the run rather than silently dropping the MariaDB part of the contract.
const {maybe, skip} = await mariadbSuite('MariaDB catalog');

catalogContract(
	'mariadb',
	async () => {
		const database = uniqueDatabase();
		await createDatabase(database);
		const location = databaseUrl(database);
		return {
			catalog: new MariadbCatalog(location),
			second: async () => new MariadbCatalog(location),
			older: async version => new MariadbCatalog(location, {migrations: mariadbMigrations.slice(0, version)}),
			location,
			async forgeSchemaVersion(version) {
				const admin = await mariadbAdmin();
				try {
					await admin.query(`INSERT INTO \`${database}\`.schema_migrations (version, applied_at) VALUES (?, now())`, [version]);
				} finally {
					await admin.end();
				}
			},
			cleanup: async () => dropDatabase(database),
		};
	},
	{skip},
);

test('the printable location has no password', t => {
	const catalog = new MariadbCatalog('mariadb://report:s3cr%40t@db.example.com:3307/rs');
	t.is(catalog.location, 'mariadb://report@db.example.com:3307/rs');
	t.is(new MariadbCatalog('mysql://db.example.com/rs').location, 'mysql://db.example.com/rs');
});

test('a location without a database is refused', t => {
	for (const location of ['mariadb://db.example.com', 'mysql://db.example.com/', 'mariadb://h/a/b']) {
		const error = t.throws(() => new MariadbCatalog(location));
		t.is((error as {code?: string}).code, 'INVALID_INPUT', location);
	}
});

test('openCatalog loads the MariaDB backend for mariadb:// and mysql:// locations', async t => {
	for (const scheme of ['mariadb', 'mysql', 'MySQL']) {
		const catalog = await openCatalog(`${scheme}://report:pw@db.example.com/rs`);
		t.is(catalog.kind, 'mariadb');
		t.false(catalog.location.includes('pw'));
		await catalog.close();
	}
});

test('a server that refuses the connection is CATALOG_UNAVAILABLE naming host and database, never the password', async t => {
	const catalog = new MariadbCatalog('mariadb://report:hunter2@127.0.0.1:1/sales_rs', {connectTimeout: 3000});
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
	const missing = new MariadbCatalog(databaseUrl('rscm_no_such_database'));
	const error = await t.throwsAsync(missing.probe());
	t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.regex(error!.message, /rscm_no_such_database/);
	await missing.close();

	const stranger = new URL(server);
	stranger.username = 'rscm_no_such_user';
	stranger.password = 'hunter2';
	const refused = new MariadbCatalog(stranger.toString());
	const loginError = await t.throwsAsync(refused.read(async tx => tx.listInstances()));
	t.is((loginError as {code?: string}).code, 'CATALOG_UNAVAILABLE');
	t.false(loginError!.message.includes('hunter2'));
	await refused.close();
});

maybe('a writer that cannot get the write lock within lockTimeout fails with BUSY; readers are not blocked', async t => {
	const database = uniqueDatabase();
	await createDatabase(database);
	const location = databaseUrl(database);
	const holder = new MariadbCatalog(location);
	const impatient = new MariadbCatalog(location, {lockTimeout: 200});
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
		await dropDatabase(database);
	}
});

maybe("another application's database is left alone", async t => {
	const database = uniqueDatabase();
	await createDatabase(database);
	const admin = await mariadbAdmin();
	const catalog = new MariadbCatalog(databaseUrl(database));
	try {
		await admin.query(`CREATE TABLE \`${database}\`.invoices (id INT PRIMARY KEY)`);
		t.is(await catalog.probe(), undefined);
		const error = await t.throwsAsync(catalog.create());
		t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
		const tables = (await admin.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [database])) as Array<{
			name: string;
		}>;
		t.deepEqual(tables.map(row => row.name), ['invoices']);
	} finally {
		await catalog.close();
		await admin.end();
		await dropDatabase(database);
	}
});

maybe('names that differ only in trailing spaces or letter case are two names', async t => {
	const database = uniqueDatabase();
	await createDatabase(database);
	const catalog = new MariadbCatalog(databaseUrl(database));
	try {
		await catalog.create();
		await catalog.write(async tx => {
			for (const name of ['Sales', 'Sales ', 'sales']) await tx.upsertDataSource(name);
		});
		t.deepEqual((await catalog.read(async tx => tx.listDataSources())).map(row => row.name), ['Sales', 'Sales ', 'sales']);
	} finally {
		await catalog.close();
		await dropDatabase(database);
	}
});

maybe('a connection killed inside a write is CATALOG_UNAVAILABLE, a connection failure; nothing is saved and the next write works', async t => {
	const database = uniqueDatabase();
	await createDatabase(database);
	const catalog = new MariadbCatalog(databaseUrl(database));
	const admin = await mariadbAdmin();
	try {
		await catalog.create();
		const error = await t.throwsAsync(
			catalog.write(async tx => {
				await tx.upsertDataSource('Lost');
				// Every connection of the catalog's database: this transaction's, and any idle pooled one.
				const sessions = (await admin.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [
					database,
				])) as Array<{id: number}>;
				t.true(sessions.length > 0);
				for (const {id} of sessions) await admin.query(`KILL CONNECTION ${Number(id)}`);
				await tx.upsertDataSource('After the kill');
			}),
		);
		t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
		t.true(isConnectionFailure(error));
		t.regex(error!.message, /nothing of it was saved/);
		t.deepEqual(await catalog.read(async tx => tx.listDataSources()), []);
		await catalog.write(async tx => tx.upsertDataSource('Later'));
		t.deepEqual((await catalog.read(async tx => tx.listDataSources())).map(row => row.name), ['Later']);
	} finally {
		await admin.end();
		await catalog.close();
		await dropDatabase(database);
	}
});
