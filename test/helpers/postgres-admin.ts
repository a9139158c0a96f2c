import {randomBytes} from 'node:crypto';
import os from 'node:os';
import process from 'node:process';
import pg from 'pg';

// The PostgreSQL helpers that need no ava, so that scripts (`npm run stress`) can use them too; the test-only ones
// (postgresSuite, postgresLocation) are in postgres-server.ts, which re-exports these.

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
	const client = new pg.Client({connectionString: url.toString(), connectionTimeoutMillis: 3000});
	// Tests terminate backends on purpose; a dropped admin connection must not end the test process.
	client.on('error', () => undefined);
	return client;
}

export function uniqueSchema(prefix = 'rscm_test'): string {
	return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function schemaUrl(schema: string): string {
	const url = new URL(postgresServer);
	url.searchParams.set('schema', schema);
	return url.toString();
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
