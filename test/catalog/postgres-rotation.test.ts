import test from 'ava';
import pg from 'pg';
import type {SecretRow} from '../../source/catalog/catalog.ts';
import {PostgresCatalog} from '../../source/catalog/dialects/postgres.ts';
import {adminClient, postgresLocation, postgresSuite} from '../helpers/postgres-server.ts';

// What makes a key change on PostgreSQL fast, and would silently make it slow again if it broke: plans that do not
// depend on the table's statistics, the ciphertexts bound as one binary value, and deferred commits. The plans are
// checked on a table that autovacuum is kept away from, as a catalog is right after a copy or a bulk load.

const {maybe, skip} = await postgresSuite('PostgreSQL rotation');
// The tests that record statements patch pg.Client's prototype for a while: two at once would undo each other.
const recording = skip ? maybe : test.serial;

type Statement = {text: string; values: unknown[] | undefined};

/** Every statement this process sends through pg while `work` runs, in order. */
async function recordStatements<T>(work: () => Promise<T>): Promise<{result: T; statements: Statement[]}> {
	const statements: Statement[] = [];
	const prototype = pg.Client.prototype as unknown as {query: (...args: unknown[]) => unknown};
	const original = prototype.query;
	prototype.query = function (this: unknown, ...args: unknown[]) {
		const [first, second] = args;
		if (typeof first === 'string') statements.push({text: first, values: Array.isArray(second) ? (second as unknown[]) : undefined});
		return original.apply(this, args);
	};
	try {
		return {result: await work(), statements};
	} finally {
		prototype.query = original;
	}
}

function schemaOf(location: string): string {
	return new URL(location).searchParams.get('schema')!;
}

/** A catalog of `count` values under key version 1 whose secrets table autovacuum never analyzes. */
async function unanalyzedCatalog(t: Parameters<typeof postgresLocation>[0], count: number): Promise<PostgresCatalog> {
	const location = postgresLocation(t);
	const catalog = new PostgresCatalog(location);
	t.teardown(async () => catalog.close());
	await catalog.create();
	const admin = adminClient();
	await admin.connect();
	try {
		await admin.query(`ALTER TABLE "${schemaOf(location)}".secrets SET (autovacuum_enabled = false)`);
	} finally {
		await admin.end();
	}

	const now = new Date().toISOString();
	const rows: SecretRow[] = Array.from({length: count}, (_, index) => ({
		id: index + 1,
		kind: 'datasource',
		owner: `DS-${String(Math.floor(index / 3)).padStart(7, '0')}`,
		field: ['connectionString', 'username', 'password'][index % 3]!,
		ciphertext: Buffer.alloc(80 + (index % 40), index % 256),
		keyVersion: 1,
		needsReentry: false,
		updatedAt: now,
	}));
	await catalog.write(async tx => tx.insertSecrets(rows));
	return catalog;
}

/** The plan of `text` as the server makes it: for the bound values, or generic (as write transactions plan). */
async function plan(location: string, statement: Statement, generic: boolean): Promise<string> {
	const admin = adminClient();
	await admin.connect();
	try {
		await admin.query(`SET search_path TO "${schemaOf(location)}"`);
		if (!generic) {
			const result = await admin.query(`EXPLAIN ${statement.text}`, statement.values);
			return result.rows.map(row => String(row['QUERY PLAN'])).join('\n');
		}

		await admin.query(`PREPARE planned AS ${statement.text}`);
		await admin.query('SET plan_cache_mode = force_generic_plan');
		// EXECUTE takes its arguments as literals, not as bound parameters.
		const result = await admin.query(`EXPLAIN EXECUTE planned (${statement.values!.map(value => literal(value)).join(', ')})`);
		return result.rows.map(row => String(row['QUERY PLAN'])).join('\n');
	} finally {
		await admin.end();
	}
}

/** The values the rotation's statements bind (numbers, Buffers, arrays of numbers) as SQL literals. */
function literal(value: unknown): string {
	if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'`;
	if (Array.isArray(value)) return `'{${value.map(Number).join(',')}}'`;
	return String(Number(value));
}

recording('a batch read of a table without statistics walks the (key_version, id) index up to its LIMIT', async t => {
	const catalog = await unanalyzedCatalog(t, 6000);
	const {location} = catalog;
	const {result, statements} = await recordStatements(async () => catalog.read(async tx => tx.secretsBatch(1, 3000, 100)));
	t.deepEqual(
		result.map(row => row.id),
		Array.from({length: 100}, (_, index) => 3001 + index),
	);
	const read = statements.find(statement => statement.text.includes('FROM secrets'))!;
	const chosen = await plan(location, read, false);
	t.regex(chosen, /Index Scan using secrets_rotation/);
	t.notRegex(chosen, /Bitmap|Sort|Seq Scan/);
	// The trap it avoids, on the same table: the plain equality is taken for a few rows, and every remaining row of
	// the version is fetched and sorted for each batch.
	const select = read.text.slice(0, read.text.indexOf(' WHERE '));
	const naive = await plan(location, {text: `${select} WHERE key_version = $1 AND id > $2 ORDER BY id LIMIT $3`, values: [1, 3000, 100]}, false);
	t.regex(naive, /Bitmap Heap Scan/);
	t.regex(naive, /Sort/);
});

recording('a batch update looks every value up by its id, and binds the ciphertexts as one binary value', async t => {
	const catalog = await unanalyzedCatalog(t, 6000);
	const updates = Array.from({length: 300}, (_, index) => ({id: 2001 + index, ciphertext: Buffer.alloc(1 + ((index * 37) % 301), index % 251)}));
	const {result, statements} = await recordStatements(async () => catalog.write(async tx => tx.replaceSecretCiphertexts(1, 2, updates), {durability: 'deferred'}));
	t.is(result, 300);
	const update = statements.find(statement => statement.text.startsWith('UPDATE secrets'))!;
	t.is(update.values!.filter(value => Buffer.isBuffer(value)).length, 1);
	t.false(update.values!.some(value => Array.isArray(value) && value.some(element => Buffer.isBuffer(element))));
	const chosen = await plan(catalog.location, update, true);
	t.regex(chosen, /Nested Loop[\s\S]*Index Scan using secrets_(pkey|rotation)/);
	t.notRegex(chosen, /Hash|Bitmap|Seq Scan on secrets/);

	// Each value got its own bytes, whatever the lengths around it; the rest stayed under version 1.
	const rows = await catalog.read(async tx => tx.listSecrets({}));
	for (const {id, ciphertext} of updates) {
		const row = rows[id - 1]!;
		t.is(row.keyVersion, 2);
		t.true(Buffer.from(row.ciphertext!).equals(ciphertext), `value ${id}`);
	}

	t.is(rows.filter(row => row.keyVersion === 1).length, 6000 - 300);
});

recording('only a deferred write commits without waiting for the WAL flush; every write is planned generically', async t => {
	const catalog = await unanalyzedCatalog(t, 3);
	const begins = async (durability: 'deferred' | 'full') => {
		const {statements} = await recordStatements(async () => catalog.write(async tx => tx.getRotation(), {durability}));
		return statements.find(statement => statement.text.startsWith('BEGIN'))!.text;
	};

	const deferred = await begins('deferred');
	const full = await begins('full');
	t.regex(deferred, /SET LOCAL synchronous_commit = off/);
	t.notRegex(full, /synchronous_commit/);
	for (const begin of [deferred, full]) t.regex(begin, /SET LOCAL plan_cache_mode = force_generic_plan/);
	const {statements} = await recordStatements(async () => catalog.read(async tx => tx.getRotation()));
	t.notRegex(statements.find(statement => statement.text.startsWith('BEGIN'))!.text, /plan_cache_mode|synchronous_commit/);
});

test('a key change on PostgreSQL works in larger batches than the core default, one update statement each', t => {
	const catalog = new PostgresCatalog('postgres://127.0.0.1:5432/test');
	t.true(catalog.rotationBatching.batchSize > 2000);
	t.is(catalog.rotationBatching.updateSlice, catalog.rotationBatching.batchSize);
});
