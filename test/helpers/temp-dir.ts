import {chmodSync, mkdirSync, mkdtempSync} from 'node:fs';
import {chmod, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {ExecutionContext, TestFn} from 'ava';

/** A private (0700) directory whose name starts with `prefix`, in `parent`. */
function create(prefix: string, parent: string): string {
	mkdirSync(parent, {recursive: true});
	const directory = mkdtempSync(path.join(parent, prefix));
	chmodSync(directory, 0o700);
	return directory;
}

async function remove(directory: string): Promise<void> {
	// A test may leave a directory read-only on purpose; make it removable again.
	await chmod(directory, 0o700).catch(() => undefined);
	await rm(directory, {recursive: true, force: true});
}

/** A private temp directory, removed when the test ends (whatever its outcome). */
export async function tempDirectory(t: ExecutionContext, prefix = 'rscm-test-', parent = os.tmpdir()): Promise<string> {
	const directory = create(prefix, parent);
	t.teardown(async () => remove(directory));
	return directory;
}

/** One private temp directory for every test of a file: created as the file is loaded, removed after its last test. */
export function fileTempDirectory(test: TestFn, prefix = 'rscm-test-', parent = os.tmpdir()): string {
	const directory = create(prefix, parent);
	test.after.always(async () => remove(directory));
	return directory;
}
