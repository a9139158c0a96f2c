import {chmod, mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {ExecutionContext, TestFn} from 'ava';

/** A private (0700) directory whose name starts with `prefix`, in `parent` (the system's temp directory). */
async function create(prefix: string, parent: string): Promise<string> {
	const directory = await mkdtemp(path.join(parent, prefix));
	await chmod(directory, 0o700);
	return directory;
}

async function remove(directory: string): Promise<void> {
	// A test may leave a directory read-only on purpose; make it removable again.
	await chmod(directory, 0o700).catch(() => undefined);
	await rm(directory, {recursive: true, force: true});
}

/** A private temp directory, removed when the test ends (whatever its outcome). */
export async function tempDirectory(t: ExecutionContext, prefix = 'rscm-test-', parent = os.tmpdir()): Promise<string> {
	const directory = await create(prefix, parent);
	t.teardown(async () => remove(directory));
	return directory;
}

/**
 * One private temp directory for every test of a file: created before the first test, removed after the last.
 * Returns a getter, since the directory exists only once the file's tests run.
 */
export function fileTempDirectory(test: TestFn, prefix = 'rscm-test-'): () => string {
	let directory: string | undefined;
	test.before(async () => {
		directory = await create(prefix, os.tmpdir());
	});
	test.after.always(async () => {
		if (directory !== undefined) await remove(directory);
	});
	return () => {
		if (directory === undefined) throw new Error('fileTempDirectory: read before the tests started');
		return directory;
	};
}
