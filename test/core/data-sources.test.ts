import test from 'ava';
import {forEachDataSourcePage, importDataSources, listDataSources, pageDataSources, readAllSecrets, setDataSource, showDataSource, type DataSourceSummary} from '../../source/core/data-sources.ts';
import {inputLimits} from '../../source/core/input-limits.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {dataSourceName, joinedInstance, loadDataSources, openTestSession} from '../helpers/catalog-fixtures.ts';

const sales = {connectionString: 'Server=sql01;Database=Sales', username: 'rs_sales', password: 'sales-pw'};

test('null removes one field and keeps the others', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	await setDataSource(session, 'HR', {password: 'hr-pw'});
	await setDataSource(session, 'Sales', {password: null, username: 'rs_new'});
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', connectionString: sales.connectionString, username: 'rs_new', needsReentry: []});
	// Another data source is untouched.
	t.deepEqual(await showDataSource(session, 'HR'), {name: 'HR', password: 'hr-pw', needsReentry: []});
	// Removing a field that is not set changes nothing.
	await setDataSource(session, 'Sales', {password: null});
	t.deepEqual((await listDataSources(session)).find(row => row.name === 'Sales')!.fields, {connectionString: 'set', username: 'set', password: 'unset'});
});

test('removing a field keeps the other fields flagged needs re-entry after Delete encrypted content', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	await deleteEncryptedContent(session);
	await setDataSource(session, 'Sales', {username: null});
	t.deepEqual((await listDataSources(session))[0]!.fields, {connectionString: 'needs-reentry', username: 'unset', password: 'needs-reentry'});
	t.deepEqual(await readAllSecrets(session), {readable: 0, needsReentry: 2});
});

test('a field removed while values sit under an older key version: the rest stays readable and is rotated', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	const controller = new AbortController();
	controller.abort();
	// Starts the rotation (version 2 primary, version 1 still active) and stops before the first batch.
	await t.throwsAsync(changeKey(session, {signal: controller.signal}), {code: 'CANCELLED'});
	await setDataSource(session, 'Sales', {password: null});
	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', connectionString: sales.connectionString, username: sales.username, needsReentry: []});
	const result = await changeKey(session);
	t.true(result.resumed);
	t.deepEqual(await readAllSecrets(session), {readable: 2, needsReentry: 0});
});

test('a value over its cap is INPUT_TOO_LARGE naming the field, and nothing is written; a value at the cap is stored', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', sales);
	for (const field of ['connectionString', 'username', 'password'] as const) {
		const cap = inputLimits.dataSource[field];
		const error = await t.throwsAsync(setDataSource(session, 'Sales', {[field]: 'x'.repeat(cap + 1)}), {code: 'INPUT_TOO_LARGE'});
		t.is((error as {field?: string}).field, field);
		t.regex(error!.message, new RegExp(`"${field}" is over the limit of \\d+ KiB`));
		// In UTF-8 bytes: a third as many three-byte characters plus one.
		await t.throwsAsync(setDataSource(session, 'New', {[field]: '€'.repeat(Math.floor(cap / 3) + 1)}), {code: 'INPUT_TOO_LARGE'});
	}

	t.deepEqual(await showDataSource(session, 'Sales'), {name: 'Sales', ...sales, needsReentry: []});
	t.deepEqual((await listDataSources(session)).map(row => row.name), ['Sales']);
	await setDataSource(session, 'Sales', {password: 'p'.repeat(inputLimits.dataSource.password)});
	t.is((await showDataSource(session, 'Sales')).password, 'p'.repeat(inputLimits.dataSource.password));
});

test('import: a record over a cap stops the import before its batch commits; earlier batches stay', async t => {
	const {session} = await joinedInstance(t);
	async function* records() {
		for (let index = 0; index < 5; index++) yield {name: `DS-${index}`, password: `p-${index}`};
		yield {name: 'Huge', username: 'u'.repeat(inputLimits.dataSource.username + 1)};
	}

	const progress: number[] = [];
	await t.throwsAsync(importDataSources(session, records(), {batchSize: 2, onProgress: count => progress.push(count)}), {code: 'INPUT_TOO_LARGE'});
	// Batches [0,1] and [2,3] committed; [4, Huge] did not.
	t.deepEqual(progress, [2, 4]);
	t.deepEqual((await listDataSources(session)).map(row => row.name).sort(), ['DS-0', 'DS-1', 'DS-2', 'DS-3']);
});

test('forEachDataSourcePage: every data source once, in name order, in pages of at most pageSize, with its field states', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 25);
	await setDataSource(session, 'DS-00003', {password: null});
	await setDataSource(session, 'Empty', {});
	await session.catalog.write(async tx => tx.markSecretNeedsReentry({kind: 'datasource', owner: 'DS-00007', field: 'username'}));
	const pages: DataSourceSummary[][] = [];
	await forEachDataSourcePage(
		session,
		async page => {
			pages.push(page);
			return true;
		},
		{pageSize: 10},
	);
	// 26 data sources: 10, 10, 6.
	t.deepEqual(pages.map(page => page.length), [10, 10, 6]);
	const names = pages.flat().map(row => row.name);
	t.deepEqual(names, [...Array.from({length: 25}, (_, index) => dataSourceName(index)), 'Empty']);
	const byName = new Map(pages.flat().map(row => [row.name, row]));
	t.deepEqual(byName.get('DS-00003')!.fields, {connectionString: 'set', username: 'set', password: 'unset'});
	t.deepEqual(byName.get('DS-00024')!.fields, {connectionString: 'set', username: 'set', password: 'set'});
	t.like(byName.get('DS-00007')!, {fields: {connectionString: 'set', username: 'needs-reentry', password: 'set'}, needsReentry: true});
	t.deepEqual(byName.get('Empty')!.fields, {connectionString: 'unset', username: 'unset', password: 'unset'});
	// The whole list is what the Data Sources page reads (its own query), and what listDataSources gives.
	t.deepEqual(pages.flat(), (await pageDataSources(session, {limit: 1000})).rows);
	t.deepEqual(pages.flat(), await listDataSources(session));
});

test('forEachDataSourcePage: onPage returning false stops it there: no later page is handed over', async t => {
	const {session} = await joinedInstance(t);
	await loadDataSources(session, 30);
	const seen: string[] = [];
	await forEachDataSourcePage(
		session,
		async page => {
			seen.push(...page.map(row => row.name));
			return seen.length < 20;
		},
		{pageSize: 10},
	);
	t.deepEqual(seen, Array.from({length: 20}, (_, index) => dataSourceName(index)));
});

test('forEachDataSourcePage: one snapshot: a data source written by another server while the pages are read is not in them', async t => {
	const {session, deployment} = await joinedInstance(t);
	await loadDataSources(session, 20);
	const other = await openTestSession(t, deployment.catalogPath, deployment.instanceDirectory('a'));
	const names: string[] = [];
	let wrote = false;
	await forEachDataSourcePage(
		session,
		async page => {
			names.push(...page.map(row => row.name));
			if (!wrote) {
				// After the first page: one in the pages still to come, and one removed from them.
				await setDataSource(other, 'DS-00015x', {password: 'late'});
				await other.catalog.write(async tx => tx.deleteDataSource('DS-00018'));
				wrote = true;
			}

			return true;
		},
		{pageSize: 5},
	);
	t.true(wrote);
	t.deepEqual(names, Array.from({length: 20}, (_, index) => dataSourceName(index)));
	t.true((await listDataSources(session)).some(row => row.name === 'DS-00015x'));
});
