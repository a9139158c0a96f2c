// A second process that reads every stored value in a loop, as a report server keeps serving reports while a key
// change runs. Run with `node --import tsx test/helpers/read-loop.ts CATALOG INSTANCE_DIR`; it reads until its stdin
// closes, then prints one JSON summary line: reads, reads that saw a pending rotation, failures (with codes), and
// the smallest and largest number of readable values seen.
import process from 'node:process';
import {readAllSecrets} from '../../source/core/data-sources.ts';
import {pendingRotation} from '../../source/core/key-change.ts';
import {openSession} from '../../source/core/session.ts';

const [catalog, instanceDirectory] = process.argv.slice(2);
const session = await openSession({catalog, instanceDirectory, env: {}});
let stop = false;
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => {
	stop = true;
});
process.stdin.resume();

const summary = {reads: 0, readsDuringRotation: 0, failures: 0, errors: [] as string[], minReadable: Number.POSITIVE_INFINITY, maxReadable: 0, needsReentry: 0};
let announced = false;
while (!stop) {
	try {
		const pending = await pendingRotation(session);
		const {readable, needsReentry} = await readAllSecrets(session);
		summary.reads++;
		if (pending) summary.readsDuringRotation++;
		summary.minReadable = Math.min(summary.minReadable, readable);
		summary.maxReadable = Math.max(summary.maxReadable, readable);
		summary.needsReentry += needsReentry;
	} catch (error) {
		summary.failures++;
		if (summary.errors.length < 5) summary.errors.push(`${(error as {code?: string}).code ?? ''} ${(error as Error).message}`);
	}

	if (!announced) {
		// Tells the test that the reader is up and has read once.
		process.stderr.write('reading\n');
		announced = true;
	}
}

await session.close();
process.stdout.write(JSON.stringify(summary) + '\n');
