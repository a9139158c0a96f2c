import path from 'node:path';
import test from 'ava';
import {formatCount, formatTime} from '../../source/core/display-format.ts';
import {joinedInstance, loadDataSources, strongPassword} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli} from '../helpers/run-cli.ts';

// Issue 12, finding 10: the commands' text output reads times and counts as the pages do; --json stays machine-readable.

test.before(() => {
	assertBuilt();
});

const shownTime = /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/;
const isoTime = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/;

test('one formatter: `2026-12-02 16:56 UTC` and `1,200,000`', t => {
	t.is(formatTime('2026-12-02T16:56:10.779Z'), '2026-12-02 16:56 UTC');
	t.is(formatTime(undefined), '—');
	t.is(formatCount(1_200_000), '1,200,000');
});

test('status, key verify, audit and key change print times and counts as the pages do; --json keeps ISO and plain numbers', async t => {
	const {deployment, session} = await joinedInstance(t);
	await loadDataSources(session, 1200);
	await session.close();
	const env = {RSCM_CATALOG: deployment.catalogPath, RSCM_INSTANCE_DIR: deployment.instanceDirectory('a')};
	const file = path.join(deployment.root, 'k.snk');
	t.is((await runCli(['key', 'backup', '--file', file, '--password-stdin'], {env, stdin: `${strongPassword}\n`})).code, 0);

	const status = (await runCli(['status'], {env})).stdout;
	t.regex(status, new RegExp(`Primary key: +version 1, [\\da-f-]+, created ${shownTime.source}\\n`));
	t.regex(status, new RegExp(`Last backup: +${shownTime.source}\\n`));
	t.regex(status, /Encrypted items: 3,600 data source values, /);
	t.notRegex(status, isoTime);
	const json = parseJson<{primaryKey: {createdAt: string; backedUpAt: string}; secrets: {datasource: {total: number}}}>(await runCli(['status', '--json'], {env}));
	t.regex(json.primaryKey.createdAt, isoTime);
	t.regex(json.primaryKey.backedUpAt, isoTime);
	t.is(json.secrets.datasource.total, 3600);

	const verify = (await runCli(['key', 'verify', '--file', file, '--password-stdin'], {env, stdin: `${strongPassword}\n`})).stdout;
	t.regex(verify, new RegExp(`^Backup of catalog [\\da-f-]+, made ${shownTime.source}:\\n {2}version 1 .* created ${shownTime.source}\\n`));
	t.notRegex(verify, isoTime);

	const audit = (await runCli(['audit'], {env})).stdout;
	t.regex(audit, new RegExp(`^\\d+ +${shownTime.source} +backup +success`, 'm'));
	t.notRegex(audit, isoTime);
	t.regex(parseJson<Array<{at: string}>>(await runCli(['audit', '--json'], {env}))[0]!.at, isoTime);

	const change = await runCli(['key', 'change', '--yes'], {env});
	t.regex(change.stdout, /is primary; 3,600 values re-encrypted;/);
	t.like(parseJson(await runCli(['key', 'change', '--yes', '--json'], {env})), {reencrypted: 3600});
});
