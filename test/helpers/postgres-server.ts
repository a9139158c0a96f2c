import {randomBytes} from 'node:crypto';
import os from 'node:os';
import process from 'node:process';
import test, {type ExecutionContext, type TestFn} from 'ava';
import pg from 'pg';

/**
 * The local PostgreSQL every PostgreSQL test uses: postgres://127.0.0.1:5432/test (trust authentication) unless
 * RSCM_TEST_POSTGRES says otherwise. Each test gets its own schema (`?schema=…`), dropped afterwards. Without a
 * server the tests are skipped with a note on stderr, except under CI=true, where a missing server fails the run
 * instead of silently dropping the PostgreSQL half of the suite.
 */
export const postgresServer = process.env['RSCM_TEST_POSTGRES'] ?? 'postgres://127.0.0.1:5432/test';

/** The tests' own administrative connection, with libpq's default user (the OS account) as the catalog uses it. */
export function adminClient(): pg.Client {
	const url = new URL(postgresServer);
	if (!url.username && !process.env['PGUSER']) url.username = os.userInfo().username;
	return new pg.Client({connectionString: url.toString(), connectionTimeoutMillis: 3000});
}

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function postgresUnavailable(): Promise<string | undefined> {
	const client = adminClient();
	try {
		await client.connect();
		await client.query('SELECT 1');
		return undefined;
	} catch (error) {
		return error instanceof Error ? error.message || (error as {code?: string}).code || String(error) : String(error);
	} finally {
		await client.end().catch(() => undefined);
	}
}

/**
 * `maybe` is `test`, or `test.skip` when PostgreSQL is unreachable — with a failing test in its place under CI, or
 * a note on stderr elsewhere; `skip` says which, for suites that take a flag.
 */
export async function postgresSuite(suite: string): Promise<{maybe: TestFn; skip: boolean}> {
	const reason = await postgresUnavailable();
	if (reason === undefined) return {maybe: test, skip: false};
	if (process.env['CI'] === 'true') {
		test(`${suite}: PostgreSQL is reachable`, t => {
			t.fail(`PostgreSQL at ${postgresServer} is not reachable (${reason}); CI must run the ${suite} tests.`);
		});
	} else {
		console.error(`${suite} tests skipped: PostgreSQL at ${postgresServer} is not reachable (${reason}).`);
	}

	return {maybe: test.skip as unknown as TestFn, skip: true};
}

export async function postgresTest(suite: string): Promise<TestFn> {
	return (await postgresSuite(suite)).maybe;
}

export function uniqueSchema(prefix = 'rscm_test'): string {
	return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function schemaUrl(schema: string): string {
	const url = new URL(postgresServer);
	url.searchParams.set('schema', schema);
	return url.toString();
}

/** A catalog URL with a fresh schema of its own, dropped when the test ends. */
export function postgresLocation(t: ExecutionContext): string {
	const schema = uniqueSchema();
	t.teardown(async () => dropSchema(schema));
	return schemaUrl(schema);
}

export async function dropSchema(schema: string): Promise<void> {
	const client = adminClient();
	try {
		await client.connect();
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end().catch(() => undefined);
	}
}
