/**
 * `npm run stress`: the long versions of the reliability checks of issue 6.
 *
 *   npm run stress                              200 SIGKILLs (crash matrix) + 100,000 mutated backups (fuzz)
 *                                               + 200 dropped PostgreSQL connections and a restart (PostgreSQL faults)
 *   npm run stress -- --kills 500 --seed 7      more kills, another reproducible sequence
 *   npm run stress -- --fuzz 0                  crash matrix only
 *   npm run stress -- --pg-faults 0             no PostgreSQL faults (they need the server of the PostgreSQL tests)
 *   npm run stress -- --pg-data-sources 5000    a smaller key change under the PostgreSQL faults (default 20,000
 *                                               data sources: 60,000 values)
 *   FUZZ_COUNT=250000 npm run stress            a larger fuzz run
 *
 * Prints counts per operation and per mutation kind, then one final line `N passed, N failed`; exits 1 on any
 * failure. The same code runs, smaller, in `npm test` (test/reliability/*.test.ts).
 */
import {parseArgs} from 'node:util';
import {formatFuzzReport, runBackupFuzz} from '../test/reliability/backup-fuzz.ts';
import {formatCrashReport, runCrashMatrix} from '../test/reliability/crash-matrix.ts';
import {formatPostgresFaultReport, runPostgresFaults} from '../test/reliability/postgres-faults.ts';
import {postgresServer} from '../test/helpers/postgres-admin.ts';
import {assertBuilt} from '../test/helpers/run-cli.ts';

const {values} = parseArgs({
	options: {
		kills: {type: 'string', default: '200'},
		seed: {type: 'string'},
		fuzz: {type: 'string'},
		'pg-faults': {type: 'string'},
		'pg-data-sources': {type: 'string'},
		help: {type: 'boolean', short: 'h'},
	},
});

if (values.help) {
	console.log('Usage: npm run stress -- [--kills N] [--seed N] [--fuzz N] [--pg-faults N] [--pg-data-sources N]');
	process.exit(0);
}

function count(text: string | undefined, fallback: number, name: string): number {
	const value = Number(text ?? fallback);
	if (!Number.isSafeInteger(value) || value < 0) {
		console.error(`--${name} must be a whole number`);
		process.exit(2);
	}

	return value;
}

const kills = count(values.kills, 200, 'kills');
const seed = count(values.seed, Math.floor(Math.random() * 2 ** 31), 'seed');
const fuzzCount = count(values.fuzz ?? process.env['FUZZ_COUNT'], 100_000, 'fuzz');
const pgFaults = count(values['pg-faults'], 200, 'pg-faults');
const pgDataSources = count(values['pg-data-sources'], 20_000, 'pg-data-sources');

assertBuilt();
let passed = 0;
let failed = 0;

if (kills > 0) {
	const report = await runCrashMatrix({kills, seed, log: line => console.log(line)});
	console.log(formatCrashReport(report));
	passed += report.passed;
	failed += report.failed;
}

if (fuzzCount > 0) {
	const report = await runBackupFuzz({count: fuzzCount, seed, realKdfSamples: 24, log: line => console.log(line)});
	console.log(formatFuzzReport(report));
	passed += report.rejected;
	failed += report.failures.length;
}

if (pgFaults > 0) {
	try {
		// The key change at the size of the issue (60,000 values) in its default batches; the other operations' catalogs
		// at 600 values each.
		const report = await runPostgresFaults({
			faults: pgFaults,
			seed,
			dataSources: pgDataSources,
			smallDataSources: 200,
			batchSize: 2000,
			operationTimeoutMs: 300_000,
			log: line => console.log(line),
		});
		console.log(formatPostgresFaultReport(report));
		passed += report.passed;
		failed += report.failed;
	} catch (error) {
		// PostgreSQL unreachable, or the run could not be set up: a failure, said plainly (--pg-faults 0 to leave it out).
		console.log(`postgres faults could not run against ${postgresServer}: ${(error as Error).message}`);
		failed++;
	}
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
