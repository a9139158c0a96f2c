import {randomBytes} from 'node:crypto';
import process from 'node:process';
import test, {type ExecutionContext, type TestFn} from 'ava';
import mariadb, {type Connection} from 'mariadb';

/**
 * The local MariaDB every MariaDB test uses: mariadb://root@127.0.0.1:3306/test unless RSCM_TEST_MARIADB says
 * otherwise. Each test gets a database of its own, dropped afterwards (other test runs share the server). Without a
 * server the tests are skipped with a note on stderr, except under CI=true, where a missing server fails the run.
 */
export const mariadbServer = process.env['RSCM_TEST_MARIADB'] ?? 'mariadb://root@127.0.0.1:3306/test';

/** The tests' own administrative connection, to the server's `test` database. */
export async function mariadbAdmin(): Promise<Connection> {
	const url = new URL(mariadbServer);
	return mariadb.createConnection({
		host: url.hostname,
		port: Number(url.port || 3306),
		user: decodeURIComponent(url.username) || 'root',
		password: decodeURIComponent(url.password) || undefined,
		database: decodeURIComponent(url.pathname.slice(1)) || undefined,
		connectTimeout: 3000,
	});
}

export function uniqueDatabase(prefix = 'rscm_test'): string {
	return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** The server's URL with another database. */
export function databaseUrl(database: string): string {
	const url = new URL(mariadbServer);
	url.pathname = `/${database}`;
	return url.toString();
}

export async function createDatabase(database: string): Promise<void> {
	const admin = await mariadbAdmin();
	try {
		await admin.query(`CREATE DATABASE \`${database}\``);
	} finally {
		await admin.end();
	}
}

export async function dropDatabase(database: string): Promise<void> {
	const admin = await mariadbAdmin();
	try {
		await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
	} finally {
		await admin.end();
	}
}

/** Why MariaDB cannot be used, or undefined when it can. */
export async function mariadbUnavailable(): Promise<string | undefined> {
	try {
		const admin = await mariadbAdmin();
		await admin.query('SELECT 1');
		await admin.end();
		return undefined;
	} catch (error) {
		return error instanceof Error ? error.message || String(error) : String(error);
	}
}

/**
 * `maybe` is `test`, or `test.skip` when MariaDB is unreachable — with a failing test in its place under CI, or a
 * note on stderr elsewhere; `skip` says which, for suites that take a flag.
 */
export async function mariadbSuite(suite: string): Promise<{maybe: TestFn; skip: boolean}> {
	const reason = await mariadbUnavailable();
	if (reason === undefined) return {maybe: test, skip: false};
	if (process.env['CI'] === 'true') {
		test(`${suite}: MariaDB is reachable`, t => {
			t.fail(`MariaDB at ${mariadbServer} is not reachable (${reason}); CI must run the ${suite} tests.`);
		});
	} else {
		console.error(`${suite} tests skipped: MariaDB at ${mariadbServer} is not reachable (${reason}).`);
	}

	return {maybe: test.skip as unknown as TestFn, skip: true};
}

/** A catalog location with a fresh database of its own, dropped when the test ends. */
export async function mariadbLocation(t: ExecutionContext): Promise<string> {
	const database = uniqueDatabase();
	await createDatabase(database);
	t.teardown(async () => dropDatabase(database));
	return databaseUrl(database);
}
