import {formatPostgresFaultReport, faultOperations, runPostgresFaults} from './postgres-faults.ts';
import {postgresTest} from '../helpers/postgres-server.ts';

// The short run of the PostgreSQL fault matrix (issue 11, test/reliability/postgres-faults.ts); `npm run stress` runs
// it at full size (200 faults, a key change of 60,000 values) with a random seed, printed to replay with --seed.
// PG_FAULTS / PG_FAULT_SEED change this run. The restart is of a private cluster the run creates (initdb), never of the
// shared server the other test files use; where none can be created the restart is simulated, and the log says so.
const test = await postgresTest('PostgreSQL faults');
const faults = Number(process.env['PG_FAULTS'] ?? 30);
const seed = Number(process.env['PG_FAULT_SEED'] ?? 1111);

test(`${faults} dropped PostgreSQL connections and a server restart during key change, restore, instance add, delete content, catalog copy and account change: each completes or stops with CATALOG_UNAVAILABLE, its rerun completes, no value is lost`, async t => {
	t.timeout(150_000);
	const report = await runPostgresFaults({faults, seed, dataSources: 300, smallDataSources: 40, batchSize: 50, log: line => t.log(line)});
	t.log(formatPostgresFaultReport(report));
	if (report.restart.mode !== 'restart') t.log(`PostgreSQL was NOT restarted: ${report.restart.reason ?? ''}`);
	t.deepEqual(report.failures, []);
	t.true(report.faults >= faults, `only ${report.faults} faults landed`);
	t.true(report.restart.passed, report.restart.outcome);
	for (const operation of faultOperations) t.true(report.perOperation[operation].faults > 0, `no fault landed during ${operation}`);
});
