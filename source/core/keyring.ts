import {randomBytes} from 'node:crypto';
import type {CatalogTx, KeyVersionRow} from '../catalog/catalog.ts';
import {RscmError} from './errors.ts';
import {fingerprintKey, keyCheckValue, verifyKeyCheckValue} from './fingerprint.ts';
import {unwrapKey, wrapKey} from './key-wrap.ts';
import type {Identity} from '../instance/identity-file.ts';

/**
 * The unlocked keyring of one instance: every live key version, opened with the instance's identity. Live means
 * primary, or active (a rotation is still moving values off it). Callers must call `close()` so the key bytes are
 * zeroed as soon as the operation ends.
 */
export type Keyring = {
	catalogId: string;
	primary: {version: number; key: Buffer; fingerprint: string};
	keys: Map<number, Buffer>;
	versions: KeyVersionRow[];
	close(): void;
};

export function liveVersions(versions: KeyVersionRow[]): KeyVersionRow[] {
	return versions.filter(row => row.state !== 'retired');
}

export function primaryVersion(versions: KeyVersionRow[]): KeyVersionRow | undefined {
	return versions.find(row => row.state === 'primary');
}

export async function unlockKeyring(tx: CatalogTx, installationId: string, identity: Identity | undefined): Promise<Keyring> {
	const {catalogId} = await tx.getInfo();
	const instance = await tx.getInstance(installationId);
	if (!instance) {
		throw new RscmError('NOT_INITIALIZED', 'This instance is not registered in the catalog.', {
			hint: 'Run `rscm init` to register it (it was removed, or the catalog changed).',
		});
	}

	const versions = await tx.listKeyVersions();
	const live = liveVersions(versions);
	const wrapped = new Map((await tx.listWrappedKeys(installationId)).map(row => [row.version, row.wrapped]));
	if (live.every(row => !wrapped.has(row.version))) {
		throw new RscmError('WAITING_TO_JOIN', 'This instance is waiting to join and holds no copy of the key.', {
			hint: 'On a joined server run `rscm instance add ' + installationId + '`, or restore the key from a backup here.',
		});
	}

	if (!identity) {
		throw new RscmError('KEY_UNAVAILABLE', 'The service identity of this instance is missing, so its copy of the key cannot be opened.', {
			hint: 'Restore the key from a backup: rscm key restore --file PATH.',
		});
	}

	const keys = new Map<number, Buffer>();
	try {
		for (const row of live) {
			const copy = wrapped.get(row.version);
			if (!copy) {
				throw new RscmError('KEY_UNAVAILABLE', `This instance holds no copy of key version ${row.version}.`, {
					hint: 'Restore the key from a backup made after that version was created.',
				});
			}

			const key = unwrapKey(copy, identity.privateKey, catalogId, row.version);
			keys.set(row.version, key);
			assertKeyMatchesRecord(key, catalogId, row);
		}
	} catch (error) {
		for (const key of keys.values()) key.fill(0);
		throw error;
	}

	const primaryRow = primaryVersion(live);
	if (!primaryRow) throw new RscmError('CATALOG_CORRUPT', 'The catalog has no primary key version.');
	return {
		catalogId,
		// Computed from the key, not read from the fingerprint column: what the admin compares is the key in use.
		primary: {version: primaryRow.version, key: keys.get(primaryRow.version)!, fingerprint: fingerprintKey(keys.get(primaryRow.version)!)},
		keys,
		versions,
		close() {
			for (const key of keys.values()) key.fill(0);
		},
	};
}

/**
 * A wrapped copy opened, but is it the key the catalog records for that version? Anyone who can write the catalog
 * can wrap a key of their own choosing to this instance's public key (wrapping needs only the public key), so a copy
 * that opens proves nothing by itself. Its key-check value and fingerprint columns must agree with the key.
 */
function assertKeyMatchesRecord(key: Buffer, catalogId: string, row: KeyVersionRow): void {
	if (verifyKeyCheckValue(key, catalogId, row.version, row.keyCheck) && fingerprintKey(key) === row.fingerprint) return;
	throw new RscmError('KEYRING_TAMPERED', `This instance's copy of key version ${row.version} is not the key the catalog records for that version.`, {
		hint: 'The catalog was edited outside rscm. Do not use it: restore the key from a backup (rscm key restore --file PATH) or the catalog from a database backup.',
	});
}

/** Runs `work` with an unlocked keyring and zeroes it afterwards, whatever happens. */
export async function withKeyring<T>(
	tx: CatalogTx,
	installationId: string,
	identity: Identity | undefined,
	work: (keyring: Keyring) => Promise<T>,
): Promise<T> {
	const keyring = await unlockKeyring(tx, installationId, identity);
	try {
		return await work(keyring);
	} finally {
		keyring.close();
	}
}

export function keyFor(keyring: Keyring, version: number): Buffer {
	const key = keyring.keys.get(version);
	if (!key) throw new RscmError('KEY_UNAVAILABLE', `Key version ${version} is not live in this catalog.`);
	return key;
}

/** A new random key version; the caller inserts the row and wraps the key. */
export function createKeyVersion(catalogId: string, version: number, state: KeyVersionRow['state']): {key: Buffer; row: KeyVersionRow} {
	const key = randomBytes(32);
	return {
		key,
		row: {
			version,
			fingerprint: fingerprintKey(key),
			keyCheck: keyCheckValue(key, catalogId, version),
			state,
			createdAt: new Date().toISOString(),
			backedUpAt: undefined,
			retiredAt: undefined,
		},
	};
}

export function nextVersionNumber(versions: KeyVersionRow[]): number {
	// Versions are never reused, even after Delete encrypted content, so an old backup cannot pass for a new key.
	return versions.reduce((max, row) => Math.max(max, row.version), 0) + 1;
}

export async function wrapForInstance(
	tx: CatalogTx,
	catalogId: string,
	installationId: string,
	publicKey: Uint8Array,
	version: number,
	key: Uint8Array,
): Promise<void> {
	await tx.putWrappedKey({installationId, version, wrapped: wrapKey(key, publicKey, catalogId, version)});
}
