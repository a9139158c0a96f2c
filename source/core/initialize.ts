import type {InstanceRow} from '../catalog/catalog.ts';
import {audit} from './audit.ts';
import {createKeyVersion, keyHolder, liveVersions, saveTrust, sealOrigin, signerFor, wrapForInstance} from './keyring.ts';
import {RscmError} from '../errors.ts';
import {chooseInstanceName, defaultInstanceName} from './instances.ts';
import {ensureInstallationId, loadIdentity, machineName, type Session} from './session.ts';
import {instanceStatus, type InstanceStatus} from './status.ts';
import {hasControlCharacters} from './terminal-text.ts';
import os from 'node:os';

export type InitializeOptions = {
	/** Instance name, as SSRS names instances (default SSRS). */
	name?: string | undefined;
	machine?: string | undefined;
};

export type InitializeResult = {
	installationId: string;
	catalogCreated: boolean;
	status: InstanceStatus;
	/** Fingerprint of the first key when this instance created it. */
	keyFingerprint: string | undefined;
	identityFingerprint: string;
};

/**
 * The names an admin gives are stored in the catalog and shown by every instance's `status`, `instance list` and UI:
 * one with a control character (an ESC sequence, a bidi override) is refused here rather than printed everywhere.
 */
function validateName(field: 'name' | 'machine', value: string | undefined): string | undefined {
	if (value !== undefined && (value.trim() === '' || hasControlCharacters(value))) {
		throw new RscmError('INVALID_INPUT', `The ${field === 'name' ? 'instance name' : 'machine name'} must not be empty or hold control characters.`, {field});
	}

	return value;
}

/**
 * SSRS "initialize": creates the catalog if needed and registers this instance. The first instance of a catalog
 * generates key version 1 and joins; any later one registers its public key and waits until a joined instance adds
 * it (or a backup is restored on it). Safe to run again: an initialized instance is left as it is.
 */
export async function initialize(session: Session, options: InitializeOptions = {}): Promise<InitializeResult> {
	// Checked before anything is created, so a refused name leaves no catalog behind.
	const givenMachine = validateName('machine', options.machine);
	const givenName = validateName('name', options.name);
	const catalogCreated = (await session.catalog.probe()) === undefined;
	await session.catalog.create();
	const installationId = await ensureInstallationId(session);
	const machine = givenMachine ?? session.settings.get('machine') ?? machineName();
	const savedName = session.settings.get('instanceName');
	await session.settings.set({machine});
	const identity = (await loadIdentity(session)) ?? (await session.instance.createIdentity('current'));
	const holder = await keyHolder(session);

	// The name is chosen in the transaction that registers the instance, against the instances registered by then.
	let instanceName = givenName ?? savedName ?? defaultInstanceName;
	const keyFingerprint = await session.catalog.write(async tx => {
		const {catalogId} = await tx.getInfo();
		const existing = await tx.getInstance(installationId);
		if (existing) {
			// Registered already: the catalog's name is the one every server shows; init does not rename.
			if (givenName !== undefined && givenName.toLowerCase() !== existing.instanceName.toLowerCase()) {
				throw new RscmError('INVALID_INPUT', `This instance is registered as ${existing.machine}\\${existing.instanceName} already; init does not rename it.`, {
					field: 'name',
					hint: `Leave out --name, or give --name ${existing.instanceName}.`,
				});
			}

			instanceName = existing.instanceName;
			// Re-registering after the identity file was lost: the catalog must know the new public key, or nobody
			// could ever add or restore this instance. Its old wrapped copies are useless now.
			if (!Buffer.from(existing.publicKey).equals(identity.publicKey)) {
				await tx.deleteWrappedKeys({installationId});
				await tx.updateInstance(installationId, {
					publicKey: identity.publicKey,
					identityFingerprint: identity.fingerprint,
					identityCreatedAt: identity.createdAt,
					joinedAt: undefined,
				});
				await audit(tx, installationId, 'identity-replaced', [identity.fingerprint]);
			}

			return undefined;
		}

		const instances = await tx.listInstances();
		instanceName = chooseInstanceName(instances, machine, {given: givenName, saved: savedName});
		const now = new Date().toISOString();
		const row: InstanceRow = {
			installationId,
			machine,
			instanceName,
			publicKey: identity.publicKey,
			identityFingerprint: identity.fingerprint,
			identityCreatedAt: identity.createdAt,
			serviceAccount: serviceAccount(),
			registeredAt: now,
			joinedAt: undefined,
		};
		const versions = await tx.listKeyVersions();
		// Only a catalog that never had a key gets one here. A catalog whose instances were all removed still has its
		// keyring: a new instance waits and is recovered by restoring a backup, never by silently minting a new key
		// that nothing encrypted so far would open.
		if (liveVersions(versions).length > 0 || instances.length > 0) {
			await tx.insertInstance(row);
			// It will be given a key by another server: until the admin confirms that key, this instance uses none.
			if (holder.trust.catalogs[catalogId] === undefined) holder.nextHead = {catalogId, head: {state: 'awaiting', since: now}};
			await audit(tx, installationId, 'register', [], 'waiting to join');
			return undefined;
		}

		await tx.insertInstance({...row, joinedAt: now});
		const {key, row: versionRow} = createKeyVersion(catalogId, 1, 'primary');
		try {
			await tx.insertKeyVersion(versionRow);
			await wrapForInstance(tx, catalogId, installationId, identity.publicKey, 1, key);
			// An origin: this instance made the key, so it trusts it without asking anyone.
			await sealOrigin(tx, holder, catalogId, new Map([[1, key]]));
			await audit(tx, installationId, 'initialize', [versionRow.fingerprint], 'key version 1 created', signerFor(holder, catalogId, 1, key));
		} finally {
			key.fill(0);
		}

		return versionRow.fingerprint;
	});
	await saveTrust(session, holder);
	await session.settings.set({instanceName});

	return {
		installationId,
		catalogCreated,
		status: await instanceStatus(session),
		keyFingerprint,
		identityFingerprint: identity.fingerprint,
	};
}

/** The OS account that runs rscm: the report server's "service account" in SSRS terms. */
export function serviceAccount(): string {
	try {
		return os.userInfo().username;
	} catch {
		return process.env['USER'] ?? 'unknown';
	}
}
