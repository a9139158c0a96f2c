import {randomBytes} from 'node:crypto';
import os from 'node:os';
import process from 'node:process';
import pg from 'pg';

/**
 * The local PostgreSQL the tests use (postgres://127.0.0.1:5432/test, trust authentication), for the UI and e2e
 * tests of the Database page. Unreachable: the tests skip with a note, except under CI=true, where they must fail.
 */
export const postgresServer = process.env['RSCM_TEST_POSTGRES'] ?? 'postgres://127.0.0.1:5432/test';

function adminClient(): pg.Client {
	const url = new URL(postgresServer);
	if (!url.username && !process.env['PGUSER']) url.username = os.userInfo().username;
	return new pg.Client({connectionString: url.toString(), connectionTimeoutMillis: 3000});
}

export async function postgresUnavailable(): Promise<string | undefined> {
	const client = adminClient();
	try {
		await client.connect();
		await client.query('SELECT 1');
		return undefined;
	} catch (error) {
		return error instanceof Error ? error.message || String(error) : String(error);
	} finally {
		await client.end().catch(() => undefined);
	}
}

export function uniqueSchema(prefix: string): string {
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
