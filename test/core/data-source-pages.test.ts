import test from 'ava';
import {listAuditLog, verifyAudit} from '../../source/core/audit-log.ts';
import {pageDataSources, removeDataSource, setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {dataSourceName, joinedInstance, rejectsWithCode} from '../helpers/catalog-fixtures.ts';
import {seedDataSources, spyOnCatalog} from '../helpers/data-source-fixtures.ts';

const names = (page: {rows: Array<{name: string}>}) => page.rows.map(row => row.name);

test('pages through 100,000 data sources by name, both ways, reading only the rows and values of each page', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 100_000, (index, field) => (field === 'password' && index % 10 === 3 ? 'needs-reentry' : field === 'username' && index % 2 === 1 ? 'unset' : 'set'));
	const spy = spyOnCatalog(session);

	const first = await pageDataSources(spy.session, {limit: 11});
	t.deepEqual(names(first), Array.from({length: 11}, (_, index) => dataSourceName(index)));
	t.like(first, {moreBefore: false, moreAfter: true, total: 100_000});
	t.deepEqual(first.rows[3]!.fields, {connectionString: 'set', username: 'unset', password: 'needs-reentry'});
	t.true(first.rows[3]!.needsReentry);
	t.deepEqual(first.rows[4]!.fields, {connectionString: 'set', username: 'set', password: 'set'});
	t.false(first.rows[4]!.needsReentry);

	const deep = await pageDataSources(spy.session, {after: dataSourceName(73_209), limit: 11});
	t.is(deep.rows[0]!.name, dataSourceName(73_210));
	t.like(deep, {moreBefore: true, moreAfter: true});
	const back = await pageDataSources(spy.session, {before: deep.rows[0]!.name, limit: 11});
	t.deepEqual(names(back), Array.from({length: 11}, (_, index) => dataSourceName(73_199 + index)));
	// PgDn from the last rows: the page is filled from before, so it is full.
	const end = await pageDataSources(spy.session, {after: dataSourceName(99_995), limit: 11});
	t.deepEqual(names(end), Array.from({length: 11}, (_, index) => dataSourceName(99_989 + index)));
	t.like(end, {moreBefore: true, moreAfter: false});
	// PgUp from the first rows, likewise.
	const start = await pageDataSources(spy.session, {before: dataSourceName(2), limit: 11});
	t.deepEqual(names(start), names(first));
	// Inclusive: a refresh keeps the first row on screen; a removed one is simply skipped.
	t.is((await pageDataSources(spy.session, {after: dataSourceName(500), inclusive: true, limit: 3})).rows[0]!.name, dataSourceName(500));

	// Nothing listed a whole table, and no query let more than a page out of the database.
	const methods = new Set(spy.calls.map(call => call.method));
	t.false(methods.has('listDataSources'));
	t.false(methods.has('listSecrets'));
	for (const call of spy.calls) {
		// A page and one more row: that one tells whether more follow.
		if (call.method === 'findDataSources') t.true((call.args[0] as {limit: number}).limit <= 12);
		if (call.method === 'secretsOfOwners') t.true((call.args[1] as string[]).length <= 11);
	}
});

test('the filter is a case-insensitive substring done by the database, with its own total; wildcards are plain', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 2000);
	for (const name of ['Sales_EU', 'salesXus', '50% Sales']) await setDataSource(session, name, {username: 'rs'});
	const page = await pageDataSources(session, {filter: 'ds-0199', limit: 5});
	t.deepEqual(names(page), ['DS-01990', 'DS-01991', 'DS-01992', 'DS-01993', 'DS-01994']);
	t.like(page, {total: 10, moreBefore: false, moreAfter: true});
	const next = await pageDataSources(session, {filter: 'ds-0199', after: 'DS-01994', limit: 5});
	t.deepEqual(names(next), ['DS-01995', 'DS-01996', 'DS-01997', 'DS-01998', 'DS-01999']);
	t.like(next, {moreBefore: true, moreAfter: false});
	t.deepEqual(names(await pageDataSources(session, {filter: 's_e', limit: 5})), ['Sales_EU']);
	t.deepEqual(names(await pageDataSources(session, {filter: '%', limit: 5})), ['50% Sales']);
	t.like(await pageDataSources(session, {filter: 'nothing like it', limit: 5}), {rows: [], total: 0, moreBefore: false, moreAfter: false});
	t.is((await pageDataSources(session, {filter: '', limit: 1})).total, 2003);
});

test('field states: set, empty and needs re-entry after Delete Encrypted Content; re-entering one clears its mark', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {connectionString: 'Server=sql01', password: 'pw'});
	await deleteEncryptedContent(session);
	const [row] = (await pageDataSources(session, {limit: 5})).rows;
	t.deepEqual(row!.fields, {connectionString: 'needs-reentry', username: 'unset', password: 'needs-reentry'});
	const saved = await setDataSource(session, 'Sales', {password: 'new-pw'});
	t.deepEqual(saved.fields, {connectionString: 'needs-reentry', username: 'unset', password: 'set'});
	t.true(saved.needsReentry);
});

test('setDataSource reads back its own row only; with create it refuses a name that exists', async t => {
	const {session} = await joinedInstance(t);
	await seedDataSources(session, 1000);
	const spy = spyOnCatalog(session);
	const saved = await setDataSource(spy.session, 'New one', {username: 'rs'}, {create: true});
	t.deepEqual(saved.fields, {connectionString: 'unset', username: 'set', password: 'unset'});
	t.false(spy.calls.some(call => call.method === 'listDataSources' || call.method === 'listSecrets'));
	const error = await rejectsWithCode(t, setDataSource(session, 'New one', {username: 'other'}, {create: true}), 'INVALID_INPUT');
	t.is((error as {field?: string}).field, 'name');
	t.is((await showDataSource(session, 'New one')).username, 'rs');
});

test('removeDataSource deletes the data source and its values, in the audit log; an unknown name is UNKNOWN_DATA_SOURCE', async t => {
	const {session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {connectionString: 'Server=sql01', username: 'rs', password: 'pw'});
	await setDataSource(session, 'HR', {password: 'hr'});
	await removeDataSource(session, 'Sales');
	t.deepEqual(names(await pageDataSources(session, {limit: 5})), ['HR']);
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'UNKNOWN_DATA_SOURCE');
	t.deepEqual(await session.catalog.read(async tx => tx.listSecrets({kind: 'datasource', owner: 'Sales'})), []);
	t.is((await showDataSource(session, 'HR')).password, 'hr');
	const [entry] = await listAuditLog(session, 1);
	t.like(entry, {operation: 'datasource-remove', detail: 'Sales', outcome: 'success', signed: true});
	t.deepEqual((await verifyAudit(session)).findings, []);
	await rejectsWithCode(t, removeDataSource(session, 'Sales'), 'UNKNOWN_DATA_SOURCE');
	// Created again, it starts empty: nothing of the removed one comes back.
	const again = await setDataSource(session, 'Sales', {username: 'rs2'});
	t.deepEqual(again.fields, {connectionString: 'unset', username: 'set', password: 'unset'});
});
