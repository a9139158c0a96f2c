import {randomBytes} from 'node:crypto';
import os from 'node:os';
import test, {type ExecutionContext, type TestFn} from 'ava';
import pg from 'pg';

/**
 * The PostgreSQL server of the scale-out tests: postgres://127.0.0.1:5432/test (trust authentication) unless
 * RSCM_TEST_POSTGRES says otherwise. Each test gets its own schema (`?schema=rscm_test_…`), dropped afterwards.
 * As in test/catalog/postgres.test.ts: without a server the tests are skipped with a note on stderr, except under
 * CI=true, where a missing server fails the run instead of silently dropping the scale-out tests.
 */
export const server = process.env.RSCM_TEST_POSTGRES ?? 'postgres://127.0.0.1:5432/test';

function adminClient(): pg.Client {
	const url = new URL(server);
	if (!url.username && !process.env.PGUSER) url.username = os.userInfo().username;
	return new pg.Client({connectionString: url.toString(), connectionTimeoutMillis: 3000});
}

async function unreachableReason(): Promise<string | undefined> {
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

/** `test`, or `test.skip` when PostgreSQL is unreachable (and a failing test in its place under CI). */
export async function postgresTest(suite: string): Promise<TestFn> {
	const reason = await unreachableReason();
	if (reason === undefined) return test;
	if (process.env.CI === 'true') {
		test(`${suite}: PostgreSQL is reachable`, t => {
			t.fail(`PostgreSQL at ${server} is not reachable (${reason}); CI must run the ${suite} tests.`);
		});
	} else {
		console.error(`${suite} tests skipped: PostgreSQL at ${server} is not reachable (${reason}).`);
	}

	return test.skip as unknown as TestFn;
}

/** A catalog URL with a fresh schema of its own, dropped when the test ends. */
export function postgresLocation(t: ExecutionContext): string {
	const schema = `rscm_test_${randomBytes(6).toString('hex')}`;
	t.teardown(async () => dropSchema(schema));
	const url = new URL(server);
	url.searchParams.set('schema', schema);
	return url.toString();
}

export async function dropSchema(schema: string): Promise<void> {
	const client = adminClient();
	await client.connect();
	try {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
	} finally {
		await client.end();
	}
}
