/**
 * `npm run stress`: the long versions of the reliability checks of issue 6.
 *
 *   npm run stress                              200 SIGKILLs (crash matrix) + 100,000 mutated backups (fuzz)
 *   npm run stress -- --kills 500 --seed 7      more kills, another reproducible sequence
 *   npm run stress -- --fuzz 0                  crash matrix only
 *   FUZZ_COUNT=250000 npm run stress            a larger fuzz run
 *
 * Prints counts per operation and per mutation kind, then one final line `N passed, N failed`; exits 1 on any
 * failure. The same code runs, smaller, in `npm test` (test/reliability/*.test.ts).
 */
import {parseArgs} from 'node:util';
import {formatFuzzReport, runBackupFuzz} from '../test/reliability/backup-fuzz.ts';
import {formatCrashReport, runCrashMatrix} from '../test/reliability/crash-matrix.ts';
import {assertBuilt} from '../test/helpers/run-cli.ts';

const {values} = parseArgs({
	options: {
		kills: {type: 'string', default: '200'},
		seed: {type: 'string'},
		fuzz: {type: 'string'},
		help: {type: 'boolean', short: 'h'},
	},
});

if (values.help) {
	console.log('Usage: npm run stress -- [--kills N] [--seed N] [--fuzz N]');
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

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
