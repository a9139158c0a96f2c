// A report server that keeps serving while a key changes: a separate process that opens its own instance directory
// on the catalog and decrypts every stored value in a loop.
//
//   node --import tsx test/helpers/reader-process.ts CATALOG INSTANCE_DIR EXPECTED [--once]
//
// It loops until its stdin closes (or reads once with --once), then prints one JSON line: reads; reads that found
// a key change pending before they started (readsDuringRotation) and reads that overlapped one, pending before or
// after (readsOverlappingRotation); failures (an exception, or a read that did not decrypt EXPECTED values) with the
// first few error messages; the last, smallest and largest number of readable values; values needing re-entry.
// Writes "reading" to stderr after its first read, so the test knows it is up.
import process from 'node:process';
import {readAllSecrets} from '../../source/core/data-sources.ts';
import {pendingRotation} from '../../source/core/key-change.ts';
import {openSession} from '../../source/core/session.ts';

const [catalog, instanceDirectory, expectedText, mode] = process.argv.slice(2);
const expected = Number(expectedText);
const once = mode === '--once';
const session = await openSession({catalog, instanceDirectory, env: {}});

let stop = once;
if (!once) {
	process.stdin.on('data', () => undefined);
	process.stdin.on('end', () => {
		stop = true;
	});
	process.stdin.resume();
}

const summary = {
	reads: 0,
	readsDuringRotation: 0,
	readsOverlappingRotation: 0,
	failures: 0,
	errors: [] as string[],
	readable: 0,
	minReadable: Number.POSITIVE_INFINITY,
	maxReadable: 0,
	needsReentry: 0,
};
let announced = false;
do {
	try {
		const before = await pendingRotation(session);
		const {readable, needsReentry} = await readAllSecrets(session);
		const after = await pendingRotation(session);
		summary.reads++;
		if (before) summary.readsDuringRotation++;
		if (before || after) summary.readsOverlappingRotation++;
		summary.readable = readable;
		summary.minReadable = Math.min(summary.minReadable, readable);
		summary.maxReadable = Math.max(summary.maxReadable, readable);
		summary.needsReentry += needsReentry;
		if (readable !== expected) {
			summary.failures++;
			if (summary.errors.length < 5) summary.errors.push(`read ${readable} values instead of ${expected}`);
		}
	} catch (error) {
		summary.failures++;
		if (summary.errors.length < 5) summary.errors.push(`${(error as {code?: string}).code ?? ''} ${(error as Error).message}`);
	}

	if (!announced) {
		process.stderr.write('reading\n');
		announced = true;
	}
} while (!stop);

await session.close();
process.stdout.write(JSON.stringify(summary) + '\n');
