import test from 'ava';
import {crashOperations, formatCrashReport, runCrashMatrix} from './crash-matrix.ts';
import {assertBuilt} from '../helpers/run-cli.ts';

// The short run of the crash matrix; `npm run stress` runs 200+ kills with a random seed (printed, to replay).
const kills = Number(process.env['CRASH_KILLS'] ?? 20);
const seed = Number(process.env['CRASH_SEED'] ?? 4242);

test(`${kills} SIGKILLs during key change, restore, delete content, identity change and backup leave a catalog that works`, async t => {
	assertBuilt();
	const report = await runCrashMatrix({kills, seed, keyChangeDataSources: 3000});
	t.log(formatCrashReport(report));
	t.deepEqual(report.failures, []);
	t.true(report.kills >= kills, `only ${report.kills} kills landed`);
	t.is(report.failed, 0);
	// The seed spreads the kills over every operation.
	for (const operation of crashOperations) t.true(report.perOperation[operation].kills + report.perOperation[operation].finishedFirst > 0, operation);
});
