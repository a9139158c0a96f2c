import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import {catalogKindOf} from '../../source/catalog/catalog-kinds.ts';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {sqliteMigrations} from '../../source/catalog/migrations/sqlite.ts';
import {mariadbMigrations} from '../../source/catalog/migrations/mariadb.ts';
import {postgresMigrations} from '../../source/catalog/migrations/postgres.ts';
import {assertMigrationsNumbered} from '../../source/catalog/schema.ts';
import {SqliteCatalog} from '../../source/catalog/dialects/sqlite.ts';
import {openSession} from '../../source/core/session.ts';
import {catalogContract} from './contract.ts';

function temporaryDirectory(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'rscm-catalog-'));
}

catalogContract('sqlite', async () => {
	const directory = temporaryDirectory();
	const file = path.join(directory, 'catalog.db');
	return {
		catalog: new SqliteCatalog(file),
		second: async () => new SqliteCatalog(file),
		older: async version => new SqliteCatalog(file, {migrations: sqliteMigrations.slice(0, version)}),
		location: file,
		async forgeSchemaVersion(version) {
			const raw = new Database(file);
			raw.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2030-01-01T00:00:00.000Z')").run(version);
			raw.close();
		},
		async cleanup() {
			fs.rmSync(directory, {recursive: true, force: true});
		},
	};
});

/** A temporary directory per test, removed afterwards. */
function withDirectory(run: (directory: string) => Promise<void>): () => Promise<void> {
	return async () => {
		const directory = temporaryDirectory();
		try {
			await run(directory);
		} finally {
			fs.rmSync(directory, {recursive: true, force: true});
		}
	};
}

test('an in-memory catalog works, for tests', async t => {
	const catalog = new SqliteCatalog(':memory:');
	t.is(catalog.location, ':memory:');
	t.is(await catalog.probe(), undefined);
	const info = await catalog.create();
	await catalog.write(async tx => tx.upsertDataSource('Sales'));
	t.is((await catalog.read(async tx => tx.listDataSources())).length, 1);
	t.deepEqual(await catalog.probe(), info);
	await catalog.close();
});

test('probe, read and write never create the file', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const catalog = new SqliteCatalog(file);
		t.is(catalog.location, file);
		t.is(await catalog.probe(), undefined);
		const error = await t.throwsAsync(catalog.read(async tx => tx.listInstances()));
		t.is((error as {code?: string}).code, 'CATALOG_NOT_FOUND');
		t.true(error!.message.includes(file));
		await t.throwsAsync(catalog.write(async tx => tx.listInstances()));
		t.false(fs.existsSync(file));
		await catalog.create();
		t.true(fs.existsSync(file));
		// It holds wrapped keys and encrypted values: owner only.
		t.is(fs.statSync(file).mode & 0o777, 0o600);
		await catalog.close();
	})();
});

test('the catalog file is in WAL mode and a relative path is made absolute', async t => {
	await withDirectory(async directory => {
		const previous = process.cwd();
		process.chdir(directory);
		try {
			const catalog = new SqliteCatalog('catalog.db');
			t.is(catalog.location, path.join(fs.realpathSync(directory), 'catalog.db'));
			await catalog.create();
			await catalog.close();
		} finally {
			process.chdir(previous);
		}

		const raw = new Database(path.join(directory, 'catalog.db'));
		t.is(raw.pragma('journal_mode', {simple: true}), 'wal');
		raw.close();
	})();
});

test('an empty SQLite database is no catalog yet and becomes one on create', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'empty.db');
		fs.writeFileSync(file, '');
		const catalog = new SqliteCatalog(file);
		t.is(await catalog.probe(), undefined);
		t.is((await catalog.create()).schemaVersion, sqliteMigrations.length);
		await catalog.close();
	})();
});

test("another application's database is left alone", async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'other.db');
		const raw = new Database(file);
		raw.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
		raw.close();
		const catalog = new SqliteCatalog(file);
		t.is(await catalog.probe(), undefined);
		const error = await t.throwsAsync(catalog.create());
		t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
		await catalog.close();
		const check = new Database(file);
		t.deepEqual(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all(), ['invoices']);
		check.close();
	})();
});

test('a read-only catalog file reads but refuses writes with CATALOG_READ_ONLY', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const writer = new SqliteCatalog(file);
		await writer.create();
		await writer.write(async tx => tx.upsertDataSource('Sales'));
		await writer.close();
		fs.chmodSync(file, 0o444);

		const catalog = new SqliteCatalog(file);
		t.truthy(await catalog.probe());
		t.is((await catalog.read(async tx => tx.listDataSources())).length, 1);
		const error = await t.throwsAsync(catalog.write(async tx => tx.upsertDataSource('Finance')));
		t.is((error as {code?: string}).code, 'CATALOG_READ_ONLY');
		t.true(error!.message.includes(file));
		t.is((await catalog.read(async tx => tx.listDataSources())).length, 1);
		await catalog.close();
	})();
});

test('step 2 adds the keyring_seal table: one row at most, bytes only', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const catalog = new SqliteCatalog(file);
		await catalog.create();
		await catalog.write(async tx => tx.putKeyringSeal({sequence: 3, body: new Uint8Array([1]), signature: new Uint8Array([2])}));
		await catalog.close();
		const raw = new Database(file);
		try {
			t.deepEqual(raw.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), [1, 2]);
			t.deepEqual(raw.prepare('SELECT singleton, sequence FROM keyring_seal').all(), [{singleton: 1, sequence: 3}]);
			t.throws(() => raw.prepare("INSERT INTO keyring_seal VALUES (2, 4, x'01', x'02')").run(), {any: true, code: 'SQLITE_CONSTRAINT_CHECK'});
			t.throws(() => raw.prepare("UPDATE keyring_seal SET body = 'text'").run(), {any: true, code: 'SQLITE_CONSTRAINT_DATATYPE'});
		} finally {
			raw.close();
		}
	})();
});

test('step 2 adds nullable chain columns to audit_log: entries from before keep none, and the columns hold bytes only', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const old = new SqliteCatalog(file, {migrations: sqliteMigrations.slice(0, 1)});
		await old.create();
		await old.close();
		// An entry as schema 1 wrote it (this code cannot write schema 1 any more: it names the new columns).
		let raw = new Database(file);
		raw.prepare(
			"INSERT INTO audit_log (at, installation_id, operation, fingerprints, outcome, detail) VALUES (?, NULL, 'initialize', '[]', 'success', '')",
		).run('2024-05-01T10:00:00.000Z');
		raw.close();

		const catalog = new SqliteCatalog(file);
		await catalog.create();
		t.like(await catalog.read(async tx => tx.lastAuditEntry()), {
			operation: 'initialize',
			at: '2024-05-01T10:00:00.000Z',
			chainHash: undefined,
			keyVersion: undefined,
			signature: undefined,
		});
		await catalog.close();

		raw = new Database(file);
		try {
			t.deepEqual(
				raw.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info('audit_log') WHERE name IN ('chain_hash', 'key_version', 'signature') ORDER BY cid").all(),
				[
					{name: 'chain_hash', type: 'BLOB', notnull: 0},
					{name: 'key_version', type: 'INTEGER', notnull: 0},
					{name: 'signature', type: 'BLOB', notnull: 0},
				],
			);
			// STRICT holds for the added columns too.
			t.throws(() => raw.prepare("UPDATE audit_log SET chain_hash = 'text'").run(), {any: true, code: 'SQLITE_CONSTRAINT_DATATYPE'});
			t.throws(() => raw.prepare("UPDATE audit_log SET key_version = x'01'").run(), {any: true, code: 'SQLITE_CONSTRAINT_DATATYPE'});
		} finally {
			raw.close();
		}
	})();
});

test('a read-only catalog of an older schema: openSession leaves it as it is, and a read says to run rscm init', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const old = new SqliteCatalog(file, {migrations: sqliteMigrations.slice(0, 1)});
		await old.create();
		await old.close();
		fs.chmodSync(file, 0o444);

		const session = await openSession({catalog: file, instanceDirectory: path.join(directory, 'instance'), env: {}});
		try {
			const error = await t.throwsAsync(session.catalog.read(async tx => tx.listInstances()));
			t.is((error as {code?: string}).code, 'CATALOG_UNAVAILABLE');
			t.regex(error!.message, /schema version 1/);
			t.regex((error as {hint?: string}).hint ?? '', /rscm init/);
		} finally {
			await session.close();
		}

		const raw = new Database(file, {readonly: true});
		t.deepEqual(raw.prepare('SELECT version FROM schema_migrations').pluck().all(), [1]);
		raw.close();
	})();
});

test('a file that is not a database is CATALOG_CORRUPT, never overwritten', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const content = 'This is not an SQLite database, but it is long enough to have a header.\n'.repeat(20);
		fs.writeFileSync(file, content);
		const catalog = new SqliteCatalog(file);
		for (const attempt of [catalog.probe(), catalog.read(async tx => tx.listInstances()), catalog.create()]) {
			const error = await t.throwsAsync(attempt);
			t.is((error as {code?: string}).code, 'CATALOG_CORRUPT');
			t.true(error!.message.includes(file));
		}

		await catalog.close();
		t.is(fs.readFileSync(file, 'utf8'), content);
	})();
});

test('create in a missing directory fails with DIRECTORY_NOT_FOUND; probe says nothing is there', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'missing', 'catalog.db');
		const catalog = new SqliteCatalog(file);
		t.is(await catalog.probe(), undefined);
		const error = await t.throwsAsync(catalog.create());
		t.is((error as {code?: string}).code, 'DIRECTORY_NOT_FOUND');
		t.true(error!.message.includes(path.dirname(file)));
		t.false(fs.existsSync(path.dirname(file)));
		await catalog.close();
	})();
});

test('a directory given as the catalog path is IS_A_DIRECTORY', async t => {
	await withDirectory(async directory => {
		const catalog = new SqliteCatalog(directory);
		const error = await t.throwsAsync(catalog.probe());
		t.is((error as {code?: string}).code, 'IS_A_DIRECTORY');
		await catalog.close();
	})();
});

test('a lock held by another connection beyond the busy timeout is BUSY; the wait leaves the event loop free', async t => {
	await withDirectory(async directory => {
		const file = path.join(directory, 'catalog.db');
		const setup = new SqliteCatalog(file);
		await setup.create();
		await setup.close();

		// Another process's writer, as far as SQLite can tell.
		const holder = new Database(file);
		holder.exec('BEGIN IMMEDIATE');
		const impatient = new SqliteCatalog(file, {busyTimeout: 250});
		const started = Date.now();
		const error = await t.throwsAsync(impatient.write(async tx => tx.upsertDataSource('Sales')));
		t.is((error as {code?: string}).code, 'BUSY');
		t.true(Date.now() - started >= 240);
		// Readers are not blocked by a writer (WAL).
		t.deepEqual(await impatient.read(async tx => tx.listDataSources()), []);
		await impatient.close();

		// The lock is released by a timer of this process while the writer waits: a synchronous busy handler would
		// never let that timer run, and the write would end in BUSY after the full timeout.
		const patient = new SqliteCatalog(file, {busyTimeout: 10_000});
		setTimeout(() => holder.exec('ROLLBACK'), 100);
		await patient.write(async tx => tx.upsertDataSource('Sales'));
		t.is((await patient.read(async tx => tx.listDataSources())).length, 1);
		holder.close();
		await patient.close();
	})();
});

test('openCatalog picks the backend from the location and expands ~', async t => {
	const kindOf = (location: string) => catalogKindOf(location).kind;
	t.is(kindOf('postgres://db.example.com/rs'), 'postgres');
	t.is(kindOf('postgresql://db.example.com/rs'), 'postgres');
	t.is(kindOf('PostgreSQL://db.example.com/rs'), 'postgres');
	t.is(kindOf('mariadb://db.example.com/rs'), 'mariadb');
	t.is(kindOf('mysql://db.example.com/rs'), 'mariadb');
	t.is(kindOf('/var/lib/rscm/catalog.db'), 'sqlite');
	t.is(kindOf('postgres.db'), 'sqlite');
	t.is(kindOf('mariadb.db'), 'sqlite');

	const home = await openCatalog('~/rscm-test-catalog.db');
	t.is(home.kind, 'sqlite');
	t.is(home.location, path.join(os.homedir(), 'rscm-test-catalog.db'));
	t.is(await home.probe(), undefined);
	await home.close();
	t.false(fs.existsSync(path.join(os.homedir(), 'rscm-test-catalog.db')));

	const memory = await openCatalog(':memory:');
	t.is(memory.location, ':memory:');
	await memory.close();
});

test('migrations of every backend are numbered 1, 2, 3 … and in step', t => {
	t.notThrows(() => assertMigrationsNumbered(sqliteMigrations));
	t.notThrows(() => assertMigrationsNumbered(postgresMigrations));
	t.notThrows(() => assertMigrationsNumbered(mariadbMigrations));
	t.is(sqliteMigrations.length, postgresMigrations.length);
	t.is(sqliteMigrations.length, mariadbMigrations.length);
	t.throws(() => new SqliteCatalog(':memory:', {migrations: [{version: 2, sql: ''}]}));
});
