import {readFile, rm, rename} from 'node:fs/promises';
import path from 'node:path';
import {RscmError} from '../errors.ts';
import {writeFileAtomic} from '../files/atomic-write.ts';
import {fileError} from '../files/file-error.ts';
import {assertPrivate} from './private-directory.ts';

/**
 * The files of the instance's service identity, an X25519 key pair whose private half never leaves this directory.
 * This module stores and parses the bytes; deriving and checking keys is the core's (instance-state.ts is given it).
 *
 *   identity.key       the identity in use (0600)
 *   identity.next.key  a new identity written before the catalog switches to it (see changeServiceIdentity):
 *                      until the catalog commits, identity.key still works; after, identity.next.key does. Whichever
 *                      matches the catalog on the next start wins, so no crash leaves the instance without one.
 */
export const identityFileName = 'identity.key';
export const nextIdentityFileName = 'identity.next.key';

export type IdentityKeyPair = {publicKey: Buffer; privateKey: Buffer};

/** A loaded identity: the key pair, when it was made, and the fingerprint admins compare. */
export type Identity = IdentityKeyPair & {
	createdAt: string;
	fingerprint: string;
};

/** An identity file as written: the public key as the file states it (base64), to be checked against the private key. */
export type StoredIdentity = {file: string; privateKey: Buffer; statedPublicKey: string; createdAt: string};

type IdentityFile = {
	format: 'rscm-identity-v1';
	createdAt: string;
	publicKey: string;
	privateKey: string;
};

export type IdentitySlot = 'current' | 'next';

export function identityPath(instanceDirectory: string, which: IdentitySlot = 'current'): string {
	return path.join(instanceDirectory, which === 'current' ? identityFileName : nextIdentityFileName);
}

export async function writeIdentityFile(instanceDirectory: string, identity: Omit<Identity, 'fingerprint'>, which: IdentitySlot): Promise<void> {
	const content: IdentityFile = {
		format: 'rscm-identity-v1',
		createdAt: identity.createdAt,
		publicKey: identity.publicKey.toString('base64'),
		privateKey: identity.privateKey.toString('base64'),
	};
	await writeFileAtomic(identityPath(instanceDirectory, which), JSON.stringify(content, undefined, '\t') + '\n', {
		overwrite: true,
	});
}

/** Reads an identity file; undefined when it does not exist. Refuses one that others can read. */
export async function readIdentityFile(instanceDirectory: string, which: IdentitySlot): Promise<StoredIdentity | undefined> {
	const file = identityPath(instanceDirectory, which);
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw fileError(error, file, 'read');
	}

	await assertPrivate(file, 'file');
	let parsed: IdentityFile;
	try {
		parsed = JSON.parse(text) as IdentityFile;
	} catch {
		throw new RscmError('IDENTITY_CORRUPT', `${file} is not a valid identity file.`);
	}

	if (parsed.format !== 'rscm-identity-v1' || typeof parsed.privateKey !== 'string') {
		throw new RscmError('IDENTITY_CORRUPT', `${file} is not a valid identity file.`);
	}

	const statedPublicKey = typeof parsed.publicKey === 'string' ? parsed.publicKey : '';
	return {file, privateKey: Buffer.from(parsed.privateKey, 'base64'), statedPublicKey, createdAt: parsed.createdAt};
}

export async function promoteNextIdentityFile(instanceDirectory: string): Promise<void> {
	try {
		await rename(identityPath(instanceDirectory, 'next'), identityPath(instanceDirectory, 'current'));
	} catch (error) {
		throw fileError(error, identityPath(instanceDirectory, 'next'), 'rename');
	}
}

export async function discardNextIdentityFile(instanceDirectory: string): Promise<void> {
	await rm(identityPath(instanceDirectory, 'next'), {force: true});
}
