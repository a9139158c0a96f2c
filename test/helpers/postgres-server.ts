import process from 'node:process';
import test, {type ExecutionContext, type TestFn} from 'ava';
import {adminClient, dropSchema, postgresServer, schemaUrl, uniqueSchema} from './postgres-admin.ts';

export {adminClient, dropSchema, postgresServer, schemaUrl, uniqueSchema} from './postgres-admin.ts';

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

/** A catalog URL with a fresh schema of its own, dropped when the test ends. */
export function postgresLocation(t: ExecutionContext): string {
	const schema = uniqueSchema();
	t.teardown(async () => dropSchema(schema));
	return schemaUrl(schema);
}

