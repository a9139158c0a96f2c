import test from 'ava';
import {listDataSources, readAllSecrets, setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';

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
