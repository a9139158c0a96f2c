// Backups written by rscm in format version 1 (0.1.0, 2026-12-03), frozen in test/fixtures/backups: a backup an
// admin made years ago must still open. The keys in them are throwaway test keys and the passwords are in the
// manifest beside them. Never regenerate these files: a change of format adds new fixtures, it does not replace
// these.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {decodeBackup, parseBackupHeader} from '../../source/core/backup/backup-codec.ts';
import {fingerprintKey} from '../../source/core/fingerprint.ts';
import {verifyBackup} from '../../source/core/key-backup.ts';
import {rejectsWithCode} from '../helpers/catalog-fixtures.ts';

type Fixture = {
	file: string;
	password: string;
	catalogId: string;
	createdAt: string;
	keys: Array<{version: number; createdAt: string; primary: boolean; keyHex: string}>;
};

const directory = path.join(import.meta.dirname, '..', 'fixtures', 'backups');
const fixtures = JSON.parse(readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as Fixture[];

for (const fixture of fixtures) {
	test(`${fixture.file} still opens with its password, with every key as written`, async t => {
		const text = readFileSync(path.join(directory, fixture.file));
		const header = parseBackupHeader(text);
		t.is(header.catalogId, fixture.catalogId);
		const contents = await decodeBackup(text, fixture.password);
		t.is(contents.catalogId, fixture.catalogId);
		t.is(contents.createdAt, fixture.createdAt);
		t.deepEqual(
			contents.keys.map(key => ({version: key.version, createdAt: key.createdAt, primary: key.primary, keyHex: key.key.toString('hex')})),
			fixture.keys,
		);
		const primary = contents.keys.find(key => key.primary)!;
		t.is(header.primaryFingerprint, fingerprintKey(primary.key));
		// As `rscm key verify --file` sees it, with no catalog to compare against.
		const verified = await verifyBackup(undefined, {file: path.join(directory, fixture.file), password: fixture.password});
		t.is(verified.catalogId, fixture.catalogId);
		await rejectsWithCode(t, decodeBackup(text, `${fixture.password}x`), 'WRONG_PASSWORD');
	});
}

test('the password of a frozen backup is taken in either Unicode form (NFC or NFD), as when it was written', async t => {
	const fixture = fixtures.find(each => each.file === 'v1-unicode-password.snk')!;
	const text = readFileSync(path.join(directory, fixture.file));
	t.not(fixture.password.normalize('NFD'), fixture.password);
	const contents = await decodeBackup(text, fixture.password.normalize('NFD'));
	t.is(contents.keys[0]!.key.toString('hex'), fixture.keys[0]!.keyHex);
});
