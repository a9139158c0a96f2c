import type {CatalogTx, InstanceRow} from '../catalog/catalog.ts';
import {audit, type AuditSigner} from './audit.ts';
import {RscmError} from '../errors.ts';
import {fingerprintPublicKey} from './fingerprint.ts';
import {keyFor, keyringTransaction, liveVersions, resealKeyring, signerOf, wrapForInstance} from './keyring.ts';
import {installationIdOf, type Session} from './session.ts';
import {instanceStatusLabels} from './status.ts';

export type InstanceSummary = {
	installationId: string;
	machine: string;
	instanceName: string;
	status: 'joined' | 'waiting';
	statusLabel: string;
	/** Computed from the public key the catalog holds for it: the key that `instance add` wraps to. */
	identityFingerprint: string;
	/**
	 * The stored fingerprint column disagrees with the public key (or the key is malformed): the row was edited
	 * outside rscm, typically a public key swapped under a fingerprint the admin would recognise.
	 */
	identityTampered: boolean;
	serviceAccount: string;
	registeredAt: string;
	joinedAt: string | undefined;
	isThisInstance: boolean;
};

/** The fingerprint of the public key itself, never the stored column; undefined for a key that is not 32 bytes. */
function computedFingerprint(row: InstanceRow): string | undefined {
	return row.publicKey.byteLength === 32 ? fingerprintPublicKey(row.publicKey) : undefined;
}

function summarize(row: InstanceRow, self: string | undefined): InstanceSummary {
	const status = row.joinedAt === undefined ? 'waiting' : 'joined';
	const fingerprint = computedFingerprint(row);
	return {
		installationId: row.installationId,
		machine: row.machine,
		instanceName: row.instanceName,
		status,
		statusLabel: instanceStatusLabels[status],
		identityFingerprint: fingerprint ?? 'invalid public key',
		identityTampered: fingerprint === undefined || fingerprint !== row.identityFingerprint,
		serviceAccount: row.serviceAccount,
		registeredAt: row.registeredAt,
		joinedAt: row.joinedAt,
		isThisInstance: row.installationId === self,
	};
}

/** The instance name SSRS installs by default, and the start of the names rscm picks when it is taken. */
export const defaultInstanceName = 'SSRS';

/** Windows names compare without case: `vm\ssrs` and `VM\SSRS` are one name to an admin. */
function sameName(a: string, b: string): boolean {
	return a.toLowerCase() === b.toLowerCase();
}

/**
 * The name an instance registers with: MACHINE\INSTANCE must tell it apart from every other instance of the catalog
 * (the Scale-out list and `rskeymgmt -l`, `-j -m -n` go by it), as SSRS instance names on one machine are unique.
 * A name the admin gave that another instance of the catalog has on this machine is refused; otherwise the saved
 * or default name is used when free, else the first free one of NAME2, NAME3, … (SSRS, SSRS2, …).
 */
export function chooseInstanceName(others: readonly InstanceRow[], machine: string, wanted: {given?: string | undefined; saved?: string | undefined}): string {
	const taken = others.filter(row => sameName(row.machine, machine));
	const holder = (name: string) => taken.find(row => sameName(row.instanceName, name));
	const base = wanted.given ?? wanted.saved ?? defaultInstanceName;
	let free = base;
	for (let number = 2; holder(free); number++) free = `${base}${number}`;
	if (wanted.given !== undefined && free !== base) {
		const other = holder(base)!;
		throw new RscmError('INVALID_INPUT', `${other.machine}\\${other.instanceName} is already the name of instance ${other.installationId} in this catalog.`, {
			field: 'name',
			hint: `Instance names are unique on a machine: choose another one, such as ${free} (rscm init --name ${free}).`,
		});
	}

	return free;
}

export async function listInstances(session: Session): Promise<InstanceSummary[]> {
	const self = session.settings.get('installationId');
	const rows = await session.catalog.read(async tx => tx.listInstances());
	return rows.map(row => summarize(row, self));
}

/** Finds an instance by its installation id or an unambiguous prefix of it (as git does with commits). */
export async function findInstance(session: Session, idOrPrefix: string): Promise<InstanceSummary> {
	const wanted = idOrPrefix.trim().toLowerCase();
	const all = await listInstances(session);
	const exact = all.find(row => row.installationId === wanted);
	if (exact) return exact;
	const matches = wanted.length >= 4 ? all.filter(row => row.installationId.startsWith(wanted)) : [];
	if (matches.length === 1) return matches[0]!;
	if (matches.length > 1) {
		throw new RscmError('AMBIGUOUS_INSTANCE', `${matches.length} instances have ids starting with ${wanted}.`, {hint: 'Give more of the id.'});
	}

	throw new RscmError('UNKNOWN_INSTANCE', `No instance with id ${idOrPrefix} in this catalog.`, {hint: 'See `rscm instance list`.'});
}

/** rskeymgmt -j -m MACHINE -n INSTANCE: the waiting instance with that machine and instance name. */
export async function findWaitingInstanceByName(session: Session, machine: string, instanceName: string): Promise<InstanceSummary> {
	const matches = (await listInstances(session)).filter(
		row => row.status === 'waiting' && row.machine.toLowerCase() === machine.toLowerCase() && row.instanceName.toLowerCase() === instanceName.toLowerCase(),
	);
	if (matches.length === 1) return matches[0]!;
	if (matches.length > 1) {
		throw new RscmError('AMBIGUOUS_INSTANCE', `${matches.length} waiting instances are named ${machine}\\${instanceName}.`, {
			hint: 'Add it by installation id: rscm instance add ID.',
		});
	}

	throw new RscmError('UNKNOWN_INSTANCE', `No instance ${machine}\\${instanceName} is waiting to join.`, {hint: 'See `rscm instance list`.'});
}

/**
 * Scale-out "Add Server": wraps every live key version for a waiting instance's public key. Run on a joined
 * instance. `fingerprint` is the identity fingerprint the admin compared (shown by the UI or the command, or given
 * with --fingerprint): the catalog is shared, so anyone who can write to it can register an instance or swap its
 * public key, and the fingerprint — computed here from the very key that is wrapped to — is how the admin knows the
 * key goes to the server they mean.
 */
export async function addInstance(session: Session, idOrPrefix: string, fingerprint: string): Promise<InstanceSummary> {
	const installationId = installationIdOf(session);
	const target = await findInstance(session, idOrPrefix);
	await keyringTransaction(session, 'write', async (tx, keyring, holder) => {
		const row = await tx.getInstance(target.installationId);
		if (!row) throw new RscmError('UNKNOWN_INSTANCE', `Instance ${target.installationId} was removed meanwhile.`);
		if (row.joinedAt !== undefined) {
			throw new RscmError('NOT_WAITING', `${row.machine}\\${row.instanceName} has already joined.`);
		}

		// The fingerprint the admin compared must be that of the key we wrap to, read in this transaction.
		const wrappedTo = computedFingerprint(row);
		if (wrappedTo !== fingerprint.trim().toLowerCase()) {
			throw new RscmError('INVALID_INPUT', `The identity fingerprint of ${row.installationId} is not ${fingerprint}; the key was not given to it.`, {
				hint: 'Run `rscm status` on the server you mean to add and compare its identity fingerprint.',
			});
		}

		// A stored column that disagrees with the key is not a mistake rscm makes: someone edited the row.
		if (wrappedTo !== row.identityFingerprint) {
			throw new RscmError('KEYRING_TAMPERED', `The public key of ${row.installationId} does not match its recorded fingerprint: the row was edited outside rscm.`, {
				hint: 'Have that server register again (remove it, then run `rscm init` there) and compare fingerprints before adding it.',
			});
		}

		for (const version of liveVersions(keyring.versions)) {
			await wrapForInstance(tx, keyring.catalogId, row.installationId, row.publicKey, version.version, keyFor(keyring, version.version));
		}

		await tx.updateInstance(row.installationId, {joinedAt: new Date().toISOString()});
		// The new member is part of the sealed membership: a key change wraps only to sealed members.
		await resealKeyring(tx, holder, keyring);
		await audit(tx, installationId, 'add-instance', [keyring.primary.fingerprint], `${row.installationId} (${wrappedTo})`, signerOf(keyring, holder));
	});
	return {...target, status: 'joined', statusLabel: instanceStatusLabels.joined};
}

/**
 * Scale-out "Remove Server". Removing the last joined instance would leave the key only in backups, so it is refused
 * (LAST_JOINED_INSTANCE) unless every live key version has been backed up.
 */
export async function removeInstance(session: Session, idOrPrefix: string): Promise<InstanceSummary> {
	const target = await findInstance(session, idOrPrefix);
	const self = session.settings.get('installationId');
	const remove = async (tx: CatalogTx, signer?: AuditSigner) => {
		const rows = await tx.listInstances();
		const row = rows.find(entry => entry.installationId === target.installationId);
		if (!row) throw new RscmError('UNKNOWN_INSTANCE', `Instance ${target.installationId} was removed meanwhile.`);
		const otherJoined = rows.filter(entry => entry.joinedAt !== undefined && entry.installationId !== row.installationId);
		if (row.joinedAt !== undefined && otherJoined.length === 0) {
			const unbacked = liveVersions(await tx.listKeyVersions()).filter(version => version.backedUpAt === undefined);
			if (unbacked.length > 0) {
				throw new RscmError(
					'LAST_JOINED_INSTANCE',
					`${row.machine}\\${row.instanceName} is the last joined instance and the key has no backup: removing it would lose the key.`,
					{hint: 'Back up the key first (rscm key backup --file PATH); after removal only a restore brings the key back.'},
				);
			}
		}

		await tx.deleteInstance(row.installationId);
		await audit(tx, self, 'remove-instance', [], `${row.installationId} (${row.machine}\\${row.instanceName})`, signer);
	};

	// A waiting instance is no member: removing it changes nothing sealed. A joined one leaves the sealed membership,
	// so a row put back later with its old public key is not a member again.
	if (target.status === 'waiting') await session.catalog.write(async tx => remove(tx));
	else {
		await keyringTransaction(session, 'write', async (tx, keyring, holder) => {
			await remove(tx, signerOf(keyring, holder));
			await resealKeyring(tx, holder, keyring);
		});
	}

	return target;
}

/** Whether removing this instance would leave no joined instance: the UI warns before it asks. */
export async function isLastJoinedInstance(session: Session, installationId: string): Promise<boolean> {
	const rows = await session.catalog.read(async tx => tx.listInstances());
	const joined = rows.filter(row => row.joinedAt !== undefined);
	return joined.length === 1 && joined[0]!.installationId === installationId;
}
