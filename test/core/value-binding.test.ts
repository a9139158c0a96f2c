import {randomBytes} from 'node:crypto';
import Database from 'better-sqlite3';
import test from 'ava';
import {setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {setExecutionAccount} from '../../source/core/shared-settings.ts';
import {decryptValue, encryptValue} from '../../source/core/value-crypto.ts';
import {joinedInstance, rejectsWithCode} from '../helpers/catalog-fixtures.ts';

type Row = {ciphertext: Buffer; key_version: number};

/** Copies one stored ciphertext over another row's, behind rscm's back, as an attacker with file access could. */
function copyCiphertext(file: string, from: {kind: string; owner: string; field: string}, to: {kind: string; owner: string; field: string}, toFile = file): void {
	const source = new Database(file);
	const target = toFile === file ? source : new Database(toFile);
	try {
		const row = source.prepare('SELECT ciphertext, key_version FROM secrets WHERE kind = ? AND owner = ? AND field = ?').get(from.kind, from.owner, from.field) as Row | undefined;
		if (!row) throw new Error(`no secret ${JSON.stringify(from)}`);
		const changed = target
			.prepare('UPDATE secrets SET ciphertext = ?, key_version = ? WHERE kind = ? AND owner = ? AND field = ?')
			.run(row.ciphertext, row.key_version, to.kind, to.owner, to.field).changes;
		if (changed !== 1) throw new Error(`no secret ${JSON.stringify(to)} to overwrite`);
	} finally {
		source.close();
		if (target !== source) target.close();
	}
}

test('a ciphertext copied to another data source or another field does not decrypt', async t => {
	const {deployment, session} = await joinedInstance(t);
	await setDataSource(session, 'Sales', {username: 'sales_user', password: 'sales-secret'});
	await setDataSource(session, 'HR', {username: 'hr_user', password: 'hr-secret'});
	await setExecutionAccount(session, {enabled: true, account: 'CONTOSO\\exec', password: 'exec-secret'});

	copyCiphertext(deployment.catalogPath, {kind: 'datasource', owner: 'Sales', field: 'password'}, {kind: 'datasource', owner: 'HR', field: 'password'});
	const otherRow = await rejectsWithCode(t, showDataSource(session, 'HR'), 'DECRYPT_FAILED');
	t.false(otherRow.message.includes('sales-secret'));

	copyCiphertext(deployment.catalogPath, {kind: 'datasource', owner: 'Sales', field: 'password'}, {kind: 'datasource', owner: 'Sales', field: 'username'});
	await rejectsWithCode(t, showDataSource(session, 'Sales'), 'DECRYPT_FAILED');

	// Another table (a shared setting) moved into a data source row.
	await setDataSource(session, 'Ops', {password: 'ops-secret'});
	t.is((await showDataSource(session, 'Ops')).password, 'ops-secret');
	copyCiphertext(deployment.catalogPath, {kind: 'setting', owner: 'execution', field: 'password'}, {kind: 'datasource', owner: 'Ops', field: 'password'});
	await rejectsWithCode(t, showDataSource(session, 'Ops'), 'DECRYPT_FAILED');
});

test('a ciphertext copied into another catalog does not decrypt there', async t => {
	const one = await joinedInstance(t);
	const other = await joinedInstance(t);
	await setDataSource(one.session, 'Sales', {password: 'from-catalog-one'});
	await setDataSource(other.session, 'Sales', {password: 'from-catalog-two'});
	copyCiphertext(one.deployment.catalogPath, {kind: 'datasource', owner: 'Sales', field: 'password'}, {kind: 'datasource', owner: 'Sales', field: 'password'}, other.deployment.catalogPath);
	await rejectsWithCode(t, showDataSource(other.session, 'Sales'), 'DECRYPT_FAILED');
	t.is((await showDataSource(one.session, 'Sales')).password, 'from-catalog-one');
});

test('the catalog id is bound into the associated data even when the key is the same', t => {
	// Two catalogs never share a key in practice; this isolates the binding itself.
	const key = randomBytes(32);
	const location = {catalogId: '11111111-1111-4111-8111-111111111111', kind: 'datasource', owner: 'Sales', field: 'password'};
	const envelope = encryptValue(key, 1, location, 'secret');
	t.is(decryptValue(key, location, envelope), 'secret');
	for (const moved of [
		{...location, catalogId: '22222222-2222-4222-8222-222222222222'},
		{...location, owner: 'HR'},
		{...location, field: 'username'},
		{...location, kind: 'setting'},
		// Length-prefixed parts: shifting a character between owner and field must not collide.
		{...location, owner: 'Salesp', field: 'assword'},
	]) {
		t.throws(() => decryptValue(key, moved, envelope), {code: 'DECRYPT_FAILED'});
	}

	// A relabelled key version is part of the authenticated header.
	const relabelled = Buffer.from(envelope);
	relabelled.writeUInt32BE(2, 1);
	t.throws(() => decryptValue(key, location, relabelled), {code: 'DECRYPT_FAILED'});
});
