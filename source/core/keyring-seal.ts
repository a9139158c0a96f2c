import {createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject} from 'node:crypto';
import type {CatalogTx, InstanceRow, KeyringSealRow, KeyVersionRow, RotationRow} from '../catalog/catalog.ts';
import type {TrustHead} from '../instance/trust-head.ts';
import {fingerprintKey} from './fingerprint.ts';

/**
 * The keyring seal: what makes the keyring in a shared catalog trustworthy to an instance that holds no more than
 * its own private key and its trust head.
 *
 * Anyone who can write the catalog can wrap a key of their choosing to an instance's public key, mark it primary,
 * add a joined instance or put old rows back. So the keyring's state — every key version with its state, the
 * rotation and the joined instances (installation id ↔ public key) — is one record signed with key material only
 * key holders have: each key version K_v has an Ed25519 signing key derived from it (HKDF), and the seal is signed
 * by the primary version's. A new version made by a key change carries an endorsement, signed by the version it
 * replaces, of its key check and verifying key: an instance that trusted version v follows the endorsements up to
 * the primary without ever needing the old keys (their verifying keys are public). A version with no endorsement is
 * an origin: made by `init` or Delete Encrypted Content, or an attacker's; only the instance that made it, an admin
 * who confirms its fingerprint, or a restore from a password-protected backup trusts it.
 *
 * The catalog's tables stay the working copy; the seal is checked against them (sealFindings) and every operation
 * that changes them writes a new seal in the same transaction, with a sequence number one higher, so a seal put
 * back from an old database dump is older than what each instance last trusted.
 */

export const sealFormat = 'rscm-keyring-seal-v1';

export type SealedVersion = {
	version: number;
	state: KeyVersionRow['state'];
	fingerprint: string;
	/** base64 */
	keyCheck: string;
	/** Raw Ed25519 public key derived from the version's key, base64. */
	verifyingKey: string;
	/** Signature of the previous primary over this version's record (endorsementMessage); absent for an origin. */
	endorsement: string | undefined;
	createdAt: string;
	backedUpAt: string | undefined;
	retiredAt: string | undefined;
};

export type SealMember = {installationId: string; publicKey: string};

export type SealBody = {
	format: typeof sealFormat;
	catalogId: string;
	sequence: number;
	sealedAt: string;
	sealedBy: string;
	versions: SealedVersion[];
	rotation: {fromVersion: number; toVersion: number; startedAt: string} | undefined;
	members: SealMember[];
};

const signingLabel = 'rscm keyring signing key v1\0';
const endorsementLabel = Buffer.from('rscm key endorsement v1\0', 'utf8');
const sealLabel = Buffer.from('rscm keyring seal v1\0', 'utf8');
// DER framing of a raw 32-byte Ed25519 key (RFC 8410), so node:crypto takes the raw bytes.
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/** The signing key of key version `version`: HKDF-SHA256(K_v, salt = catalog id, info = label ‖ version). */
export function signingKeyOf(key: Uint8Array, catalogId: string, version: number): {privateKey: KeyObject; verifyingKey: string} {
	const seed = Buffer.from(hkdfSync('sha256', key, Buffer.from(catalogId, 'utf8'), Buffer.from(`${signingLabel}${version}`, 'utf8'), 32));
	try {
		const privateKey = createPrivateKey({key: Buffer.concat([pkcs8Prefix, seed]), format: 'der', type: 'pkcs8'});
		const raw = createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(spkiPrefix.length);
		return {privateKey, verifyingKey: Buffer.from(raw).toString('base64')};
	} finally {
		seed.fill(0);
	}
}

/** The Ed25519 public key object of a verifying key (raw 32 bytes, base64); throws on a malformed one. */
export function verifyingKeyObject(verifyingKey: string): KeyObject {
	const raw = Buffer.from(verifyingKey, 'base64');
	if (raw.length !== 32) throw new Error('A verifying key is 32 bytes.');
	return createPublicKey({key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki'});
}

function verifySignature(verifyingKey: string, message: Uint8Array, signature: Uint8Array): boolean {
	try {
		return verify(null, message, verifyingKeyObject(verifyingKey), signature);
	} catch {
		return false;
	}
}

function endorsementMessage(catalogId: string, version: Pick<SealedVersion, 'version' | 'keyCheck' | 'verifyingKey'>): Buffer {
	const record = JSON.stringify({catalogId, version: version.version, keyCheck: version.keyCheck, verifyingKey: version.verifyingKey});
	return Buffer.concat([endorsementLabel, Buffer.from(record, 'utf8')]);
}

/** The endorsement of a new version by the primary it replaces (key change). */
export function endorse(previousKey: Uint8Array, catalogId: string, previousVersion: number, next: {version: number; keyCheck: Uint8Array; key: Uint8Array}): string {
	const {verifyingKey} = signingKeyOf(next.key, catalogId, next.version);
	const message = endorsementMessage(catalogId, {version: next.version, keyCheck: Buffer.from(next.keyCheck).toString('base64'), verifyingKey});
	return sign(null, message, signingKeyOf(previousKey, catalogId, previousVersion).privateKey).toString('base64');
}

export function membershipDigest(members: SealMember[]): string {
	const sorted = [...members].sort((a, b) => (a.installationId < b.installationId ? -1 : 1));
	return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** What a verified seal lets this instance record as trusted. */
export function trustedHead(body: SealBody): Extract<TrustHead, {state: 'trusted'}> {
	const primary = primaryOf(body)!;
	return {
		state: 'trusted',
		version: primary.version,
		verifyingKey: primary.verifyingKey,
		keyFingerprint: primary.fingerprint,
		sealSequence: body.sequence,
		membershipDigest: membershipDigest(body.members),
		trustedAt: new Date().toISOString(),
	};
}

export function primaryOf(body: SealBody): SealedVersion | undefined {
	const primaries = body.versions.filter(version => version.state === 'primary');
	return primaries.length === 1 ? primaries[0] : undefined;
}

export type NewSeal = {
	catalogId: string;
	sealedBy: string;
	/** The seal being replaced (verified), whose verifying keys and endorsements carry over; undefined for an origin. */
	previous: SealBody | undefined;
	/** Sequence of the seal record now in the catalog, valid or not: the new one is numbered above it. */
	previousSequence: number;
	/** The keys at hand (live versions and any version created in this transaction), to derive verifying keys. */
	keys: ReadonlyMap<number, Uint8Array>;
	/** Endorsements made in this transaction (key change), by version. */
	endorsements?: ReadonlyMap<number, string>;
};

/**
 * Seals the tables as they are now, in the caller's transaction, signed by the primary version's key (which must be
 * in `keys`). Called only after the transaction verified the previous seal (or by an origin), so what it signs is
 * what this instance trusted plus its own change. Returns the body, to become the trust head after the commit.
 */
export async function writeSeal(tx: CatalogTx, seal: NewSeal): Promise<SealBody> {
	const rows = await tx.listKeyVersions();
	const carried = new Map((seal.previous?.versions ?? []).map(version => [version.version, version]));
	const versions: SealedVersion[] = [];
	for (const row of rows) {
		const key = seal.keys.get(row.version);
		const earlier = carried.get(row.version);
		// A version is sealed when its verifying key is known: derived from the key at hand, or carried over from the
		// verified seal (retired versions, which the endorsement chain of an instance that was away still needs).
		const verifyingKey = key ? signingKeyOf(key, seal.catalogId, row.version).verifyingKey : earlier?.verifyingKey;
		if (verifyingKey === undefined) continue;
		versions.push({
			version: row.version,
			state: row.state,
			fingerprint: row.fingerprint,
			keyCheck: Buffer.from(row.keyCheck).toString('base64'),
			verifyingKey,
			endorsement: seal.endorsements?.get(row.version) ?? earlier?.endorsement,
			createdAt: row.createdAt,
			backedUpAt: row.backedUpAt,
			retiredAt: row.retiredAt,
		});
	}

	const rotation = await tx.getRotation();
	const members = (await tx.listInstances())
		.filter(row => row.joinedAt !== undefined)
		.map(row => ({installationId: row.installationId, publicKey: Buffer.from(row.publicKey).toString('base64')}));
	const body: SealBody = {
		format: sealFormat,
		catalogId: seal.catalogId,
		sequence: Math.max(seal.previousSequence, seal.previous?.sequence ?? 0) + 1,
		sealedAt: new Date().toISOString(),
		sealedBy: seal.sealedBy,
		versions,
		rotation: rotation && {fromVersion: rotation.fromVersion, toVersion: rotation.toVersion, startedAt: rotation.startedAt},
		members,
	};
	const primary = primaryOf(body);
	const primaryKey = primary && seal.keys.get(primary.version);
	if (!primary || !primaryKey) throw new Error('writeSeal: the primary key version is not at hand.');
	const bytes = Buffer.from(JSON.stringify(body), 'utf8');
	const signature = sign(null, Buffer.concat([sealLabel, bytes]), signingKeyOf(primaryKey, seal.catalogId, primary.version).privateKey);
	await tx.putKeyringSeal({sequence: body.sequence, body: bytes, signature});
	return body;
}

/**
 * How a seal stands for this instance:
 * - trusted: signed by a primary this instance trusts (its trust head's version, or one it endorsed, directly or
 *   through a chain);
 * - unconfirmed: well formed and signed by its own primary, but nothing this instance trusts endorses that primary
 *   (a new instance, a new origin after Delete Encrypted Content — or an attacker's key): to be confirmed by the admin;
 * - tampered: does not verify, or is older than what this instance trusted (a rollback).
 */
export type SealVerdict =
	| {kind: 'trusted'; body: SealBody}
	| {kind: 'unconfirmed'; body: SealBody; reason: string}
	| {kind: 'tampered'; reason: string};

export function verifySeal(row: KeyringSealRow, catalogId: string, head: TrustHead | undefined): SealVerdict {
	let body: SealBody;
	try {
		body = JSON.parse(Buffer.from(row.body).toString('utf8')) as SealBody;
	} catch {
		return {kind: 'tampered', reason: 'the keyring seal is not readable'};
	}

	if (body?.format !== sealFormat || !Array.isArray(body.versions) || !Array.isArray(body.members)) {
		return {kind: 'tampered', reason: 'the keyring seal is not readable'};
	}

	if (body.catalogId !== catalogId) return {kind: 'tampered', reason: `the keyring seal belongs to catalog ${String(body.catalogId)}`};
	if (body.sequence !== row.sequence) return {kind: 'tampered', reason: 'the keyring seal number was changed'};
	const primary = primaryOf(body);
	if (!primary) return {kind: 'tampered', reason: 'the keyring seal names no single primary key version'};
	if (!verifySignature(primary.verifyingKey, Buffer.concat([sealLabel, row.body]), row.signature)) {
		return {kind: 'tampered', reason: `the keyring seal's signature does not verify under key version ${primary.version}`};
	}

	if (head?.state !== 'trusted') {
		return {kind: 'unconfirmed', body, reason: `key version ${primary.version} (${primary.fingerprint}) has not been confirmed on this server`};
	}

	if (body.sequence < head.sealSequence || primary.version < head.version) {
		return {
			kind: 'tampered',
			reason: `the keyring was rolled back: seal ${body.sequence} with key version ${primary.version}, but this server already trusted seal ${head.sealSequence} with version ${head.version}`,
		};
	}

	// Follow the endorsements from the version this instance trusted up to the primary.
	let trusted = body.versions.find(version => version.version === head.version && version.verifyingKey === head.verifyingKey);
	for (const version of [...body.versions].sort((a, b) => a.version - b.version)) {
		if (!trusted || version.version <= trusted.version) continue;
		if (version.endorsement && verifySignature(trusted.verifyingKey, endorsementMessage(catalogId, version), Buffer.from(version.endorsement, 'base64'))) {
			trusted = version;
		}
	}

	if (trusted?.version !== primary.version) {
		return {
			kind: 'unconfirmed',
			body,
			reason: `key version ${primary.version} (${primary.fingerprint}) is not endorsed by key version ${head.version} (${head.keyFingerprint}), which this server trusts`,
		};
	}

	return {kind: 'trusted', body};
}

/**
 * Where the catalog's tables disagree with a verified seal: each is a change made outside rscm. A sealed member that
 * is no longer joined is not one (removing or resetting an instance destroys, it reads nothing); a joined instance
 * that is not a sealed member, or whose public key differs, is.
 */
export function sealFindings(
	body: SealBody,
	tables: {versions: KeyVersionRow[]; rotation: RotationRow | undefined; instances: InstanceRow[]},
): string[] {
	const findings: string[] = [];
	const sealed = new Map(body.versions.map(version => [version.version, version]));
	for (const row of tables.versions) {
		const version = sealed.get(row.version);
		if (!version) {
			if (row.state !== 'retired') findings.push(`key version ${row.version} is not in the keyring seal`);
			continue;
		}

		sealed.delete(row.version);
		const same =
			version.state === row.state &&
			version.fingerprint === row.fingerprint &&
			version.keyCheck === Buffer.from(row.keyCheck).toString('base64') &&
			version.createdAt === row.createdAt &&
			version.backedUpAt === row.backedUpAt &&
			version.retiredAt === row.retiredAt;
		if (!same) findings.push(`key version ${row.version} differs from the keyring seal (state, fingerprint, key check or dates)`);
	}

	for (const version of sealed.values()) findings.push(`sealed key version ${version.version} is missing from the catalog`);

	const rotation = tables.rotation;
	const sameRotation =
		rotation === undefined
			? body.rotation === undefined
			: body.rotation !== undefined &&
				body.rotation.fromVersion === rotation.fromVersion &&
				body.rotation.toVersion === rotation.toVersion &&
				body.rotation.startedAt === rotation.startedAt;
	if (!sameRotation) findings.push('the pending key change differs from the keyring seal');

	const members = new Map(body.members.map(member => [member.installationId, member.publicKey]));
	for (const row of tables.instances) {
		if (row.joinedAt === undefined) continue;
		const publicKey = members.get(row.installationId);
		if (publicKey === undefined) findings.push(`instance ${row.installationId} is marked joined but is not a sealed member`);
		else if (publicKey !== Buffer.from(row.publicKey).toString('base64')) {
			findings.push(`the public key of joined instance ${row.installationId} differs from the keyring seal`);
		}
	}

	return findings;
}

/** The unwrapped key of a sealed version must be the one the seal names: its verifying key is derived from it. */
export function keyMatchesSeal(key: Uint8Array, catalogId: string, version: SealedVersion): boolean {
	return signingKeyOf(key, catalogId, version.version).verifyingKey === version.verifyingKey && fingerprintKey(key) === version.fingerprint;
}

/**
 * Restore: the seal in the catalog, if the keys from a backup (trusted because the admin opened it with its password)
 * sign it and the tables agree with it; undefined otherwise, and the keyring is rebuilt from the backup.
 */
export function sealSignedBy(
	row: KeyringSealRow,
	catalogId: string,
	keys: ReadonlyMap<number, Uint8Array>,
	tables: Parameters<typeof sealFindings>[1],
): SealBody | undefined {
	const verdict = verifySeal(row, catalogId, undefined);
	if (verdict.kind === 'tampered') return undefined;
	const primary = primaryOf(verdict.body)!;
	const key = keys.get(primary.version);
	if (!key || !keyMatchesSeal(key, catalogId, primary)) return undefined;
	return sealFindings(verdict.body, tables).length === 0 ? verdict.body : undefined;
}
