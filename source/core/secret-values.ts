import type {CatalogTx, SecretAddress, SecretRow} from '../catalog/catalog.ts';
import {keyFor, type Keyring} from './keyring.ts';
import {decryptValue, encryptValue} from './value-crypto.ts';

/** What a form may show about a secret: never the value, only whether there is one. */
/** The catalog's secret kinds and counts, for the front ends, which see the catalog only through core. */
export type {SecretCounts, SecretKind} from '../catalog/catalog.ts';

export type SecretState = 'set' | 'unset' | 'needs-reentry';

export function secretState(row: SecretRow | undefined): SecretState {
	if (!row) return 'unset';
	return row.needsReentry || row.ciphertext === undefined ? 'needs-reentry' : 'set';
}

export async function writeSecret(tx: CatalogTx, keyring: Keyring, address: SecretAddress, value: string): Promise<void> {
	const location = {catalogId: keyring.catalogId, ...address};
	await tx.putSecret(address, encryptValue(keyring.primary.key, keyring.primary.version, location, value), keyring.primary.version);
}

/** The clear value, or undefined when the row needs re-entry. The key version comes from the row, not the primary. */
export function readSecret(keyring: Keyring, catalogId: string, row: SecretRow): string | undefined {
	if (row.ciphertext === undefined || row.keyVersion === undefined) return undefined;
	return decryptValue(keyFor(keyring, row.keyVersion), {catalogId, kind: row.kind, owner: row.owner, field: row.field}, row.ciphertext);
}
