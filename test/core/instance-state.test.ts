import {readdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {fingerprintPublicKey} from '../../source/core/fingerprint.ts';
import {generateIdentity} from '../../source/core/key-wrap.ts';
import {openInstanceState} from '../../source/core/session.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {rejectsWithCode, tempDirectory} from '../helpers/catalog-fixtures.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('nothing in source/instance or source/files imports from core, ui or commands', async t => {
	for (const layer of ['instance', 'files']) {
		const directory = path.join(root, 'source', layer);
		for (const name of await readdir(directory)) {
			const text = await readFile(path.join(directory, name), 'utf8');
			t.notRegex(text, /from '\.\.\/(?:core|ui|commands)\//, `source/${layer}/${name}`);
		}
	}
});

test('an identity is created, promoted from next and discarded through the instance state', async t => {
	const state = await openInstanceState(await tempDirectory(t));
	t.is(await state.readIdentity('current'), undefined);
	const current = await state.createIdentity('current');
	t.is(current.fingerprint, fingerprintPublicKey(current.publicKey));
	t.deepEqual(await state.readIdentity('current'), current);

	const discarded = await state.createIdentity('next');
	// The catalog still names the current key: the next one is dropped.
	t.deepEqual(await state.loadIdentity(async () => current.publicKey), current);
	t.is(await state.readIdentity('next'), undefined);
	t.not(discarded.fingerprint, current.fingerprint);

	const next = await state.createIdentity('next');
	// The catalog names the next key (the change committed): it becomes the current one.
	t.deepEqual(await state.loadIdentity(async () => next.publicKey), next);
	t.deepEqual(await state.readIdentity('current'), next);
	t.is(await state.readIdentity('next'), undefined);
});

test('an identity file that claims another public key, or is not JSON, is IDENTITY_CORRUPT', async t => {
	const state = await openInstanceState(await tempDirectory(t));
	await state.createIdentity('current');
	const file = identityPath(state.directory, 'current');
	const content = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
	await writeFile(file, JSON.stringify({...content, publicKey: generateIdentity().publicKey.toString('base64')}), {mode: 0o600});
	const error = await rejectsWithCode(t, state.readIdentity('current'), 'IDENTITY_CORRUPT');
	t.regex(error.message, /public key does not match the private key/);

	await writeFile(file, '{not json', {mode: 0o600});
	await rejectsWithCode(t, state.readIdentity('current'), 'IDENTITY_CORRUPT');
});
